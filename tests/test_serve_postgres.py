"""`hajj-ivr serve` with [database] url: the controller migrates PostgreSQL's tables as it
starts, puts back in line only its own callbacks left calling by a stop (another node's
stay theirs), stops cleanly (its pool closed), and logs a real call through Asterisk in
PostgreSQL."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import time
from pathlib import Path

import pytest

from ivr import pgstore, wiring
from ivr.calllog import CallLogReader
from ivr.config import AgiSettings, DatabaseSettings
from ivr.queue.callbacks import Request
from tests.rig.hotline import Hotline
from tests.rig.postgres import pg_callbacks
from tests.rig.procs import service_env
from tests.test_files import VENV_BIN, _wait_listening, state_as_main_left_it


def test_serve_with_a_database_url_recovers_its_own_callbacks_not_another_nodes(
    tmp: Path, pg_url: str
) -> None:
    env = service_env(tmp / "var", pg_url)
    agi_port = int(env["HAJJ_IVR_AGI_PORT"])
    config = state_as_main_left_it(tmp / "var")
    ours = wiring.node_name(dataclasses.replace(config, agi=AgiSettings(port=agi_port)))
    with pg_callbacks(pg_url) as store:
        mine, _ = store.request(Request("0811000001"), now=1)
        theirs, _ = store.request(Request("0811000002"), now=2)
        store.start(mine.id, node=ours)  # calling when this node stopped
        store.start(theirs.id, node="ivr9:4573")  # another node is calling it now
        log = (tmp / "serve.log").open("wb")
        proc = subprocess.Popen(
            [str(VENV_BIN / "hajj-ivr"), "serve"], env=env, stdout=log, stderr=log
        )
        try:
            _wait_listening(agi_port, proc)  # the jobs (and the recovery) start after
            deadline = time.monotonic() + 30
            while (back := store.get(mine.id)) and back.state != "open":
                assert time.monotonic() < deadline and proc.poll() is None, "not recovered"
                time.sleep(0.05)
            still = store.get(theirs.id)
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(20)
            log.close()
    assert back is not None and back.state == "open"
    assert still is not None and (still.state, still.node) == ("calling", "ivr9:4573")
    assert code == 0, (tmp / "serve.log").read_text()


@pytest.mark.asterisk
def test_hotline_call_with_a_database_url_logs_its_row_transcript_and_stay_in_postgres(
    hotline: Hotline, pg_url: str
) -> None:
    """The session's hotline, its controller restarted on PostgreSQL for one real call
    (Asterisk, FastAGI, AMI): the caller asks for a person and waits in the queue; then
    the controller is back on SQLite as the other modules expect it."""
    database = DatabaseSettings(url=pg_url)
    reader = CallLogReader(hotline.config.calllog_path, database)
    hotline.stop_controller()
    try:
        hotline.start_controller({"HAJJ_IVR_DATABASE_URL": pg_url})
        result = hotline.call("0", end_on="QueueCallerJoin", timeout=60)
        deadline = time.monotonic() + 30
        while (row := reader.get(result.call_id)) is None or not _stays(database, row.id):
            assert time.monotonic() < deadline, f"no row and stay in PostgreSQL: {row}"
            time.sleep(0.2)
    finally:
        hotline.stop_controller()
        hotline.start_controller()
    said = [line.text for line in reader.transcript(result.call_id) if line.kind == "say"]
    assert row.outcome == "agent" and row.reason == "caller_request"
    assert any("petugas" in text for text in said), said
    assert _stays(database, row.id) == [("hajj-tier1",)]
    assert hotline.record(result.call_id) == (None, [])  # nothing in calls.sqlite


def _stays(database: DatabaseSettings, call_id: str) -> list[tuple[object, ...]]:
    with pgstore.opened(database) as sql:
        return sql.all("SELECT queue FROM queue_calls WHERE call_id = ?", (call_id,))
