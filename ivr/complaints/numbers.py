"""Complaint ticket numbers and PINs: what a caller keys to hear where a complaint stands.

A number is ten digits: eight random ones and two check digits (ISO 7064 mod 97-10, as
in IBANs), so a mistyped digit is caught before any lookup and a caller cannot walk from
one ticket to the next. Tickets from before random numbers have eight digits (six of
sequence, two check digits); they still open on the dashboard, and by phone they are
answered by an officer (they have no PIN).

The PIN (four random digits) is the proof that a caller filed the ticket: it is read to
them at filing and keyed with the number to hear the status or the officer's reply. It is
stored as HMAC-SHA256 under a secret of the state dir (``secrets.toml``, ``pin_secret``):
four digits are too few for any hash to hide offline, so the key keeps a copy of
complaints.sqlite alone from revealing PINs, and the limit on wrong PINs by phone
(``ivr.guard``) keeps them from being guessed online.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

NUMBER_DIGITS, LEGACY_DIGITS, PIN_DIGITS = 10, 8, 4
_PIN_KIND = "hmac-sha256"


def check_digits(body: int) -> str:
    return f"{98 - (body * 100) % 97:02d}"


def number_for(body: int, digits: int = NUMBER_DIGITS) -> str:
    """The ticket number of ``body`` (``digits`` long in all, check digits included)."""
    return f"{body:0{digits - 2}d}{check_digits(body)}"


def new_number() -> str:
    return number_for(secrets.randbelow(10 ** (NUMBER_DIGITS - 2)))


def valid_number(number: str) -> bool:
    """Ten digits (or eight, an older ticket) whose last two are the check digits."""
    if len(number) not in (NUMBER_DIGITS, LEGACY_DIGITS) or not number.isdigit():
        return False
    return check_digits(int(number[:-2])) == number[-2:]


def legacy(number: str) -> bool:
    """An eight-digit number from before random numbers and PINs."""
    return len(number) == LEGACY_DIGITS


def new_pin() -> str:
    return f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"


def pin_hash(key: bytes, number: str, pin: str) -> str:
    """What is stored for ``pin`` (bound to its ticket: the same PIN differs per ticket)."""
    digest = hmac.new(key, f"{number}:{pin}".encode(), hashlib.sha256).hexdigest()
    return f"{_PIN_KIND}${digest}"


def pin_ok(key: bytes, number: str, pin: str, stored: str) -> bool:
    if not stored.startswith(f"{_PIN_KIND}$") or len(pin) != PIN_DIGITS:
        return False
    return hmac.compare_digest(pin_hash(key, number, pin), stored)
