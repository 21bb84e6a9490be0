"""The call setup benchmark's dialplan, added to a running rig's Asterisk (never to
dialplan/, which ships): one context, one extension per way, and the per-call script.

Every extension runs its AGI, then reports what it saw in a UserEvent (BenchSetup: the
way, AGISTATUS, and Ok 1 when the handler set BENCH_OK to the token it read) and hangs up.
The file goes beside the rendered extensions.conf, which gets one ``#include`` line, and
``dialplan reload`` through the control socket picks both up. pyst2 is copied alone into
the state dir (bench-pyst2/), readable by Asterisk's user, as a system-wide install of it
would be; the script's first line after the shebang puts that folder on sys.path.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench import setup_agi_script
from ivr import files
from tests.rig.hotline import Hotline

CONTEXT = "bench-setup"
FILENAME = "bench-setup.conf"
SCRIPT = "bench-setup-agi.py"
LIBRARY = "bench-pyst2"
EVENT = "BenchSetup"


@dataclass(frozen=True)
class Ways:
    """Where each way's AGI goes: our and panoramisk's FastAGI ports, the script's path."""

    ours_port: int
    panoramisk_port: int
    script: Path

    def agi(self) -> dict[str, str]:
        """extension (the way's name) -> AGI() argument"""
        return {
            "ours": f"agi://127.0.0.1:{self.ours_port}/setup",
            "panoramisk": f"agi://127.0.0.1:{self.panoramisk_port}/setup",
            "script": str(self.script),
        }


def text(ways: Ways) -> str:
    lines = ["; hajj-ivr bench (bench/bench_setup.py): call setup rate, added at run time", ""]
    lines.append(f"[{CONTEXT}]")
    for exten, target in ways.agi().items():
        ok = '${IF($["${BENCH_OK}" = "${BENCH_TOKEN}"]?1:0)}'
        lines += [
            f"exten => {exten},1,Set(BENCH_TOKEN=${{UNIQUEID}})",
            f" same => n,AGI({target})",
            f" same => n,UserEvent({EVENT},Way: {exten},Status: ${{AGISTATUS}},Ok: {ok})",
            " same => n,Hangup()",
        ]
    return "\n".join(lines) + "\n"


def install(hotline: Hotline, ours_port: int, panoramisk_port: int) -> Ways:
    """Write the script and the context into the rig's Asterisk and reload its dialplan."""
    etc = hotline.asterisk.layout.etc
    library = hotline.config.state_dir / LIBRARY
    install_library(library)
    ways = Ways(ours_port, panoramisk_port, write_script(etc / SCRIPT, library))
    conf = etc / FILENAME
    conf.write_text(text(ways))
    conf.chmod(0o600)
    files.owned_like_folder(conf)
    extensions = etc / "extensions.conf"
    include = f"#include {FILENAME}\n"
    if include not in extensions.read_text():
        with extensions.open("a") as f:
            f.write("\n" + include)
    hotline.asterisk.cli("dialplan reload")
    shown = hotline.asterisk.cli(f"dialplan show {CONTEXT}")
    missing = [exten for exten in ways.agi() if f"'{exten}'" not in shown]
    if missing:
        raise RuntimeError(f"{CONTEXT}: extensions {missing} not loaded:\n{shown}")
    return ways


def remove(hotline: Hotline) -> None:
    """Take the bench's context out of a hotline that goes on serving (the tests' own)."""
    etc = hotline.asterisk.layout.etc
    extensions = etc / "extensions.conf"
    extensions.write_text(extensions.read_text().replace(f"\n#include {FILENAME}\n", ""))
    (etc / FILENAME).unlink(missing_ok=True)
    (etc / SCRIPT).unlink(missing_ok=True)
    shutil.rmtree(hotline.config.state_dir / LIBRARY, ignore_errors=True)
    hotline.asterisk.cli("dialplan reload")


def write_script(target: Path, library: Path) -> Path:
    """The pyst2 script, with a shebang Asterisk's user can run (ours may sit in a home
    folder it cannot enter) and pyst2's folder on sys.path, owned by that user like the
    folder it is in."""
    source = Path(setup_agi_script.__file__).read_text()
    path = f"import sys\n\nsys.path.insert(0, {str(library)!r})\n"
    target.write_text(f"#!{interpreter()}\n{path}{source}")
    target.chmod(0o700)
    files.owned_like_folder(target)
    return target


def interpreter() -> str:
    """The system's python3, as a pyst2 user's ``#!/usr/bin/env python3`` finds on a
    server; this Python only where there is none."""
    system = shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")
    if system is not None and _others_may_use(Path(system).resolve()):
        return system
    if _others_may_use(Path(sys.executable).resolve()):
        return sys.executable
    raise RuntimeError(f"no python3 that Asterisk's user may run ({sys.executable} is private)")


def install_library(target: Path) -> None:
    """pyst2 (its package ``asterisk`` and ``six``) copied alone into ``target``, readable
    by all, as a system-wide install would be. Not our venv's site-packages on the path:
    the interpreter would find everything else there too (a .pth file of this machine, not
    of a server, imports certifi at start-up when it can: 50 ms more per call)."""
    for name in ("asterisk", "six"):
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise RuntimeError("pyst2 is not installed: pip install -e '.[dev]'")
        source = Path(spec.origin)
        if source.name == "__init__.py":
            shutil.copytree(source.parent, target / name, dirs_exist_ok=True)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target / source.name)
    # As pip does at install: bytecode for the interpreter that runs the script, which
    # cannot write it itself (the folder is ours); else every call compiles pyst2 anew.
    subprocess.run([interpreter(), "-m", "compileall", "-q", str(target)], check=True)
    for path in (target, *target.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)


def _others_may_use(path: Path) -> bool:
    """True when a user other than us may reach ``path`` and run it; always True when we
    are not root, since Asterisk then runs as we do."""
    if os.geteuid() != 0:
        return True
    return all(p.stat().st_mode & stat.S_IXOTH for p in (path, *path.parents))
