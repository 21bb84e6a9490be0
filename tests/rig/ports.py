"""Free local ports for a test's hotline, SIPp and listeners."""

from __future__ import annotations

import random
import socket


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_rtp_range(size: int = 200) -> tuple[int, int]:
    for _ in range(50):
        start = random.randrange(20000, 60000, 2)
        if all(_udp_free(p) for p in range(start, start + size, 25)):
            return start, start + size - 1
    raise RuntimeError("no free RTP range")


def _udp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
