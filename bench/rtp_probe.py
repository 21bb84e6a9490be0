"""The callers' media for the SIP benchmark: their keys sent, a sample's audio timed.

Every caller's SDP points its audio at one of our UDP sockets, and its keys (RFC 4733, the
packets tests.rig.dtmf_pcap writes) go out from that socket DELAY after the call's first
packet: with rtp_symmetric = yes Asterisk sends to wherever the caller's RTP comes from,
so a socket that both keys and listens keeps the audio. SIPp only speaks SIP: its
play_pcap_audio (a thread and a raw socket per call) lost keys under load (at 400 calls
129 of 380 SIPp-keyed calls lost a digit or the confirmation, 0 of 20 keyed from here).

Only a sample of the calls is read and timed: the others' sockets are never read (a 4 KiB
receive buffer; the kernel drops what does not fit, as it did at SIPp's unread media
port), so this process handles 50 packets a second per sampled call plus the keys, not
N x 50. Each packet's arrival time is the kernel's (SO_TIMESTAMPNS): our own scheduling
on a busy machine does not add to the gaps we measure.

Stretch of a call: while it speaks, Asterisk sends one 20 ms packet every 20 ms, prompt
after prompt, so a talk spurt of n packets is n x 20 ms of audio; it sends nothing while
the IVR waits for a key, so the call is cut into spurts where no packet came for SILENCE.
stretch = (the spurts' time from first to last packet, each + 20 ms) / (their packets x
20 ms) - 1: a late packet, a lost one, the controller slow to start the next prompt all
raise it. A stall of SILENCE or more would cut a spurt instead; the count of spurts per
call (the same in every sampled call of a clean step: they key the same digits at the
same times) shows it.
"""

from __future__ import annotations

import heapq
import itertools
import selectors
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PACKET_S = 0.020  # G.711 at ptime 20
G711 = frozenset({0, 8})  # PCMU, PCMA payload types
# No packet for this long: the IVR is waiting for a key (the rig's digit timeouts are 3
# and 5 s; Asterisk sends no silence while an AGI command waits for a digit).
SILENCE = 1.0
STALL = 0.060  # a gap of three packets' time
# SO_TIMESTAMPNS is not in Python's socket module on every version (35 on Linux).
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
TIMESPEC = struct.Struct("qq")


def pcap_payloads(path: Path) -> list[tuple[float, bytes]]:
    """(seconds from the first packet, UDP payload) of each packet of a pcap written by
    tests.rig.dtmf_pcap (Ethernet + IPv4 + UDP headers: 42 bytes)."""
    data = path.read_bytes()
    out: list[tuple[float, bytes]] = []
    at = 24
    while at + 16 <= len(data):
        sec, usec, length, _ = struct.unpack_from("<IIII", data, at)
        out.append((sec + usec / 1e6, data[at + 16 + 42 : at + 16 + length]))
        at += 16 + length
    return out


@dataclass
class Stream:
    """One caller's audio socket and, when timed, what arrived on it."""

    sock: socket.socket
    timed: bool
    arrivals: list[float] = field(default_factory=list)  # kernel receive times, seconds
    seqs: list[int] = field(default_factory=list)
    asterisk: tuple[str, int] | None = None  # where its RTP comes from (keys go there)
    keys_from: float = 0.0  # monotonic time the first key packet is due
    sent: int = 0  # key packets sent so far

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])


@dataclass(frozen=True)
class Heard:
    """One sampled call as its caller heard it."""

    packets: int
    spurts: int  # stretches of audio between the IVR's waits for a key
    stretch: float  # fraction: 0.05 is 5 % longer than the audio it carried
    max_gap: float  # seconds
    lost: int
    # The part of the stretch spent in gaps of over STALL (a prompt started late, Asterisk
    # kept off the CPU) rather than in packets a little late each.
    in_stalls: float


