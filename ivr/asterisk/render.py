"""Render dialplan/ templates into a runtime directory for one Asterisk instance.

Templates use ``{{name}}`` placeholders (Asterisk itself owns ``${...}``). Rendering fails
when a template names a value we do not have, so a typo never reaches Asterisk as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ivr.agents import pjsip as agents_pjsip
from ivr.agents.store import AgentStore
from ivr.asterisk import sayconf
from ivr.asterisk.sandbox import AsteriskInstall
from ivr.config import Config
from ivr.errors import ConfigError
from ivr.secrets import Secrets

PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


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
    def asterisk_conf(self) -> Path:
        return self.etc / "asterisk.conf"

    @property
    def pidfile(self) -> Path:
        return self.run / "hajj-asterisk.pid"

    def make(self) -> None:
        for d in (self.etc, self.run, self.log, self.data, self.lib, self.spool):
            d.mkdir(parents=True, exist_ok=True)


def values_for(config: Config, install: AsteriskInstall, secrets: Secrets) -> dict[str, str]:
    layout = RuntimeLayout(config.asterisk_dir)
    ast = config.asterisk
    return {
        "etc_dir": str(layout.etc),
        "module_dir": str(install.module_dir),
        "lib_dir": str(layout.lib),
        "data_dir": str(layout.data),
        "spool_dir": str(layout.spool),
        "run_dir": str(layout.run),
        "log_dir": str(layout.log),
        "sbin_dir": str(Path(install.argv[-1]).parent),
        "moh_dir": str(install.moh_dir),
        "max_calls": str(ast.max_calls),
        "ami_port": str(ast.ami_port),
        "ami_user": ast.ami_user,
        "ami_secret": secrets.ami_secret,
        "ami_admin_user": ast.ami_admin_user,
        "ami_admin_secret": secrets.ami_admin_secret,
        "sip_bind": ast.sip_bind,
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
    write_all(layout.etc, render_all(config, install, secrets))
    config.sounds_dir.mkdir(parents=True, exist_ok=True)
    _link(layout.data / "sounds", config.sounds_dir)
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
    files[agents_pjsip.FILENAME] = _agents_text(config)
    return files


def write_all(etc: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        _write(etc / name, text)


def render_agents(config: Config) -> Path:
    """Write the agents' PJSIP endpoints (pjsip_agents.conf) from the agent store."""
    target = RuntimeLayout(config.asterisk_dir).etc / agents_pjsip.FILENAME
    _write(target, _agents_text(config))
    return target


def _agents_text(config: Config) -> str:
    return agents_pjsip.text(AgentStore(config.agents_path).all())


def _write(target: Path, text: str) -> None:
    """Atomic (a reload never reads half a file), 0600 (manager.conf holds secrets)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.chmod(0o600)
    tmp.replace(target)


def _link(link: Path, target: Path) -> None:
    if link.is_symlink() and link.resolve() == target.resolve():
        return
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target)
