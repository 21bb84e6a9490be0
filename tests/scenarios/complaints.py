"""Complaints by phone, for both tiers: file one and hear its number and PIN, ask its
status with both (and nothing without the PIN), hear an officer's recorded reply, guessing
gets locked, a ticket from before PINs, a hang-up while recording.

The calls every tier makes (``at_once``) are placed together, each ending as soon as its
check has what it needs; the other checks place their own calls."""

from __future__ import annotations

import sqlite3
import time
import wave
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from ivr import speech
from ivr.complaints import numbers, replies
from ivr.complaints import tickets as tickets_mod
from ivr.complaints.tickets import Ticket, Tickets
from ivr.data.sample import FIXED_PILGRIMS
from ivr.prompts.catalog import Catalog
from ivr.testcall import CallResult
from tests.rig import web
from tests.rig.hotline import Scenario
from tests.scenarios.tier import Tier, guard_of

# Main menu 3 (complaints), 1 (new), category 3 (catering), 2 (no porsi); then the caller
# speaks (music) through the beep until record_max_seconds, keys nothing more: sent.
FILE = "3W1W3W2"
NUMBER_SAID = "Pengaduan Anda telah kami terima. Nomor pengaduan Anda adalah"
PIN_SAID = "PIN pengaduan Anda adalah"
PIN_AGAIN = "Sekali lagi, PIN pengaduan Anda adalah"
WRONG_PAIR = "Maaf, nomor pengaduan atau PIN tidak sesuai."
LOCKED = "Maaf, demi keamanan, status pengaduan tidak dapat diperiksa"
TO_AGENT = "Mohon tunggu, Anda akan kami sambungkan dengan petugas."
RECORDING = "Silakan sampaikan pengaduan Anda setelah nada"
STATES = (
    "Pengaduan Anda sudah kami terima",
    "Pengaduan Anda sedang",
    "Pengaduan Anda telah selesai",
    "Pengaduan Anda tidak dapat",
)
SOC = FIXED_PILGRIMS[0]
Guesses = dict[str, tuple[Ticket, str]]  # call name -> (the ticket it was about, call id)
Calls = Mapping[str, CallResult]


def desk_of(tier: Tier) -> Tickets:
    return tickets_mod.for_config(tier.config)


def ticket_of(tier: Tier, call_id: str) -> Ticket:
    found = [t for t in desk_of(tier).search() if t.call_id == call_id]
    assert found, f"no ticket for {call_id}"
    return found[0]


def pin_of(tier: Tier, ticket: Ticket) -> str:
    """The PIN the caller heard: only its keyed hash is stored, and the test has the key."""
    desk = desk_of(tier)
    return next(p for p in (f"{n:04d}" for n in range(10_000)) if desk.pin_ok(ticket, p))


def digits_spoken(tier: Tier, number: str) -> list[str]:
    catalog = Catalog.load(tier.config.prompts_dir)
    return [catalog[speech.DIGITS[d]].text for d in number]


def ask(number: str, pin: str = "", then: str = "") -> str:
    """Main menu 3, 2 (status), the number and #, the PIN; ``then`` keys after."""
    return f"3W2{'W' * 7}{number}#{'W' * 4}{pin}{then}"


def heard_a_state(lines: list[str]) -> bool:
    return any(line.startswith(STATES) for line in lines)


def said(*texts: str) -> Callable[[list[str]], bool]:
    return lambda lines: any(line.startswith(texts) for line in lines)


def pin_told_twice(lines: list[str]) -> bool:
    return PIN_AGAIN in lines and len(lines) > lines.index(PIN_AGAIN) + 4


@dataclass(frozen=True)
class AtOnce:
    """The calls of both tiers, placed together: a complaint filed ("file"), a stranger
    without the PIN ("no-pin") and one with a wrong PIN ("wrong-pin"), the owner of a
    resolved ticket with an officer's reply ("reply"), the owner of a ticket locked by
    others' guessing ("locked"). ``tickets``: the ticket each status call asks about."""

    scenarios: dict[str, Scenario]
    tickets: dict[str, Ticket]


