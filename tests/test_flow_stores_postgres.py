"""The controller with [database] url (the fast tier's hotline: the real controller and
flows, no Asterisk): wrong dates of birth are counted in PostgreSQL with every other
node's, so tries spread over the nodes lock the porsi; a correction case is filed there.
The stores themselves on both backends: tests/test_guard.py, tests/test_corrections.py."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

from ivr import pgstore
from ivr.calldb import open_calldb
from tests.rig.fast import FastHotline
from tests.scenarios import corrections
from tests.scenarios import guard as checks
from tests.scenarios.pilgrim import SOC
from tests.scenarios.tier import dob, guard_of


def test_stores_with_a_database_url_count_every_nodes_tries_and_file_cases_in_postgres(
    pg_url: str, tmp_path: Path
) -> None:
    running = FastHotline.start(tmp_path, env={"HAJJ_IVR_DATABASE_URL": pg_url})
    try:
        porsi, limit = SOC.nomor_porsi, running.config.ivr.dob_lock_failures
        with guard_of(running) as other_node:  # PostgreSQL's, as the hotline is configured
            for n in range(limit - 1):
                other_node.dob_failed(porsi, f"08110007{n + 300:04d}")
        [wrong] = running.place_all([checks.guesser(running, porsi, "081100070040", checks.WRONG)])
        assert checks.handed_reason(wrong) == "dob_locked"  # this node's try was the last
        [owner] = running.place_all([checks.guesser(running, porsi, "081100070041", dob(SOC))])
        checks.check_locked_porsi_refuses_the_right_date(running, owner)
        with guard_of(running) as other_node:
            assert other_node.dob_locked(porsi, "0899999999")
        filed = running.calls({"estimate": corrections.scenarios()["estimate"]})
        corrections.check_estimate_filed_for_the_district(running, filed)  # read from PostgreSQL
        with closing(open_calldb(running.config.calllog_path, threads=False)) as db:
            assert db.execute("SELECT count(*) FROM guard_events").fetchone() == (0,)
            assert db.execute("SELECT count(*) FROM corrections").fetchone() == (0,)
    finally:
        pgstore.close(running.controller.services.desk.callbacks.sql)
        running.close()
