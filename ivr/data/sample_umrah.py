"""Umrah travel agencies (PPIU) for the sample export's ppiu.csv (sample data only: the
live mirror takes every agency from the ministry's export). Tests and docs refer to them
by licence number: one of each status, a licence with no end date."""

from __future__ import annotations

from collections.abc import Iterator

# no_izin | nama | kota | status | berlaku_sampai
_AGENCIES = """
9120001234567|PT AMANAH TOUR|SOLO|BERLAKU|2029-06-30
9120007654321|PT. BAROKAH & SONS WISATA|SURABAYA|BERLAKU|
8120002468135|PT SAFA MARWAH TRAVEL|BANDUNG|DIBEKUKAN|2027-12-31
8120001357924|PT MURAH BERKAH UMROH|DEPOK|DICABUT|2026-01-15
0120005550123|PT ACEH MADANI WISATA|BANDA ACEH|BERLAKU|2028-03-01
"""
AGENCIES: tuple[tuple[str, ...], ...] = tuple(
    tuple(line.split("|")) for line in _AGENCIES.strip().splitlines()
)
LICENSED, FROZEN, REVOKED = AGENCIES[0], AGENCIES[2], AGENCIES[3]
UNKNOWN_LICENCE = "9999999999999"  # in no sample


def rows() -> Iterator[tuple[str, ...]]:
    """ppiu.csv's rows, in ivr.data.ppiu.COLUMNS order."""
    yield from AGENCIES
