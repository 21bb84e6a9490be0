"""Sample SISKOHAT exports: a small realistic one for tests, docs and demos, a big one
for the import benchmark. Both are deterministic for a given seed.

The small export opens with :data:`FIXED_PILGRIMS`, well-known pilgrims that tests and
docs refer to by porsi (one of each porsi status, a haji khusus paying in USD, a porsi
with a leading zero, a passport to correct); random pilgrims follow. The season is 2026:
as of 10 April, asrama the day before each flight, flights 22 April - 21 May (wave 1 to
Madinah, wave 2 to Jeddah), returns 40 days later.
"""

from __future__ import annotations

import csv
import itertools
import math
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ivr.data import contacts, ppiu, sample_offices, sample_umrah, schema
from ivr.data.sample_places import EMBARKASI, FATHER, FEMALE, MALE, PROVINCES, SECOND, Province
from ivr.data.sample_places import MASKAPAI as AIRLINES

SEASON, HIJRIAH_SEASON = 2026, 1447
AS_OF = "2026-04-10 16:30"  # the newest updated_at of the sample (a fixed pilgrim's)
SETORAN_AWAL = 25_000_000
KHUSUS_KUOTA, KHUSUS_BIAYA_USD, KHUSUS_SETORAN_USD = 17_680, 8_000, 4_000
DEADLINE, RESERVE_DEADLINE = "2026-04-17", "2026-04-24"  # pelunasan tahap II, reserves
FIRST_FLIGHT, FLIGHT_DAYS, WAVE_ONE_DAYS, STAY_DAYS = date(2026, 4, 22), 30, 15, 40
SEATS = 440  # pilgrims per kloter (decides the big export's kloter count)
FLIGHT_TIMES = ("05:10", "08:40", "12:25", "16:50", "21:35")
RETURN_TIMES = ("03:45", "10:20", "15:05", "22:40")
# Passport and visa of this season's pilgrims, taken in turn so every state appears.
PASPOR_VISA = (
    ("BELUM", "BELUM"),
    ("DISERAHKAN", "BELUM"),
    ("DIPROSES", "BELUM"),
    ("PERLU_PERBAIKAN", "BELUM"),
    ("SELESAI", "DIPROSES"),
    ("SELESAI", "TERBIT"),
    ("SELESAI", "DICETAK"),
    ("SELESAI", "BATAL"),
)
_PROVINCE = {p.code: p for p in PROVINCES}


@dataclass(frozen=True)
class SamplePilgrim:
    nomor_porsi: str
    nama: str
    tgl_lahir: date
    jenis_kelamin: str
    jenis_haji: str
    kd_kab: str
    status_porsi: str
    estimasi_masehi: int | None
    kloter: str | None
    status_paspor: str
    status_visa: str
    status_pelunasan: str
    note: str = ""
    updated_at: str = AS_OF
    # schema.JEMAAH_EXTRA: refund stage and its date (BATAL), the heir's porsi (PELIMPAHAN)
    extra: tuple[str, str, str] = ("", "", "")


def _fixed(porsi: str, nama: str, born: str, kab: str, *rest: str) -> SamplePilgrim:
    status, year, kloter, paspor, visa, pelunasan, note, *more = rest
    extra = [*more, "", "", ""][:3]
    haji = "KHUSUS" if "khusus" in note else "REGULER"
    estimasi = int(year) if year else None
    sex = "P" if " BINTI " in nama else "L"
    born_on = date.fromisoformat(born)
    return SamplePilgrim(
        porsi, nama, born_on, sex, haji, kab, status, estimasi, kloter or None, paspor, visa,
        pelunasan, note, extra=(extra[0], extra[1], extra[2]),
    )  # fmt: skip


