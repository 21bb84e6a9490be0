"""A cluster's agent node over real calls: two IVR-role nodes and one agent-role node, three
private Asterisks with their controllers, each IVR node on a loopback address of its own
(the agent node knows them by address). The agent's SIPp phone registers on the agent node
only; calls enter an IVR node and are handed over SIP with the handover in X-Hajj-*
headers. IVR node B lists a dead agent node first: its calls reach the standby.

The attack first: X-Hajj-* headers a caller sends change nothing, on an IVR node or on the
agent node directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ivr import handover, testcall
from ivr.ami.users import AmiUser, session
from ivr.asterisk import sandbox
from ivr.config import AsteriskSettings
from ivr.data.sample import FIXED_PILGRIMS
from ivr.errors import SetupError
from ivr.testcall import CallResult, place
from tests.rig import sipp, web
from tests.rig.hotline import AgentPasswords, Hotline
from tests.rig.ports import free_port
from tests.scenarios.tier import dob
from tests.test_call_agents import found, state, wait_for

pytestmark = pytest.mark.asterisk

SOC = FIXED_PILGRIMS[0]
IVR_A, IVR_B = "127.0.0.2", "127.0.0.5"  # not 127.0.0.3: the rig's carrier (CARRIER)
DEAD_AGENT_NODE = "127.0.0.9"  # nothing listens there: IVR node B's first agent node


@dataclass
class Cluster:
    agent: Hotline
    ivr_a: Hotline
    ivr_b: Hotline
    alice: AgentPasswords


def _require_asterisk() -> None:
    settings = AsteriskSettings()
    try:
        sandbox.locate(settings.binary, settings.sandbox_dir)
    except SetupError as e:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run real-Asterisk tests: {e}")
        pytest.skip(str(e))


def _section(role: str, key: str, nodes: list[str]) -> str:
    listed = ", ".join(f'"{n}"' for n in nodes)
    return f'[cluster]\nrole = "{role}"\n{key} = [{listed}]\n'


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    _require_asterisk()
    folders = [Path(tempfile.mkdtemp(prefix=f"hajj-ivr-node{i}-")) for i in range(3)]
    started: list[Hotline] = []
    try:
        agent = Hotline.start(folders[0], extra=_section("agent", "ivr_nodes", [IVR_A, IVR_B]))
        started.append(agent)
        agent_node = f"127.0.0.1:{agent.config.asterisk.sip_port}"
        dead = f"{DEAD_AGENT_NODE}:{free_port()}"
        for folder, address, nodes in [
            (folders[1], IVR_A, [agent_node]),
            (folders[2], IVR_B, [dead, agent_node]),
        ]:
            extra = _section("ivr", "agent_nodes", nodes)
            started.append(Hotline.start(folder, extra=extra, sip_bind=address))
        yield Cluster(agent, started[1], started[2], agent.add_agent("alice", 1))
    finally:
        for node in started:
            node.stop()
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def alice_phone(cluster: Cluster, tmp_path: Path) -> Iterator[sipp.AgentPhone]:
    """alice's softphone, registered on the agent node and logged in to its queue."""
    node = cluster.agent
    handle = sipp.AgentPhone.start(
        tmp_path, node.config.asterisk.sip_port, "agent-alice", cluster.alice.sip
    )
    try:
        node.cli("agents", "login", "alice")
        wait_for(lambda: state(node, "alice") == "available", 20, "alice registered, logged in")
        yield handle
    finally:
        node.cli("agents", "logout", "alice", check=False)
        handle.stop()


def _pop(cluster: Cluster) -> dict[str, Any]:
    """alice's screen pop as the agent node's console gets it."""
    with httpx.Client(base_url=cluster.agent.web_url, timeout=10) as client:
        web.login(client, "alice", cluster.alice.web)
        pop: dict[str, Any] = client.get("/agent/api/current").json()
    return pop


def _stays(node: Hotline, caller: str) -> list[sqlite3.Row]:
    with contextlib.closing(sqlite3.connect(node.config.calllog_path)) as db:
        db.row_factory = sqlite3.Row
        sql = "SELECT * FROM queue_calls WHERE caller = ? ORDER BY id"
        return list(db.execute(sql, (caller,)))


def _answered(node: Hotline, caller: str) -> list[sqlite3.Row]:
    return [row for row in _stays(node, caller) if row["agent"]]


def _wait_answered(node: Hotline, caller: str) -> sqlite3.Row:
    """The caller's latest queue stay on ``node`` once an agent answered it."""
    rows: list[sqlite3.Row] = wait_for(lambda: _answered(node, caller), 20, f"{caller} answered")
    return rows[-1]


def _answered_on_agent_node(
    cluster: Cluster, ivr: Hotline, dtmf: str, caller: str
) -> tuple[CallResult, Mapping[str, str]]:
    """A Local call into ``ivr`` keying ``dtmf``; it hangs up two seconds after the agent
    node's AgentConnect for its caller ID. The call and that event."""

    async def run() -> tuple[CallResult, Mapping[str, str]]:
        spec = testcall.TestCall(
            ivr.config.ivr.hotline, dtmf, caller_id=f'"Uji" <{caller}>', timeout=180
        )
        async with (
            session(cluster.agent.config, AmiUser.CALLS) as agent_ami,
            session(ivr.config, AmiUser.CALLS) as ivr_ami,
        ):
            connected = asyncio.ensure_future(
                agent_ami.wait_event("AgentConnect", lambda e: e.get("CallerIDNum") == caller, 170)
            )
            stop = asyncio.Event()
            placed = asyncio.create_task(place(ivr_ami, spec, stop))
            event = await connected
            await asyncio.sleep(2)
            stop.set()
            return await placed, event

    return asyncio.run(run())


