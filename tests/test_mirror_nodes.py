"""Two controllers (`hajj-ivr serve`, real processes) on one PostgreSQL: an import on one
node reaches a call on the other. Both serve 30 pilgrims; node a imports 60 while its
controller runs and publishes them under the import lock (its own controller keeps them);
b's controller hears the NOTIFY, fetches and checks the file and swaps it in, and a call
to b's FastAGI (Asterisk's side scripted over the socket) for a pilgrim only the new data
holds hears that pilgrim's status instead of "unknown porsi". Both heartbeats say the
mirror they now serve."""

from __future__ import annotations

import asyncio
import csv
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg

from ivr import mirrorsync
from ivr.config import Config
from ivr.data.importer import import_export
from ivr.data.sample import write_sample
from tests.rig.procs import service_env
from tests.test_data_published import imported, node, sha256
from tests.test_files import VENV_BIN, _wait_listening

CALLER = "081234567890"


@contextmanager
def serving(config: Config, pg_url: str, log: Path) -> Iterator[int]:
    """`hajj-ivr serve` on ``config``'s state dir (AMI nowhere: it retries); its AGI port."""
    env = service_env(config.state_dir, pg_url)
    agi_port = int(env["HAJJ_IVR_AGI_PORT"])
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(VENV_BIN / "hajj-ivr"), "serve"], env=env, stdout=out, stderr=out
        )
        try:
            _wait_listening(agi_port, proc)
            yield agi_port
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(20)
    assert code == 0, log.read_text()


async def agi_call(port: int, keys: str, until: tuple[str, ...]) -> list[str]:
    """One call on the hotline route as Asterisk would make it: each STREAM FILE and WAIT
    FOR DIGIT takes the next key ("W": the prompt plays out, no key), every other command
    succeeds. Hangs up once a prompt named in ``until`` is played; the prompts heard."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = [
        "agi_network: yes",
        "agi_network_script: hotline",
        "agi_request: agi://127.0.0.1/hotline",
        f"agi_uniqueid: {time.time():.4f}",
        f"agi_callerid: {CALLER}",
        "agi_arg_1: id",
    ]
    writer.write(("\n".join(head) + "\n\n").encode())
    heard: list[str] = []
    queue = list(keys)
    try:
        async with asyncio.timeout(30):
            while (line := (await reader.readline()).decode().strip()) and not (
                heard and any(word in heard[-1] for word in until)
            ):
                writer.write(f"200 {_answer(line, queue, heard)}\n".encode())
                await writer.drain()
    finally:
        writer.close()
    return heard


def _answer(command: str, queue: list[str], heard: list[str]) -> str:
    if command.startswith(("STREAM FILE", "WAIT FOR DIGIT")):
        if command.startswith("STREAM FILE"):
            heard.append(command.split()[2])
        key = queue.pop(0) if queue else "W"
        return "result=0 endpos=8000" if key == "W" else f"result={ord(key)} endpos=100"
    if command.startswith(("GET FULL VARIABLE", "GET VARIABLE")):
        return "result=0"
    return "result=1"


def test_import_on_one_node_reaches_a_call_on_the_other(tmp: Path, pg_url: str) -> None:
    a, b = node(tmp / "a", pg_url), node(tmp / "b", pg_url)
    imported(a, tmp / "old", 30)
    imported(b, tmp / "old", 30)
    write_sample(tmp / "new", jemaah=60)
    old = {row["nomor_porsi"] for row in _rows(tmp / "old")}
    pilgrim = next(
        row
        for row in _rows(tmp / "new")
        if row["nomor_porsi"] not in old and row["status_porsi"] == "AKTIF"
    )
    keys = f"1{pilgrim['nomor_porsi']}#{'W' * 12}1"  # main menu 1, the porsi, confirm
    stop = ("porsi-unknown", "status-aktif")
    with ExitStack() as stack:
        a_port = stack.enter_context(serving(a, pg_url, tmp / "a.log"))
        b_port = stack.enter_context(serving(b, pg_url, tmp / "b.log"))
        before = asyncio.run(agi_call(b_port, keys, stop))
        publish = mirrorsync.Publish(a, "rahmat")  # as `hajj-ivr data import` on node a
        import_export(tmp / "new", a.mirror_path, imported_by="rahmat", then=publish)
        done = publish.done
        assert done is not None, publish.outcome()
        _until(lambda: sha256(b.mirror_path) == done.sha256, tmp / "b.log")
        after = asyncio.run(agi_call(b_port, keys, stop))
        _until(lambda: _heartbeat(pg_url, b_port) == done.sha256, tmp / "b.log")
        _until(lambda: _heartbeat(pg_url, a_port) == done.sha256, tmp / "a.log")
    assert sha256(a.mirror_path) == done.sha256
    assert "porsi-unknown" in before[-1]
    assert "status-aktif" in after[-1] and not any("porsi-unknown" in p for p in after)


def _rows(export: Path) -> list[dict[str, str]]:
    with (export / "jemaah.csv").open() as f:
        return list(csv.DictReader(f))


def _heartbeat(pg_url: str, agi_port: int) -> str:
    """The mirror sha256 the node on ``agi_port`` says in its last heartbeat it serves."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT mirror_sha256 FROM node_heartbeats WHERE agi LIKE %s",
            (f"%:{agi_port}",),
        ).fetchone()
    return str(row[0]) if row else ""


def _until(condition: object, log: Path, seconds: float = 30.0) -> None:
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.1)
