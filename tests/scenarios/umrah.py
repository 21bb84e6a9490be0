"""The umrah flow's scenarios (main menu 4: an agency's licence, the announcements) and
what each must show. Keys are typed ahead as a caller would; "W" waits a second."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import closing

from ivr import handover, ppiulog
from ivr.calllog import connect
from ivr.data.sample_umrah import FROZEN, LICENSED, REVOKED, UNKNOWN_LICENCE
from ivr.testcall import CallResult
from tests.rig.hotline import Scenario
from tests.scenarios.tier import Tier, said, spoken

Calls = Mapping[str, CallResult]
TO_AGENT = "Mohon tunggu, Anda akan kami sambungkan dengan petugas."
AS_OF = "Data per tanggal sepuluh April dua ribu dua puluh enam"

# The real tier's share (tests/test_call_umrah.py): one call per verdict the issue names.
REAL = ("licensed", "revoked", "unknown")


def asked(licence: str, answer: str = "1") -> str:
    """Main menu 4, umrah menu 1, key the licence, hear it read back, then ``answer``."""
    return f"41{licence}#{'W' * 16}{answer}"


def scenarios() -> dict[str, Scenario]:
    return {
        "licensed": Scenario(asked(LICENSED[0]), said("Data per")),
        "frozen": Scenario(asked(FROZEN[0]), said("Data per")),
        "revoked": Scenario(asked(REVOKED[0]), said("Data per")),
        "unknown": Scenario(asked(UNKNOWN_LICENCE), said("Data per")),
        "readback-rejected": Scenario(asked(LICENSED[0], "2"), said("tiga belas angka", 2)),
        "malformed-thrice": Scenario("41" + "123#WWWWWWWW" * 3, said(TO_AGENT)),
        "agent-umrah": Scenario("40", said(TO_AGENT)),
        "agent-confirm": Scenario(asked(LICENSED[0], "0"), said(TO_AGENT)),
        # After the verdict, 0 in the umrah menu: the officer sees the licence asked.
        "agent-after-revoked": Scenario(
            asked(REVOKED[0]) + "W" * 40 + "0", end_on="QueueCallerJoin", timeout=120
        ),
        "repeat": Scenario("49", said("Layanan umrah", 2)),
        "announcements": Scenario("42", said("rekening")),
    }


def no_list_scenarios() -> dict[str, Scenario]:
    """On a hotline whose export had no ppiu.csv."""
    return {"no-list": Scenario(asked(LICENSED[0]), said("belum tersedia"))}


def real_scenarios() -> dict[str, Scenario]:
    table = scenarios()
    return {name: table[name] for name in REAL}


# --- what each scenario must show --------------------------------------------------------


def check_licensed(tier: Tier, calls: Calls) -> None:
    lines = spoken(tier, calls, "licensed")
    verdict = lines.index(
        "Biro perjalanan ini terdaftar sebagai penyelenggara perjalanan ibadah umrah resmi,"
        " dan izinnya berlaku."
    )
    # PT AMANAH TOUR of SOLO, spelled word by word; valid until 2029-06-30.
    assert lines[verdict + 1 : verdict + 8] == [
        "Nama terdaftar, dieja:",
        "pe te",
        "a em a en a ha",
        "te o u er",
        "Berkedudukan di, dieja:",
        "es o el o",
        "Izin berlaku sampai tanggal tiga puluh Juni dua ribu dua puluh sembilan",
    ]
    assert lines[verdict + 8].startswith("Ingat lima pasti umrah")
    assert any(line.startswith(AS_OF) for line in lines)
    assert f"ppiu {LICENSED[0]}: licensed" in tier.notes(calls["licensed"].call_id)


def check_frozen(tier: Tier, calls: Calls) -> None:
    lines = spoken(tier, calls, "frozen")
    assert any("izinnya sedang dibekukan" in line for line in lines)
    assert "es a ef a" in lines and "be a en de u en ge" in lines  # SAFA ... of BANDUNG
    assert not any(line.startswith("Izin berlaku sampai") for line in lines)
    assert f"ppiu {FROZEN[0]}: frozen" in tier.notes(calls["frozen"].call_id)


def check_revoked(tier: Tier, calls: Calls) -> None:
    lines = spoken(tier, calls, "revoked")
    verdict = next(n for n, line in enumerate(lines) if "sudah dicabut" in line)
    assert "Jangan membayar" in lines[verdict]
    # PT MURAH BERKAH UMROH of DEPOK
    assert lines[verdict + 1 : verdict + 8] == [
        "Nama terdaftar, dieja:",
        "pe te",
        "em u er a ha",
        "be e er ka a ha",
        "u em er o ha",
        "Berkedudukan di, dieja:",
        "de e pe o ka",
    ]
    assert not any(line.startswith("Ingat lima pasti") for line in lines)
    assert f"ppiu {REVOKED[0]}: revoked" in tier.notes(calls["revoked"].call_id)


def check_unknown(tier: Tier, calls: Calls) -> None:
    lines = spoken(tier, calls, "unknown")
    verdict = next(n for n, line in enumerate(lines) if "tidak terdaftar sebagai" in line)
    assert "jangan membayar sebelum Anda memastikan izin" in lines[verdict]
    assert not any(line.startswith("Nama terdaftar") for line in lines)
    assert lines[verdict + 1].startswith(AS_OF)
    assert f"ppiu {UNKNOWN_LICENCE}: unknown" in tier.notes(calls["unknown"].call_id)


def check_fraud_report(tier: Tier, calls: Calls) -> None:
    """The unknown and the revoked numbers asked are counted; a licensed one is not."""
    with closing(connect(tier.config.calllog_path, ppiulog.SCHEMA)) as db:
        rows = ppiulog.suspicious(db, 0.0)
    counted = {(licence, outcome) for licence, outcome, count in rows if count >= 1}
    assert {(UNKNOWN_LICENCE, "unknown"), (REVOKED[0], "revoked")} <= counted
    assert all(licence != LICENSED[0] for licence, _, _ in rows)


def check_no_list(tier: Tier, calls: Calls) -> None:
    lines = spoken(tier, calls, "no-list")
    assert any("belum tersedia di layanan ini" in line for line in lines)
    assert any("pastikan izin biro tersebut kepada Kementerian Agama" in line for line in lines)
    assert not any("tidak terdaftar" in line or "Nama terdaftar" in line for line in lines)
    assert f"ppiu {LICENSED[0]}: no_list" in tier.notes(calls["no-list"].call_id)


def check_readback_rejected(tier: Tier, calls: Calls) -> None:
    lines = spoken(tier, calls, "readback-rejected")
    start = lines.index("Nomor izin yang Anda tekan adalah")
    assert lines[start + 1 : start + 4] == [
        "sembilan satu dua nol",
        "nol nol satu dua",
        "tiga empat lima enam tujuh",
    ]
    notes = tier.notes(calls["readback-rejected"].call_id)
    assert "licence read-back rejected" in notes
    assert not any(note.startswith("ppiu ") for note in notes)  # nothing looked up


def check_malformed_thrice(tier: Tier, calls: Calls) -> None:
    call_id = calls["malformed-thrice"].call_id
    lines = tier.spoken(call_id)
    assert sum("terdiri dari tiga belas angka" in line for line in lines) == 3
    row, _ = tier.record(call_id)
    assert row is not None and (row.outcome, row.reason) == ("agent", "licence_failed")


def check_zero_reaches_agent(tier: Tier, calls: Calls, menu: str) -> None:
    row, _ = tier.record(calls[f"agent-{menu}"].call_id)
    assert row is not None and (row.outcome, row.reason) == ("agent", "caller_request")


def check_agent_sees_the_licence(tier: Tier, calls: Calls) -> None:
    result = calls["agent-after-revoked"]
    row, _ = tier.record(result.call_id)
    assert row is not None and (row.outcome, row.reason) == ("agent", "caller_request")
    joined = [e for e in result.events if e.get("Event") == "QueueCallerJoin"]
    assert joined, result.events
    known = handover.from_event(joined[0])
    assert known.ppiu == f"{REVOKED[0]} revoked"
    assert known.topics[:2] == ("umrah", "ppiu")


def check_repeat(tier: Tier, calls: Calls) -> None:
    lines = spoken(tier, calls, "repeat")
    assert sum(line.startswith("Layanan umrah.") for line in lines) >= 2


def check_announcements(tier: Tier, calls: Calls) -> None:
    lines = spoken(tier, calls, "announcements")
    assert any(line.startswith("Sebelum mendaftar umrah") for line in lines)
    assert any("rekening atas nama perusahaan" in line for line in lines)
    assert "topic: umrah_announcements" in tier.notes(calls["announcements"].call_id)
