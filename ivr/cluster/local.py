"""A local cluster on one machine (`hajj-ivr cluster up|down|status`): the pieces
ivr/cluster/plan.py describes, started and stopped by their PID files.

Up, in order: PostgreSQL (its database created), each node (its state dir: the config,
a copy of this installation's prompts and data mirror; then its Asterisk and its
controller), and last Kamailio, so its first probes find the nodes answering. Down: the
reverse, each piece by its PID. A node's pieces keep the PID files they always keep
(Asterisk's, the controller's); Kamailio's and PostgreSQL's live in their folders.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from ivr import config as config_mod
from ivr import files, storefiles
from ivr.asterisk import process
from ivr.cluster import kamailio, pgserver
from ivr.cluster.plan import DATABASE, NodePlan, NodePorts, Plan, node_config
from ivr.config import Config
from ivr.errors import SetupError

START_WAIT = 30.0
STOP_WAIT = 10.0
# What a piece's command line holds: a PID file's PID that runs something else is stale.
CONTROLLER, KAMAILIO = "ivr.cli", "kamailio"
_DEST = re.compile(r"URI: (\S+)\s+FLAGS: (\S+)")


@dataclass(frozen=True)
class Piece:
    """One process of the cluster as `status` shows it."""

    name: str
    pid: int | None
    detail: str = ""

    @property
    def alive(self) -> bool:
        return self.pid is not None


def node_settings(p: Plan, node: NodePlan) -> Config:
    """The node's config file written (0600, it may name the database) and loaded, with
    none of this shell's HAJJ_IVR_* variables: the node is what its file says."""
    node.folder.mkdir(parents=True, exist_ok=True)
    node.config_path.write_text(node_config(p, node))
    node.config_path.chmod(0o600)
    return config_mod.load(file=node.config_path, env={})


def from_folder(folder: Path) -> Plan:
    """The plan of the cluster `up` wrote into ``folder``, read back from its nodes'
    config files (what `down` and `status` act on, whatever ports it was started with)."""
    configs = [
        config_mod.load(file=path, env={}) for path in sorted(folder.glob("*/hajj-ivr.toml"))
    ]
    nodes = sorted((_node_of(c) for c in configs if c.cluster.role), key=lambda n: n.role != "ivr")
    if not nodes:
        raise SetupError(f"no cluster in {folder}: start one with `hajj-ivr cluster up`")
    first = next(c for c in configs if c.cluster.role)
    url = urlsplit(first.database.url)
    return Plan(folder, first.cluster.front_door, tuple(nodes), url.port or 0)


def _node_of(config: Config) -> NodePlan:
    ast, agi = config.asterisk, config.agi
    ports = NodePorts(ast.sip_port, ast.ami_port, agi.port, agi.metrics_port, ast.http_port,
                      ast.https_port, config.web.port, ast.rtp_start, ast.rtp_end)  # fmt: skip
    name = config.cluster.node or config.state_dir.name
    return NodePlan(name, config.cluster.role, ast.sip_bind, ports, config.state_dir)


def front_door(p: Plan) -> kamailio.FrontDoor:
    """Kamailio's config as the first IVR node's [cluster] and [trunk] describe it."""
    first = config_mod.load(file=p.ivr[0].config_path, env={})
    return kamailio.from_settings(first.cluster, first.trunk, p.kamailio_dir / "ctl")


def up(p: Plan, base: Config) -> list[Piece]:
    """Start every piece that is not running; ``base`` (this installation's config) lends
    its built prompts and its data mirror to the nodes."""
    if p.folder.resolve().is_relative_to(base.state_dir.resolve()):
        # state_dir as `hajj-ivr asterisk start` leaves it: the run user may pass through.
        files.secure_state(base)
    p.folder.mkdir(parents=True, exist_ok=True)
    p.folder.chmod(0o711)  # Asterisk's and PostgreSQL's user passes through to its folder
    if p.postgres_port:
        start_shared(p, base)
    for node in p.nodes:
        start_node(p, node, base)
    start_kamailio(p)
    return status(p)


def down(p: Plan) -> list[str]:
    """Stop every running piece by its PID, Kamailio first; what was stopped."""
    stopped = []
    if _stop_pid(p.kamailio_dir / "kamailio.pid", KAMAILIO):
        stopped.append("kamailio")
    for node in reversed(p.nodes):
        stopped += stop_node(node)
    pid = pgserver.pid_of(p.postgres_dir)
    if pid is not None:
        pgserver.stop(pid)
        stopped.append("postgres")
    return stopped


