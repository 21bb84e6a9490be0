"""District offices for the sample export (kantor.csv): one per sample kabupaten except
:data:`NO_OFFICE`, so the IVR's "no office on file" answer has a pilgrim too.

Names follow the ministry's pattern ("Kantor Kementerian Agama Kota Surakarta"); streets,
numbers and phone numbers are illustrative, not the real offices' (sample data only).
Kota offices are PLHUT one-stop centres offering every service; kabupaten offices take
registrations, cancellations and delegations.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ivr.data import schema
from ivr.data.sample_places import Province

NO_OFFICE = frozenset({"1106"})  # Aceh Besar: the sample's porsi with a leading zero
STREETS = (
    "Jl. Jenderal Sudirman",
    "Jl. Pahlawan",
    "Jl. Diponegoro",
    "Jl. Ahmad Yani",
    "Jl. Imam Bonjol",
    "Jl. K.H. Ahmad Dahlan",
)
OFFICE_SERVICES = "PENDAFTARAN PEMBATALAN PELIMPAHAN"


def rows(provinces: Iterable[Province]) -> Iterator[list[str]]:
    """kantor.csv rows (schema.KANTOR_COLUMNS) for every sample kabupaten with an office."""
    for province in provinces:
        for kd_kab, name in province.kabupaten:
            if kd_kab not in NO_OFFICE:
                yield office_row(kd_kab, name)


def office_row(kd_kab: str, name: str) -> list[str]:
    n = int(kd_kab)
    kota = name.startswith("Kota ")
    place = name if kota else f"Kabupaten {name}"
    street = f"{STREETS[n % len(STREETS)]} No. {n % 97 + 1}, {name.removeprefix('Kota ')}"
    phone = f"0{kd_kab[:2]}{n % 10} {n * 37 % 900000 + 100000}"
    services = " ".join(schema.LAYANAN) if kota else OFFICE_SERVICES
    hari, closes = ("SEN-JUM", "16:00") if n % 3 else ("SEN-SAB", "14:00")
    return [
        kd_kab,
        f"Kantor Kementerian Agama {place}",
        street,
        phone,
        hari,
        "07:30",
        closes,
        "YA" if kota else "TIDAK",
        services,
    ]