def at_once(tier: Tier, workdir: Path) -> AtOnce:
    desk = desk_of(tier)
    stranger = desk.open(source="agent", category="payment", who="siti", caller="0811000025")
    desk.resolve(stranger, "siti", "resolution-refund")  # something a stranger would hear
    wrong = f"{(int(stranger.pin) + 1) % 10_000:04d}"
    replied = desk.open(source="agent", category="payment", who="siti", caller="0811000021")
    voice = web.tone_wav(workdir / "balasan.wav", 2)  # the officer's voice
    reply = replies.store(tier.config.recordings_dir, replied.number, voice, "b.wav", 90)
    desk.resolve(replied, "rahmat", "", reply=reply)
    locked = locked_ticket(tier)
    ended = said(WRONG_PAIR, "Pengaduan Anda")
    scenarios = {
        "file": Scenario(FILE, pin_told_twice, 90, '"Uji" <0811000020>', audio=True),
        "no-pin": Scenario(ask(stranger.number), ended, 60, '"Uji" <081100080010>'),
        "wrong-pin": Scenario(ask(stranger.number, wrong), ended, 60, '"Uji" <081100080011>'),
        # To its natural end: the reply played, the flow went on, the call was served.
        "reply": Scenario(ask(replied.number, replied.pin), None, 60, '"Uji" <0811000021>'),
        "locked": Scenario(
            ask(locked.number, locked.pin), said(LOCKED, "Pengaduan"), 60, '"Uji" <081100080020>'
        ),
    }
    tickets = {"no-pin": stranger, "wrong-pin": stranger, "reply": replied, "locked": locked}
    return AtOnce(scenarios, tickets)


def locked_ticket(tier: Tier) -> Ticket:
    """A ticket whose PIN others got wrong as often as the limit allows: locked."""
    ticket = desk_of(tier).open(source="agent", category="health", who="siti")
    with guard_of(tier) as guard:
        for n in range(tier.config.complaints.status_lock_failures):
            guard.status_failed(f"081100081{n:03d}", ticket.number)
    return ticket


# --- checks ------------------------------------------------------------------------------


def check_recorded_by_phone(tier: Tier, filed: Ticket) -> None:
    assert (filed.category, filed.source, filed.caller, filed.partial) == (
        "catering",
        "phone",
        "0811000020",
        False,
    )
    assert len(filed.number) == 10 and numbers.valid_number(filed.number)
    recording = tier.config.recordings_dir / filed.recording
    with wave.open(str(recording)) as w:  # a WAV file RECORD FILE wrote
        assert w.getframerate() == 8000 and w.getnframes() > 0
    lines = tier.spoken(filed.call_id)
    first = lines.index(NUMBER_SAID)
    digits = digits_spoken(tier, filed.number)
    assert lines[first + 1 : first + 11] == digits  # one digit per utterance: slowly
    again = lines.index("Sekali lagi, nomor pengaduan Anda adalah")
    assert lines[again + 1 : again + 11] == digits
    # The PIN after the number, twice; the call log keeps no trace of its digits.
    pin = lines.index(PIN_SAID)
    assert pin > again and lines[pin + 1 : pin + 5] == ["(angka PIN)"] * 4
    pin_again = lines.index(PIN_AGAIN)
    assert lines[pin_again + 1 : pin_again + 5] == ["(angka PIN)"] * 4
    assert filed.pin_hash and pin_of(tier, filed) not in filed.pin_hash
    _, transcript = tier.record(filed.call_id)
    hidden = [x for x in transcript if x.text == "(angka PIN)"]
    assert len(hidden) == 8 and all(x.prompts == "" for x in hidden)  # no digit-N ids either