FIXED_PILGRIMS = (
    _fixed("1100123456", "SLAMET RIYADI BIN KARTO", "1958-03-14", "3372", "AKTIF", "2026",
           "SOC-01", "SELESAI", "DIPROSES", "BELUM_LUNAS", "flies with SOC-01, Bipih still due"),
    _fixed("1300456789", "SITI AMINAH BINTI HASYIM", "1961-08-02", "3578", "AKTIF", "2026",
           "SUB-01", "SELESAI", "DICETAK", "LUNAS", "paid, visa printed, flies with SUB-01"),
    _fixed("1300234567", "AHMAD FAUZI BIN SULAIMAN", "1966-01-20", "3515", "CADANGAN", "2026",
           "", "DISERAHKAN", "BELUM", "BELUM_LUNAS", "reserve, may pay until 24 April"),
    _fixed("1200345678", "SRI WAHYUNI BINTI WIRYO", "1963-11-05", "3404", "LUNAS_TUNDA", "2027",
           "", "SELESAI", "BELUM", "LUNAS", "paid, postponed to 2027"),
    _fixed("1000567890", "HASAN BASRI BIN MAHMUD", "1955-06-30", "3273", "BERANGKAT", "",
           "", "SELESAI", "DICETAK", "LUNAS", "went in 2025"),
    _fixed("1300678901", "NUR HALIMAH BINTI ISMAIL", "1970-02-14", "3507", "BATAL", "",
           "", "BELUM", "BELUM", "BELUM_BERHAK", "cancelled, refund verified",
           "DIVERIFIKASI", "2026-03-20"),
    _fixed("1100789012", "SUTRISNO BIN WIRYO", "1949-09-09", "3310", "WAFAT", "",
           "", "BELUM", "BELUM", "BELUM_BERHAK", "deceased"),
    _fixed("1500890123", "ZAINAL ARIFIN BIN MUSTAFA", "1990-04-01", "5203", "PELIMPAHAN", "2031",
           "", "BELUM", "BELUM", "BELUM_BERHAK", "delegated to an heir",
           "", "", "1500890124"),
    _fixed("0900901234", "DEWI KURNIA BINTI ABDULLAH", "1975-12-24", "3171", "AKTIF", "2026",
           "", "DIPROSES", "BELUM", "BELUM_LUNAS", "haji khusus, pays in USD"),
    _fixed("0100012345", "TEUKU HIDAYAT BIN IDRIS", "1980-07-17", "1106", "AKTIF", "2051",
           "", "BELUM", "BELUM", "BELUM_BERHAK", "waiting list, porsi with a leading zero"),
    _fixed("1300112233", "FATIMAH ROHANI BINTI SANUSI", "1959-05-05", "3524", "AKTIF", "2026",
           "SUB-02", "PERLU_PERBAIKAN", "BELUM", "LUNAS", "passport to correct"),
)  # fmt: skip


def write_sample(folder: Path, *, jemaah: int = 300, seed: int = 2026) -> list[SamplePilgrim]:
    """Write jemaah.csv, kloter.csv, kantor.csv and ppiu.csv into ``folder``; return the pilgrims,
    fixed first."""
    counts = {code: 3 for code in EMBARKASI}
    pilgrims = sample_pilgrims(jemaah=jemaah, seed=seed, counts=counts)
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "kloter.csv", schema.KLOTER_COLUMNS, kloter_rows(counts))
    header = (*schema.JEMAAH_COLUMNS, *schema.JEMAAH_EXTRA, contacts.COLUMN)
    rows = ([*jemaah_row(p), *p.extra, phone_number(p)] for p in pilgrims)
    write_csv(folder / "jemaah.csv", header, rows)
    write_csv(folder / "kantor.csv", schema.KANTOR_COLUMNS, sample_offices.rows(PROVINCES))
    write_csv(folder / ppiu.PPIU_CSV, ppiu.COLUMNS, sample_umrah.rows())
    return pilgrims


def sample_pilgrims(
    *, jemaah: int = 300, seed: int = 2026, counts: dict[str, int] | None = None
) -> list[SamplePilgrim]:
    """The pilgrims :func:`write_sample` writes, fixed first (without writing them)."""
    rng = random.Random(seed)
    counts = {code: 3 for code in EMBARKASI} if counts is None else counts
    fixed = list(FIXED_PILGRIMS[:jemaah])
    taken = {p.nomor_porsi for p in fixed}
    drawn = _random_pilgrims(rng, jemaah - len(fixed), counts, taken, season_share=0.3)
    return fixed + list(drawn)


