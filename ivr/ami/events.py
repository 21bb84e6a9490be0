"""Reading AMI events: channel variables that Asterisk attaches to them.

manager.conf's ``channelvars`` makes every channel event carry the HAJJ_* variables of its
channel as repeated ``ChanVariable: NAME=value`` headers (``DestChanVariable`` for the
other party); AmiClient joins repeated headers with newlines.
"""

from __future__ import annotations

from collections.abc import Mapping


def variables(event: Mapping[str, str], header: str = "ChanVariable") -> dict[str, str]:
    found: dict[str, str] = {}
    for line in event.get(header, "").splitlines():
        name, sep, value = line.partition("=")
        if sep:
            found[name.strip()] = value
    return found


def number(event: Mapping[str, str], key: str, default: float = 0.0) -> float:
    try:
        return float(event.get(key, ""))
    except ValueError:
        return default
