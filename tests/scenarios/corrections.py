"""Data corrections by phone (information menu 7), for both tiers: each branch's call and
what it must leave (the transcript, the case row with its unit)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from ivr import storeplace
from ivr.calldb import SCHEMAS
from ivr.corrections.cases import Case, Cases
from ivr.queue.callbacks import Callbacks
from ivr.testcall import CallResult
from tests.rig.hotline import Scenario
from tests.scenarios.pilgrim import BY_STATUS, SOC, TO_AGENT, found
from tests.scenarios.tier import Tier, dob, said

Calls = Mapping[str, CallResult]
RESERVE = BY_STATUS["CADANGAN"]  # no kloter yet: a kloter case goes to the district office
assert RESERVE.kloter is None
MOBILE = '"Uji koreksi" <081234567890>'  # a national number: the callback is offered
NUMBER_SAID = "Laporan Anda telah kami terima. Nomor laporan Anda adalah"
KAB = "Kantor Kementerian Agama kabupaten atau kota Anda akan memeriksa data tersebut."
EMB = "Panitia embarkasi Anda akan memeriksa data tersebut."
PROP = "Kantor wilayah Kementerian Agama provinsi Anda akan memeriksa data tersebut."
MENU = "Untuk perkiraan keberangkatan, tekan satu."
TOLD = "Laporan Anda tentang data kloter dan jadwal sudah ditindaklanjuti."


def menu7(porsi: str) -> str:
    """Main menu 1, the porsi, its status heard, then 7 in the information menu."""
    return found(porsi) + "W" * 16 + "7W"


# The real tier's share (tests/test_call_corrections.py): a case filed and routed to the
# district office, and one to the embarkation with a message RECORD FILE wrote.
REAL = ("estimate", "kloter")


def scenarios() -> dict[str, Scenario]:
    return {
        # 1 estimate (public: no date of birth), 2 no message; 0800... is no national number.
        "estimate": Scenario(menu7(SOC.nomor_porsi) + "1WW2", said(KAB)),
        # 2 kloter: the date of birth first; a message (1 during its question; the rig
        # caps it at 4 s); the callback number read back and confirmed (1).
        "kloter": Scenario(
            menu7(SOC.nomor_porsi) + "2WWW" + dob(SOC) + "W" * 4 + "1" + "W" * 14 + "1",
            said(EMB),
            caller_id=MOBILE,
        ),
        # Verified already (5: everything), then 3 passport and visa: not asked again;
        # the number read again (9), then the callback declined.
        "documents": Scenario(
            found(SOC.nomor_porsi) + "W" * 16 + "5WWW" + dob(SOC) + "W" * 100 + "7W3WW2WW9WWWW2",
            said(PROP),
            caller_id=MOBILE,
        ),
        "no-kloter": Scenario(
            menu7(RESERVE.nomor_porsi) + "2WWW" + dob(RESERVE) + "WWW2", said(KAB)
        ),
        "name-dob-wrong": Scenario(
            menu7(SOC.nomor_porsi) + "5WWW" + "01011950WWWWWWWW" * 3, said(TO_AGENT)
        ),
        "invalid-then-other": Scenario(menu7(SOC.nomor_porsi) + "8WWWW9WWWW6WW2", said(KAB)),
        # 0 once the case is filed: the caller hears its number, then an officer.
        "officer-after-filing": Scenario(menu7(SOC.nomor_porsi) + "1WW0", said(TO_AGENT)),
        "officer": Scenario(menu7(SOC.nomor_porsi) + "0", said(TO_AGENT)),
        # No key in the field menu: back to the information menu.
        "no-answer": Scenario(menu7(SOC.nomor_porsi), said(MENU, 2)),
    }


def real_scenarios() -> dict[str, Scenario]:
    table = scenarios()
    return {name: table[name] for name in REAL}


@contextmanager
def cases_of(tier: Tier) -> Iterator[Cases]:
    """The hotline's cases where it keeps them (calls.sqlite, or with ``[database] url``
    PostgreSQL), on a connection of the test's own for the block."""
    config = tier.config
    with storeplace.opened(config.database, config.calllog_path, SCHEMAS, wal=True) as sql:
        yield Cases(sql)


def case_of(tier: Tier, call_id: str) -> Case | None:
    with cases_of(tier) as cases:
        found = [c for c in cases.search() if c.call_id == call_id]
    return found[0] if found else None


def _digits(lines: list[str], number: str) -> None:
    """The number read digit by digit after each of its two introductions."""
    for intro in (NUMBER_SAID, "Sekali lagi, nomor laporan Anda adalah"):
        start = lines.index(intro)
        words = lines[start + 1 : start + 11]
        assert len(words) == 10 and all(" " not in w for w in words), words


# --- what each scenario must show --------------------------------------------------------


