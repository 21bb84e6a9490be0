"""Limits across calls, for both tiers: dates of birth guessed from several numbers at
once lock the porsi at the limit; a locked porsi refuses even the right date; a number
over its hourly lookups is refused. Counts that earlier calls would have left are put in
calls.sqlite through the controller's own Guard (the real rig then needs two calls at
once, not five guessing ones and a restart with a lower limit)."""

from __future__ import annotations

from ivr import testcall
from ivr.data.sample import FIXED_PILGRIMS
from ivr.testcall import CallResult
from tests.rig.hotline import Scenario
from tests.scenarios.tier import Tier, dob, guard_of, said

# Pilgrims no other call test verifies: one locked by counts put in the store (the real
# tier's wallboard shows it), one whose date is guessed by calls at once (fast tier).
TARGET = FIXED_PILGRIMS[10]
GUESSED = FIXED_PILGRIMS[1]
assert TARGET.kloter == "SUB-02" and TARGET.status_pelunasan == "LUNAS"
assert GUESSED.status_porsi == "AKTIF" and GUESSED.kloter == "SUB-01"
WRONG = "01011950"
LOCKED = "Maaf, demi keamanan data jemaah, tanggal lahir untuk nomor porsi ini"
LOOKUP_LIMIT = "batas pencarian data"
# What only a verified caller hears: kloter, passport and visa, payment.
PERSONAL = ("kloter-", "paspor-", "visa-", "bayar-")
UNKNOWN = "1399999999"  # a porsi nobody has


def everything(porsi: str, *dates: str) -> str:
    """Menu 1, the porsi, read-back right, 5 (everything), then each date of birth."""
    return f"1{porsi}#{'W' * 12}1{'W' * 16}5WWW" + "".join(d + "W" * 8 for d in dates)


def guesser(tier: Tier, porsi: str, number: str, *dates: str) -> testcall.TestCall:
    return testcall.TestCall(
        tier.config.ivr.hotline,
        everything(porsi, *dates),
        caller_id=f'"Penebak" <{number}>',
        end_on="UserEvent",  # HajjToAgent: the IVR has handed the call over
        timeout=150,
    )


def handed_reason(result: CallResult) -> str:
    handed = [e for e in result.events if e.get("UserEvent") == "HajjToAgent"]
    assert handed, [e.get("Event") for e in result.events]
    return handed[0]["Reason"]


# --- calls ---------------------------------------------------------------------------------


def guess_at_once(tier: Tier) -> dict[str, CallResult]:
    """Two numbers guess three dates each at the same time (six tries, the limit is 5);
    then the pilgrim's own child calls from a third number with the right date."""
    porsi = GUESSED.nomor_porsi
    first, second = tier.place_all(
        [
            guesser(tier, porsi, "081100070001", WRONG, "02021950", "03031950"),
            guesser(tier, porsi, "081100070002", "04041950", "05051950", "06061950"),
        ]
    )
    [owner] = tier.place_all([guesser(tier, porsi, "081100070003", dob(GUESSED))])
    return {"first": first, "second": second, "owner": owner}


def at_once(tier: Tier) -> dict[str, Scenario]:
    """The calls both tiers make, to place together: the owner of a porsi others locked
    ("owner"), a number at its hourly lookups ("over")."""
    return {"owner": owner_of_a_locked_porsi(tier), "over": over_the_lookups(tier)}


def owner_of_a_locked_porsi(tier: Tier) -> Scenario:
    """Others got TARGET's date wrong as often as the limit allows, from numbers of their
    own; the pilgrim's child calls from a number that never tried, with the right date."""
    with guard_of(tier) as guard:
        for n in range(tier.config.ivr.dob_lock_failures):
            guard.dob_failed(TARGET.nomor_porsi, f"08110007{n + 100:04d}")
    keys = everything(TARGET.nomor_porsi, dob(TARGET))
    return Scenario(keys, None, 150, '"Anak" <081100070004>', end_on="UserEvent")


def over_the_lookups(tier: Tier, left: int = 0) -> Scenario:
    """A number with ``left`` lookups left this hour keys a porsi nobody has, ``left`` + 1
    times."""
    number = "081100070010"
    with guard_of(tier) as guard:
        for _ in range(tier.config.ivr.lookups_per_hour - left):
            assert guard.lookup_allowed(number)
    keys = "1" + f"{UNKNOWN}#{'W' * 12}1{'W' * 6}" * (left + 1)
    return Scenario(keys, said(LOOKUP_LIMIT), timeout=120, caller_id=f'"Uji" <{number}>')


# --- checks --------------------------------------------------------------------------------


def check_dob_guessed_at_once_locks_at_the_limit(
    tier: Tier, guessed: dict[str, CallResult]
) -> None:
    wrong = sum(
        tier.notes(guessed[name].call_id).count("date of birth wrong")
        for name in ("first", "second")
    )
    assert wrong == tier.config.ivr.dob_lock_failures  # not one try more
    reasons = {handed_reason(guessed[name]) for name in ("first", "second")}
    assert "dob_locked" in reasons and reasons <= {"dob_locked", "dob_failed"}


def check_locked_porsi_refuses_the_right_date(tier: Tier, owner: CallResult) -> None:
    row, lines = tier.record(owner.call_id)
    assert row is not None and row.reason == "dob_locked"
    assert handed_reason(owner) == "dob_locked"
    spoken = [line for line in lines if line.kind == "say"]
    assert any(line.text.startswith(LOCKED) for line in spoken)
    heard = [pid for line in spoken for pid in line.prompts.split()]
    assert not [pid for pid in heard if pid.startswith(PERSONAL)], heard
    assert "date of birth verified" not in tier.notes(owner.call_id)


def check_number_over_its_lookups_is_refused(tier: Tier, result: CallResult, left: int = 0) -> None:
    notes = tier.notes(result.call_id)
    assert notes.count("porsi not found") == left  # the lookups the hour still allowed
    assert "porsi lookups: this number is over its hourly limit" in notes
    row, _ = tier.record(result.call_id)
    assert row is not None and row.reason == "lookup_limit"
