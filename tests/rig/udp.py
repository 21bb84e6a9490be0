"""Which UDP addresses a process has bound, from /proc (what `ss -uanp` shows), so a test
can see where Asterisk's RTP listens during a call."""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path

_SOCKET = re.compile(r"^socket:\[(\d+)\]$")


def bound(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every UDP socket the process holds, IPv4 and IPv6."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            found = _SOCKET.match(os.readlink(fd))
        except OSError:  # closed meanwhile
            continue
        if found:
            inodes.add(found[1])
    return [
        (address, port)
        for table in ("udp", "udp6")
        for address, port, inode in _table(Path(f"/proc/{pid}/net/{table}"))
        if inode in inodes
    ]


def _table(path: Path) -> list[tuple[str, int, str]]:
    rows = []
    for line in path.read_text().splitlines()[1:]:
        fields = line.split()
        host, port = fields[1].split(":")
        rows.append((_address(host), int(port, 16), fields[9]))
    return rows


def _address(hex_host: str) -> str:
    """The kernel prints each 32-bit word of the address in host (little-endian) order."""
    raw = b"".join(bytes.fromhex(hex_host[i : i + 8])[::-1] for i in range(0, len(hex_host), 8))
    return str(ipaddress.ip_address(raw))
