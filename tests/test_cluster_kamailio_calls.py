"""Kamailio in front of the rig's Asterisk and a stand-in node (tests/rig/fakenode.py):
calls through its port reach the IVR; a dead node, found by the OPTIONS probes, gets none
of them and rejoins when it answers again; a call a node refuses goes on to the next."""

from __future__ import annotations

import contextlib
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.calllog import CallLogReader, CallRow
from ivr.cluster.kamailio import Node
from tests.rig import kamailio, sipp
from tests.rig.fakenode import FakeNode
from tests.rig.hotline import Hotline

pytestmark = pytest.mark.asterisk


@pytest.fixture
def other() -> Iterator[FakeNode]:
    """The node beside the rig's Asterisk; each test sets its mode before Kamailio starts."""
    node = FakeNode()
    yield node
    node.close()


@contextlib.contextmanager
def front_door(hotline: Hotline, other: FakeNode) -> Iterator[kamailio.Kamailio]:
    """Kamailio over ``other`` (first) and the rig's Asterisk, probing every second."""
    # The ctl socket is a unix socket: a short folder keeps its path under 108 bytes.
    folder = Path(tempfile.mkdtemp(prefix="hajj-kam-"))
    nodes = (Node("127.0.0.1", other.port), Node("127.0.0.1", hotline.config.asterisk.sip_port))
    with kamailio.running(folder, nodes, ping_interval=1, node_timeout=1.0) as running:
        yield running
    shutil.rmtree(folder)


def callers(n: int) -> list[str]:
    return [f"08{random.randrange(10**9, 10**10)}" for _ in range(n)]


def logged(hotline: Hotline, numbers: list[str], timeout: float = 60.0) -> dict[str, CallRow]:
    """The IVR's call records of ``numbers``' calls, once all are written."""
    deadline = time.monotonic() + timeout
    while True:
        calls = {c.caller: c for c in CallLogReader(hotline.config.calllog_path).recent(50)}
        if all(n in calls for n in numbers) or time.monotonic() > deadline:
            return {n: calls[n] for n in numbers if n in calls}
        time.sleep(0.3)


def short_call(tmp_path: Path, front: kamailio.Kamailio, caller: str) -> sipp.SippResult:
    """A call that hangs up a second and a half after the IVR answers."""
    return sipp.call_through_proxy(tmp_path, front.port, "*500", "", caller, hangup_after_ms=1)


def test_kamailio_dead_node_marked_inactive_calls_reach_the_live_ivr_node_rejoins(
    hotline: Hotline, other: FakeNode, tmp_path: Path
) -> None:
    live_uri = f"sip:127.0.0.1:{hotline.config.asterisk.sip_port}"
    numbers = callers(2)
    with front_door(hotline, other) as front:
        assert front.wait_flags(other.uri, "I").endswith("P")  # inactive, still probed
        front.wait_flags(live_uri, "A")

        # Round robin over two nodes: without the probes' verdict one call would go to
        # the dead node first.
        done = [
            sipp.call_through_proxy(tmp_path, front.port, "*500", "2113", numbers[0]),
            short_call(tmp_path, front, numbers[1]),
        ]

        assert all(d.ok for d in done), [d.output for d in done]
        calls = logged(hotline, numbers)
        assert calls.keys() == set(numbers) and calls[numbers[0]].outcome == "served"
        spoken = hotline.spoken(calls[numbers[0]].id)
        assert "Nomor yang Anda tekan adalah dua satu satu tiga" in spoken
        assert other.requests and other.got("OPTIONS") == len(other.requests)
        assert front.log.count(f"to node {live_uri}") == 2
        assert f"IVR node down: {other.uri}" in front.log

        other.mode = "alive"  # the node is back: the next answered probe lets it rejoin
        front.wait_flags(other.uri, "A")
        assert f"IVR node up: {other.uri}" in front.log


def test_kamailio_node_refusing_a_call_with_503_call_fails_over_to_the_next_node(
    hotline: Hotline, other: FakeNode, tmp_path: Path
) -> None:
    """The node answers its probes but refuses calls: round robin sends it one of two calls,
    which goes on to the rig's Asterisk; the caller never sees the 503."""
    other.mode = "busy"
    live_uri = f"sip:127.0.0.1:{hotline.config.asterisk.sip_port}"
    numbers = callers(2)
    with front_door(hotline, other) as front:
        front.wait_flags(other.uri, "A")
        front.wait_flags(live_uri, "A")

        done = [short_call(tmp_path, front, n) for n in numbers]

        assert all(d.ok for d in done), [d.output for d in done]
        assert logged(hotline, numbers).keys() == set(numbers)
        assert other.got("INVITE") >= 1
        assert f"node {other.uri} failed" in front.log
        assert f"to next node {live_uri}" in front.log
