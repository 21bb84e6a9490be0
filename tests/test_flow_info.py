"""What the IVR says about a pilgrim, per status and topic (pure, no call needed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from ivr import speech
from ivr.config import PROJECT_DIR
from ivr.data.mirror import Jemaah, Kloter
from ivr.data.offices import Office
from ivr.flows import info
from ivr.prompts.catalog import Catalog, Prompt

CATALOG = Catalog.load(PROJECT_DIR / "prompts")
WIB = dt.timezone(dt.timedelta(hours=7))

KLOTER = Kloter(
    kode="SOC-01",
    embarkasi="SOC",
    gelombang=1,
    maskapai="Garuda Indonesia",
    no_penerbangan="GA6101",
    masuk_asrama=dt.datetime(2026, 4, 21, 14, 30, tzinfo=WIB),
    berangkat=dt.datetime(2026, 4, 22, 8, 0, tzinfo=WIB),
    tujuan="MED",
    pulang=dt.datetime(2026, 6, 1, 10, 0, tzinfo=WIB),
    zona_waktu="WIB",
)


def jemaah(**changes: Any) -> Jemaah:
    base = Jemaah(
        nomor_porsi="1300123456",
        nama="Siti Aminah",
        tgl_lahir=dt.date(1960, 8, 17),
        jenis_kelamin="P",
        jenis_haji="REGULER",
        kd_prop="13",
        provinsi="Jawa Timur",
        kd_kab="1301",
        kabupaten="Kab. Pacitan",
        status_porsi="AKTIF",
        posisi_porsi=1100,
        kuota=42409,
        estimasi_masehi=2031,
        estimasi_hijriah=1452,
        kloter=None,
        status_paspor="BELUM",
        status_visa="BELUM",
        status_pelunasan="BELUM_BERHAK",
        biaya_bipih=54193807,
        sisa_pelunasan=0,
        mata_uang="IDR",
        batas_pelunasan=None,
        updated_at=dt.datetime(2026, 4, 1),
    )
    return replace(base, **changes)


def said(utterances: list[list[str]]) -> list[str]:
    return [" ".join(CATALOG[pid].text for pid in u) for u in utterances]


def test_info_estimate_active_says_years_province_position_and_quota() -> None:
    assert said(info.estimate(jemaah(), CATALOG)) == [
        "Perkiraan keberangkatan tahun dua ribu tiga puluh satu Masehi, atau tahun "
        "seribu empat ratus lima puluh dua Hijriah.",
        "Provinsi Jawa Timur",
        "Nomor urut porsi seribu seratus dari kuota empat puluh dua ribu empat ratus sembilan",
    ]


@pytest.mark.parametrize("status", ["BERANGKAT", "BATAL", "WAFAT", "PELIMPAHAN"])
def test_info_estimate_closed_porsi_gets_no_estimate(status: str) -> None:
    text = " ".join(said(info.estimate(jemaah(status_porsi=status), CATALOG)))
    assert "Tidak ada perkiraan keberangkatan" in text and "tahun" not in text


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("AKTIF", "aktif dalam daftar tunggu"),
        ("CADANGAN", "cadangan. Artinya"),
        ("LUNAS_TUNDA", "lunas tunda. Artinya"),
        ("BERANGKAT", "sudah berangkat"),
        ("BATAL", "dibatalkan"),
        ("WAFAT", "telah wafat"),
        ("PELIMPAHAN", "dilimpahkan kepada ahli waris"),
    ],
)
def test_info_status_each_status_has_its_own_wording(status: str, words: str) -> None:
    assert words in said(info.status(jemaah(status_porsi=status)))[0]


def test_info_status_khusus_says_hajj_type() -> None:
    assert said(info.status(jemaah(jenis_haji="KHUSUS")))[1] == "Jenis haji: haji khusus."


def test_info_kloter_none_says_not_yet() -> None:
    assert said(info.kloter(jemaah(), CATALOG)) == [CATALOG["kloter-none"].text]


def test_info_kloter_spells_code_and_reads_schedule() -> None:
    assert said(info.kloter(jemaah(kloter=KLOTER), CATALOG)) == [
        "Embarkasi Solo kloter es o ce nol satu",
        "Masuk asrama haji tanggal dua puluh satu April dua ribu dua puluh enam "
        "pukul empat belas tiga puluh Waktu Indonesia Barat",
        "Penerbangan Garuda Indonesia enam satu nol satu tanggal dua puluh dua April "
        "dua ribu dua puluh enam pukul delapan Waktu Indonesia Barat tujuan Madinah.",
        "Kepulangan tanggal satu Juni dua ribu dua puluh enam",
    ]


def test_info_payment_due_in_rupiah_with_deadline() -> None:
    j = jemaah(
        status_pelunasan="BELUM_LUNAS",
        sisa_pelunasan=29193807,
        batas_pelunasan=dt.date(2026, 3, 20),
    )
    assert said(info.payment(j))[:2] == [
        "Pelunasan: belum lunas. Sisa yang harus dilunasi dua puluh sembilan juta seratus "
        "sembilan puluh tiga ribu delapan ratus tujuh rupiah",
        "Batas pelunasan tanggal dua puluh Maret dua ribu dua puluh enam",
    ]


def test_info_payment_khusus_due_in_dollars() -> None:
    j = jemaah(status_pelunasan="BELUM_LUNAS", sisa_pelunasan=4000, mata_uang="USD")
    assert said(info.payment(j))[0].endswith("empat ribu dolar Amerika")


@pytest.mark.parametrize("state", ["LUNAS", "BELUM_BERHAK"])
def test_info_payment_paid_or_not_entitled_says_no_amount(state: str) -> None:
    text = said(info.payment(jemaah(status_pelunasan=state)))
    assert len(text) == 1 and "rupiah" not in text[0]


def test_info_payment_not_entitled_with_null_amounts_says_no_amount() -> None:
    """A real export leaves the amounts blank while BELUM_BERHAK (stored as NULL)."""
    j = jemaah(status_pelunasan="BELUM_BERHAK", biaya_bipih=None, sisa_pelunasan=None)
    assert said(info.payment(j)) == [CATALOG["bayar-belum-berhak"].text]


def test_info_payment_due_with_null_amount_says_no_amount() -> None:
    """The import refuses it; should a mirror hold it anyway, nothing is made up."""
    j = jemaah(
        status_pelunasan="BELUM_LUNAS", sisa_pelunasan=None, batas_pelunasan=dt.date(2026, 3, 20)
    )
    assert said(info.payment(j)) == [
        "Pelunasan: belum lunas.",
        "Batas pelunasan tanggal dua puluh Maret dua ribu dua puluh enam",
        CATALOG["bayar-where"].text,
    ]


def test_info_documents_passport_and_visa_each_state() -> None:
    for paspor in ("BELUM", "DISERAHKAN", "DIPROSES", "SELESAI", "PERLU_PERBAIKAN"):
        for visa in ("BELUM", "DIPROSES", "TERBIT", "DICETAK", "BATAL"):
            lines = said(info.documents(jemaah(status_paspor=paspor, status_visa=visa)))
            assert lines[0].startswith("Paspor:") and lines[1].startswith("Visa:")


# --- the district office (issue 13) ----------------------------------------------------

OFFICE = Office(
    kd_kab="9471",
    nama="Kantor Kementerian Agama Kota Jayapura",
    alamat="Jl. Sam Ratulangi No. 3",
    telepon="0967-533 100",
    hari="SEN-JUM",
    jam_buka=dt.time(8, 0),
    jam_tutup=dt.time(15, 30),
    plhut=False,
    layanan=("PENDAFTARAN", "PEMBATALAN"),
)


def text(utterances: list[list[str]], catalog: Catalog = CATALOG) -> list[str]:
    return [speech.text_of(u, catalog) for u in utterances]


def test_info_office_without_built_prompts_is_named_generically_no_address() -> None:
    assert text(info.office(OFFICE, CATALOG)) == [
        "Kantor layanan haji untuk kabupaten atau kota jemaah: Kantor Kementerian Agama"
        " kabupaten atau kota jemaah.",
        "Jam layanan: Senin sampai Jumat, pukul delapan sampai pukul lima belas tiga puluh"
        " Waktu Indonesia Timur",
        "Layanan: pendaftaran haji, pembatalan porsi,",
        "Nomor telepon: nol sembilan enam tujuh",
        "lima tiga tiga",
        "satu nol nol",
    ]


def test_info_office_with_its_prompts_says_name_and_address() -> None:
    texts = {"kantor-9471-nama": "Kantor Jayapura", "kantor-9471-alamat": "Jalan Sam Ratulangi"}
    catalog = Catalog({**CATALOG, **{k: Prompt(k, v) for k, v in texts.items()}})
    said = text(info.office(OFFICE, catalog), catalog)
    assert said[:2] == [
        "Kantor layanan haji untuk kabupaten atau kota jemaah: Kantor Jayapura",
        "Alamat: Jalan Sam Ratulangi",
    ]


def test_info_no_office_on_file() -> None:
    assert info.office(None, CATALOG) == [["office-none"]]


@pytest.mark.parametrize("stage", ["DIAJUKAN", "DIVERIFIKASI", "DISETUJUI", "DIKEMBALIKAN"])
def test_info_cancelled_porsi_says_each_refund_stage_with_its_date(stage: str) -> None:
    j = jemaah(status_porsi="BATAL", tahap_pengembalian=stage, tgl_pengembalian=dt.date(2026, 3, 1))
    said = info.status(j)
    assert said[1][0] == f"refund-{stage.lower()}" and said[1][0] in CATALOG
    assert speech.text_of(said[1][1:], CATALOG) == "tanggal satu Maret dua ribu dua puluh enam"