def check_status_without_the_pin_hears_nothing_of_the_ticket(tier: Tier, calls: Calls) -> None:
    """A stranger who has the number (or guessed it) keys no PIN, another a wrong one; the
    ticket is resolved, so its state and resolution would be there to hear."""
    for name in ("no-pin", "wrong-pin"):
        lines = tier.spoken(calls[name].call_id)
        assert not heard_a_state(lines)
        assert not any(line.startswith("Pengembalian dana") for line in lines)
        assert WRONG_PAIR in lines


def check_status_with_the_pin_says_state_and_resolution(tier: Tier) -> None:
    desk = desk_of(tier)
    ticket = desk.open(source="agent", category="payment", who="siti", caller="0811000024")
    result = tier.call(ask(ticket.number, ticket.pin), timeout=60)
    assert "Pengaduan Anda sudah kami terima dan menunggu untuk diperiksa." in tier.spoken(
        result.call_id
    )
    desk.resolve(desk.get(ticket.number), "siti", "resolution-refund")
    result = tier.call(ask(ticket.number, ticket.pin), timeout=60)
    lines = tier.spoken(result.call_id)
    assert "Pengaduan Anda telah selesai ditangani." in lines
    assert any(line.startswith("Pengembalian dana Anda telah diproses") for line in lines)


def check_status_plays_the_officers_reply(tier: Tier, calls: Calls) -> None:
    call_id = calls["reply"].call_id
    lines = tier.spoken(call_id)
    # One utterance: the introduction, then the recording (its transcript stand-in).
    at = lines.index(f"Berikut balasan dari petugas kami. {replies.HEARD}")
    # The file was played (a missing one fails the call to an agent): the flow went on.
    assert Catalog.load(tier.config.prompts_dir)["complaint-officer"].text in lines[at:]
    row, _ = tier.record(call_id)
    assert row is not None and row.outcome == "served"


def check_officer_sees_the_ticket_number(tier: Tier, filed: Ticket) -> None:
    keys = ask(filed.number, pin_of(tier, filed), "W" * 8 + "0")
    result = tier.call(keys, timeout=60, end_on="UserEvent")  # HajjToAgent
    handed = [e for e in result.events if e.get("UserEvent") == "HajjToAgent"]
    assert handed and handed[0]["Ticket"] == filed.number
    assert handed[0]["Reason"] == "complaint_request"


def check_mistyped_number_caught_by_its_check_digits(tier: Tier, filed: Ticket) -> None:
    wrong = filed.number[:-1] + str((int(filed.number[-1]) + 1) % 10)
    result = tier.call(ask(wrong) + "WWWWWW", timeout=30)
    lines = tier.spoken(result.call_id)
    assert "Maaf, nomor pengaduan tersebut tidak benar. Mohon periksa kembali nomor Anda." in lines


def check_ticket_from_before_pins_is_told_by_an_officer(tier: Tier) -> None:
    legacy = numbers.number_for(41, digits=numbers.LEGACY_DIGITS)  # eight digits, no PIN
    with closing(sqlite3.connect(tier.config.complaints_path)) as db:
        db.execute(
            "INSERT INTO tickets (number, created_at, updated_at, source, category, due_at) "
            "VALUES (?, ?, ?, 'phone', 'transport', ?)",
            (legacy, time.time(), time.time(), time.time() + 86400),
        )
        db.commit()
    result = tier.call(ask(legacy, "1234"), timeout=60, end_on="UserEvent")
    lines = tier.spoken(result.call_id)
    assert any(line.startswith("Pengaduan ini terdaftar sebelum adanya PIN") for line in lines)
    assert not heard_a_state(lines)
    handed = [e for e in result.events if e.get("UserEvent") == "HajjToAgent"]
    assert handed and (handed[0]["Reason"], handed[0]["Ticket"]) == ("complaint_no_pin", legacy)
    assert desk_of(tier).get(legacy).pin_hash == ""  # agents still open it by number


