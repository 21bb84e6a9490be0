"""The settings of each config section: frozen dataclasses with their defaults, each key
commented. ivr/config.py composes them into Config, loads and validates them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ivr import clustercheck, hours
from ivr.errors import ConfigError

# Root's home is 0700, out of reach of the user Asterisk drops to: as root the sandbox
# lives in /var/cache; anyone else keeps it in their own cache.
_SANDBOX_DIR = (
    Path("/var/cache/hajj-ivr/asterisk-sid")
    if os.geteuid() == 0
    else Path.home() / ".cache" / "hajj-ivr" / "asterisk-sid"
)


@dataclass(frozen=True)
class AsteriskSettings:
    # "auto": a system Asterisk (20+) when installed, else the sandbox built by `make setup`.
    binary: str = "auto"
    sandbox_dir: Path = _SANDBOX_DIR
    # Started as root, Asterisk drops to this system user (created by `make setup`) before
    # it loads a module; "" keeps it as root. Ignored when not started as root.
    run_user: str = "hajj-ivr"
    ami_port: int = 5038
    # Asterisk's own HTTP server, on 127.0.0.1, serving only res_prometheus's /metrics
    # (basic auth: <ami_user>-prometheus and the secrets' asterisk_metrics_password).
    http_port: int = 8088
    # The same server's TLS side on 127.0.0.1, for the browser phones' SIP over WebSocket
    # (wss, res_pjsip_transport_websocket) only: the web app proxies to it (ivr/web/phone.py).
    https_port: int = 8089
    # The AMI users are named <ami_user>-controller, -web, -desk and -calls.
    ami_user: str = "hajj-ivr"
    sip_bind: str = "127.0.0.1"
    sip_port: int = 5060
    # Each SIP call takes two ports (RTP, RTCP): the range must hold max_calls calls
    # (validated); 10000-13999 holds 2000. 10000-10999 capped a node at 500 calls.
    rtp_start: int = 10000
    rtp_end: int = 13999
    max_calls: int = 2000
    # Originates the controller sends a second at most (callbacks, campaigns), evenly
    # spaced: hundreds at once left Asterisk's answers past the 5 s action timeout.
    originates_per_second: float = 20.0
    # Longest a caller waits in the agent queue before Queue() gives up (seconds).
    queue_max_wait: int = 1800
    start_timeout: float = 30.0


@dataclass(frozen=True)
class AgiSettings:
    host: str = "127.0.0.1"
    port: int = 4573
    max_sessions: int = 2000
    header_timeout: float = 5.0
    command_timeout: float = 5.0
    # Prometheus /metrics of the hotline (calls, queues, agents, latencies) on
    # host:metrics_port, loopback only; 0 serves none (and measures nothing per call).
    metrics_port: int = 9425
    # true: every scrape must send "Authorization: Bearer <metrics_token>" (the secrets
    # file), for a machine whose other local users must not read it.
    metrics_token: bool = False


@dataclass(frozen=True)
class IvrSettings:
    hotline: str = "500425"
    # Seconds the caller has between two keys of a number before we take what was keyed.
    digit_timeout: float = 5.0
    # Seconds of silence before the first key of an entry counts as no entry.
    first_digit_timeout: float = 8.0
    # Tries at keying a porsi or a date of birth before a person takes over.
    max_tries: int = 3
    # Menus heard without any key before the IVR says goodbye.
    menu_rounds: int = 3
    # Kloter, documents and payment only after the pilgrim's date of birth is keyed.
    verify_birth_date: bool = True
    # Wrong dates of birth, across calls, per porsi and per caller number, before the
    # porsi (or the number) is locked for this many hours (ivr.guard).
    dob_lock_failures: int = 5
    dob_lock_hours: float = 24.0
    # Porsi lookups per caller number per hour (withheld numbers share one allowance).
    lookups_per_hour: int = 30
    # Satisfaction (ivr.ratings): after an agent hangs up the caller is asked to rate the
    # call 1-5; with rate_self_service also at the end of a call the IVR served alone. A
    # rating of low_rating or less flags the call for review on the wallboard.
    rate_self_service: bool = False
    low_rating: int = 2


@dataclass(frozen=True)
class PromptSettings:
    # "auto" tries gTTS (the production voice) and falls back to espeak-ng offline.
    engine: str = "auto"
    espeak_voice: str = "id"
    # Slow and clear for elderly callers (espeak-ng words per minute).
    espeak_speed: int = 135
    pin_lock_failures: int = 5  # wrong admin numbers/PINs at *79 (recording prompts by phone)
    pin_lock_hours: float = 24.0  # ... per phone and per admin, within this window: locked


@dataclass(frozen=True)
class AgentSettings:
    # Ring one agent this long before trying the next (app_queue timeout), then pause
    # `retry` seconds; `wrapup` seconds of rest after each call.
    ring_timeout: int = 15
    retry: int = 3
    wrapup: int = 5
    # Seconds in the queue before the caller is offered a callback (and then again).
    callback_after: int = 90
    # How a callback reaches the pilgrim: a Dial() string, {number} is the number to call.
    callback_dial: str = "Local/{number}@hajj-callback-out"
    # Tries at reaching the pilgrim, and the pause between two tries (seconds).
    callback_attempts: int = 3
    callback_retry: int = 300
    # Callback requests one number may make in 24 hours.
    callbacks_per_day: int = 3
    # Staffed hours (local time in `timezone`), the days they apply and closed dates.
    hours: str = "08:00-20:00"
    days: str = "mon,tue,wed,thu,fri,sat,sun"
    holidays: str = ""  # comma separated YYYY-MM-DD
    timezone: str = "Asia/Jakarta"


@dataclass(frozen=True)
class ComplaintSettings:
    # Hours a ticket may stay at each tier before it escalates on its own.
    sla_tier1_hours: float = 24.0
    sla_tier2_hours: float = 72.0
    sla_tier3_hours: float = 168.0
    # The caller's message: longest recording, and the silence that ends it (seconds).
    record_max_seconds: int = 120
    record_silence_seconds: int = 5
    correction_record_seconds: int = 30  # the short message with a data correction case
    # An officer's recorded reply: longer ones are refused at upload, so the status call
    # always plays it whole (at most REPLY_SECONDS_CEILING, under the AGI media timeout).
    reply_max_seconds: int = 90
    # Wrong ticket numbers or PINs asked by phone, per caller number and per ticket,
    # before the status by phone is locked for this many hours.
    status_lock_failures: int = 5
    status_lock_hours: float = 24.0
    # A phone ticket write retries a locked complaints.sqlite this long before it waits
    # in the spool (state_dir/complaints-spool.jsonl) for the next try.
    write_retry_seconds: float = 30.0


@dataclass(frozen=True)
class RetentionSettings:
    # Days personal data is kept before the daily purge deletes it (0: kept for ever, for a
    # legal hold). Why these defaults: docs/decisions.md, "Retention".
    calls_days: int = 90  # call rows, their transcripts, queue stays and ratings
    lookups_days: int = 90  # porsi keyed by callers
    callbacks_days: int = 30  # callback requests, counted from when they were done or failed
    # Counted from a complaint's closure: its recording, the officer's recorded reply, the
    # caller's number and porsi go; category, dates, state and history stay.
    closed_complaints_days: int = 180
    uploads_days: int = 1  # anything left in state_dir/uploads (a crashed import's files)
    campaigns_days: int = 30  # a finished campaign's calls (opt-outs: OPTOUT_DAYS, 2 years)
    recordings_days: int = 90  # agent-call recordings (MixMonitor) and their playback log


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8025
    # A login lasts this long without activity, and never longer than session_max_hours.
    session_minutes: int = 480
    session_max_hours: float = 12.0
    # Wrong passwords within login_lock_minutes that lock a name, or a client address (an
    # office behind one NAT shares one), until the oldest of them is that old.
    login_failures_per_name: int = 10
    login_failures_per_address: int = 100
    login_lock_minutes: float = 15.0
    # Served behind TLS (a reverse proxy): the session cookie is sent over HTTPS only.
    secure_cookies: bool = False
    # Upload caps (MiB): a data export (the national list zips to about 150 MiB), and an
    # officer's recorded reply. A larger upload is refused with 413 without being read.
    max_export_mib: int = 2048
    max_reply_mib: int = 20
    # /readyz says unready when the mirror's data is older, or the state dir's disk fuller.
    ready_mirror_max_days: int = 45
    ready_min_free_mib: int = 1024
    # The wallboard warns when agent-call recordings take more than this (MiB).
    recordings_warn_mib: int = 20480


@dataclass(frozen=True)
class DatabaseSettings:
    """Where the hotline's shared state lives (docs/decisions.md, "PostgreSQL")."""

    # "" keeps every store in SQLite files in state_dir (one node: the default). A
    # "postgresql://user:password@host:port/dbname" URL (libpq's form, ?host=/socket/dir
    # too) moves the stores several nodes share there (storefiles.PG_SCHEMAS).
    # The password is never logged (redacted_url); a password file (~/.pgpass,
    # PGPASSFILE) keeps it out of the config altogether.
    url: str = ""
    # Connections the controller keeps open to it (psycopg_pool), at most.
    pool_size: int = 4

    def __post_init__(self) -> None:
        _validate_database(self)

    @property
    def postgres(self) -> bool:
        return bool(self.url)


