"""A stand-in IVR node for the front-door tests: a loopback UDP socket that keeps the first
line of every request it gets and answers as told: nothing (a hung or dead node), 200 to
OPTIONS only (alive again), or 200 to OPTIONS and 503 to INVITE (a node that refuses calls).
"""

from __future__ import annotations

import socket
import threading
from typing import Literal

Mode = Literal["silent", "alive", "busy"]
_COPIED = ("via", "v", "from", "f", "to", "t", "call-id", "i", "cseq")


class FakeNode:
    def __init__(self, mode: Mode = "silent") -> None:
        self.mode: Mode = mode
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.requests: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def uri(self) -> str:
        return f"sip:127.0.0.1:{self.port}"

    def got(self, method: str) -> int:
        """How many ``method`` requests arrived."""
        return sum(1 for r in self.requests if r.startswith(f"{method} "))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            text = data.decode(errors="replace")
            first = text.split("\r\n", 1)[0]
            self.requests.append(first)
            status = self._status(first.split(" ", 1)[0])
            if status:
                self.sock.sendto(response(text, status).encode(), peer)

    def _status(self, method: str) -> str:
        if self.mode == "silent" or method == "ACK":
            return ""
        if method == "INVITE" and self.mode == "busy":
            return "503 Service Unavailable"
        return "200 OK" if method == "OPTIONS" else ""


def response(request: str, status: str) -> str:
    """``status`` to ``request``, its Via, From, To (tagged), Call-ID and CSeq copied."""
    head = request.split("\r\n\r\n", 1)[0].split("\r\n")[1:]
    lines = [f"SIP/2.0 {status}"]
    for line in head:
        name = line.split(":", 1)[0].strip().lower()
        if name in _COPIED:
            if name in ("to", "t") and ";tag=" not in line:
                line += ";tag=fakenode"
            lines.append(line)
    return "\r\n".join([*lines, "Content-Length: 0", "", ""])
