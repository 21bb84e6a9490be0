"""A node that fell silent (its heartbeat stopped): another node closes the calls and
queue stays it left open in the shared call log, on a real PostgreSQL; a node only late
by less than a minute keeps them, and a call that goes on writes its real ending. Then
with two real controllers (`hajj-ivr serve`): one is killed holding a call, and the other
closes that call."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg

from ivr import silentnodes
from ivr.calllog import CallLog
from ivr.heartbeats import Beat, Heartbeats
from ivr.outcomes import Outcome
from ivr.queue.records import QueueRecords
from ivr.store import Sql
from tests.rig import callstores
from tests.rig.postgres import Backend
from tests.rig.procs import service_env
from tests.test_data_published import node
from tests.test_files import VENV_BIN, _wait_listening


def beat(sql: Sql, name: str, silent_for: float, url: str) -> None:
    Heartbeats(sql).beat(Beat(name, "ivr", "", "", 1, "", "", time.time() - 3600))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "UPDATE node_heartbeats SET last_seen = now() - make_interval(secs => %s)"
            " WHERE name = %s",
            (silent_for, name),
        )


def test_silent_nodes_calls_and_stays_closed_by_another_node_late_ones_kept(
    tmp_path: Path, pg_url: str
) -> None:
    backend = Backend("postgresql", tmp_path, pg_url)
    try:
        sql = callstores.stores(backend)
        logs = {name: CallLog.over(sql, node=name) for name in ("dead", "late", "me")}
        for name, log in logs.items():
            log.start(f"{name}-call", "0811", "hotline")
            log.add(f"{name}-call", "say", "Selamat datang")
            QueueRecords(sql, name).joined(f"{name}-call", "hajj-tier1", "0811", "", "", 1.0, 1)
        beat(sql, "dead", 90, pg_url)  # killed a minute and a half ago
        beat(sql, "late", 20, pg_url)  # stale on the nodes page, not yet silent
        beat(sql, "me", 0, pg_url)
        last_line = sql.one("SELECT max(at) FROM transcript WHERE call_id = 'dead-call'")
        assert last_line is not None

        closed = silentnodes.close(Heartbeats(sql), logs["me"], QueueRecords(sql, "me"), "me",
                                   time.time(), 60)  # fmt: skip
        assert closed == [silentnodes.Closed("dead", 1, 1)]
        calls = {
            r[0]: tuple(r[1:]) for r in sql.all("SELECT id, outcome, reason, ended_at FROM calls")
        }
        assert calls["dead-call"] == (Outcome.FAILED, "node_silent", last_line[0])
        assert calls["late-call"][:2] == calls["me-call"][:2] == (Outcome.IN_PROGRESS, "")
        stays = {r[0]: r[1] for r in sql.all("SELECT call_id, outcome FROM queue_calls")}
        assert stays == {"dead-call": "unknown", "late-call": "waiting", "me-call": "waiting"}
        # Once closed, nothing is left to close: the next runs list nothing.
        assert silentnodes.close(Heartbeats(sql), logs["me"], QueueRecords(sql, "me"), "me",
                                 time.time(), 60) == []  # fmt: skip

        # The dead node was only slow: its call ends and writes its real ending.
        logs["dead"].finish("dead-call", Outcome.SERVED)
        row = sql.one("SELECT outcome, reason FROM calls WHERE id = 'dead-call'")
        assert row is not None and tuple(row) == (Outcome.SERVED, "")
    finally:
        backend.close()


@contextmanager
def controller(folder: Path, pg_url: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`hajj-ivr serve` on its own state dir and the shared PostgreSQL (AMI nowhere: it
    retries), nodes silent for 15 s closed; the process and its AGI port."""
    folder.mkdir()
    node(folder, pg_url)  # the shared tables migrated
    env = service_env(folder, pg_url, cluster_silent_after="15")
    agi_port = int(env["HAJJ_IVR_AGI_PORT"])
    with (folder / "serve.log").open("wb") as out:
        proc = subprocess.Popen(
            [str(VENV_BIN / "hajj-ivr"), "serve"], env=env, stdout=out, stderr=out
        )
        try:
            _wait_listening(agi_port, proc)
            yield proc, agi_port
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            proc.wait(20)


async def held_call(port: int) -> asyncio.StreamWriter:
    """A hotline call's AGI session, answered up to the controller's first command and held
    there (the caller listening to the greeting)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = ["agi_network: yes", "agi_network_script: hotline", "agi_uniqueid: 1700000000.42",
            "agi_callerid: 081234567890", "agi_arg_1: id"]  # fmt: skip
    writer.write(("\n".join(head) + "\n\n").encode())
    await asyncio.wait_for(reader.readline(), 10)
    return writer


def test_silent_nodes_a_killed_controllers_call_is_closed_by_the_other(
    tmp: Path, pg_url: str
) -> None:
    with ExitStack() as stack:
        killed, port = stack.enter_context(controller(tmp / "a", pg_url))
        stack.enter_context(controller(tmp / "b", pg_url))

        def calls() -> list[tuple[object, ...]]:
            with psycopg.connect(pg_url, autocommit=True) as conn:
                return conn.execute("SELECT id, outcome, reason FROM calls").fetchall()

        async def kill_holding_a_call() -> None:
            writer = await held_call(port)
            deadline = time.monotonic() + 10
            while calls() != [("1700000000.42", Outcome.IN_PROGRESS, "")]:
                assert time.monotonic() < deadline, calls()
                await asyncio.sleep(0.1)
            killed.kill()  # the node's server gone, its call with it
            killed.wait(10)
            writer.close()

        asyncio.run(kill_holding_a_call())
        time.sleep(4)  # silent for 4 to about 10 s, not 15: the call stays as it was
        assert calls() == [("1700000000.42", Outcome.IN_PROGRESS, "")]
        deadline = time.monotonic() + 30
        while calls()[0][1] == Outcome.IN_PROGRESS:
            assert time.monotonic() < deadline, "the killed node's call was never closed"
            time.sleep(0.5)
        assert calls() == [("1700000000.42", Outcome.FAILED, "node_silent")]
    assert "its 1 calls and 0 queue stays closed" in (tmp / "b" / "serve.log").read_text()