def redacted_url(url: str) -> str:
    """The URL with its password replaced by ***: what a log line or an error may show."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _validate_database(d: DatabaseSettings) -> None:
    if d.url:
        try:
            parts = urlsplit(d.url)
            parts.port  # noqa: B018 (a bad port raises here)
        except ValueError:
            raise ConfigError(f"database.url = {redacted_url(d.url)!r} is not a URL") from None
        if parts.scheme not in {"postgresql", "postgres"}:
            raise ConfigError(
                f"database.url = {redacted_url(d.url)!r}: only postgresql:// URLs"
                ' (or "" for SQLite files in state_dir)'
            )
        if not parts.path.strip("/"):
            raise ConfigError(
                f"database.url = {redacted_url(d.url)!r} names no database (…/dbname)"
            )
    if d.pool_size < 1:
        raise ConfigError(f"database.pool_size = {d.pool_size} must be at least 1")


@dataclass(frozen=True)
class CampaignSettings:
    """Schedule-change calls (ivr/campaigns/): pacing, hours, retries, the outbound route."""

    # Calls ringing or in progress at once, over every running campaign.
    at_once: int = 2
    # Calling hours, local time in agents.timezone, on these days (agents.holidays skipped).
    hours: str = "08:00-20:00"
    days: str = "mon,tue,wed,thu,fri,sat,sun"
    # Tries at each pilgrim in all (no answer, busy, failed, an answering machine), and
    # the pause between two (seconds).
    attempts: int = 3
    retry_after: int = 1800
    # How the call reaches the pilgrim (a Dial() string, {number} the number) and how long
    # it rings; only numbers [hajj-callback-allowed] accepts are dialled.
    dial: str = "Local/{number}@hajj-callback-out"
    ring_seconds: int = 30
    # Asterisk's AMD() on answer: an answering machine hears a short message and the
    # pilgrim is tried again later.
    detect_machines: bool = True
    # A campaign starts when an admin starts it; true: as soon as the import is in.
    auto_start: bool = False

    def __post_init__(self) -> None:
        _validate_campaigns(self)


@dataclass(frozen=True)
class TrunkSettings:
    """The carrier's SIP trunk (pjsip_trunk.conf, ivr/asterisk/trunk.py). No addresses: no
    trunk, and nothing about SIP changes. Why identify by address: docs/decisions.md."""

    # The carrier's SIP addresses or networks, comma separated ("203.0.113.10,
    # 198.51.100.0/28"): a request from one of them is the carrier's (PJSIP identify).
    addresses: str = ""
    # Where calls to pilgrims go (host or host:port); "": the first address, port 5060.
    host: str = ""
    # The number forms the carrier sends for the hotline, comma separated; "": ivr.hotline
    # and its national forms (500425, +62500425, 62500425, 0500425). Others get 404.
    numbers: str = ""
    # Register with the carrier (host) as `username`: only for a carrier that asks for it.
    register: bool = False
    # Digest auth towards the carrier; the password is trunk_password in the secrets file.
    username: str = ""
    # The caller ID (From and P-Asserted-Identity) of callbacks and schedule-change calls.
    callerid: str = "500425"
    # How a pilgrim's number is sent: "national" (0812...) or "e164" (+62812...).
    number_format: str = "national"
    codecs: str = "alaw,ulaw"  # offered and accepted, in this order (G.711 only)
    # false: no anonymous endpoint, only the carrier (and registered phones) reach the
    # hotline; true keeps SIP calls from anywhere (make run, SIPp) as before.
    anonymous: bool = True

    @property
    def enabled(self) -> bool:
        return bool(self.addresses.strip())

    def address_list(self) -> list[str]:
        return [a.strip() for a in self.addresses.split(",") if a.strip()]

    def number_list(self, hotline: str) -> list[str]:
        listed = [n.strip() for n in self.numbers.split(",") if n.strip()]
        return listed or [hotline, f"+62{hotline}", f"62{hotline}", f"0{hotline}"]

    def codec_list(self) -> list[str]:
        return [c.strip() for c in self.codecs.split(",") if c.strip()]

    def target(self) -> str:
        """host:port of the carrier's side: ``host``, else the first address on 5060."""
        if self.host:
            return self.host
        first = self.address_list()[0].split("/")[0]
        return f"{first}:5060"


