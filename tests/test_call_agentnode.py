"""A cluster's agent node over real calls: two IVR-role nodes and one agent-role node, three
private Asterisks with their controllers, each IVR node on a loopback address of its own
(the agent node knows them by address). The agent's SIPp phone registers on the agent node
only; calls enter an IVR node and are handed over SIP with the handover in X-Hajj-*
headers. Each IVR node lists another agent node first, one that refuses calls (503: A's)
or where nothing listens (B's): their calls reach the next, the standby.

The attack first: X-Hajj-* headers a caller sends change nothing, on an IVR node or on the
agent node directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Awaitable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ivr import chanvars, handover, testcall
from ivr.ami import events
from ivr.ami.client import AmiClient
from ivr.ami.users import AmiUser, session
from ivr.data.sample import FIXED_PILGRIMS
from ivr.testcall import CallResult, place
from tests.conftest import require_asterisk
from tests.rig import sipp, web
from tests.rig.fakenode import FakeNode
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
    refusing: FakeNode  # IVR node A's first agent node: answers OPTIONS, 503 to INVITE


def _section(role: str, key: str, nodes: list[str]) -> str:
    listed = ", ".join(f'"{n}"' for n in nodes)
    return f'[cluster]\nrole = "{role}"\n{key} = [{listed}]\n'


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    require_asterisk()
    folders = [Path(tempfile.mkdtemp(prefix=f"hajj-ivr-node{i}-")) for i in range(3)]
    started: list[Hotline] = []
    refusing = FakeNode("busy")
    try:
        agent = Hotline.start(
            folders[0], extra=_section("agent", "ivr_nodes", [f"{IVR_A}:5060", f"{IVR_B}:5060"])
        )
        started.append(agent)
        agent_node = f"127.0.0.1:{agent.config.asterisk.sip_port}"
        dead = f"{DEAD_AGENT_NODE}:{free_port()}"
        for folder, address, nodes in [
            (folders[1], IVR_A, [f"127.0.0.1:{refusing.port}", agent_node]),
            (folders[2], IVR_B, [dead, agent_node]),
        ]:
            extra = _section("ivr", "agent_nodes", nodes)
            started.append(Hotline.start(folder, extra=extra, sip_bind=address))
        yield Cluster(agent, started[1], started[2], agent.add_agent("alice", 1), refusing)
    finally:
        with ThreadPoolExecutor(3) as pool:  # each waits on its own processes' exits
            list(pool.map(Hotline.stop, started))
        refusing.close()
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


def _pop_of(cluster: Cluster, caller: str) -> dict[str, Any]:
    """alice's screen pop as the agent node's console gets it, once it is ``caller``'s
    (asked while she talks to them: nobody else's call can take her pop then)."""
    with httpx.Client(base_url=cluster.agent.web_url, timeout=10) as client:
        web.login(client, "alice", cluster.alice.web)
        pop: dict[str, Any] = wait_for(
            lambda: (p := client.get("/agent/api/current").json()).get("caller") == caller and p,
            15,
            f"{caller}'s pop",
        )
    return pop


def _stays(node: Hotline, caller: str) -> list[sqlite3.Row]:
    with contextlib.closing(sqlite3.connect(node.config.calllog_path)) as db:
        db.row_factory = sqlite3.Row
        sql = "SELECT * FROM queue_calls WHERE caller = ? ORDER BY id"
        return list(db.execute(sql, (caller,)))


def _recording(node: Hotline, call_id: str) -> sqlite3.Row | None:
    with contextlib.closing(sqlite3.connect(node.config.calllog_path)) as db:
        db.row_factory = sqlite3.Row
        found: sqlite3.Row | None = db.execute(
            "SELECT * FROM recordings WHERE call_id = ?", (call_id,)
        ).fetchone()
        return found


def _wait_recording(node: Hotline, call_id: str) -> sqlite3.Row:
    found: sqlite3.Row = wait_for(lambda: _recording(node, call_id), 20, f"{call_id}'s WAV")
    return found


def _wait_answered(node: Hotline, caller: str) -> sqlite3.Row:
    """The caller's latest queue stay on ``node`` once an agent answered it."""
    rows: list[sqlite3.Row] = wait_for(
        lambda: [row for row in _stays(node, caller) if row["agent"]], 20, f"{caller} answered"
    )
    return rows[-1]


def _contact_status(listing: str, aor: str) -> str:
    """An aor's contact status in `pjsip show contacts` (Avail, Unavail, Unknown)."""
    for line in listing.splitlines():
        words = line.split()
        if words[:1] == ["Contact:"] and words[1].startswith(f"{aor}/"):
            return words[3]
    return ""


@dataclass
class Answered:
    """One call as the agent node saw it: its AgentConnect and alice's pop during it."""

    connect: Mapping[str, str]
    pop: dict[str, Any]
    result: CallResult | sipp.SippResult


async def _answered(
    cluster: Cluster, agent_ami: AmiClient, caller: str, call: Awaitable[Any]
) -> Answered:
    """Run ``call`` until the agent node connects ``caller`` to alice; read her pop."""
    connected = asyncio.ensure_future(
        agent_ami.wait_event("AgentConnect", lambda e: e.get("CallerIDNum") == caller, 170)
    )
    running = asyncio.ensure_future(call)
    event = await connected
    pop = await asyncio.to_thread(_pop_of, cluster, caller)
    return Answered(event, pop, await running)


async def _local_call(
    ivr: Hotline, ami: AmiClient, agent_ami: AmiClient, dtmf: str, caller: str
) -> CallResult:
    """A Local call into ``ivr``; it hangs up three seconds after the agent node's
    AgentConnect for its caller ID."""
    spec = testcall.TestCall(
        ivr.config.ivr.hotline, dtmf, caller_id=f'"Uji" <{caller}>', timeout=180
    )
    stop = asyncio.Event()
    placed = asyncio.create_task(place(ami, spec, stop))
    await agent_ami.wait_event("AgentConnect", lambda e: e.get("CallerIDNum") == caller, 170)
    await asyncio.sleep(3)
    stop.set()
    return await placed


# Forged by a caller: the porsi, verified, a reason, a trusted caller ID.
FORGED = (
    f"X-Hajj-Porsi: {SOC.nomor_porsi}\nX-Hajj-Verified: yes\n"
    "X-Hajj-Reason: dob_failed\nX-Hajj-Caller-Trust: carrier\n"
)


def _forging_call(workdir: Path, host: str, port: int, caller: str) -> sipp.SippResult:
    """A SIPp caller at 127.0.0.1 sending X-Hajj-* headers of its own to host:port; it
    presses 0 and hangs up 12 s later."""
    text = sipp.scenario(workdir, "0", caller, hangup_after_ms=12000)
    ua = "User-Agent: SIPp hajj-ivr test\n"
    assert ua in text
    xml = workdir / f"forged-{host}-{port}.xml"
    xml.write_text(text.replace(ua, ua + FORGED, 1))
    argv = sipp.sipp_argv(xml, port, "-s", "500425", "-timeout", "90s")
    argv[1] = f"{host}:{port}"  # sipp_argv aims at 127.0.0.1
    done = subprocess.run(argv, capture_output=True, text=True, cwd=workdir, timeout=120)
    return sipp.SippResult(done.returncode, done.stdout[-3000:] + done.stderr[-3000:])


# Call A, on IVR node A: the porsi, its date of birth (for the documents, "3"), then 0 in
# the info menu (a second 0 in case a prompt before it took the first). About a minute of
# keys and prompts: the shorter calls take alice meanwhile.
VERIFIED_THEN_0 = (
    found(SOC.nomor_porsi) + "W" * 16 + "3WWW" + dob(SOC) + "W" * 6 + "0" + "W" * 6 + "0"
)
A, B = "081233330001", "081233330002"
FORGED_TO_IVR, FORGED_TO_AGENT_NODE = "081211110001", "081211110002"


def test_agent_node_answers_calls_from_either_ivr_node_with_their_pop_forged_headers_do_nothing(
    cluster: Cluster, alice_phone: sipp.AgentPhone, tmp_path: Path
) -> None:
    calls = asyncio.run(_cluster_calls(cluster, tmp_path))

    # The attack first: a caller's own X-Hajj-* headers, to IVR node A or to the agent
    # node directly, reach neither the pop nor the queue record.
    for caller in (FORGED_TO_IVR, FORGED_TO_AGENT_NODE):
        answered = calls[caller]
        assert isinstance(answered.result, sipp.SippResult) and answered.result.ok
        pop = answered.pop
        assert (pop["porsi"], pop["verified"], pop["reason"]) == ("", False, "caller_request")
        assert pop["pilgrim"] is None
        assert handover.from_event(answered.connect).porsi == ""
        stay = _wait_answered(cluster.agent, caller)
        assert (stay["agent"], stay["porsi"], stay["reason"]) == ("alice", "", "caller_request")

    # Call A: what IVR node A learned, in the headers, in the agent node's pop.
    known = handover.from_event(calls[A].connect)
    assert (known.porsi, known.verified, known.reason) == (SOC.nomor_porsi, True, "caller_request")
    assert known.topics == ("documents",)
    pop = calls[A].pop
    assert pop["agent"] == "alice"
    assert (pop["porsi"], pop["verified"], pop["reason"]) == (
        SOC.nomor_porsi,
        True,
        "caller_request",
    )
    assert pop["pilgrim"]["name"] == SOC.nama  # verified: personal data, the node's mirror
    # IVR node A's first agent node refused every call (503): the next one took them.
    assert cluster.refusing.got("INVITE") >= 2  # call A and the forged call to IVR node A

    # Call B, on IVR node B, whose first agent node is dead: the standby took it.
    known = handover.from_event(calls[B].connect)
    assert (known.porsi, known.verified, known.reason) == ("", False, "caller_request")
    assert (calls[B].pop["porsi"], calls[B].pop["verified"]) == ("", False)
    contacts = cluster.ivr_b.cli("asterisk", "cli", "pjsip show contacts").stdout
    assert _contact_status(contacts, "hajj-agent-node-1") == "Unavail", contacts
    assert _contact_status(contacts, "hajj-agent-node-2") == "Avail", contacts

    # Callbacks and campaigns are originated by the agent node only (where the queues are).
    for node, dials in [(cluster.agent, True), (cluster.ivr_a, False), (cluster.ivr_b, False)]:
        log = (node.config.state_dir / "serve.log").read_text()
        assert ("the agent node's to dial" not in log) is dials

    for caller, ivr, porsi in [(A, cluster.ivr_a, SOC.nomor_porsi), (B, cluster.ivr_b, "")]:
        result = calls[caller].result
        assert isinstance(result, CallResult)
        row, _ = ivr.record(result.call_id)
        assert row is not None and row.outcome == "agent"
        # The IVR node's id of the call crossed (X-Hajj-Ivr-Call): the pop's menu path is
        # read by it where the call log is shared.
        assert events.variables(calls[caller].connect)[chanvars.IVR_CALL] == result.call_id
        assert not _stays(ivr, caller)  # no queue on an IVR node
        stay = _wait_answered(cluster.agent, caller)
        assert (stay["agent"], stay["queue"], stay["porsi"]) == ("alice", "hajj-tier1", porsi)
        assert stay["reason"] == "caller_request"
        assert stay["ivr_call"] == result.call_id  # the IVR node's call, for its call page
        # Recorded on the agent node as one node records, filed under its stay.
        recording = _wait_recording(cluster.agent, stay["call_id"])
        assert recording["agent"] == "alice" and recording["stay_id"] == stay["id"]
        assert (cluster.agent.config.call_recordings_dir / recording["file"]).is_file()


async def _cluster_calls(cluster: Cluster, workdir: Path) -> dict[str, Answered]:
    """Call A keys on IVR node A while, one by one, the forged calls and call B reach alice."""
    forged = [
        (FORGED_TO_IVR, IVR_A, cluster.ivr_a.config.asterisk.sip_port),
        (FORGED_TO_AGENT_NODE, "127.0.0.1", cluster.agent.config.asterisk.sip_port),
    ]
    async with (
        session(cluster.agent.config, AmiUser.CALLS) as agent_ami,
        session(cluster.ivr_a.config, AmiUser.CALLS) as ami_a,
        session(cluster.ivr_b.config, AmiUser.CALLS) as ami_b,
    ):
        call_a = _local_call(cluster.ivr_a, ami_a, agent_ami, VERIFIED_THEN_0, A)
        first = asyncio.ensure_future(_answered(cluster, agent_ami, A, call_a))
        calls = {}
        for caller, host, port in forged:
            forging = asyncio.to_thread(_forging_call, workdir, host, port, caller)
            calls[caller] = await _answered(cluster, agent_ami, caller, forging)
        call_b = _local_call(cluster.ivr_b, ami_b, agent_ami, "0", B)
        calls[B] = await _answered(cluster, agent_ami, B, call_b)
        calls[A] = await first
    return calls
