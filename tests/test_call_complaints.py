"""Complaints over real calls: record one and hear its number and PIN, ask its status with
both (and nothing without the PIN), guessing gets locked, hang up while recording; then an
agent handles it in the browser."""

from __future__ import annotations

import os
import sqlite3
import stat
import time
import wave
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from ivr import speech
from ivr.complaints import numbers, replies
from ivr.complaints import tickets as tickets_mod
from ivr.complaints.tickets import Ticket, Tickets
from ivr.files import run_account
from ivr.prompts.catalog import Catalog
from tests.rig import web
from tests.rig.browser import browser_login
from tests.rig.hotline import Hotline, Scenario

pytestmark = pytest.mark.asterisk

# Main menu 3 (complaints), 1 (new), category 3 (catering), 2 (no porsi); then the caller
# speaks (music) through the beep until record_max_seconds, keys nothing more: sent.
FILE = "3W1W3W2"
NUMBER_SAID = "Pengaduan Anda telah kami terima. Nomor pengaduan Anda adalah"
PIN_SAID = "PIN pengaduan Anda adalah"
WRONG_PAIR = "Maaf, nomor pengaduan atau PIN tidak sesuai."
LOCKED = "Maaf, demi keamanan, status pengaduan tidak dapat diperiksa"
TO_AGENT = "Mohon tunggu, Anda akan kami sambungkan dengan petugas."
STATES = (
    "Pengaduan Anda sudah kami terima",
    "Pengaduan Anda sedang",
    "Pengaduan Anda telah selesai",
    "Pengaduan Anda tidak dapat",
)


def ticket_of(hotline: Hotline, call_id: str) -> Ticket:
    found = [t for t in desk_of(hotline).search() if t.call_id == call_id]
    assert found, f"no ticket for {call_id}"
    return found[0]


def desk_of(hotline: Hotline) -> Tickets:
    return tickets_mod.for_config(hotline.config)


def pin_of(hotline: Hotline, ticket: Ticket) -> str:
    """The PIN the caller heard: only its keyed hash is stored, and the test has the key."""
    desk = desk_of(hotline)
    return next(p for p in (f"{n:04d}" for n in range(10_000)) if desk.pin_ok(ticket, p))


def digits_spoken(hotline: Hotline, number: str) -> list[str]:
    catalog = Catalog.load(hotline.config.prompts_dir)
    return [catalog[speech.DIGITS[d]].text for d in number]


def ask(number: str, pin: str = "", then: str = "") -> str:
    """Main menu 3, 2 (status), the number and #, the PIN; ``then`` keys after."""
    return f"3W2{'W' * 7}{number}#{'W' * 4}{pin}{then}"


def heard_a_state(lines: list[str]) -> bool:
    return any(line.startswith(STATES) for line in lines)


def said(*texts: str) -> Callable[[list[str]], bool]:
    return lambda lines: any(line.startswith(texts) for line in lines)


@pytest.fixture(scope="module")
def filed(hotline: Hotline) -> Ticket:
    result = hotline.call(FILE, caller_id='"Uji" <0811000020>', timeout=90, audio=True)
    return ticket_of(hotline, result.call_id)


def test_complaint_recorded_by_phone_with_its_number_and_pin_read_twice(
    hotline: Hotline, filed: Ticket
) -> None:
    assert (filed.category, filed.source, filed.caller, filed.partial) == (
        "catering",
        "phone",
        "0811000020",
        False,
    )
    assert len(filed.number) == 10 and numbers.valid_number(filed.number)
    recording = hotline.config.recordings_dir / filed.recording
    with wave.open(str(recording)) as w:  # a real WAV file Asterisk wrote
        assert w.getframerate() == 8000 and w.getnframes() > 0
    said = hotline.spoken(filed.call_id)
    first = said.index(NUMBER_SAID)
    digits = digits_spoken(hotline, filed.number)
    assert said[first + 1 : first + 11] == digits  # one digit per utterance: slowly
    again = said.index("Sekali lagi, nomor pengaduan Anda adalah")
    assert said[again + 1 : again + 11] == digits
    # The PIN after the number, twice; the call log keeps no trace of its digits.
    pin = said.index(PIN_SAID)
    assert pin > again and said[pin + 1 : pin + 5] == ["(angka PIN)"] * 4
    assert (
        said[said.index("Sekali lagi, PIN pengaduan Anda adalah") + 1 :][:4] == ["(angka PIN)"] * 4
    )
    assert filed.pin_hash and pin_of(hotline, filed) not in filed.pin_hash
    _, lines = hotline.record(filed.call_id)
    hidden = [x for x in lines if x.text == "(angka PIN)"]
    assert len(hidden) == 8 and all(x.prompts == "" for x in hidden)  # no digit-N ids either


