"""`hajj-ivr serve` stopped while it starts: a SIGTERM that comes once its port answers
but before it waits for signals (a service manager's stop, a test's) ends it cleanly,
never by the signal's default action (exit -15, nothing closed)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.rig.procs import service_env
from tests.test_files import state_as_main_left_it

# The controller as `hajj-ivr serve` runs it, asked to stop by SIGTERM from the middle of
# its start: after the FastAGI port and the jobs, before it waits.
STOPPED_WHILE_STARTING = textwrap.dedent(
    """
    import os, signal, sys
    from ivr import wiring
    from ivr.cli import main

    real = wiring._pidfile

    def pidfile(stack, config):
        os.kill(os.getpid(), signal.SIGTERM)
        real(stack, config)

    wiring._pidfile = pidfile
    sys.exit(main(["serve"]))
    """
)


def test_serve_sigterm_while_starting_stops_cleanly(tmp: Path) -> None:
    config = state_as_main_left_it(tmp / "var")
    done = subprocess.run(
        [sys.executable, "-c", STOPPED_WHILE_STARTING],
        env=service_env(config.state_dir),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "stopping the controller" in done.stderr
    assert not config.controller_pidfile.exists()  # what its stop removes
