"""What the IVR says about one pilgrim: pure functions from a mirror row to utterances.

Each function returns a list of utterances; an utterance is the prompt ids played as one
`call.say(...)` (one transcript line). Nothing here does I/O, so every status and every
form is table-tested without a call.
"""

from __future__ import annotations

import datetime as dt
import re

from ivr import speech
from ivr.data.mirror import Jemaah, Kloter
from ivr.data.offices import Office, prompt_id
from ivr.data.schema import ZonaWaktu
from ivr.prompts.catalog import Catalog

Utterance = list[str]

STATUS = {
    "AKTIF": "status-aktif",
    "CADANGAN": "status-cadangan",
    "LUNAS_TUNDA": "status-lunas-tunda",
    "BERANGKAT": "status-berangkat",
    "BATAL": "status-batal",
    "WAFAT": "status-wafat",
    "PELIMPAHAN": "status-pelimpahan",
}
# A departed, cancelled, deceased or delegated porsi has no departure estimate.
NO_ESTIMATE = frozenset({"BERANGKAT", "BATAL", "WAFAT", "PELIMPAHAN"})
DESTINATION = {"MED": "kloter-to-med", "JED": "kloter-to-jed"}
AIRLINES = {"GA": "airline-ga", "SV": "airline-sv"}


def status(j: Jemaah) -> list[Utterance]:
    """The status, then what the export says of a cancelled porsi's refund (its stage and
    that stage's date) or a delegated porsi's heir (only "ahli waris", and the new porsi)."""
    said = [[STATUS[j.status_porsi]]]
    if j.jenis_haji == "KHUSUS":
        said.append(["hajj-khusus"])
    if j.status_porsi == "BATAL" and j.tahap_pengembalian and j.tgl_pengembalian:
        stage = "refund-" + j.tahap_pengembalian.lower()
        said.append([stage, *speech.date(j.tgl_pengembalian)])
    if j.status_porsi == "PELIMPAHAN" and j.porsi_pelimpahan:
        said += [["heir-porsi"], *speech.digits_grouped(j.porsi_pelimpahan)]
    return said


def estimate(j: Jemaah, catalog: Catalog) -> list[Utterance]:
    """Departure estimate: year Masehi and Hijriah, province, position and quota."""
    if j.status_porsi in NO_ESTIMATE:
        return [[STATUS[j.status_porsi]]]
    if j.estimasi_masehi is None:
        return [["estimate-none"]]
    said = [["estimate-year", *speech.year(j.estimasi_masehi), "estimate-masehi"]]
    if j.estimasi_hijriah is not None:
        said[0] += [*speech.year(j.estimasi_hijriah), "estimate-hijriah"]
    province = f"prov-{j.kd_prop}"
    if province in catalog:
        said.append(["estimate-province", province])
    if j.posisi_porsi is not None and j.kuota is not None:
        said.append(
            [
                "estimate-position",
                *speech.number(j.posisi_porsi),
                "estimate-quota",
                *speech.number(j.kuota),
            ]
        )
    return said


def kloter(j: Jemaah, catalog: Catalog) -> list[Utterance]:
    """Embarkasi, kloter code, asrama entry, flight, destination, return."""
    k = j.kloter
    if k is None:
        return [["kloter-none"]]
    said = [[*_embarkasi(k, catalog), "kloter-code", *speech.code(k.kode)]]
    said.append(["kloter-asrama", *_when(k.masuk_asrama, k.zona_waktu)])
    said.append(
        [
            "kloter-flight",
            *_airline(k.no_penerbangan),
            *_when(k.berangkat, k.zona_waktu),
            DESTINATION[k.tujuan],
        ]
    )
    said.append(["kloter-return", *speech.date(k.pulang.date())])
    return said


def documents(j: Jemaah) -> list[Utterance]:
    paspor = "paspor-" + j.status_paspor.lower().replace("_", "-")
    return [[paspor], ["visa-" + j.status_visa.lower()]]


def payment(j: Jemaah) -> list[Utterance]:
    """BPIH payment: status, amount still due in rupiah or USD, deadline."""
    if j.status_pelunasan == "LUNAS":
        return [["bayar-lunas"]]
    if j.status_pelunasan == "BELUM_BERHAK":
        return [["bayar-belum-berhak"]]
    if j.sisa_pelunasan is None:  # the import refuses this; an amount is never made up
        said = [["bayar-belum-lunas-singkat"]]
    else:
        said = [["bayar-belum-lunas", *speech.money(j.sisa_pelunasan, j.mata_uang)]]
    if j.batas_pelunasan is not None:
        said.append(["bayar-batas", *speech.date(j.batas_pelunasan)])
    said.append(["bayar-where"])
    return said


def office(o: Office | None, catalog: Catalog) -> list[Utterance]:
    """A district office: name, PLHUT, address, days and hours in its zone, services,
    phone. Name and address are the prompts each import writes (``offices.prompts``); an
    office whose prompts are not built yet is named generically, its address left out."""
    if o is None:
        return [["office-none"]]
    name, address = prompt_id(o.kd_kab, "nama"), prompt_id(o.kd_kab, "alamat")
    said = [["office-intro", name if name in catalog else "office-unnamed"]]
    if o.plhut:
        said.append(["office-plhut"])
    if address in catalog:
        said.append(["office-address", address])
    zone = o.zona_waktu
    opens = speech.time(o.jam_buka, zone)[:-1]  # the zone once, after the closing time
    days = "office-days-" + o.hari.lower()
    said.append(["office-hours", days, *opens, "office-until", *speech.time(o.jam_tutup, zone)])
    said.append(["office-services", *("service-" + s.lower() for s in o.layanan)])
    groups = [g for g in re.split(r"\D+", o.telepon) if g]
    said.append(["office-phone", *_digits(groups[0])])
    said += [_digits(g) for g in groups[1:]]
    return said


def _digits(text: str) -> list[str]:
    return [speech.DIGITS[c] for c in text]


def as_of(day: dt.date) -> Utterance:
    return ["data-as-of", *speech.date(day)]


def _embarkasi(k: Kloter, catalog: Catalog) -> list[str]:
    name = f"emb-{k.embarkasi.lower()}"
    return (
        ["kloter-embarkasi", name]
        if name in catalog
        else ["kloter-embarkasi", *speech.code(k.embarkasi)]
    )


def _airline(flight: str) -> list[str]:
    prefix = flight[:2].upper()
    return (
        [AIRLINES[prefix], *speech.code(flight[2:])] if prefix in AIRLINES else speech.code(flight)
    )


def _when(at: dt.datetime, zone: ZonaWaktu) -> list[str]:
    return [*speech.date(at.date()), *speech.time(at.time(), zone)]
