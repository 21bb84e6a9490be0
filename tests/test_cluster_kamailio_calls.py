"""Kamailio in front of the rig's Asterisk and one dead node: calls through its port reach
the IVR, and the dead node, found by the OPTIONS probes, gets none of them."""

from __future__ import annotations

import random
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.calllog import CallLogReader
from ivr.cluster.kamailio import Node
from tests.rig import kamailio, sipp
from tests.rig.hotline import Hotline

pytestmark = pytest.mark.asterisk


class SilentNode:
    """A UDP address that takes every datagram and answers none: a hung node. It keeps
    the first line of each request it got."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.requests: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(65535)
            except TimeoutError:
                continue
            self.requests.append(data.split(b"\r\n", 1)[0].decode(errors="replace"))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@pytest.fixture
def dead() -> Iterator[SilentNode]:
    node = SilentNode()
    yield node
    node.close()


@pytest.fixture
def front(hotline: Hotline, dead: SilentNode) -> Iterator[kamailio.Kamailio]:
    # The ctl socket is a unix socket: a short folder keeps its path under 108 bytes.
    folder = Path(tempfile.mkdtemp(prefix="hajj-kam-"))
    nodes = (Node("127.0.0.1", dead.port), Node("127.0.0.1", hotline.config.asterisk.sip_port))
    with kamailio.running(folder, nodes, ping_interval=1, node_timeout=1.0) as running:
        yield running
    shutil.rmtree(folder)


def test_kamailio_dead_node_marked_inactive_calls_reach_the_live_ivr(
    hotline: Hotline, dead: SilentNode, front: kamailio.Kamailio, tmp_path: Path
) -> None:
    dead_uri = f"sip:127.0.0.1:{dead.port}"
    live_uri = f"sip:127.0.0.1:{hotline.config.asterisk.sip_port}"
    assert front.wait_flags(dead_uri, "I").endswith("P")  # inactive, still probed
    front.wait_flags(live_uri, "A")
    callers = [f"08{random.randrange(10**9, 10**10)}" for _ in range(2)]

    # Round robin over two nodes: without the probe's verdict one call would go to the
    # dead node first.
    done = [sipp.call_through_proxy(tmp_path, front.port, "*500", "2113", c) for c in callers]

    assert all(d.ok for d in done), [d.output for d in done]
    calls = {c.caller: c for c in CallLogReader(hotline.config.calllog_path).recent(20)}
    assert all(calls[c].outcome == "served" for c in callers)
    assert "Nomor yang Anda tekan adalah dua satu satu tiga" in hotline.spoken(calls[callers[0]].id)
    assert dead.requests and all(r.startswith("OPTIONS ") for r in dead.requests)
    assert front.log.count(f"to node {live_uri}") == 2
    assert f"IVR node down: {dead_uri}" in front.log