def check_estimate_filed_for_the_district(tier: Tier, calls: Calls) -> None:
    call_id = calls["estimate"].call_id
    case = case_of(tier, call_id)
    assert case is not None
    assert (case.porsi, case.field, case.unit, case.state) == (
        SOC.nomor_porsi,
        "estimate",
        f"kab:{SOC.kd_kab}",
        "open",
    )
    assert not case.verified and case.recording == "" and case.callback_number == ""
    lines = tier.spoken(call_id)
    _digits(lines, case.number)
    assert KAB in lines and not any("Tanggal lahir" in line for line in lines)
    assert "correction: no national number to call back" in tier.notes(call_id)


def check_kloter_goes_to_the_embarkation(tier: Tier, calls: Calls) -> None:
    call_id = calls["kloter"].call_id
    case = case_of(tier, call_id)
    assert case is not None
    assert (case.field, case.unit, case.unit_name) == ("kloter", "emb:SOC", "SOC")
    assert case.verified and case.recording == f"correction-{case.number}.wav"
    assert case.callback_number == "081234567890"
    assert (tier.config.recordings_dir / case.recording).is_file()
    lines = tier.spoken(call_id)
    assert "Terima kasih, data jemaah sudah diverifikasi." in lines and EMB in lines


def check_documents_go_to_the_province(tier: Tier, calls: Calls) -> None:
    call_id = calls["documents"].call_id
    case = case_of(tier, call_id)
    assert case is not None
    assert (case.field, case.unit, case.verified) == (
        "documents",
        f"prop:{SOC.nomor_porsi[:2]}",
        True,
    )
    assert case.callback_number == "" and case.recording == ""
    readback = "Kami dapat menelepon Anda kembali setelah data diperiksa, di nomor"
    assert tier.spoken(call_id).count(readback) == 2  # 9 read it again
    notes = tier.notes(call_id)
    assert notes.count("date of birth verified") == 1  # not asked again for the case


def check_no_kloter_goes_to_the_district(tier: Tier, calls: Calls) -> None:
    case = case_of(tier, calls["no-kloter"].call_id)
    assert case is not None
    assert (case.field, case.unit) == ("kloter", f"kab:{RESERVE.kd_kab}")


def check_name_needs_the_date_of_birth(tier: Tier, calls: Calls) -> None:
    call_id = calls["name-dob-wrong"].call_id
    assert case_of(tier, call_id) is None
    row, _ = tier.record(call_id)
    assert row is not None and (row.outcome, row.reason) == ("agent", "dob_failed")


def check_invalid_key_then_other(tier: Tier, calls: Calls) -> None:
    call_id = calls["invalid-then-other"].call_id
    case = case_of(tier, call_id)
    assert case is not None and (case.field, case.unit) == ("other", f"kab:{SOC.kd_kab}")
    lines = tier.spoken(call_id)
    assert any(line.startswith("Maaf, pilihan tersebut tidak tersedia") for line in lines)
    assert sum(line.startswith("Data mana yang tidak sesuai?") for line in lines) == 3  # 9


def check_officer_after_filing_hears_the_number_first(tier: Tier, calls: Calls) -> None:
    call_id = calls["officer-after-filing"].call_id
    case = case_of(tier, call_id)
    assert case is not None and case.field == "estimate"
    lines = tier.spoken(call_id)
    _digits(lines, case.number)
    assert lines.index(NUMBER_SAID) < lines.index(TO_AGENT)
    row, _ = tier.record(call_id)
    assert row is not None and (row.outcome, row.reason) == ("agent", "caller_request")


def check_officer_from_the_field_menu(tier: Tier, calls: Calls) -> None:
    call_id = calls["officer"].call_id
    assert case_of(tier, call_id) is None
    row, _ = tier.record(call_id)
    assert row is not None and (row.outcome, row.reason) == ("agent", "caller_request")


def check_no_answer_back_to_the_menu(tier: Tier, calls: Calls) -> None:
    call_id = calls["no-answer"].call_id
    assert case_of(tier, call_id) is None
    lines = tier.spoken(call_id)
    assert sum(line.startswith("Data mana yang tidak sesuai?") for line in lines) == 3
    assert sum(line.startswith(MENU) for line in lines) >= 2


def check_resolved_is_told_on_the_next_call(tier: Tier, calls: Calls) -> None:
    """The unit resolves the no-kloter case; the next call for that porsi hears so after
    the status, and the one after does not."""
    case = case_of(tier, calls["no-kloter"].call_id)
    assert case is not None
    with cases_of(tier) as cases:
        cases.resolve(case.number, "unit-test", Callbacks(cases.sql), unit=case.unit)
    again = {"again": Scenario(found(RESERVE.nomor_porsi) + "W" * 12, said(MENU))}
    first, second = (tier.calls(again)["again"] for _ in range(2))
    assert tier.spoken(first.call_id).count(TOLD) == 1
    assert TOLD not in tier.spoken(second.call_id)
    assert f"correction case {case.number}: told resolved" in tier.notes(first.call_id)
