"""The controller with [database] url writes its call log in PostgreSQL: a call's row,
transcript and porsi lookup, through the controller's one pool, read back through
ivr.storeplace as the web app and the CLI read them, and nothing in calls.sqlite (the
fast tier's hotline: the real controller and flows, no Asterisk)."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

from ivr import calldb, pgstore, storeplace
from ivr.calllog import CallLogReader
from ivr.config import DatabaseSettings
from tests.rig.fast import FastHotline
from tests.scenarios.pilgrim import SOC, found


def test_calllog_with_a_database_url_a_calls_row_transcript_and_lookup_land_in_postgres(
    pg_url: str, tmp_path: Path
) -> None:
    running = FastHotline.start(tmp_path, env={"HAJJ_IVR_DATABASE_URL": pg_url})
    try:
        services = running.controller.services
        one = services.calllog.sql  # the controller's one pool, for every PostgreSQL store
        assert isinstance(one, pgstore.PgSql)
        assert services.desk.callbacks.sql is one and services.desk.records.sql is one
        assert services.ratings is not None and services.ratings.sql is one
        call = running.call(found(SOC.nomor_porsi))
        database = DatabaseSettings(url=pg_url)
        reader = CallLogReader(Path("/nonexistent/calls.sqlite"), database)
        row, lines = reader.get(call.call_id), reader.transcript(call.call_id)
        assert row is not None and row.outcome != "in_progress"
        assert lines and lines[0].kind == "say" and lines == running.record(call.call_id)[1]
        with storeplace.opened(database, Path("/nonexistent"), ()) as sql:
            looked = sql.all("SELECT porsi, found FROM lookups WHERE call_id = ?", (call.call_id,))
        assert looked == [(SOC.nomor_porsi, 1)]
        with closing(calldb.open_calldb(running.config.calllog_path)) as db:
            assert db.execute("SELECT count(*) FROM calls").fetchone() == (0,)
    finally:
        running.close()  # the controller's pool with it
