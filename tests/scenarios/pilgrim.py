"""The pilgrim flow's scenarios (every status, wrong entries, identity, agents) and what
each must show. Keys are typed ahead as a caller would; "W" waits a second."""

from __future__ import annotations

from collections.abc import Mapping

from ivr.data.sample import FIXED_PILGRIMS
from ivr.flows.pilgrim import NEEDS_AGENT
from ivr.guard import Limit, Limits
from ivr.testcall import CallResult
from tests.rig.hotline import Scenario
from tests.scenarios.tier import Tier, dob, guard_of, said, spoken

Calls = Mapping[str, CallResult]

BY_STATUS = {p.status_porsi: p for p in reversed(FIXED_PILGRIMS)}  # first of each status
SOC = FIXED_PILGRIMS[0]  # AKTIF, kloter SOC-01, payment due
assert SOC.kloter == "SOC-01" and SOC.status_pelunasan == "BELUM_LUNAS"
ZERO = next(p for p in FIXED_PILGRIMS if p.nomor_porsi.startswith("0"))
TO_AGENT = "Mohon tunggu, Anda akan kami sambungkan dengan petugas."

STATUS_WORDING = [
    ("AKTIF", "aktif dalam daftar tunggu"),
    ("CADANGAN", "cadangan. Artinya"),
    ("LUNAS_TUNDA", "lunas tunda. Artinya"),
    ("BERANGKAT", "sudah berangkat haji"),
    ("BATAL", "dibatalkan"),
    ("WAFAT", "telah wafat"),
    ("PELIMPAHAN", "dilimpahkan kepada ahli waris"),
]
AGENT_MENUS = ["main", "confirm", "info"]

# The real tier's share (tests/test_call_pilgrim.py): long calls, so that at least five
# overlap the import swaps there, plus those the cross-tier comparison reads. Every
# scenario runs in the fast tier (tests/test_flow_pilgrim.py); test_tiers checks both.
REAL = (
    "status-AKTIF",
    "status-BATAL",
    "dob-right",
    "dob-wrong",
    "agent-info",
    "another-porsi",
    "malformed-thrice",
    "unknown",
    "readback-rejected",
)
REAL_STATUSES = [
    (status, wording) for status, wording in STATUS_WORDING if f"status-{status}" in REAL
]
REAL_AGENT_MENUS = [menu for menu in AGENT_MENUS if f"agent-{menu}" in REAL]


def found(porsi: str) -> str:
    """Main menu 1, key the porsi, hear it read back, confirm with 1."""
    return f"1{porsi}#{'W' * 12}1"


def scenarios() -> dict[str, Scenario]:
    table = {
        f"status-{status}": (
            Scenario(found(p.nomor_porsi), said(TO_AGENT))
            if status in NEEDS_AGENT  # no menu: a person takes over after the status
            else Scenario(found(p.nomor_porsi) + "W" * 16 + "1", said("Data per", 2))
        )
        for status, p in BY_STATUS.items()
    }
    table |= {
        "unknown": Scenario(found("1399999999"), said("tidak terdaftar")),
        "malformed-thrice": Scenario("1" + "123#WWWWWW" * 3, said(TO_AGENT)),
        "readback-rejected": Scenario(f"1{SOC.nomor_porsi}#{'W' * 12}2", said("Silakan tekan", 2)),
        # Everything, up to the payment (the last the check reads: 2 minutes in).
        "dob-right": Scenario(
            found(SOC.nomor_porsi) + "W" * 16 + "5WWW" + dob(SOC), said("rupiah")
        ),
        "dob-wrong": Scenario(
            found(SOC.nomor_porsi) + "W" * 16 + "4WWW" + "01011950WWWWWWWW" * 3, said(TO_AGENT)
        ),
        "agent-main": Scenario("0", said(TO_AGENT)),
        "agent-confirm": Scenario(f"1{SOC.nomor_porsi}#{'W' * 12}0", said(TO_AGENT)),
        "agent-info": Scenario(found(SOC.nomor_porsi) + "W" * 16 + "0", said(TO_AGENT)),
        "another-porsi": Scenario(
            found(SOC.nomor_porsi) + "W" * 16 + "8WW" + found(ZERO.nomor_porsi)[1:],
            said("Data per", 2),
        ),
        "general": Scenario("2", said("istitha'ah")),
    }
    return table


def real_scenarios() -> dict[str, Scenario]:
    table = scenarios()
    return {name: table[name] for name in REAL}


