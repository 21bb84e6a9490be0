"""The controller with [database] url: a caller's callback request is stored in
PostgreSQL (the fast tier's hotline: the real controller and flows, no Asterisk)."""

from __future__ import annotations

from pathlib import Path

from ivr import pgstore
from ivr.config import DatabaseSettings
from ivr.queue.callbacks import Callbacks
from tests.rig.fast import FastHotline
from tests.scenarios import callbacks as checks


def test_callback_with_a_database_url_two_calls_at_once_store_one_request_in_postgres(
    pg_url: str, tmp_path: Path
) -> None:
    running = FastHotline.start(tmp_path, env={"HAJJ_IVR_DATABASE_URL": pg_url})
    try:
        calls = checks.twice_at_once(running, "0811000003")
        with pgstore.opened(DatabaseSettings(url=pg_url)) as sql:
            stored = [cb for cb in Callbacks(sql).all() if cb.number == "0811000003"]
        assert len(stored) == 1 and (stored[0].state, stored[0].reason) == (
            "open",
            "caller_request",
        )
        assert stored[0].call_id in {c.call_id for c in calls}
        assert checks.requests(running, "0811000003") == []  # nothing in calls.sqlite
    finally:
        running.close()  # the controller's pool with it
