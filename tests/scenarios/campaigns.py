"""Schedule-change calls, for both tiers: an import that moves a kloter, the campaign it
makes, and what the answered call must say and store."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

from ivr.campaigns.store import CampaignCall, Campaigns
from ivr.data.importer import import_export
from ivr.data.report import ImportReport

KLOTER = "SOC-01"  # the fixed pilgrim 1100123456 flies with it and has a number
PORSI = "1100123456"
NUMBER = "081200123456"  # the sample's made-up no_hp of that pilgrim
# What the new schedule sounds like: SOC-01 moved one day later (sample: asrama
# 2026-04-21, flight 2026-04-22).
NEW_ASRAMA = "dua puluh dua April"
NEW_FLIGHT = "dua puluh tiga April"
INTRO = "Ini panggilan dari hotline haji"


def edit_csv(path: Path, change: object) -> None:
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    rows = change(rows)  # type: ignore[operator]
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _later(stamp: str, days: int) -> str:
    moved = dt.datetime.fromisoformat(stamp) + dt.timedelta(days=days)
    return moved.strftime("%Y-%m-%d %H:%M")


def moved_export(
    sample: Path, into: Path, kloter: str = KLOTER, days: int = 1, only: str = ""
) -> Path:
    """A copy of the export ``sample`` with ``kloter``'s asrama entry and flight moved;
    with ``only``, that porsi is the one pilgrim with a number (one phone in the test)."""
    shutil.copytree(sample, into)

    def move(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        for row in rows:
            if row["kode"] == kloter:
                row["masuk_asrama"] = _later(row["masuk_asrama"], days)
                row["berangkat"] = _later(row["berangkat"], days)
        return rows

    edit_csv(into / "kloter.csv", move)

    def touch(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        # Newer than the live one (an import never goes back in time unless forced).
        rows[0]["updated_at"] = "2026-04-11 09:00"
        for row in rows:
            if only and row["kloter"] == kloter and row["nomor_porsi"] != only:
                row["no_hp"] = ""
        return rows

    edit_csv(into / "jemaah.csv", touch)
    return into


def import_moved(sample: Path, mirror: Path, into: Path, only: str = "") -> ImportReport:
    return import_export(moved_export(sample, into, only=only), mirror, imported_by="tests")


def target(store: Campaigns, campaign_id: int, porsi: str = PORSI) -> CampaignCall:
    (found,) = [k for k in store.calls(campaign_id) if k.porsi == porsi]
    return found


# --- the answered call, for both tiers ---------------------------------------------------

WAIT_MENU = "W" * 44  # the schedule takes about 40 s; the menu listens until about 53 s
HEAR = ""  # listens to the end, keys nothing
REPEAT = WAIT_MENU + "9"
OFFICER = WAIT_MENU + "0"
OPT_OUT = WAIT_MENU + "8"
OTHER_KEY = WAIT_MENU + "5"


def check_schedule_said_with_the_new_dates(spoken: list[str]) -> None:
    """Who is calling, the kloter, the new asrama entry and flight (dates, time, WIB)."""
    text = "\n".join(spoken)
    assert INTRO in spoken[0], spoken
    assert "Jadwal kloter es o ce nol satu telah berubah" in text, text
    asrama = next(line for line in spoken if line.startswith("Masuk asrama haji"))
    flight = next(line for line in spoken if line.startswith("Penerbangan"))
    assert NEW_ASRAMA in asrama and "Waktu Indonesia Barat" in asrama, asrama
    assert NEW_FLIGHT in flight and "Waktu Indonesia Barat" in flight, flight
    assert "Tekan delapan" in text


def check_heard(spoken: list[str], k: CampaignCall, call_id: str) -> None:
    check_schedule_said_with_the_new_dates(spoken)
    assert spoken[-1].startswith("Terima kasih. Informasi lengkap"), spoken
    assert (k.outcome, k.call_id) == ("heard", call_id)


def check_opted_out(spoken: list[str], k: CampaignCall, store: Campaigns) -> None:
    check_schedule_said_with_the_new_dates(spoken)
    assert any(line.startswith("Baik. Nomor ini tidak akan kami telepon lagi") for line in spoken)
    assert k.outcome == "opted_out" and k.number in store.opted_out()