class Media:
    """``count`` callers' sockets on loopback, every ``count // timed``-th one timed; keys
    sent ``delay`` seconds after a call's first packet. A thread from start() to stop()."""

    def __init__(
        self, count: int, timed: int, keys: list[tuple[float, bytes]], delay: float
    ) -> None:
        every = max(count // max(timed, 1), 1)
        sampled = [timed > 0 and i % every == 0 for i in range(count)]
        self.streams = [Stream(_bound(t), t) for t in sampled]
        self.keys, self.delay = keys, delay
        self._due: list[tuple[float, int]] = []  # (when, stream index): the next key packet
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rtp-media", daemon=True)

    @property
    def ports(self) -> list[int]:
        return [s.port for s in self.streams]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> list[Heard]:
        self._stop.set()
        self._thread.join(10)
        for s in self.streams:
            s.sock.close()
        return [heard(s) for s in self.streams if s.timed and len(s.arrivals) > 1]

    def _run(self) -> None:
        with selectors.DefaultSelector() as sel:
            for i, s in enumerate(self.streams):
                sel.register(s.sock, selectors.EVENT_READ, i)
            while not self._stop.is_set():
                wait = self._due[0][0] - time.monotonic() if self._due else 0.05
                for key, _ in sel.select(timeout=min(max(wait, 0.0), 0.05)):
                    self._receive(sel, key.data)
                self._send_keys(time.monotonic())

    def _receive(self, sel: selectors.BaseSelector, index: int) -> None:
        s = self.streams[index]
        first = s.asterisk is None
        _receive(s)
        if first and s.asterisk is not None:
            s.keys_from = time.monotonic() + self.delay
            heapq.heappush(self._due, (s.keys_from + self.keys[0][0], index))
            if not s.timed:  # from now on its audio is left to the kernel to drop
                sel.unregister(s.sock)

    def _send_keys(self, now: float) -> None:
        while self._due and self._due[0][0] <= now:
            _, index = heapq.heappop(self._due)
            s = self.streams[index]
            assert s.asterisk is not None
            s.sock.sendto(self.keys[s.sent][1], s.asterisk)
            s.sent += 1
            if s.sent < len(self.keys):
                heapq.heappush(self._due, (s.keys_from + self.keys[s.sent][0], index))


def _bound(timed: bool) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # A timed socket holds seconds of audio should this thread be kept off the CPU.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20 if timed else 4096)
    sock.bind(("127.0.0.1", 0))
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sock.setblocking(False)
    return sock


def _receive(s: Stream) -> None:
    while True:
        try:
            data, ancdata, _, source = s.sock.recvmsg(2048, 64)
        except BlockingIOError:
            return
        if len(data) < 12 or data[1] & 0x7F not in G711:
            continue
        s.asterisk = s.asterisk or source
        if not s.timed:
            return
        s.seqs.append(struct.unpack_from(">H", data, 2)[0])
        s.arrivals.append(_kernel_time(ancdata))


def _kernel_time(ancdata: list[tuple[int, int, bytes]]) -> float:
    for level, kind, value in ancdata:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            sec, nsec = TIMESPEC.unpack(value[: TIMESPEC.size])
            return float(sec + nsec / 1e9)
    return time.time()


def heard(s: Stream) -> Heard:
    spurts = _spurts(s.arrivals)
    audio = sum(len(t) for t in spurts) * PACKET_S
    span = sum(t[-1] - t[0] + PACKET_S for t in spurts)
    gaps = [b - a for t in spurts for a, b in itertools.pairwise(t)]
    stalled = sum(g - PACKET_S for g in gaps if g > STALL)
    return Heard(
        len(s.arrivals),
        len(spurts),
        span / audio - 1,
        max(gaps, default=0.0),
        _lost(s.seqs),
        stalled / audio,
    )


def _spurts(arrivals: list[float]) -> list[list[float]]:
    """The call cut where no packet came for SILENCE: the IVR waiting for a key."""
    spurts: list[list[float]] = [[arrivals[0]]]
    for before, at in itertools.pairwise(arrivals):
        if at - before >= SILENCE:
            spurts.append([])
        spurts[-1].append(at)
    return spurts


def _lost(seqs: list[int]) -> int:
    """Packets missing between the first and the last sequence number (16-bit wrap)."""
    span = 1 + sum((b - a) % 65536 for a, b in itertools.pairwise(seqs))
    return max(span - len(seqs), 0)
