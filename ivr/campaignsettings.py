"""The [campaigns] settings (schedule-change calls, ivr/campaigns/) and their checks; a
section of ivr.config kept in its own module."""

from __future__ import annotations

from dataclasses import dataclass

from ivr import hours
from ivr.errors import ConfigError


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
        validate(self)


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


def validate(c: CampaignSettings) -> None:
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
