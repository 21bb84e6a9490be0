"""Render dialplan/ templates into a runtime directory for one Asterisk instance.

Templates use ``{{name}}`` placeholders (Asterisk itself owns ``${...}``). Rendering fails
when a template names a value we do not have, so a typo never reaches Asterisk as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ivr import chanvars, files, handover
from ivr.agents import pjsip as agents_pjsip
from ivr.agents.store import PHONE_ROLES, AgentStore
from ivr.asterisk import agentnode, frontdoor, sayconf, tls, trunk
from ivr.asterisk.sandbox import AsteriskInstall
from ivr.config import Config
from ivr.errors import ConfigError, SetupError
from ivr.prompts import build as prompts_build
from ivr.secrets import Secrets, load_or_create

PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
LOAD = re.compile(r"^\s*load\s*=>\s*(\S+\.so)\s*$", re.M)
# What every AMI channel event carries (manager.conf channelvars): the handover's
# variables, the route, on an agent's leg who the agent is, on an agent node the IVR
# node's id of the call.
CHANNELVARS = (*handover.NAMES, chanvars.ROUTE, chanvars.AGENT_NAME, chanvars.IVR_CALL)


@dataclass(frozen=True)
class RuntimeLayout:
    """The directories of one rendered Asterisk instance (under state_dir/asterisk)."""

    root: Path

    @property
    def etc(self) -> Path:
        return self.root / "etc"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def log(self) -> Path:
        return self.root / "log"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def lib(self) -> Path:
        return self.root / "lib"

    @property
    def spool(self) -> Path:
        return self.root / "spool"

    @property
    def modules(self) -> Path:
        """astmoddir: links to the modules modules.conf loads and no others."""
        return self.root / "modules"

    @property
    def asterisk_conf(self) -> Path:
        return self.etc / "asterisk.conf"

    @property
    def pidfile(self) -> Path:
        """Ours, beside (not inside) the folders Asterisk owns once it dropped privileges."""
        return self.root.with_name("asterisk.pid")

    def make(self) -> None:
        for d in (self.etc, self.run, self.log, self.data, self.lib, self.spool, self.modules):
            d.mkdir(parents=True, exist_ok=True)


# Descriptors a call may hold in Asterisk: RTP and RTCP sockets, the FastAGI connection,
# the sound file it plays, a timer and the channel's alert pipe, with room to spare; plus
# the modules' own (SIP transport, AMI sessions, logs).
FILES_PER_CALL = 8
FILES_BESIDES_CALLS = 4096


def max_files(max_calls: int) -> int:
    """asterisk.conf's maxfiles: the open-file limit Asterisk sets itself at start (soft
    and hard alike). Never above the hard limit it inherits: raising that needs
    CAP_SYS_RESOURCE, and when setrlimit fails Asterisk keeps the soft limit it had."""
    return files.open_files_allowed(max_calls * FILES_PER_CALL + FILES_BESIDES_CALLS)


def values_for(config: Config, install: AsteriskInstall, secrets: Secrets) -> dict[str, str]:
    layout = RuntimeLayout(config.asterisk_dir)
    ast = config.asterisk
    account = files.run_account(config)
    # RTP goes out from the SIP address when SIP listens on one address only.
    specific = ast.sip_bind not in ("0.0.0.0", "::")
    return {
        "etc_dir": str(layout.etc),
        "module_dir": str(layout.modules),
        "lib_dir": str(layout.lib),
        "data_dir": str(layout.data),
        "spool_dir": str(layout.spool),
        "run_dir": str(layout.run),
        "log_dir": str(layout.log),
        "sbin_dir": str(Path(install.argv[-1]).parent),
        "moh_dir": str(prompts_build.moh_dir(config.sounds_dir)),
        "call_recordings_dir": str(config.call_recordings_dir),
        "max_calls": str(ast.max_calls),
        "max_files": str(max_files(ast.max_calls)),
        "ami_port": str(ast.ami_port),
        "http_port": str(ast.http_port),
        "https_port": str(ast.https_port),
        "tls_cert": str(tls.files_for(config).cert),
        "tls_key": str(tls.files_for(config).key),
        "asterisk_metrics_password": secrets.asterisk_metrics_password,
        "run_user": account.name if account else "",
        "run_group": account.group if account else "",
        "ami_user": ast.ami_user,
        "ami_controller_secret": secrets.ami_controller_secret,
        "ami_web_secret": secrets.ami_web_secret,
        "ami_desk_secret": secrets.ami_desk_secret,
        "ami_calls_secret": secrets.ami_calls_secret,
        "ami_supervise_secret": secrets.ami_supervise_secret,
        "sip_bind": ast.sip_bind,
        "media_address": ast.sip_bind if specific else "",
        "bind_rtp_to_media_address": "yes" if specific else "no",
        "sip_port": str(ast.sip_port),
        "rtp_start": str(ast.rtp_start),
        "rtp_end": str(ast.rtp_end),
        "pilgrim_password": secrets.pilgrim_password,
        "agi_port": str(config.agi.port),
        "hotline": config.ivr.hotline,
        "queue_max_wait": str(ast.queue_max_wait),
        "ring_timeout": str(config.agents.ring_timeout),
        "ring_retry": str(config.agents.retry),
        "wrapup": str(config.agents.wrapup),
        "callback_after": str(config.agents.callback_after),
        "channelvars": ",".join(CHANNELVARS),
        **trunk.dialplan_values(config),
        **agentnode.dialplan_values(config),
    }


def render_text(template: str, values: Mapping[str, str], source: str) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise ConfigError(f"{source}: unknown placeholder {{{{{name}}}}}")
        return values[name]

    return PLACEHOLDER.sub(fill, template)


def render(config: Config, install: AsteriskInstall, secrets: Secrets) -> RuntimeLayout:
    """Render every dialplan/*.conf into state_dir/asterisk/etc and link sounds in place."""
    layout = RuntimeLayout(config.asterisk_dir)
    layout.make()
    tls.ensure(tls.files_for(config).folder)  # before Asterisk reads http.conf, pjsip.conf
    rendered = render_all(config, install, secrets)
    write_all(layout.etc, rendered)
    link_modules(layout.modules, install.module_dir, rendered["modules.conf"])
    config.sounds_dir.mkdir(parents=True, exist_ok=True)
    _link(layout.data / "sounds", config.sounds_dir)
    prompts_build.music_on_hold(install.moh_dir, config.sounds_dir)  # .alaw, .ulaw too
    # Asterisk validates its config options against the XML docs in astdatadir.
    _link(layout.data / "documentation", install.data_dir / "documentation")
    (layout.lib / "keys").mkdir(exist_ok=True)
    return layout


def render_all(config: Config, install: AsteriskInstall, secrets: Secrets) -> dict[str, str]:
    """Every config file's text, rendered in memory: a bad template fails before any file
    is touched."""
    values = values_for(config, install, secrets)
    files = {
        template.name: render_text(template.read_text(), values, template.name)
        for template in sorted((config.project_dir / "dialplan").glob("*.conf"))
    }
    files["say.conf"] = sayconf.text()
    files[agents_pjsip.FILENAME] = _agents_text(config, secrets)
    files[trunk.FILENAME] = trunk.pjsip_text(config, secrets)
    # One file, two parts: Kamailio's endpoint (an IVR node) and the other nodes.
    files[frontdoor.FILENAME] = frontdoor.pjsip_text(config) + agentnode.pjsip_text(config)
    return files


def write_all(etc: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        _write(etc / name, text)


def render_agents(config: Config) -> Path:
    """Write the agents' PJSIP endpoints (pjsip_agents.conf) from the agent store."""
    target = RuntimeLayout(config.asterisk_dir).etc / agents_pjsip.FILENAME
    _write(target, _agents_text(config, load_or_create(config.secrets_path)))
    return target


def link_modules(target: Path, installed: Path, modules_conf: str) -> list[str]:
    """Fill astmoddir with links to exactly the modules modules.conf loads: a module not
    named there (app_system, which runs shell commands) is not on Asterisk's path at all,
    so neither an AMI ModuleLoad nor a CLI `module load` can bring it in."""
    wanted = LOAD.findall(modules_conf)
    missing = [name for name in wanted if not (installed / name).is_file()]
    if missing:
        raise SetupError(f"modules.conf loads {', '.join(missing)}, not found in {installed}")
    target.mkdir(parents=True, exist_ok=True)
    for old in target.iterdir():
        if old.name not in wanted:
            old.unlink()
    for name in wanted:
        _link(target / name, installed / name)
    return wanted


def _agents_text(config: Config, secrets: Secrets) -> str:
    store = AgentStore.for_config(config)
    accounts = [a for role in PHONE_ROLES for a in store.all(role)]
    return agents_pjsip.text(accounts, secrets.webrtc_secret)


def _write(target: Path, text: str) -> None:
    """Atomic (a reload never reads half a file), 0600 (manager.conf holds secrets)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.chmod(0o600)
    files.owned_like_folder(tmp)  # Asterisk reads it as its own user
    tmp.replace(target)


def _link(link: Path, target: Path) -> None:
    if link.is_symlink() and link.resolve() == target.resolve():
        return
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target)