def _contact_status(listing: str, aor: str) -> str:
    """An aor's contact status in `pjsip show contacts` (Avail, Unavail, Unknown)."""
    for line in listing.splitlines():
        words = line.split()
        if words[:1] == ["Contact:"] and words[1].startswith(f"{aor}/"):
            return words[3]
    return ""


# --- the attack first ------------------------------------------------------------------

FORGED = (
    f"X-Hajj-Porsi: {SOC.nomor_porsi}\r\nX-Hajj-Verified: yes\r\n"
    "X-Hajj-Reason: dob_failed\r\nX-Hajj-Caller-Trust: carrier\r\n"
)


def _forging_call(workdir: Path, host: str, port: int, caller: str) -> sipp.SippResult:
    """A SIPp caller at 127.0.0.1 sending X-Hajj-* headers of its own to host:port; it
    presses 0 and hangs up 12 s later."""
    text = sipp.scenario(workdir, "0", caller, hangup_after_ms=12000)
    ua = "User-Agent: SIPp hajj-ivr test\n"
    assert ua in text
    text = text.replace(ua, ua + FORGED.replace("\r\n", "\n"), 1)
    xml = workdir / f"forged-{host}-{port}.xml"
    xml.write_text(text)
    argv = sipp.sipp_argv(xml, port, "-s", "500425", "-timeout", "90s")
    argv[1] = f"{host}:{port}"  # sipp_argv aims at 127.0.0.1
    done = subprocess.run(argv, capture_output=True, text=True, cwd=workdir, timeout=120)
    return sipp.SippResult(done.returncode, done.stdout[-3000:] + done.stderr[-3000:])


def test_agent_node_caller_forging_x_hajj_headers_to_an_ivr_node_or_the_agent_node_changes_nothing(
    cluster: Cluster, alice_phone: sipp.AgentPhone, tmp_path: Path
) -> None:
    agent_port = cluster.agent.config.asterisk.sip_port
    for host, port, caller in [
        (IVR_A, cluster.ivr_a.config.asterisk.sip_port, "081211110001"),
        ("127.0.0.1", agent_port, "081211110002"),
    ]:
        result = _forging_call(tmp_path, host, port, caller)
        assert result.ok, result.output
        stay = _wait_answered(cluster.agent, caller)
        assert stay["agent"] == "alice", dict(stay)
        assert (stay["porsi"], stay["reason"]) == ("", "caller_request"), dict(stay)
        pop = _pop(cluster)
        assert pop["caller"] == caller
        assert (pop["porsi"], pop["verified"], pop["reason"]) == ("", False, "caller_request")
        assert pop["pilgrim"] is None


# --- handed over from either IVR node --------------------------------------------------


def test_agent_node_agent_answers_calls_from_both_ivr_nodes_with_their_handover_in_the_pop(
    cluster: Cluster, alice_phone: sipp.AgentPhone
) -> None:
    # IVR node A: the porsi, its date of birth (kloter, "2"), then 0 in the info menu (a
    # second 0 in case the first fell in the kloter's read-out).
    keys = found(SOC.nomor_porsi) + "W" * 16 + "2WWW" + dob(SOC) + "W" * 14 + "0" + "W" * 8 + "0"
    call_a, connect_a = _answered_on_agent_node(cluster, cluster.ivr_a, keys, "081233330001")
    known = handover.from_event(connect_a)
    assert (known.porsi, known.verified, known.reason) == (
        SOC.nomor_porsi,
        True,
        "caller_request",
    )
    assert "kloter" in known.topics
    pop = _pop(cluster)
    assert pop["caller"] == "081233330001" and pop["agent"] == "alice"
    assert (pop["porsi"], pop["verified"], pop["reason"]) == (
        SOC.nomor_porsi,
        True,
        "caller_request",
    )
    # Verified: the personal data shows, from the agent node's own mirror.
    assert pop["pilgrim"]["name"] == SOC.nama
    row, _ = cluster.ivr_a.record(call_a.call_id)
    assert row is not None and row.outcome == "agent"

    # IVR node B (its first agent node is dead: the standby, the agent node, takes it): 0.
    call_b, connect_b = _answered_on_agent_node(cluster, cluster.ivr_b, "0", "081233330002")
    known = handover.from_event(connect_b)
    assert (known.porsi, known.verified, known.reason) == ("", False, "caller_request")
    pop = _pop(cluster)
    assert pop["caller"] == "081233330002"
    assert (pop["porsi"], pop["verified"], pop["reason"]) == ("", False, "caller_request")
    row, _ = cluster.ivr_b.record(call_b.call_id)
    assert row is not None and row.outcome == "agent"
    # It reached the standby because the first agent node is down, not by chance.
    contacts = cluster.ivr_b.cli("asterisk", "cli", "pjsip show contacts").stdout
    assert _contact_status(contacts, "hajj-agent-node-1") == "Unavail", contacts
    assert _contact_status(contacts, "hajj-agent-node-2") == "Avail", contacts

    # The agent node's queue stays name the agent, with what each IVR node learned.
    for caller, porsi in [("081233330001", SOC.nomor_porsi), ("081233330002", "")]:
        stay = _wait_answered(cluster.agent, caller)
        assert (stay["agent"], stay["outcome"], stay["queue"]) == (
            "alice",
            "answered",
            "hajj-tier1",
        )
        assert (stay["porsi"], stay["reason"]) == (porsi, "caller_request")
    # No queue on an IVR node: nothing waited there.
    for ivr in (cluster.ivr_a, cluster.ivr_b):
        assert not _stays(ivr, "081233330001") and not _stays(ivr, "081233330002")
