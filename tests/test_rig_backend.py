"""The two-backend store fixture: one store, two connections, one set of rows."""

from __future__ import annotations

from ivr.queue.callbacks import PG_SCHEMA, SCHEMA, Callbacks, Request
from tests.rig.postgres import Backend


def test_backend_callbacks_one_request_seen_from_a_second_connection(backend: Backend) -> None:
    one = Callbacks(backend.sql((SCHEMA,), (PG_SCHEMA,)))
    two = Callbacks(backend.sql((SCHEMA,), (PG_SCHEMA,)))
    one.request(Request("0811000001"), now=1)
    assert two.pending()["open"] == 1