def status(p: Plan) -> list[Piece]:
    """Each piece, its PID when it runs; each node with Kamailio's view of it."""
    pieces = []
    if p.postgres_port:
        pieces.append(Piece("postgres", pgserver.pid_of(p.postgres_dir), p.database_url))
    view = kamailio_view(p)
    for node in p.nodes:
        if not node.config_path.exists():
            pieces += [Piece(f"{node.name}/asterisk", None), Piece(f"{node.name}/controller", None)]
            continue
        config = config_mod.load(file=node.config_path, env={})
        flags = view.get(node.uri, "-") if node.role == "ivr" else "-"
        detail = f"{node.role} {node.sip} kamailio:{flags}"
        pieces.append(Piece(f"{node.name}/asterisk", _asterisk(config).pid(), detail))
        pieces.append(Piece(f"{node.name}/controller", _controller_pid(config), detail))
    pieces.append(Piece("kamailio", _kamailio_pid(p), p.front_door))
    return pieces


def start_shared(p: Plan, base: Config) -> None:
    """The cluster's PostgreSQL up, with every shared store's tables at this release
    before a node reads one (the agent node's accounts go into its PJSIP config when its
    Asterisk starts), as `hajj-ivr db migrate` makes them."""
    start_postgres(p, base.asterisk.run_user)
    storefiles.migrate_shared(node_settings(p, p.nodes[0]))


def start_postgres(p: Plan, run_user: str) -> None:
    if pgserver.pid_of(p.postgres_dir) is not None:
        return
    as_user = pgserver.run_user(run_user)
    pgserver.start(p.postgres_dir, p.postgres_port, DATABASE, as_user)
    admin = f"postgresql://{DATABASE}@127.0.0.1:{p.postgres_port}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone():
            conn.execute(f'CREATE DATABASE "{DATABASE}"')


def start_node(p: Plan, node: NodePlan, base: Config) -> None:
    """The node's state dir filled and its Asterisk and controller started (each unless
    already running)."""
    config = node_settings(p, node)
    _lend(base, config)
    asterisk = _asterisk(config)
    if asterisk.pid() is None:
        process.wait_ctl_free(asterisk.layout.run / "asterisk.ctl", process.CTL_FREE_SECONDS)
        asterisk = process.prepare(config)
        asterisk.start()
    if _controller_pid(config) is None:
        _start_controller(config)


def stop_node(node: NodePlan) -> list[str]:
    if not node.config_path.exists():  # never started
        return []
    config = config_mod.load(file=node.config_path, env={})
    stopped = []
    if _stop_pid(config.controller_pidfile, CONTROLLER):
        stopped.append(f"{node.name}/controller")
    if _asterisk(config).stop():
        stopped.append(f"{node.name}/asterisk")
    return stopped


def kill_node(node: NodePlan) -> None:
    """SIGKILL the node's controller and Asterisk: a server lost at once (the cluster test)."""
    config = config_mod.load(file=node.config_path, env={})
    for pid in (_controller_pid(config), _asterisk(config).pid()):
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, STOP_WAIT)


def start_kamailio(p: Plan) -> None:
    if _kamailio_pid(p) is not None:
        return
    if shutil.which("kamailio") is None or shutil.which("kamcmd") is None:
        raise SetupError("no kamailio/kamcmd: `make setup` installs Debian's kamailio")
    folder = p.kamailio_dir
    folder.mkdir(parents=True, exist_ok=True)
    door = front_door(p)
    (folder / "dispatcher.list").write_text(kamailio.dispatcher_list(door))
    cfg = folder / "kamailio.cfg"
    cfg.write_text(kamailio.config_text(door, folder / "dispatcher.list"))
    # Foreground (-DD) logging to its file (-E): its PID is the one we spawn, its log is
    # the folder's; -m/-M: shared and private memory (MB), enough for a local cluster.
    argv = ["kamailio", "-f", str(cfg), "-DD", "-E", "-Y", str(folder), "-m", "64", "-M", "8"]
    pid = _spawn(argv, folder / "kamailio.log", {})
    (folder / "kamailio.pid").write_text(str(pid))
    deadline = time.monotonic() + START_WAIT
    while not _rpc_ok(door.ctl_socket):
        if not _alive(pid) or time.monotonic() > deadline:
            log = (folder / "kamailio.log").read_text(errors="replace")[-2000:]
            raise SetupError(f"kamailio did not start ({folder / 'kamailio.log'}):\n{log}")
        time.sleep(0.2)