@dataclass(frozen=True)
class CampaignHours:
    """Calling hours: the campaign's span and days, the agents' zone and holidays."""

    hours: str
    days: str
    holidays: str = ""
    timezone: str = "UTC"


def campaign_hours(c: CampaignSettings, agents: hours.HoursSettings) -> hours.Schedule:
    return hours.Schedule.from_settings(
        CampaignHours(c.hours, c.days, agents.holidays, agents.timezone)
    )


def _validate_campaigns(c: CampaignSettings) -> None:
    """Checked as the settings are built: an error names the key and the bad value."""
    if "{number}" not in c.dial:
        raise ConfigError(f"campaigns.dial = {c.dial!r} must contain {{number}}")
    for key in ("at_once", "attempts", "ring_seconds"):
        if getattr(c, key) <= 0:
            raise ConfigError(f"campaigns.{key} = {getattr(c, key)} must be above 0")
    if c.retry_after < 0:
        raise ConfigError(f"campaigns.retry_after = {c.retry_after} must be 0 or more seconds")
    try:
        hours.Schedule.from_settings(CampaignHours(c.hours, c.days))
    except ValueError as e:
        raise ConfigError(f"campaigns: {e}") from None


@dataclass(frozen=True)
class ClusterSettings:
    """This node's place in a cluster (ivr/cluster/, README "Cluster"). The defaults are one
    node on its own: nothing about SIP changes."""

    # "" one node (the default, make run); "ivr": takes its calls from Kamailio at
    # front_door; "agent": the node the agents' phones register to.
    role: str = ""
    # This node's name in the cluster; "": host:agi port (ivr.wiring.node_name).
    node: str = ""
    # Kamailio's SIP address "host:port": an IVR node takes its calls from it.
    front_door: str = ""
    # The IVR nodes' SIP addresses ("127.0.0.2:5060"), Kamailio dispatches calls over them.
    ivr_nodes: tuple[str, ...] = ()
    # The agent node's SIP address first, then its standby's.
    agent_nodes: tuple[str, ...] = ()
    # Seconds between Kamailio's OPTIONS probes to each node.
    ping_interval: int = 1
    # Seconds without a node's heartbeat before the other nodes close the calls and queue
    # stays it left open (ivr.silentnodes; with [database] url).
    silent_after: int = 60

    def __post_init__(self) -> None:
        clustercheck.validate(self)

    @property
    def behind_front_door(self) -> bool:
        """An IVR node taking its calls from Kamailio."""
        return self.role == "ivr" and bool(self.front_door)

    @property
    def hands_over(self) -> bool:
        """An IVR node handing calls that need a person to the agent nodes (the queues
        live there); an IVR node without agent nodes keeps its own queues."""
        return self.role == "ivr" and bool(self.agent_nodes)
