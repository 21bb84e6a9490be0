"""District offices, cancellation and delegation (issue 13, sections 2 and 3): the
scenarios and what each must show. Keys are typed ahead as a caller would; "W" waits a
second. Offices come from the sample's kantor.csv (ivr/data/sample_offices.py)."""

from __future__ import annotations

from collections.abc import Mapping

from ivr.data.offices import zone_of
from ivr.data.sample import FIXED_PILGRIMS, SamplePilgrim, sample_pilgrims
from ivr.data.sample_offices import NO_OFFICE
from ivr.testcall import CallResult
from tests.rig.hotline import Scenario
from tests.scenarios.pilgrim import SOC, TO_AGENT, found
from tests.scenarios.tier import Tier, said, spoken

Calls = Mapping[str, CallResult]

FIXED = {p.status_porsi: p for p in reversed(FIXED_PILGRIMS)}
CANCELLED, DELEGATED = FIXED["BATAL"], FIXED["PELIMPAHAN"]
assert CANCELLED.extra[0] == "DIVERIFIKASI" and DELEGATED.extra[2] == "1500890124"
_RANDOM = sample_pilgrims()[len(FIXED_PILGRIMS) :]  # as the rigs' sample writes them


def _first(status: str, *, wita: bool = False) -> SamplePilgrim:
    return next(
        p
        for p in _RANDOM
        if p.status_porsi == status
        and not any(p.extra)
        and (not wita or (zone_of(p.kd_kab) == "WITA" and p.kd_kab not in NO_OFFICE))
    )


CANCELLED_BARE, DELEGATED_BARE = _first("BATAL"), _first("PELIMPAHAN")
WITA_PILGRIM = _first("AKTIF", wita=True)  # Makassar, Balikpapan...: hours in WITA
NO_OFFICE_PILGRIM = next(p for p in FIXED_PILGRIMS if p.kd_kab in NO_OFFICE)  # Aceh Besar
PHONE = "Nomor telepon"

# Office and refund wiring over real calls (tests/test_call_services.py); all run fast.
REAL = ("office-info", "refund-stage")


def scenarios() -> dict[str, Scenario]:
    info = "W" * 16  # the status and the as-of date, then the information menu
    return {
        "office-info": Scenario(found(SOC.nomor_porsi) + info + "6", said(PHONE)),
        "office-none": Scenario(
            found(NO_OFFICE_PILGRIM.nomor_porsi) + info + "6", said("belum tersedia")
        ),
        "general-office": Scenario(f"22{WITA_PILGRIM.nomor_porsi}#{'W' * 12}1", said(PHONE)),
        "general-cancel": Scenario("23", said("buku tabungan")),
        "general-delegate": Scenario("24", said("nomor porsi sendiri")),
        "general-back": Scenario("28", said("Untuk informasi jemaah dengan nomor porsi", 2)),
        "general-agent": Scenario("20", said(TO_AGENT)),
        "general-invalid": Scenario("27", said("pilihan tersebut tidak tersedia")),
        "refund-stage": Scenario(found(CANCELLED.nomor_porsi), said(TO_AGENT)),
        "refund-none": Scenario(found(CANCELLED_BARE.nomor_porsi), said(TO_AGENT)),
        "heir-porsi": Scenario(found(DELEGATED.nomor_porsi), said(TO_AGENT)),
        "heir-none": Scenario(found(DELEGATED_BARE.nomor_porsi), said(TO_AGENT)),
    }


def real_scenarios() -> dict[str, Scenario]:
    table = scenarios()
    return {name: table[name] for name in REAL}


# --- what each scenario must show --------------------------------------------------------


def check_office_info(tier: Tier, calls: Calls, name: str = "office-info") -> None:
    """SOC's district, Kota Surakarta: a PLHUT centre open Monday to Saturday (WIB)."""
    lines = spoken(tier, calls, name)
    start = lines.index(
        "Kantor layanan haji untuk kabupaten atau kota jemaah: "
        "Kantor Kementerian Agama Kota Surakarta"
    )
    assert lines[start + 1 : start + 6] == [
        "Kantor ini adalah Pusat Layanan Haji dan Umrah Terpadu, atau PLHUT.",
        "Alamat: Jalan Jenderal Sudirman nomor tujuh puluh lima, Surakarta",
        "Jam layanan: Senin sampai Sabtu, pukul tujuh tiga puluh sampai pukul empat belas"
        " Waktu Indonesia Barat",
        "Layanan: pendaftaran haji, pembatalan porsi, pelimpahan porsi, foto jemaah,"
        " pembayaran di bank penerima setoran,",
        "Nomor telepon: nol tiga tiga dua",
    ]
    notes = tier.notes(calls[name].call_id)
    assert "topic: office" in notes and "office 3372: found" in notes


