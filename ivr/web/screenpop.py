"""The agent's screen pop: who is calling and what the IVR learned, from AMI events.

app_queue's events carry the caller's HAJJ_* variables (manager.conf channelvars); the
call log adds the menu path, the data mirror the pilgrim's status and estimate (and, once
the caller was verified, name, kloter, documents and payment). Each
agent's latest pop is kept and pushed to their open console pages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ivr import chanvars, handover
from ivr.ami import events
from ivr.ami.client import AmiClient
from ivr.ami.events import number
from ivr.calllog import CallLogReader
from ivr.data.mirror import Jemaah, Mirror
from ivr.errors import HajjIvrError
from ivr.outcomes import Reason
from ivr.queue.resync import Live, snapshot
from ivr.settings import DatabaseSettings

log = logging.getLogger(__name__)

# Why the call came to a person, in the agent's words.
REASONS: dict[str, str] = {
    Reason.CALLER_REQUEST: "Penelepon meminta petugas (tombol 0)",
    Reason.NO_INPUT: "Penelepon tidak menekan tombol",
    Reason.PORSI_FAILED: "Nomor porsi gagal dimasukkan 3 kali",
    Reason.LICENCE_FAILED: "Nomor izin biro umrah (PPIU) gagal dimasukkan 3 kali",
    Reason.DOB_FAILED: "Tanggal lahir salah 3 kali",
    Reason.STATUS_NEEDS_AGENT: "Status porsi perlu ditangani petugas",
    Reason.LOOKUP_ERROR: "Data tidak dapat dibaca",
    Reason.CONTROLLER_UNREACHABLE: "Sistem IVR tidak tersedia",
    Reason.CONTROLLER_INCOMPLETE: "Sistem IVR terputus",
    Reason.CONTROLLER_ERROR: "Kesalahan sistem IVR",
    Reason.CONTROLLER_RESTART: "Sistem IVR dimulai ulang",
    Reason.NODE_SILENT: "Server IVR yang menerima panggilan ini mati",
    Reason.UNKNOWN_ROUTE: "Rute IVR tidak dikenal",
    Reason.CALLBACK: "Panggilan balik yang diminta penelepon",
    Reason.SCHEDULE_CHANGE: "Jemaah yang kami telepon soal perubahan jadwal kloter",
    Reason.COMPLAINT_REQUEST: "Penelepon di menu pengaduan meminta petugas",
    Reason.DOB_LOCKED: "Tanggal lahir terkunci: terlalu banyak percobaan salah (cek identitas)",
    Reason.LOOKUP_LIMIT: "Nomor ini melewati batas pencarian porsi per jam",
    Reason.COMPLAINT_LOCKED: "Status pengaduan terkunci: terlalu banyak nomor/PIN salah",
    Reason.COMPLAINT_NO_PIN: "Pengaduan lama tanpa PIN: pastikan penelepon pemiliknya",
    Reason.CORRECTION_RESOLVED: "Laporan data sudah ditindaklanjuti unit: sampaikan hasilnya",
}
EVENTS = ("AgentCalled", "AgentConnect", "AgentComplete", "AgentRingNoAnswer", "QueueCallerAbandon")
STATES = {
    "AgentCalled": "ringing",
    "AgentConnect": "connected",
    "AgentComplete": "ended",
    "AgentRingNoAnswer": "missed",
    "QueueCallerAbandon": "abandoned",
}
LIVE_STATES = ("ringing", "connected")  # a pop the agent acts on now


def pilgrim_facts(j: Jemaah, verified: bool) -> dict[str, Any]:
    """What the agent may see of the pilgrim. The status and the departure estimate are
    public (the IVR says them to anyone who keys the porsi); the name, region, kloter,
    documents and payment are personal data, shown only when the caller proved to be the
    pilgrim (date of birth keyed: HAJJ_VERIFIED=yes for this porsi)."""
    public: dict[str, Any] = {
        "status": j.status_porsi,
        "estimate": j.estimasi_masehi,
        "estimate_hijri": j.estimasi_hijriah,
    }
    # Said with the status to any caller (a cancelled porsi's refund, a delegated one's heir).
    if j.tahap_pengembalian:
        public["refund"] = f"{j.tahap_pengembalian} {j.tgl_pengembalian}"
    if j.porsi_pelimpahan:
        public["heir_porsi"] = j.porsi_pelimpahan
    if not verified:
        return public
    kloter = j.kloter
    return public | {
        "name": j.nama,
        "province": j.provinsi,
        "kabupaten": j.kabupaten,
        "kloter": kloter.kode if kloter else None,
        "embarkasi": kloter.embarkasi if kloter else None,
        "departure": kloter.berangkat.isoformat() if kloter else None,
        "passport": j.status_paspor,
        "visa": j.status_visa,
        "payment": j.status_pelunasan,
    }


def rows(pop: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The console's table, label and text, in order; "" shows as a dash. A new fact for
    the agent is a row here (and a field of ivr.handover.Handover): the console renders
    whatever rows it gets."""
    p = pop.get("pilgrim") or {}
    return [
        ("Nomor penelepon", pop["caller"]),
        ("Alasan", pop["reason_text"]),
        ("Nomor porsi", pop["porsi"]),
        (
            "Tanggal lahir terverifikasi",
            ("Ya" if pop["verified"] else "Tidak") * bool(pop["porsi"]),
        ),
        ("Nama jemaah", _text(p.get("name"))),
        ("Status porsi", _text(p.get("status"))),
        ("Pengembalian dana", _text(p.get("refund"))),
        ("Porsi ahli waris", _text(p.get("heir_porsi"))),
        ("Perkiraan berangkat", _both(p, "estimate", "{} M / {} H", "estimate_hijri")),
        ("Kloter", _both(p, "kloter", "{} ({})", "embarkasi")),
        ("Paspor / visa", _both(p, "passport", "{} / {}", "visa")),
        ("Pelunasan", _text(p.get("payment"))),
        ("Daerah", _both(p, "kabupaten", "{}, {}", "province")),
        ("Topik ditanyakan", ", ".join(pop["topics"])),
        ("Nomor pengaduan", pop["ticket"]),
        ("Izin biro umrah ditanyakan", _licence(pop.get("ppiu", ""))),
        ("Laporan data tidak sesuai", pop.get("correction", "")),
        ("Lama menunggu", _minutes(pop["waited"])),
        ("Antrean", pop["queue"]),
    ]


