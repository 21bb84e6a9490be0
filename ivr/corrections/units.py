"""Which unit owns a disputed field, and what the field held when the case was filed.

The unit comes from the pilgrim's own row: the district office (kd_kab) registers the
porsi and records payments, so it owns the estimate, the name and the payment; the
embarkation (the kloter's embarkasi) owns the kloter and its flights; the provincial
office (kd_prop) owns passports and visas. A pilgrim with no kloter yet has no
embarkation: the district office, which proposes the kloter, takes the case.

A unit is written ``kind:code`` (``kab:3372``, ``emb:SOC``, ``prop:33``): the three code
lists overlap (``33`` is a province, a kabupaten code starts with it), the kind keeps them
apart. The snapshot is the disputed field's value as the caller heard it; a later import
that changes it marks the case "data changed" (ivr.corrections.cases.reconcile).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ivr.data.mirror import Jemaah

# The keys of the phone menu, in order, and the field each names.
FIELDS = ("estimate", "kloter", "documents", "payment", "name", "other")
KINDS = ("kab", "emb", "prop")
KIND_LABELS = {"kab": "Kantor kabupaten/kota", "emb": "Embarkasi", "prop": "Kantor wilayah"}
FIELD_LABELS = {
    "estimate": "perkiraan keberangkatan",
    "kloter": "kloter dan jadwal",
    "documents": "paspor dan visa",
    "payment": "pelunasan",
    "name": "nama",
    "other": "lainnya",
}
# Fields the hotline reads only after the date of birth (docs/decisions.md, "Data
# corrections"): a case about them is filed by a caller who keyed it.
PERSONAL = frozenset({"kloter", "documents", "payment", "name"})


@dataclass(frozen=True)
class Unit:
    kind: str  # kab | emb | prop
    code: str
    name: str  # for people: the kabupaten, the province, the embarkasi code

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.code}"


def owner(j: Jemaah, field: str) -> Unit:
    """The unit that owns ``field`` of this pilgrim's data."""
    if field == "kloter" and j.kloter is not None:
        return Unit("emb", j.kloter.embarkasi, j.kloter.embarkasi)
    if field == "documents":
        return Unit("prop", j.kd_prop, j.provinsi)
    return Unit("kab", j.kd_kab, j.kabupaten)


def valid_key(key: str) -> bool:
    """A unit as an account may be bound to it: ``kind:code``, code letters and digits."""
    kind, _, code = key.partition(":")
    return kind in KINDS and code.isalnum() and len(code) <= 10 and code.upper() == code


def snapshot(j: Jemaah, field: str) -> str:
    """The field's value now, as JSON (compared, never shown)."""
    return json.dumps(_values(j, field), sort_keys=True, default=str)


def _values(j: Jemaah, field: str) -> dict[str, object]:
    k = j.kloter
    by_field: dict[str, dict[str, object]] = {
        "estimate": {
            "estimasi_masehi": j.estimasi_masehi,
            "estimasi_hijriah": j.estimasi_hijriah,
            "posisi_porsi": j.posisi_porsi,
            "kuota": j.kuota,
        },
        "kloter": {
            "kloter": k.kode if k else None,
            "embarkasi": k.embarkasi if k else None,
            "masuk_asrama": k.masuk_asrama if k else None,
            "berangkat": k.berangkat if k else None,
            "no_penerbangan": k.no_penerbangan if k else None,
            "pulang": k.pulang if k else None,
        },
        "documents": {"status_paspor": j.status_paspor, "status_visa": j.status_visa},
        "payment": {
            "status_pelunasan": j.status_pelunasan,
            "biaya_bipih": j.biaya_bipih,
            "sisa_pelunasan": j.sisa_pelunasan,
            "batas_pelunasan": j.batas_pelunasan,
        },
        "name": {"nama": j.nama},
    }
    if field in by_field:
        return by_field[field]
    # "other": any change in the pilgrim's row but its update stamp.
    return {name: v for values in by_field.values() for name, v in values.items()} | {
        "status_porsi": j.status_porsi,
        "tgl_lahir": j.tgl_lahir,
        "kd_kab": j.kd_kab,
    }
