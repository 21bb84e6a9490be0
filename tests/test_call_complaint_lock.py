"""A locked complaints.sqlite stalls no call and loses no complaint, over real calls.

Something else (the dashboard, a backup, an admin's sqlite3 shell) holds the store's write
lock for several seconds while one caller files a complaint and another looks a porsi up.
The lookup goes on during the lock; the ticket is written once the lock is gone, with the
number the caller heard. (The writer's retries and spool: test_complaint_writer.)
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing

import pytest

from ivr import speech
from ivr.complaints import tickets as tickets_mod
from ivr.complaints.tickets import Ticket
from ivr.data.sample import FIXED_PILGRIMS
from ivr.prompts.catalog import Catalog
from tests.rig.hotline import Hotline, Scenario
from tests.scenarios import complaints

pytestmark = pytest.mark.asterisk

SOC = FIXED_PILGRIMS[0]
# Seconds the store stays locked: the complaint call opens its ticket about 5 s after the
# answer and stores its recording about 11 s after it.
HOLD = 12.0
FILE = "3W1W3W2"  # complaints, new, catering, no porsi; then the caller speaks
LOOKUP = f"1{SOC.nomor_porsi}#{'W' * 12}1{'W' * 16}1"  # the porsi, then its estimate
NUMBER_SAID = complaints.NUMBER_SAID


def hold_the_write_lock(path: str, held: list[float], started: threading.Event) -> None:
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("BEGIN IMMEDIATE")
        held.append(time.time())
        started.set()
        time.sleep(HOLD)
        held.append(time.time())
        db.execute("COMMIT")


def said(text: str) -> Callable[[list[str]], bool]:
    return lambda lines: any(text in line for line in lines)


def number_told(lines: list[str]) -> bool:
    """The ticket's number said once, all ten digits."""
    return NUMBER_SAID in lines and len(lines) > lines.index(NUMBER_SAID) + 10


def wait_for_ticket(hotline: Hotline, call_id: str, timeout: float = 45) -> Ticket:
    desk = tickets_mod.for_config(hotline.config)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [t for t in desk.search() if t.call_id == call_id and not t.partial]
        if found:
            return found[0]
        time.sleep(0.5)
    raise AssertionError(f"no ticket for {call_id}: the complaint was lost")


def test_complaint_store_locked_the_calls_go_on_and_the_ticket_is_written_after(
    hotline: Hotline,
) -> None:
    held: list[float] = []
    started = threading.Event()
    locker = threading.Thread(
        target=hold_the_write_lock,
        args=(str(hotline.config.complaints_path), held, started),
    )
    locker.start()
    assert started.wait(10)
    # Each call ends once it said what the test reads: the complaint's number, the porsi's
    # status and the data's date.
    calls = hotline.calls(
        {
            "complaint": Scenario(FILE, number_told, 90, '"Uji" <081100090001>', audio=True),
            "lookup": Scenario(LOOKUP, said("Data per"), 90, '"Uji" <081100090002>'),
        }
    )
    complaint, lookup = calls["complaint"], calls["lookup"]
    locker.join()
    start, end = held

    # The lookup call went on while the store was locked.
    _, lines = hotline.record(lookup.call_id)
    during = [x for x in lines if x.kind == "say" and start < x.at < end]
    assert len(during) >= 3, [(x.at - start, x.text[:30]) for x in lines]
    assert "porsi found: AKTIF" in hotline.notes(lookup.call_id)

    # The complaint call went on, not failed to an agent: the caller heard a number (then
    # the test hung up)...
    row, _ = hotline.record(complaint.call_id)
    assert row is not None and row.outcome == "hangup", row
    assert not [n for n in hotline.notes(complaint.call_id) if n.startswith("to agent")]
    spoken = hotline.spoken(complaint.call_id)
    first = spoken.index(NUMBER_SAID)
    catalog = Catalog.load(hotline.config.prompts_dir)
    words = {catalog[pid].text: digit for digit, pid in speech.DIGITS.items()}
    heard = "".join(words[x] for x in spoken[first + 1 : first + 11])
    # ...and the ticket with that number exists once the lock is gone, recording and all.
    ticket = wait_for_ticket(hotline, complaint.call_id)
    assert ticket.number == heard and ticket.created_at < end
    assert ticket.recording == f"{heard}.wav"
