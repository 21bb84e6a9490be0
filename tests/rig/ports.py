"""Free local ports for a test's hotline, SIPp and listeners."""

from __future__ import annotations

import random
import socket
from pathlib import Path


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_rtp_range(size: int = 200) -> tuple[int, int]:
    """A free even-started range below the kernel's ephemeral ports: a socket Asterisk
    (or anyone) binds to port 0 must never land inside the RTP range a test inspects."""
    low = _ephemeral_low()
    for _ in range(50):
        start = random.randrange(12000, low - size, 2)
        if all(_udp_free(p) for p in range(start, start + size, 25)):
            return start, start + size - 1
    raise RuntimeError("no free RTP range")


def _ephemeral_low() -> int:
    """The first port of the kernel's ephemeral range (ip_local_port_range)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def _udp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
