"""Configuration: defaults < TOML file < environment < CLI flags, loaded once, validated.

The result is a frozen :class:`Config` built in one place (the CLI) and passed down.
Environment variables are ``HAJJ_IVR_<SECTION>_<KEY>`` (``HAJJ_IVR_AGI_PORT=4600``) or
``HAJJ_IVR_<KEY>`` for top-level keys; the file is ``$HAJJ_IVR_CONFIG`` or ``hajj-ivr.toml``
in the project directory. Errors name the key and the bad value. Reading the file and
the environment, and turning text into a key's type, is ivr/configfile.py's.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr import configfile, hours
from ivr.errors import ConfigError
from ivr.settings import (
    AgentSettings as AgentSettings,
)
from ivr.settings import (
    AgiSettings as AgiSettings,
)
from ivr.settings import (
    AsteriskSettings as AsteriskSettings,
)
from ivr.settings import (
    CampaignSettings as CampaignSettings,
)
from ivr.settings import (
    ClusterSettings as ClusterSettings,
)
from ivr.settings import (
    ComplaintSettings as ComplaintSettings,
)
from ivr.settings import (
    DatabaseSettings as DatabaseSettings,
)
from ivr.settings import (
    IvrSettings as IvrSettings,
)
from ivr.settings import (
    PromptSettings as PromptSettings,
)
from ivr.settings import (
    RetentionSettings as RetentionSettings,
)
from ivr.settings import (
    TrunkSettings as TrunkSettings,
)
from ivr.settings import (
    WebSettings as WebSettings,
)

PROJECT_DIR = Path(__file__).resolve().parent.parent
# complaints.reply_max_seconds may not exceed this: a reply is played by one STREAM FILE,
# which ivr.agi.channel gives MEDIA_TIMEOUT (120 s) to finish (a test keeps them apart).
REPLY_SECONDS_CEILING = 110


@dataclass(frozen=True)
class Config:
    project_dir: Path = PROJECT_DIR
    state_dir: Path = PROJECT_DIR / "var"
    asterisk: AsteriskSettings = field(default_factory=AsteriskSettings)
    agi: AgiSettings = field(default_factory=AgiSettings)
    ivr: IvrSettings = field(default_factory=IvrSettings)
    prompts: PromptSettings = field(default_factory=PromptSettings)
    agents: AgentSettings = field(default_factory=AgentSettings)
    complaints: ComplaintSettings = field(default_factory=ComplaintSettings)
    campaigns: CampaignSettings = field(default_factory=CampaignSettings)
    web: WebSettings = field(default_factory=WebSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    trunk: TrunkSettings = field(default_factory=TrunkSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)

    # Derived locations (not configurable on their own: one state_dir holds them all).
    @property
    def asterisk_dir(self) -> Path:
        return self.state_dir / "asterisk"

    @property
    def calllog_path(self) -> Path:
        return self.state_dir / "calls.sqlite"

    @property
    def prompts_dir(self) -> Path:
        """The prompt catalog (*.toml) and recorded/ overrides."""
        return self.project_dir / "prompts"

    @property
    def overrides_dir(self) -> Path:
        """What admins edit on the dashboard (announcements, staffed hours)."""
        return self.state_dir / "overrides"

    @property
    def mirror_path(self) -> Path:
        """The live SISKOHAT data mirror (replaced atomically on each import)."""
        return self.state_dir / "mirror.sqlite"

    @property
    def secrets_path(self) -> Path:
        return self.state_dir / "secrets.toml"

    @property
    def sounds_dir(self) -> Path:
        """Where built prompts live; Asterisk's astdatadir/sounds points here."""
        return self.state_dir / "sounds"

    @property
    def agents_path(self) -> Path:
        """Agent accounts (names, tiers, credential hashes)."""
        return self.state_dir / "agents.sqlite"

    @property
    def complaints_path(self) -> Path:
        return self.state_dir / "complaints.sqlite"

    @property
    def recordings_dir(self) -> Path:
        """Complaint recordings, one WAV per ticket (written by Asterisk's RECORD FILE)."""
        return self.state_dir / "complaints"

    @property
    def call_recordings_dir(self) -> Path:
        """Agent-call recordings, one WAV per agent leg (written by Asterisk's MixMonitor)."""
        return self.state_dir / "call-recordings"

    @property
    def uploads_dir(self) -> Path:
        """Uploads being handled, one private folder each, removed when done."""
        return self.state_dir / "uploads"

    @property
    def controller_pidfile(self) -> Path:
        return self.state_dir / "controller.pid"


# The [section] tables of the TOML file and the settings class each one fills.
_SECTIONS: dict[str, type] = {
    "asterisk": AsteriskSettings,
    "agi": AgiSettings,
    "ivr": IvrSettings,
    "prompts": PromptSettings,
    "agents": AgentSettings,
    "complaints": ComplaintSettings,
    "campaigns": CampaignSettings,
    "web": WebSettings,
    "retention": RetentionSettings,
    "trunk": TrunkSettings,
    "database": DatabaseSettings,
    "cluster": ClusterSettings,
}