def guess(tier: Tier) -> Guesses:
    """PINs of one ticket guessed from two numbers, and made-up numbers from a third, all
    at once (three tries a call, six in all: the limit is five); then the ticket's owner,
    and the number guesser with a real pair, call. Call ids by name, with their ticket."""
    desk = desk_of(tier)
    target = desk.open(source="agent", category="health", who="siti")
    other = desk.open(source="agent", category="other", who="siti")
    wrong = [f"{(int(target.pin) + k) % 10_000:04d}" for k in (1, 2, 3)]
    made_up = [numbers.number_for(n) for n in (11111111, 22222222, 33333333)]
    tries = "".join(f"{n}#{'W' * 4}{p}{'W' * 6}" for n, p in zip(made_up, wrong, strict=True))
    pins = "".join(f"{target.number}#{'W' * 4}{p}{'W' * 6}" for p in wrong)
    ended = said(LOCKED, TO_AGENT)  # locked, or out of tries before the lock
    guesses = {
        "pin-a": Scenario("3W2" + "W" * 7 + pins, ended, 150, '"A" <081100080001>'),
        "pin-b": Scenario("3W2" + "W" * 7 + pins, ended, 150, '"B" <081100080002>'),
        "num-a": Scenario("3W2" + "W" * 7 + tries, ended, 150, '"C" <081100080003>'),
        "num-b": Scenario("3W2" + "W" * 7 + tries, ended, 150, '"C" <081100080003>'),
    }
    results = tier.calls(guesses)
    owners = {
        "pin-owner": Scenario(ask(target.number, target.pin), said(LOCKED), 60, '"D" <0811000805>'),
        "num-owner": Scenario(ask(other.number, other.pin), said(LOCKED), 60, '"C" <081100080003>'),
    }
    results |= tier.calls(owners)
    return {
        name: (target if name.startswith("pin") else other, result.call_id)
        for name, result in results.items()
    }


def check_guessing_locks_at_the_limit(tier: Tier, guesses: Guesses, owner: str) -> None:
    """``owner``: pin-owner (the ticket is locked) or num-owner (the number is)."""
    _, call_id = guesses[owner]
    lines = tier.spoken(call_id)
    assert any(line.startswith(LOCKED) for line in lines) and not heard_a_state(lines)
    row, _ = tier.record(call_id)
    assert row is not None and row.reason == "complaint_locked"
    kind = owner.split("-")[0]
    wrong = sum(
        tier.notes(guesses[f"{kind}-{x}"][1]).count("complaint number or PIN wrong") for x in "ab"
    )
    assert wrong == tier.config.complaints.status_lock_failures  # not one try more


def check_locked_ticket_refuses_its_own_pin(tier: Tier, calls: Calls) -> None:
    """Others guessed this ticket's PIN up to the limit: its owner, from a number that never
    tried, keys the right PIN and hears nothing of the ticket; an officer takes over."""
    call_id = calls["locked"].call_id
    lines = tier.spoken(call_id)
    assert any(line.startswith(LOCKED) for line in lines) and not heard_a_state(lines)
    row, _ = tier.record(call_id)
    assert row is not None and row.reason == "complaint_locked"
    assert "complaint number or PIN wrong" not in tier.notes(call_id)


def check_hang_up_while_recording_keeps_a_flagged_ticket(tier: Tier, filed: Ticket) -> None:
    result = tier.calls({"hangup": Scenario("3W1W5W2", said(RECORDING))})["hangup"]
    ticket = ticket_of(tier, result.call_id)
    assert ticket.partial and ticket.recording == f"{ticket.number}.wav"
    assert ticket.category == "documents"
    # The next ticket's number says nothing of the one before: random, check digits kept.
    assert numbers.valid_number(ticket.number) and len(ticket.number) == 10
    assert abs(int(ticket.number[:8]) - int(filed.number[:8])) > 1
    assert "complaint recording: caller hung up (kept, flagged)" in tier.notes(result.call_id)