def _text(value: object) -> str:
    return "" if value is None else str(value)


# What an umrah licence lookup found (ivr.data.ppiu.Check), in the agent's words.
LICENCE_FOUND = {
    "licensed": "berizin",
    "frozen": "izin dibekukan",
    "revoked": "izin dicabut",
    "unknown": "tidak terdaftar",
    "no_list": "daftar PPIU tidak tersedia",
}


def _licence(asked: str) -> str:
    """ "8120001357924 revoked" -> "8120001357924 (izin dicabut)"."""
    number, _, found = asked.partition(" ")
    return f"{number} ({LICENCE_FOUND.get(found, found)})" if found else number


def _both(facts: Mapping[str, Any], key: str, form: str, other: str) -> str:
    """Two facts in one cell, when the first is known."""
    return form.format(facts[key], facts.get(other)) if facts.get(key) else ""


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = math.floor(seconds + 0.5)
    return f"{whole // 60} mnt {whole % 60} dtk"


class ScreenPop:
    def __init__(
        self,
        calllog: Path,
        mirror: Path,
        clock: Callable[[], float] = time.time,
        database: DatabaseSettings | None = None,
    ) -> None:
        self.calls = CallLogReader(calllog, database)  # the menu path: PostgreSQL's with a URL
        self.mirror_path = mirror
        self._mirror: Mirror | None = None
        self.clock = clock
        self.latest: dict[str, dict[str, Any]] = {}  # agent name -> pop
        self._by_call: dict[str, str] = {}  # call id -> agent being rung / talking
        self._listeners: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}

    def _lookup(self, porsi: str) -> Jemaah | None:
        try:
            if self._mirror is None:
                self._mirror = Mirror(self.mirror_path)
            return self._mirror.lookup(porsi)
        except HajjIvrError:
            return None

    def on_event(self, event: Mapping[str, str]) -> None:
        name = event.get("Event", "")
        call_id = event.get("Uniqueid", "")
        agent = event.get("MemberName", "") or self._by_call.get(call_id, "")
        if name not in STATES or not agent:
            return
        if name == "AgentCalled" or agent not in self.latest:
            pop = self.build(event)
        else:
            pop = dict(self.latest[agent])
        pop["state"] = STATES[name]
        pop["updated"] = self.clock()
        if name == "AgentConnect":
            pop["waited"] = number(event, "HoldTime", pop.get("waited", 0))
            self._by_call[call_id] = agent
        elif name in ("AgentComplete", "QueueCallerAbandon", "AgentRingNoAnswer"):
            self._by_call.pop(call_id, None)
        else:
            self._by_call[call_id] = agent
        if pop.get("call_id") != call_id and name != "AgentCalled":
            return  # an old call's late event must not overwrite the current pop
        self._push(agent, pop)

    def _push(self, agent: str, pop: dict[str, Any]) -> None:
        pop = pop | {"rows": rows(pop)}
        self.latest[agent] = pop
        for queue in self._listeners.get(agent, set()):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(pop)

    async def on_connect(self, ami: AmiClient) -> None:
        """After each AMI login: calls that ended while AMI was down stop showing live."""
        try:
            self.resync(await snapshot(ami, self.clock))
        except HajjIvrError as e:  # the next login tries again
            log.warning("screen pop resync skipped: %s", e)

    def resync(self, live: Live) -> None:
        for call_id in [c for c in self._by_call if c not in live.channels]:
            del self._by_call[call_id]
        for agent, pop in list(self.latest.items()):
            if pop.get("state") in LIVE_STATES and pop.get("call_id") not in live.channels:
                self._push(agent, pop | {"state": "ended", "updated": self.clock()})

    def build(self, event: Mapping[str, str]) -> dict[str, Any]:
        known = handover.from_event(event)
        call_id = event.get("Uniqueid", "")
        pilgrim = self._lookup(known.porsi) if known.porsi else None
        waited = None if known.wait_from is None else round(self.clock() - known.wait_from, 1)
        return {
            "call_id": call_id,
            "agent": event.get("MemberName", ""),
            "queue": event.get("Queue", ""),
            "caller": event.get("CallerIDNum", ""),
            "caller_name": event.get("CallerIDName", ""),
            "porsi": known.porsi,
            "verified": known.verified,
            "reason": known.reason,
            "reason_text": REASONS.get(known.reason, known.reason),
            "topics": list(known.topics),
            "callback_id": "" if known.callback_id is None else str(known.callback_id),
            "ticket": known.ticket,
            "ppiu": known.ppiu,
            "correction": known.correction,
            "waited": waited,
            "pilgrim": pilgrim_facts(pilgrim, known.verified) if pilgrim else None,
            # On an agent node the call was logged by the IVR node that took it (its id
            # came in a header; the call log is shared with [database] url).
            "path": self._path(events.variables(event).get(chanvars.IVR_CALL) or call_id),
        }

    def _path(self, call_id: str) -> list[str]:
        """The menu path: keys pressed and decisions, in order (no date of birth)."""
        path = []
        for line in self.calls.transcript(call_id):
            if line.kind == "input":
                path.append(f"tekan {line.text or '(tidak ada)'}")
            elif line.kind == "event" and not line.text.startswith("queue "):
                path.append(_said(line.text))
        return path

    def subscribe(self, agent: str) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=100)
        self._listeners.setdefault(agent, set()).add(queue)
        return queue

    def unsubscribe(self, agent: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._listeners.get(agent, set()).discard(queue)


def _said(event: str) -> str:
    """A call-log event as the agent reads it: the hand-over in the pop's own words."""
    reason = event.removeprefix("to agent: ")
    return f"ke petugas: {REASONS.get(reason, reason)}" if reason != event else event
