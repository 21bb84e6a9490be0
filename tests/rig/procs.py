"""Starting a service the way its unit does, and stopping what a test started: by its
PID, politely first."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

from tests.rig.ports import free_port


def service_env(state_dir: Path, database_url: str = "", **more: str) -> dict[str, str]:
    """The environment of a `hajj-ivr serve` or `web` a test starts: its state dir, free
    ports of its own (AMI's: nobody listens there, the controller retries), no /metrics
    port, ``database_url`` when given; ``more``: other settings (``cluster_silent_after``
    is HAJJ_IVR_CLUSTER_SILENT_AFTER). Its AGI port: ``int(env["HAJJ_IVR_AGI_PORT"])``."""
    env = {
        **os.environ,
        "HAJJ_IVR_STATE_DIR": str(state_dir),
        "HAJJ_IVR_AGI_PORT": str(free_port()),
        "HAJJ_IVR_WEB_PORT": str(free_port()),
        "HAJJ_IVR_ASTERISK_AMI_PORT": str(free_port()),
        "HAJJ_IVR_AGI_METRICS_PORT": "0",
    }
    if database_url:
        env["HAJJ_IVR_DATABASE_URL"] = database_url
    env.update({f"HAJJ_IVR_{name.upper()}": value for name, value in more.items()})
    return env


def stop_process(proc: subprocess.Popen[Any] | None, sig: int = signal.SIGTERM) -> None:
    """Send ``sig``; kill the process if it is still there 10 s later."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