def check_office_none(tier: Tier, calls: Calls) -> None:
    lines = spoken(tier, calls, "office-none")
    assert any(line.startswith("Maaf, data kantor layanan") for line in lines)
    assert f"office {NO_OFFICE_PILGRIM.kd_kab}: none on file" in tier.notes(
        calls["office-none"].call_id
    )


def check_general_office(tier: Tier, calls: Calls) -> None:
    """Menu 2 by any porsi: the porsi is looked up for its district; a WITA office."""
    lines = spoken(tier, calls, "general-office")
    assert "Kantor layanan haji ditentukan oleh kabupaten atau kota tempat jemaah mendaftar." in (
        lines
    )
    hours = [line for line in lines if line.startswith("Jam layanan:")]
    assert hours and hours[0].endswith("Waktu Indonesia Tengah")
    assert f"office {WITA_PILGRIM.kd_kab}: found" in tier.notes(calls["general-office"].call_id)


def check_general_cancel(tier: Tier, calls: Calls) -> None:
    lines = spoken(tier, calls, "general-cancel")
    assert any(line.startswith("Pembatalan porsi diajukan oleh jemaah") for line in lines)
    assert "topic: pembatalan" in tier.notes(calls["general-cancel"].call_id)


def check_general_delegate(tier: Tier, calls: Calls) -> None:
    lines = spoken(tier, calls, "general-delegate")
    assert any(line.startswith("Porsi jemaah yang wafat atau sakit permanen") for line in lines)
    assert "topic: pelimpahan" in tier.notes(calls["general-delegate"].call_id)


def check_general_back_agent_invalid(tier: Tier, calls: Calls) -> None:
    back = spoken(tier, calls, "general-back")
    assert sum(line.startswith("Untuk informasi jemaah dengan nomor porsi") for line in back) == 2
    row, _ = tier.record(calls["general-agent"].call_id)
    assert row is not None and (row.outcome, row.reason) == ("agent", "caller_request")
    assert "Maaf, pilihan tersebut tidak tersedia." in spoken(tier, calls, "general-invalid")


def check_refund_stage(tier: Tier, calls: Calls) -> None:
    """After the status: the refund's stage and its date, then a person takes over."""
    lines = spoken(tier, calls, "refund-stage")
    status = next(i for i, line in enumerate(lines) if line.startswith("Status porsi: dibatalkan"))
    assert lines[status + 1] == (
        "Pengembalian dana: permohonan sudah diverifikasi oleh kantor kementerian agama"
        " kabupaten atau kota, pada tanggal dua puluh Maret dua ribu dua puluh enam"
    )
    assert lines[status + 2].startswith("Data per") and TO_AGENT in lines
    row, _ = tier.record(calls["refund-stage"].call_id)
    assert row is not None and row.reason == "status_needs_agent"


def check_refund_none(tier: Tier, calls: Calls) -> None:
    """An export without a refund stage for the porsi: the status alone, as before."""
    lines = spoken(tier, calls, "refund-none")
    assert any(line.startswith("Status porsi: dibatalkan") for line in lines)
    assert not any(line.startswith("Pengembalian dana") for line in lines) and TO_AGENT in lines


def check_heir(tier: Tier, calls: Calls) -> None:
    """A delegated porsi names no one: "ahli waris", and the heir's porsi when known."""
    lines = spoken(tier, calls, "heir-porsi")
    start = lines.index("Nomor porsi ahli waris adalah")
    assert lines[start + 1 : start + 4] == [
        "satu lima",
        "nol nol delapan sembilan",
        "nol satu dua empat",
    ]
    bare = spoken(tier, calls, "heir-none")
    assert any("dilimpahkan kepada ahli waris" in line for line in bare)
    assert "Nomor porsi ahli waris adalah" not in bare and TO_AGENT in bare