def kamailio_view(p: Plan) -> dict[str, str]:
    """Each node's URI and its dispatcher flags (A active, I inactive; P probing), from
    `kamcmd dispatcher.list`; empty when Kamailio is not running."""
    ctl = p.kamailio_dir / "ctl"
    if _kamailio_pid(p) is None:
        return {}
    done = _kamcmd(ctl, "dispatcher.list")
    return dict(_DEST.findall(done.stdout)) if done.returncode == 0 else {}


def _lend(base: Config, node: Config) -> None:
    """The node's copy of this installation's built prompts and data mirror (once): its
    Asterisk reads them as its own user, from its own state dir."""
    if base.sounds_dir.is_dir() and not node.sounds_dir.exists():
        shutil.copytree(base.sounds_dir, node.sounds_dir, symlinks=True)
    if base.mirror_path.is_file() and not node.mirror_path.exists():
        shutil.copy2(base.mirror_path, node.mirror_path)


def asterisk_of(node: NodePlan) -> process.Asterisk:
    """The node's Asterisk (its CLI, its PID), from its config file."""
    return _asterisk(config_mod.load(file=node.config_path, env={}))


def _asterisk(config: Config) -> process.Asterisk:
    return process.Asterisk.from_config(config)


def _start_controller(config: Config) -> None:
    env = {**os.environ, "HAJJ_IVR_CONFIG": str(config.state_dir / "hajj-ivr.toml")}
    argv = [sys.executable, "-m", "ivr.cli", "serve"]
    pid = _spawn(argv, config.state_dir / "controller.log", env)
    config.controller_pidfile.write_text(str(pid))
    files.owned_like_folder(config.controller_pidfile)
    deadline = time.monotonic() + START_WAIT
    while True:
        with contextlib.suppress(OSError):
            socket.create_connection((config.agi.host, config.agi.port), timeout=0.5).close()
            return
        if not _alive(pid) or time.monotonic() > deadline:
            raise SetupError(f"the controller of {config.state_dir} did not start (controller.log)")
        time.sleep(0.2)


def _controller_pid(config: Config) -> int | None:
    return _pid_in(config.controller_pidfile, CONTROLLER)


def _kamailio_pid(p: Plan) -> int | None:
    return _pid_in(p.kamailio_dir / "kamailio.pid", KAMAILIO)


def _pid_in(pidfile: Path, marker: str) -> int | None:
    """The PID in ``pidfile`` when that process runs and its argv names ``marker`` (a PID
    from an old file may since be another program's)."""
    try:
        pid = int(pidfile.read_text())
        argv = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if marker.encode() in argv and _alive(pid) else None


def _stop_pid(pidfile: Path, marker: str) -> bool:
    pid = _pid_in(pidfile, marker)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    if not _wait_gone(pid, STOP_WAIT):
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid, STOP_WAIT)
    pidfile.unlink(missing_ok=True)
    return True


def _spawn(argv: list[str], log: Path, env: dict[str, str]) -> int:
    """Start ``argv`` in its own session (it outlives `cluster up`), output to ``log``."""
    with log.open("ab") as sink:
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, sink.fileno(), 1),
            (os.POSIX_SPAWN_DUP2, sink.fileno(), 2),
        ]
        path = shutil.which(argv[0]) or argv[0]
        return os.posix_spawn(
            path, argv, env or dict(os.environ), file_actions=actions, setsid=True
        )


def _kamcmd(ctl: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["kamcmd", "-s", f"unix:{ctl}", *command],
        capture_output=True, text=True, timeout=10, check=False,
    )  # fmt: skip


def _rpc_ok(ctl: Path) -> bool:
    return ctl.exists() and _kamcmd(ctl, "core.uptime").returncode == 0


def _alive(pid: int) -> bool:
    """Running, not a zombie (a child of ours killed and not yet reaped is reaped here)."""
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