def test_complaint_status_without_the_pin_hears_nothing_of_the_ticket(
    hotline: Hotline, filed: Ticket
) -> None:
    desk = desk_of(hotline)
    desk.resolve(desk.get(filed.number), "siti", "resolution-refund")
    # A stranger who has the number (or guessed it) keys no PIN, then a wrong one.
    no_pin = hotline.spoken(_status_call(hotline, ask(filed.number), "081100080010"))
    _hears_nothing_of_the_ticket(no_pin)
    wrong = f"{(int(pin_of(hotline, filed)) + 1) % 10_000:04d}"
    _hears_nothing_of_the_ticket(
        hotline.spoken(_status_call(hotline, ask(filed.number, wrong), "081100080011"))
    )


def _hears_nothing_of_the_ticket(lines: list[str]) -> None:
    assert not heard_a_state(lines)
    assert not any(line.startswith("Pengembalian dana") for line in lines)
    assert WRONG_PAIR in lines


def _status_call(hotline: Hotline, keys: str, caller: str) -> str:
    scenario = Scenario(keys, said(WRONG_PAIR, "Pengaduan Anda"), 60, f'"Uji" <{caller}>')
    return hotline.calls({"status": scenario})["status"].call_id


def test_complaint_status_with_the_pin_says_its_state_and_resolution(
    hotline: Hotline, filed: Ticket
) -> None:
    result = hotline.call(ask(filed.number, pin_of(hotline, filed)), timeout=60)
    said = hotline.spoken(result.call_id)
    assert "Pengaduan Anda telah selesai ditangani." in said
    assert any(line.startswith("Pengembalian dana Anda telah diproses") for line in said)


def test_complaint_status_plays_the_officers_recorded_reply(
    hotline: Hotline, tmp_path: Path
) -> None:
    desk = desk_of(hotline)
    ticket = desk.open(source="agent", category="payment", who="siti", caller="0811000021")
    spoken = web.tone_wav(tmp_path / "balasan.wav", 2)  # the officer's voice
    reply = replies.store(hotline.config.recordings_dir, ticket.number, spoken, "b.wav", 90)
    desk.resolve(ticket, "rahmat", "", reply=reply)
    result = hotline.call(ask(ticket.number, ticket.pin), timeout=60)
    said = hotline.spoken(result.call_id)
    # One utterance: the introduction, then the recording (its transcript stand-in).
    at = said.index(f"Berikut balasan dari petugas kami. {replies.HEARD}")
    # Asterisk played the file (a missing one fails the call to an agent): the flow went on.
    assert Catalog.load(hotline.config.prompts_dir)["complaint-officer"].text in said[at:]
    row, _ = hotline.record(result.call_id)
    assert row is not None and row.outcome == "served"


def test_complaint_caller_asks_for_an_officer_who_sees_the_ticket_number(
    hotline: Hotline, filed: Ticket
) -> None:
    keys = ask(filed.number, pin_of(hotline, filed), "W" * 8 + "0")
    result = hotline.call(keys, timeout=60, end_on="UserEvent")  # HajjToAgent
    handed = [e for e in result.events if e.get("UserEvent") == "HajjToAgent"]
    assert handed and handed[0]["Ticket"] == filed.number
    assert handed[0]["Reason"] == "complaint_request"


def test_complaint_mistyped_number_is_caught_by_its_check_digits(
    hotline: Hotline, filed: Ticket
) -> None:
    wrong = filed.number[:-1] + str((int(filed.number[-1]) + 1) % 10)
    result = hotline.call(ask(wrong) + "WWWWWW", timeout=30)
    lines = hotline.spoken(result.call_id)
    assert "Maaf, nomor pengaduan tersebut tidak benar. Mohon periksa kembali nomor Anda." in lines


def test_complaint_ticket_from_before_pins_is_told_by_an_officer(hotline: Hotline) -> None:
    legacy = numbers.number_for(41, digits=numbers.LEGACY_DIGITS)  # eight digits, no PIN
    with closing(sqlite3.connect(hotline.config.complaints_path)) as db:
        db.execute(
            "INSERT INTO tickets (number, created_at, updated_at, source, category, due_at) "
            "VALUES (?, ?, ?, 'phone', 'transport', ?)",
            (legacy, time.time(), time.time(), time.time() + 86400),
        )
        db.commit()
    result = hotline.call(ask(legacy, "1234"), timeout=60, end_on="UserEvent")
    lines = hotline.spoken(result.call_id)
    assert any(line.startswith("Pengaduan ini terdaftar sebelum adanya PIN") for line in lines)
    assert not heard_a_state(lines)
    handed = [e for e in result.events if e.get("UserEvent") == "HajjToAgent"]
    assert handed and (handed[0]["Reason"], handed[0]["Ticket"]) == ("complaint_no_pin", legacy)
    assert desk_of(hotline).get(legacy).pin_hash == ""  # agents still open it by number


