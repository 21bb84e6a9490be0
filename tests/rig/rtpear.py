"""A caller's media end inside the test: one UDP socket named in the caller's SDP
(sipp.call_with_media_at). It counts the RTP Asterisk sends it (and how much of it is
loud), and once Asterisk's first packet says where its RTP socket is, it sends a pcap's
RTP (keys over RFC 4733, then a voice: answer_pcap.voice) back from the same port, so
symmetric RTP keeps Asterisk talking to it."""

from __future__ import annotations

import socket
import struct
import threading
import time
from pathlib import Path

from tests.rig.answer_pcap import PCMU


def pcap_rtp(path: Path) -> list[tuple[int, bytes]]:
    """(milliseconds from the start, RTP packet) of each packet of a pcap the rig wrote
    (Ethernet, IPv4, UDP headers: 42 bytes before the RTP)."""
    data, found, offset = path.read_bytes(), [], 24
    while offset < len(data):
        sec, usec, length, _ = struct.unpack_from("<IIII", data, offset)
        found.append((sec * 1000 + usec // 1000, data[offset + 58 : offset + 16 + length]))
        offset += 16 + length
    return found


def ulaw_level(payload: bytes) -> int:
    """The loudest sample of a G.711 u-law payload (ITU-T G.711 expansion)."""
    loudest = 0
    for byte in payload:
        b = ~byte & 0xFF
        magnitude = (((b & 0x0F) << 3) + 0x84) << ((b >> 4) & 0x07)
        loudest = max(loudest, magnitude - 0x84)
    return loudest


class RtpEar:
    def __init__(self, speak: Path) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.02)  # a packet is due every 20 ms
        self.packets = self.loud = 0  # RTP from Asterisk, and how many louder than -30 dBFS
        self._speech = pcap_rtp(speak)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def __enter__(self) -> RtpEar:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    def _run(self) -> None:
        peer: tuple[str, int] | None = None
        started = 0.0
        queue = list(self._speech)
        while not self._stop.is_set():
            try:
                data, source = self.sock.recvfrom(2048)
            except TimeoutError:
                data = b""
            if data:
                peer = peer or source
                started = started or time.monotonic()
                if len(data) > 12 and data[1] & 0x7F == PCMU:
                    self.packets += 1
                    self.loud += ulaw_level(data[12:]) > 1000
            now_ms = (time.monotonic() - started) * 1000 if started else -1
            while peer and queue and queue[0][0] <= now_ms:
                self.sock.sendto(queue.pop(0)[1], peer)