def phone_number(p: SamplePilgrim) -> str:
    """A made-up mobile number for this season's pilgrims (schedule-change calls), none
    for the others: the optional no_hp column."""
    return f"0812{p.nomor_porsi[-8:]}" if p.kloter else ""


def write_csv(path: Path, header: Iterable[str], rows: Iterable[Iterable[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _random_pilgrims(
    rng: random.Random, n: int, counts: dict[str, int], taken: set[str], season_share: float
) -> Iterator[SamplePilgrim]:
    passports = itertools.cycle(PASPOR_VISA)
    weights = [p.kuota for p in PROVINCES]
    for _ in range(n):
        province = rng.choices(PROVINCES, weights)[0]
        porsi = province.code + f"{rng.randrange(10**8):08d}"
        while porsi in taken:
            porsi = province.code + f"{rng.randrange(10**8):08d}"
        taken.add(porsi)
        yield random_pilgrim(rng, porsi, province, counts, passports, season_share)


def random_pilgrim(
    rng: random.Random,
    porsi: str,
    province: Province,
    counts: dict[str, int],
    passports: Iterator[tuple[str, str]],
    season_share: float,
) -> SamplePilgrim:
    """One plausible pilgrim: status first, then what that status implies."""
    sex, nama = _name(rng)
    haji = "KHUSUS" if rng.random() < 0.08 else "REGULER"
    statuses = ("AKTIF", "CADANGAN", "LUNAS_TUNDA", "BERANGKAT", "BATAL", "WAFAT", "PELIMPAHAN")
    status = rng.choices(statuses, (80, 4, 3, 5, 3, 2, 3))[0]
    season = status == "CADANGAN" or (status == "AKTIF" and rng.random() < season_share)
    plan = _plan(rng, status, season, haji, passports)
    kloter = None
    if season and status == "AKTIF" and haji == "REGULER" and rng.random() < 0.8:
        embarkasi = rng.choice(province.embarkasi)
        kloter = f"{embarkasi}-{rng.randint(1, counts[embarkasi]):02d}"
    older = season or status in ("LUNAS_TUNDA", "BERANGKAT", "WAFAT")
    born = date(1940 if older else 1955, 1, 1) + timedelta(days=rng.randrange(35 * 365))
    kab = rng.choice(province.kabupaten)[0]
    updated = date(2026, 3, 1) + timedelta(days=rng.randrange(41))
    stamp = f"{updated} {rng.randrange(8, 16):02d}:{rng.randrange(60):02d}"
    return SamplePilgrim(porsi, nama, born, sex, haji, kab, status, plan[0], kloter, *plan[1:],
                         updated_at=stamp)  # fmt: skip


def _name(rng: random.Random) -> tuple[str, str]:
    sex = rng.choice("LP")
    given = rng.choice(MALE if sex == "L" else FEMALE)
    return (
        sex,
        f"{given} {rng.choice(SECOND)} {'BIN' if sex == 'L' else 'BINTI'} {rng.choice(FATHER)}",
    )


def _plan(
    rng: random.Random, status: str, season: bool, haji: str, passports: Iterator[tuple[str, str]]
) -> tuple[int | None, str, str, str]:
    """(estimasi_masehi, status_paspor, status_visa, status_pelunasan) for a status."""
    if season:
        paspor, visa = next(passports)
        return SEASON, paspor, visa, rng.choice(("LUNAS", "LUNAS", "BELUM_LUNAS"))
    if status in ("AKTIF", "PELIMPAHAN"):
        wait = rng.randint(1, 7) if haji == "KHUSUS" else rng.randint(1, 40)
        return SEASON + wait, "BELUM", "BELUM", "BELUM_BERHAK"
    if status == "LUNAS_TUNDA":
        return SEASON + 1, "SELESAI", "BELUM", "LUNAS"
    if status == "BERANGKAT":
        return None, "SELESAI", "DICETAK", "LUNAS"
    return None, "BELUM", "BELUM", "BELUM_BERHAK"  # BATAL, WAFAT


def jemaah_row(p: SamplePilgrim) -> list[str]:
    """The jemaah.csv row of ``p`` (position, quota and money follow from the rest)."""
    province = _PROVINCE[p.nomor_porsi[:2]]
    kuota = KHUSUS_KUOTA if p.jenis_haji == "KHUSUS" else province.kuota
    place = [province.code, province.name, p.kd_kab, dict(province.kabupaten)[p.kd_kab]]
    return [
        p.nomor_porsi, p.nama, p.tgl_lahir.isoformat(), p.jenis_kelamin, p.jenis_haji, *place,
        p.status_porsi, *_position(p, kuota), p.kloter or "", p.status_paspor, p.status_visa,
        p.status_pelunasan, *_money(p, province), p.updated_at,
    ]  # fmt: skip


def _position(p: SamplePilgrim, kuota: int) -> list[str]:
    """posisi_porsi, kuota, estimasi masehi and hijriah (estimate = position / quota)."""
    if p.estimasi_masehi is None:
        return ["", "", "", ""]
    years = p.estimasi_masehi - SEASON
    posisi = years * kuota + 1 + int(p.nomor_porsi[-5:]) % kuota
    if p.status_porsi == "CADANGAN":  # a reserve waits just past this season's quota
        posisi = kuota + 1 + int(p.nomor_porsi[-5:]) % (kuota // 10)
    hijriah = HIJRIAH_SEASON + round(years * 365.2425 / 354.367)
    return [str(posisi), str(kuota), str(p.estimasi_masehi), str(hijriah)]


def _money(p: SamplePilgrim, province: Province) -> list[str]:
    """biaya_bipih, sisa_pelunasan, mata_uang, batas_pelunasan."""
    currency = "USD" if p.jenis_haji == "KHUSUS" else "IDR"
    if p.status_pelunasan == "BELUM_BERHAK":  # left blank, as SISKOHAT exports them
        return ["", "", currency, ""]
    if currency == "USD":
        biaya, due = KHUSUS_BIAYA_USD, KHUSUS_BIAYA_USD - KHUSUS_SETORAN_USD
    else:
        embarkasi = p.kloter[:3] if p.kloter else province.embarkasi[0]
        biaya = EMBARKASI[embarkasi].bipih
        benefit = 2_000_000 + int(p.nomor_porsi[-6:]) * 7 % 3_000_000  # virtual-account
        due = biaya - SETORAN_AWAL - benefit
    if p.status_pelunasan == "LUNAS":
        return [str(biaya), "0", currency, ""]
    deadline = RESERVE_DEADLINE if p.status_porsi == "CADANGAN" else DEADLINE
    return [str(biaya), str(due), currency, deadline]


def kloter_rows(counts: dict[str, int]) -> Iterator[list[str]]:
    """``counts[embarkasi]`` kloter per embarkasi, flights spread over the season."""
    for number, (code, count) in enumerate(counts.items()):
        embarkasi = EMBARKASI[code]
        for j in range(1, count + 1):
            day = FIRST_FLIGHT + timedelta(days=(j - 1) * FLIGHT_DAYS // count)
            flight = FLIGHT_TIMES[(j + number) % len(FLIGHT_TIMES)]
            asrama = f"{day - timedelta(days=1)} {'08:00' if flight < '12:00' else '13:00'}"
            back = f"{day + timedelta(days=STAY_DAYS)} {RETURN_TIMES[j % len(RETURN_TIMES)]}"
            wave = 1 if day < FIRST_FLIGHT + timedelta(days=WAVE_ONE_DAYS) else 2
            airline = AIRLINES[embarkasi.maskapai]
            number_text = f"{embarkasi.maskapai} {embarkasi.flight_base + j}"
            yield [f"{code}-{j:02d}", code, str(wave), airline, number_text, asrama,
                   f"{day} {flight}", "MED" if wave == 1 else "JED", back,
                   embarkasi.zona_waktu]  # fmt: skip


def season_kloter_counts() -> dict[str, int]:
    """Kloter per embarkasi for a full season: the quotas it serves / seats per kloter."""
    seats = dict.fromkeys(EMBARKASI, 0.0)
    for p in PROVINCES:
        for code in p.embarkasi:
            seats[code] += p.kuota / len(p.embarkasi)
    return {code: math.ceil(total / SEATS) for code, total in seats.items()}
