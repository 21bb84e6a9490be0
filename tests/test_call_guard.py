"""Limits across calls, over real calls: a date of birth guessed from several numbers at
once locks the porsi (the right date is then refused too, and the wallboard shows the
lock); a number over its hourly lookups is refused. The counting itself: test_guard."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from ivr import testcall
from ivr.data.sample import FIXED_PILGRIMS
from ivr.testcall import CallResult
from tests.rig import web
from tests.rig.hotline import Hotline, Scenario

pytestmark = pytest.mark.asterisk

# A pilgrim no other call test verifies: her date of birth is guessed here until it locks.
TARGET = FIXED_PILGRIMS[10]
assert TARGET.kloter == "SUB-02" and TARGET.status_pelunasan == "LUNAS"
WRONG = "01011950"
LOCKED = "Maaf, demi keamanan data jemaah, tanggal lahir untuk nomor porsi ini"
# What only a verified caller hears: kloter, passport and visa, payment.
PERSONAL = ("kloter-", "paspor-", "visa-", "bayar-")


def everything(porsi: str, *dates: str) -> str:
    """Menu 1, the porsi, read-back right, 5 (everything), then each date of birth."""
    return f"1{porsi}#{'W' * 12}1{'W' * 16}5WWW" + "".join(d + "W" * 8 for d in dates)


def dob(p: object) -> str:
    return p.tgl_lahir.strftime("%d%m%Y")  # type: ignore[attr-defined,no-any-return]


def guesser(hotline: Hotline, number: str, *dates: str) -> testcall.TestCall:
    return testcall.TestCall(
        hotline.config.ivr.hotline,
        everything(TARGET.nomor_porsi, *dates),
        caller_id=f'"Penebak" <{number}>',
        end_on="UserEvent",  # HajjToAgent: the IVR has handed the call over
        timeout=150,
    )


@pytest.fixture(scope="module")
def guessed(hotline: Hotline) -> dict[str, CallResult]:
    """Two numbers guess three dates each at the same time (six tries, the limit is 5);
    then the pilgrim's own child calls from a third number with the right date."""
    first, second = hotline.place_all(
        [
            guesser(hotline, "081100070001", WRONG, "02021950", "03031950"),
            guesser(hotline, "081100070002", "04041950", "05051950", "06061950"),
        ]
    )
    [owner] = hotline.place_all([guesser(hotline, "081100070003", dob(TARGET))])
    return {"first": first, "second": second, "owner": owner}


def handed_reason(result: CallResult) -> str:
    handed = [e for e in result.events if e.get("UserEvent") == "HajjToAgent"]
    assert handed, [e.get("Event") for e in result.events]
    return handed[0]["Reason"]


def test_guard_dob_guessed_across_parallel_calls_locks_at_the_limit(
    hotline: Hotline, guessed: dict[str, CallResult]
) -> None:
    wrong = sum(
        hotline.notes(guessed[name].call_id).count("date of birth wrong")
        for name in ("first", "second")
    )
    assert wrong == hotline.config.ivr.dob_lock_failures  # not one try more
    reasons = {handed_reason(guessed[name]) for name in ("first", "second")}
    assert "dob_locked" in reasons and reasons <= {"dob_locked", "dob_failed"}


def test_guard_locked_porsi_refuses_even_the_right_date_and_goes_to_an_agent(
    hotline: Hotline, guessed: dict[str, CallResult]
) -> None:
    owner = guessed["owner"].call_id
    row, lines = hotline.record(owner)
    assert row is not None and row.reason == "dob_locked"
    assert handed_reason(guessed["owner"]) == "dob_locked"
    said = [line for line in lines if line.kind == "say"]
    assert any(line.text.startswith(LOCKED) for line in said)
    heard = [pid for line in said for pid in line.prompts.split()]
    assert not [pid for pid in heard if pid.startswith(PERSONAL)], heard
    assert "date of birth verified" not in hotline.notes(owner)


def test_guard_wallboard_shows_the_locked_porsi_masked(
    hotline: Hotline, guessed: dict[str, CallResult]
) -> None:
    password = hotline.add_admin("penjaga")
    with httpx.Client(base_url=hotline.web_url, timeout=10) as client:
        web.login(client, "penjaga", password)
        board = client.get("/admin/api/wallboard").json()
    masked = TARGET.nomor_porsi[:2] + "******" + TARGET.nomor_porsi[-2:]
    [alert] = [a for a in board["alerts"] if a["what"] == "porsi"]
    assert alert["subject"] == masked and TARGET.nomor_porsi not in str(board)
    assert alert["count"] == hotline.config.ivr.dob_lock_failures and alert["at"] > 0


def said(text: str) -> Callable[[list[str]], bool]:
    return lambda lines: any(text in line for line in lines)


def test_guard_number_over_its_hourly_lookups_is_refused(hotline: Hotline) -> None:
    unknown = "1399999999"  # three lookups in a row, each of a porsi nobody has
    keys = "1" + f"{unknown}#{'W' * 12}1{'W' * 6}" * 3
    hotline.stop_controller()
    hotline.start_controller(env={"HAJJ_IVR_IVR_LOOKUPS_PER_HOUR": "2"})
    try:
        scenario = Scenario(
            keys, said("batas pencarian data"), timeout=120, caller_id='"Uji" <081100070010>'
        )
        result = hotline.calls({"over": scenario})["over"]
    finally:
        hotline.stop_controller()
        hotline.start_controller()
    notes = hotline.notes(result.call_id)
    assert notes.count("porsi not found") == 2
    assert "porsi lookups: this number is over its hourly limit" in notes
    row, _ = hotline.record(result.call_id)
    assert row is not None and row.reason == "lookup_limit"
