"""Starting Asterisk right after one was killed: the new one waits until the old control
socket stops answering (a killed process leaves /proc before its sockets close)."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from ivr.asterisk.process import wait_ctl_free
from ivr.errors import AsteriskError


def listening(path: Path) -> socket.socket:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen()
    return server


def test_wait_ctl_free_returns_once_the_old_socket_stops_answering(tmp_path: Path) -> None:
    ctl = tmp_path / "asterisk.ctl"
    old = listening(ctl)
    closer = threading.Timer(0.5, old.close)  # the old process's sockets close a bit later
    closer.start()
    wait_ctl_free(ctl, timeout=5)
    closer.join()
    assert ctl.exists()  # a file nobody answers on: the new Asterisk removes it itself


def test_wait_ctl_free_gives_up_on_a_socket_that_keeps_answering(tmp_path: Path) -> None:
    ctl = tmp_path / "asterisk.ctl"
    with listening(ctl), pytest.raises(AsteriskError, match="still answers"):
        wait_ctl_free(ctl, timeout=0.3)


def test_wait_ctl_free_without_a_socket_returns_at_once(tmp_path: Path) -> None:
    wait_ctl_free(tmp_path / "asterisk.ctl", timeout=0)