@pytest.fixture(scope="module")
def guessing(hotline: Hotline) -> dict[str, tuple[Ticket, str]]:
    """PINs of one ticket guessed from two numbers, and made-up numbers from a third, all
    at once (three tries a call, six in all: the limit is five); then the ticket's owner,
    and the number guesser with a real pair, call. Call ids by name, with their ticket."""
    desk = desk_of(hotline)
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
    results = hotline.calls(guesses)
    owners = {
        "pin-owner": Scenario(ask(target.number, target.pin), said(LOCKED), 60, '"D" <0811000805>'),
        "num-owner": Scenario(ask(other.number, other.pin), said(LOCKED), 60, '"C" <081100080003>'),
    }
    results |= hotline.calls(owners)
    return {
        name: (target if name.startswith("pin") else other, result.call_id)
        for name, result in results.items()
    }


@pytest.mark.parametrize("owner", ["pin-owner", "num-owner"])
def test_complaint_guessing_locks_the_ticket_and_the_number(
    hotline: Hotline, guessing: dict[str, tuple[Ticket, str]], owner: str
) -> None:
    _, call_id = guessing[owner]
    lines = hotline.spoken(call_id)
    assert any(line.startswith(LOCKED) for line in lines) and not heard_a_state(lines)
    row, _ = hotline.record(call_id)
    assert row is not None and row.reason == "complaint_locked"
    kind = owner.split("-")[0]
    wrong = sum(
        hotline.notes(guessing[f"{kind}-{x}"][1]).count("complaint number or PIN wrong")
        for x in "ab"
    )
    assert wrong == hotline.config.complaints.status_lock_failures


def test_complaint_hang_up_while_recording_still_makes_a_flagged_ticket(
    hotline: Hotline, filed: Ticket
) -> None:
    def recording(lines: list[str]) -> bool:
        return any(
            line.startswith("Silakan sampaikan pengaduan Anda setelah nada") for line in lines
        )

    result = hotline.calls({"hangup": Scenario("3W1W5W2", recording)})["hangup"]
    ticket = ticket_of(hotline, result.call_id)
    assert ticket.partial and ticket.recording == f"{ticket.number}.wav"
    assert ticket.category == "documents"
    # The next ticket's number says nothing of the one before: random, check digits kept.
    assert numbers.valid_number(ticket.number) and len(ticket.number) == 10
    assert abs(int(ticket.number[:8]) - int(filed.number[:8])) > 1
    assert "complaint recording: caller hung up (kept, flagged)" in hotline.notes(result.call_id)


def test_browser_agent_plays_the_recording_and_escalates_tier_2_sees_it(
    hotline: Hotline, filed: Ticket, browser: WebDriver, tmp_path: Path
) -> None:
    desk = desk_of(hotline)
    ticket = desk.open(source="phone", category="transport", who="caller", caller="0811000021")
    source = hotline.config.recordings_dir / filed.recording
    target = hotline.config.recordings_dir / f"{ticket.number}.wav"
    target.write_bytes(source.read_bytes())
    ticket = desk.recorded(ticket, target.name, partial=False)
    passwords = {name: hotline.add_agent(name, tier) for name, tier in (("wati", 1), ("yusuf", 2))}

    browser_login(browser, hotline, "wati", passwords["wati"].web)
    browser.get(f"{hotline.web_url}/complaints")
    browser.find_element(By.LINK_TEXT, ticket.number).click()
    # The recording plays in the browser (the page's audio element loads it).
    playing = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const a = document.getElementById('recording');"
        "a.muted = true;"
        "a.play().then(() => setTimeout(() => done([a.currentTime, a.duration]), 700))"
        ".catch(e => done(String(e)));"
    )
    assert isinstance(playing, list) and playing[0] > 0 and playing[1] > 0, playing
    browser.find_element(By.ID, "escalate").click()
    WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith("/complaints"))
    assert ticket.number not in browser.find_element(By.ID, "tickets").text  # not tier 1's now
    assert desk.get(ticket.number).tier == 2

    browser.delete_all_cookies()
    browser_login(browser, hotline, "yusuf", passwords["yusuf"].web)
    browser.get(f"{hotline.web_url}/complaints")
    assert ticket.number in browser.find_element(By.ID, "tickets").text
    history = [c.action for c in desk.history(desk.get(ticket.number))]
    assert history[-1] == "escalated to tier 2"
    # The recording is not for anyone without a login.
    answer = httpx.get(f"{hotline.web_url}/complaints/{ticket.number}/recording")
    assert answer.status_code == 401


def test_complaint_recording_belongs_to_asterisks_user_alone(
    hotline: Hotline, filed: Ticket
) -> None:
    """Asterisk wrote it (RECORD FILE) with the umask it was started with: 0600."""
    info = (hotline.config.recordings_dir / filed.recording).stat()
    account = run_account(hotline.config)
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert info.st_uid == (account.uid if account else os.geteuid())