# --- what each scenario must show --------------------------------------------------------


def check_status(tier: Tier, calls: Calls, status: str, wording: str) -> None:
    lines = spoken(tier, calls, f"status-{status}")
    assert any(wording in line for line in lines)
    assert any(
        line.startswith("Data per tanggal sepuluh April dua ribu dua puluh enam") for line in lines
    )
    p = BY_STATUS[status]
    estimates = [line for line in lines if line.startswith("Perkiraan keberangkatan tahun")]
    if status in NEEDS_AGENT:  # a person takes over from here
        row, _ = tier.record(calls[f"status-{status}"].call_id)
        assert row is not None and row.reason == "status_needs_agent" and TO_AGENT in lines
    if status in ("BERANGKAT", *NEEDS_AGENT):
        assert estimates == []
    else:
        assert p.estimasi_masehi is not None
        assert estimates and "Masehi" in estimates[0]


def check_unknown(tier: Tier, calls: Calls) -> None:
    lines = spoken(tier, calls, "unknown")
    assert any("tidak terdaftar dalam data kami" in line for line in lines)
    assert "porsi not found" in tier.notes(calls["unknown"].call_id)


def check_malformed_thrice(tier: Tier, calls: Calls) -> None:
    call_id = calls["malformed-thrice"].call_id
    lines = tier.spoken(call_id)
    assert sum("terdiri dari sepuluh angka" in line for line in lines) == 3
    row, _ = tier.record(call_id)
    assert row is not None and (row.outcome, row.reason) == ("agent", "porsi_failed")
    # On its way to a person (no agent is logged in here: the callback offer comes first).
    handed = [e for e in calls["malformed-thrice"].events if e.get("UserEvent") == "HajjToAgent"]
    assert handed and handed[0]["Reason"] == "porsi_failed"


def check_readback_rejected(tier: Tier, calls: Calls) -> None:
    lines = spoken(tier, calls, "readback-rejected")
    start = lines.index("Nomor porsi yang Anda tekan adalah")
    assert lines[start + 1 : start + 4] == ["satu satu", "nol nol satu dua", "tiga empat lima enam"]
    assert "porsi read-back rejected" in tier.notes(calls["readback-rejected"].call_id)


def check_dob_right(tier: Tier, calls: Calls) -> None:
    text = "\n".join(spoken(tier, calls, "dob-right"))
    assert "Terima kasih, data jemaah sudah diverifikasi." in text
    assert "Embarkasi Solo kloter es o ce nol satu" in text
    assert "Paspor: selesai." in text and "Visa: sedang diproses." in text
    assert "Sisa yang harus dilunasi" in text and "rupiah" in text
    assert "date of birth verified" in tier.notes(calls["dob-right"].call_id)


def check_dob_wrong(tier: Tier, calls: Calls) -> None:
    call_id = calls["dob-wrong"].call_id
    lines = tier.spoken(call_id)
    assert sum(line.startswith("Maaf, tanggal lahir tidak sesuai") for line in lines) == 3
    assert not any("rupiah" in line for line in lines)
    row, _ = tier.record(call_id)
    assert row is not None and (row.outcome, row.reason) == ("agent", "dob_failed")
    # Counted across calls, in the call log database: with a limit of three, SOC's porsi
    # would now be locked (the real limit is higher).
    with guard_of(tier, Limits(dob=Limit(3, 3600.0))) as three:
        assert three.dob_locked(SOC.nomor_porsi, "0811999999")


def check_zero_reaches_agent(tier: Tier, calls: Calls, menu: str) -> None:
    result = calls[f"agent-{menu}"]
    row, _ = tier.record(result.call_id)
    assert row is not None and (row.outcome, row.reason) == ("agent", "caller_request")
    handed = [e for e in result.events if e.get("UserEvent") == "HajjToAgent"]
    assert handed and handed[0]["Reason"] == "caller_request"
    if menu == "info":
        assert handed[0]["Porsi"] == SOC.nomor_porsi and handed[0]["Verified"] == "no"


def check_another_porsi(tier: Tier, calls: Calls) -> None:
    notes = tier.notes(calls["another-porsi"].call_id)
    assert notes.count("porsi found: AKTIF") == 2


def check_general(tier: Tier, calls: Calls) -> None:
    lines = spoken(tier, calls, "general")
    assert any(line.startswith("Jadwal musim haji dua ribu dua puluh enam") for line in lines)
