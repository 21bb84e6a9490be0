"""Complaints by phone with ``[database] url``: the real controller on scripted channels
files a ticket into PostgreSQL (its number taken there) and tells a ticket's status from
there; complaints.sqlite is never made."""

from __future__ import annotations

from pathlib import Path

from ivr import pgstore
from ivr.complaints.model import PG_SCHEMA
from ivr.settings import DatabaseSettings
from tests.rig.fast import FastHotline
from tests.rig.hotline import Scenario
from tests.scenarios import complaints as checks


def test_complaint_with_a_database_url_filed_and_told_from_postgres(
    pg_url: str, tmp_path: Path
) -> None:
    pgstore.migrate_all(DatabaseSettings(url=pg_url), (PG_SCHEMA,))
    running = FastHotline.start(tmp_path, env={"HAJJ_IVR_DATABASE_URL": pg_url})
    try:
        filing = Scenario(checks.FILE, checks.pin_told_twice, 90, '"Uji" <0811000020>', audio=True)
        call = running.calls({"file": filing})["file"]
        filed = checks.ticket_of(running, call.call_id)  # read back from PostgreSQL
        checks.check_recorded_by_phone(running, filed)
        with pgstore.opened(DatabaseSettings(url=pg_url)) as sql:
            assert sql.one("SELECT 1 FROM ticket_numbers WHERE number = ?", (filed.number,))
        checks.check_status_with_the_pin_says_state_and_resolution(running)
        assert not running.config.complaints_path.exists()
    finally:
        pgstore.close(running.controller.services.desk.callbacks.sql)  # the controller's pool
        running.close()