def load(
    file: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Build the one Config: defaults, then the TOML file, the environment, the CLI flags.

    ``overrides`` uses dotted keys (``{"agi.port": 4600, "state_dir": "/tmp/x"}``).
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = file or configfile.config_file(env, PROJECT_DIR / "hajj-ivr.toml")
    if path is not None:
        values.update(configfile.flatten(configfile.read_toml(path)))
    values.update(configfile.from_env(env, _all_keys()))
    values.update(overrides or {})
    return _build(values)


def _all_keys() -> list[str]:
    keys = [f.name for f in dataclasses.fields(Config) if f.name not in _SECTIONS]
    keys.remove("project_dir")
    for name, cls in _SECTIONS.items():
        keys += [f"{name}.{sub.name}" for sub in dataclasses.fields(cls)]
    return keys


def _build(values: Mapping[str, Any]) -> Config:
    unknown = sorted(set(values) - set(_all_keys()))
    if unknown:
        raise ConfigError(f"unknown configuration key {unknown[0]!r}")
    top: dict[str, Any] = {}
    sections: dict[str, dict[str, Any]] = {name: {} for name in _SECTIONS}
    for key, value in values.items():
        section, _, sub = key.partition(".")
        if sub:
            sections[section][sub] = value
        else:
            top[key] = value
    kwargs: dict[str, Any] = {k: _coerce(Config, k, v, k) for k, v in top.items()}
    for name, cls in _SECTIONS.items():
        items = sections[name].items()
        kwargs[name] = cls(**{k: _coerce(cls, k, v, f"{name}.{k}") for k, v in items})
    config = Config(**kwargs)
    _validate(config)
    return config


def _coerce(cls: type, name: str, value: Any, key: str) -> Any:
    default: Any = next(f.default for f in dataclasses.fields(cls) if f.name == name)
    return configfile.coerce(default, value, key)


def _validate(config: Config) -> None:
    ast, agi = config.asterisk, config.agi
    for key, port in [
        ("asterisk.ami_port", ast.ami_port),
        ("asterisk.http_port", ast.http_port),
        ("asterisk.https_port", ast.https_port),
        ("asterisk.sip_port", ast.sip_port),
        ("asterisk.rtp_start", ast.rtp_start),
        ("asterisk.rtp_end", ast.rtp_end),
        ("agi.port", agi.port),
        ("web.port", config.web.port),
    ]:
        if not 1 <= port <= 65535:
            raise ConfigError(f"{key} = {port} is not a TCP/UDP port (1-65535)")
    if not 0 <= agi.metrics_port <= 65535:
        raise ConfigError(f"agi.metrics_port = {agi.metrics_port} is not a TCP port (or 0: none)")
    _validate_rtp(ast)
    if not 0 < ast.originates_per_second <= 1000:
        raise ConfigError(
            f"asterisk.originates_per_second = {ast.originates_per_second} must be above 0"
            " and at most 1000"
        )
    # It goes into asterisk.conf and useradd: a plain system user name or nothing.
    if ast.run_user and not re.fullmatch(r"[a-z_][a-z0-9_-]{0,31}", ast.run_user):
        raise ConfigError(f'asterisk.run_user = {ast.run_user!r} is not a user name (or "")')
    # FastAGI carries no authentication: it must never listen beyond this machine.
    if not ipaddress.ip_address(agi.host).is_loopback:
        raise ConfigError(f"agi.host = {agi.host!r} must be a loopback address")
    if not config.ivr.hotline.isdigit():
        raise ConfigError(f"ivr.hotline = {config.ivr.hotline!r} must be digits")
    if "{number}" not in config.agents.callback_dial:
        raise ConfigError(
            f"agents.callback_dial = {config.agents.callback_dial!r} must contain {{number}}"
        )
    _validate_hours(config.agents)
    for key, days in dataclasses.asdict(config.retention).items():
        if days < 0:
            raise ConfigError(f"retention.{key} = {days} must be 0 (keep) or more days")
    _validate_web(config.web)
    _validate_uploads(config)
    _validate_limits(config)
    if not 1 <= config.ivr.low_rating <= 5:
        raise ConfigError(f"ivr.low_rating = {config.ivr.low_rating} must be a score, 1-5")
    if config.prompts.engine not in {"auto", "gtts", "espeak"}:
        raise ConfigError(f"prompts.engine = {config.prompts.engine!r}: use auto, gtts or espeak")
    _validate_trunk(config.trunk, config.ivr.hotline)


def _validate_rtp(ast: AsteriskSettings) -> None:
    # Asterisk gives each call an even RTP port and the odd one above for RTCP; a range
    # too small for max_calls refuses calls past its size with no hint why.
    if not 1024 <= ast.rtp_start < ast.rtp_end:
        raise ConfigError(
            f"asterisk.rtp_start..rtp_end = {ast.rtp_start}-{ast.rtp_end}: need"
            " 1024 <= rtp_start < rtp_end"
        )
    if ast.rtp_start % 2:
        raise ConfigError(f"asterisk.rtp_start = {ast.rtp_start} must be even (RTP ports are)")
    calls = (ast.rtp_end - ast.rtp_start + 1) // 2
    if calls < ast.max_calls:
        raise ConfigError(
            f"asterisk.rtp_start..rtp_end = {ast.rtp_start}-{ast.rtp_end} holds {calls} calls"
            f" (two ports each), fewer than asterisk.max_calls = {ast.max_calls}"
        )


def _validate_web(web: WebSettings) -> None:
    for key in (
        "session_minutes",
        "session_max_hours",
        "login_failures_per_name",
        "login_failures_per_address",
        "login_lock_minutes",
        "ready_mirror_max_days",
        "recordings_warn_mib",
    ):
        value = getattr(web, key)
        if value <= 0:
            raise ConfigError(f"web.{key} = {value} must be above 0")


def _validate_uploads(config: Config) -> None:
    for key, mib in [
        ("web.max_export_mib", config.web.max_export_mib),
        ("web.max_reply_mib", config.web.max_reply_mib),
    ]:
        if mib < 1:
            raise ConfigError(f"{key} = {mib} must be at least 1 (MiB)")
    seconds = config.complaints.reply_max_seconds
    if not 1 <= seconds <= REPLY_SECONDS_CEILING:
        raise ConfigError(
            f"complaints.reply_max_seconds = {seconds} must be 1-{REPLY_SECONDS_CEILING}:"
            " a reply must play within the AGI media timeout"
        )


def _validate_limits(config: Config) -> None:
    ivr, c, a = config.ivr, config.complaints, config.agents
    for key, value in [
        ("ivr.dob_lock_failures", ivr.dob_lock_failures),
        ("ivr.dob_lock_hours", ivr.dob_lock_hours),
        ("ivr.lookups_per_hour", ivr.lookups_per_hour),
        ("complaints.status_lock_failures", c.status_lock_failures),
        ("complaints.status_lock_hours", c.status_lock_hours),
        ("complaints.write_retry_seconds", c.write_retry_seconds),
        ("complaints.correction_record_seconds", c.correction_record_seconds),
        ("agents.callbacks_per_day", a.callbacks_per_day),
        ("prompts.pin_lock_failures", config.prompts.pin_lock_failures),
        ("prompts.pin_lock_hours", config.prompts.pin_lock_hours),
    ]:
        if value <= 0:
            raise ConfigError(f"{key} = {value} must be above 0")


def _validate_hours(agents: AgentSettings) -> None:
    try:
        hours.Schedule.from_settings(agents)
    except ValueError as e:
        raise ConfigError(f"agents: {e}") from None


# The codecs modules.conf loads translators for (and every prompt exists in, .alaw/.ulaw).
TRUNK_CODECS = ("alaw", "ulaw")
_NUMBER = re.compile(r"\+?\d{1,20}")
_HOST = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?")
_USER = re.compile(r"[A-Za-z0-9_.+-]{1,64}")


def _validate_trunk(trunk: TrunkSettings, hotline: str) -> None:
    """Every value goes into pjsip_trunk.conf or the dialplan as text: each is checked
    against what those files can hold, so a setting never injects a line."""
    if not trunk.enabled:
        if not trunk.anonymous:
            raise ConfigError(
                "trunk.anonymous = false needs trunk.addresses: no caller would reach the hotline"
            )
        return
    for address in trunk.address_list():
        try:
            network = ipaddress.ip_network(address, strict=False)
        except ValueError:
            raise ConfigError(
                f"trunk.addresses: {address!r} is not an IP address or network"
            ) from None
        if network.version != 4:  # the SIP transport listens on IPv4 only
            raise ConfigError(f"trunk.addresses: {address!r} is not IPv4")
    first = ipaddress.ip_network(trunk.address_list()[0], strict=False)
    if not trunk.host and first.num_addresses > 1:
        raise ConfigError("trunk.host is needed when the first of trunk.addresses is a network")
    if not _HOST.fullmatch(trunk.target()):
        raise ConfigError(f"trunk.host = {trunk.host!r} is not host or host:port")
    numbers = trunk.number_list(hotline)
    if len(set(numbers)) < len(numbers):
        raise ConfigError(f"trunk.numbers = {trunk.numbers!r} names a number twice")
    for number in (*numbers, trunk.callerid):
        if not _NUMBER.fullmatch(number):
            raise ConfigError(f"trunk: {number!r} is not a number (digits, a leading + at most)")
    if trunk.number_format not in {"national", "e164"}:
        raise ConfigError(f"trunk.number_format = {trunk.number_format!r}: use national or e164")
    codecs = trunk.codec_list()
    if not codecs or set(codecs) - set(TRUNK_CODECS):
        raise ConfigError(f"trunk.codecs = {trunk.codecs!r}: use some of {', '.join(TRUNK_CODECS)}")
    if trunk.username and not _USER.fullmatch(trunk.username):
        raise ConfigError(f"trunk.username = {trunk.username!r} is not a SIP user name")
    if trunk.register and not trunk.username:
        raise ConfigError("trunk.register = true needs trunk.username (the account registered)")
