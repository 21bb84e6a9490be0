"""The agent's screen pop from app_queue events, the call log and the data mirror."""

from __future__ import annotations

import asyncio

import pytest

from ivr.calllog import CallLog
from ivr.data import sample
from ivr.data.importer import import_export
from ivr.outcomes import Outcome
from ivr.queue.resync import Live
from ivr.web.screenpop import ScreenPop
from tests.rig import callstores
from tests.rig.postgres import Backend

SOC = sample.FIXED_PILGRIMS[0]
CALL = "1795650000.9"


@pytest.fixture
def pop(backend: Backend) -> ScreenPop:
    """The screen pop over a call logged on either backend (the menu path read back)."""
    tmp_path = backend.folder
    sample.write_sample(tmp_path / "export")
    import_export(tmp_path / "export", tmp_path / "mirror.sqlite", imported_by="tests")
    calllog = CallLog.over(callstores.stores(backend))
    calllog.start(CALL, "081234567890", "hotline")
    calllog.add(CALL, "input", "1")
    calllog.add(CALL, "event", f"porsi found: {SOC.status_porsi}")
    calllog.add(CALL, "input", "****", "")
    calllog.add(CALL, "event", "to agent: dob_failed")
    calllog.add(CALL, "event", "queue hajj-tier1: waiting, position 1")
    calllog.finish(CALL, Outcome.AGENT, "dob_failed")
    return ScreenPop(
        tmp_path / callstores.FILE,
        tmp_path / "mirror.sqlite",
        clock=lambda: 1130.0,
        database=callstores.database(backend),
    )


def called(agent: str, name: str = "AgentCalled", **extra: str) -> dict[str, str]:
    return {
        "Event": name,
        "Uniqueid": CALL,
        "Queue": "hajj-tier1",
        "MemberName": agent,
        "CallerIDNum": "081234567890",
        "ChanVariable": f"HAJJ_PORSI={SOC.nomor_porsi}\nHAJJ_REASON=dob_failed\n"
        "HAJJ_VERIFIED=no\nHAJJ_TOPICS=estimate kloter\nHAJJ_WAIT_FROM=1100",
    } | extra


def test_screenpop_ringing_agent_sees_caller_porsi_pilgrim_reason_path(pop: ScreenPop) -> None:
    pop.on_event(called("alice"))
    p = pop.latest["alice"]
    assert (p["state"], p["caller"], p["porsi"], p["reason"]) == (
        "ringing",
        "081234567890",
        SOC.nomor_porsi,
        "dob_failed",
    )
    assert p["reason_text"] == "Tanggal lahir salah 3 kali" and p["verified"] is False
    assert p["topics"] == ["estimate", "kloter"] and p["waited"] == 30.0
    # Not verified: the public facts only (what the IVR says to anyone with the porsi).
    assert set(p["pilgrim"]) == {"status", "estimate", "estimate_hijri"}
    assert (p["pilgrim"]["status"], p["pilgrim"]["estimate"]) == (
        SOC.status_porsi,
        SOC.estimasi_masehi,
    )
    # The menu path: keys and decisions; a date of birth stays masked, queue noise out.
    assert p["path"] == [
        "tekan 1",
        f"porsi found: {SOC.status_porsi}",
        "tekan ****",
        "ke petugas: Tanggal lahir salah 3 kali",  # the hand-over in the agent's words
    ]


def test_screenpop_follows_the_call_and_pushes_to_open_pages(pop: ScreenPop) -> None:
    async def run() -> list[str]:
        page = pop.subscribe("alice")
        pop.on_event(called("alice"))
        pop.on_event(called("alice", "AgentConnect", HoldTime="35"))
        pop.on_event(called("alice", "AgentComplete", TalkTime="60", Reason="caller"))
        states = [(await page.get())["state"] for _ in range(3)]
        pop.unsubscribe("alice", page)
        return states

    assert asyncio.run(run()) == ["ringing", "connected", "ended"]
    assert pop.latest["alice"]["waited"] == 35.0


def test_screenpop_a_late_event_of_an_old_call_leaves_the_new_pop(pop: ScreenPop) -> None:
    pop.on_event(called("alice"))
    pop.on_event(called("alice", Uniqueid="1795650001.1", ChanVariable="HAJJ_REASON=no_input"))
    pop.on_event(called("alice", "AgentRingNoAnswer"))  # the first call's ring ends late
    assert pop.latest["alice"]["call_id"] == "1795650001.1"
    assert pop.latest["alice"]["state"] == "ringing"
    assert pop.latest["alice"]["porsi"] == "" and pop.latest["alice"]["pilgrim"] is None


def test_screenpop_resync_call_gone_while_ami_was_down_pop_ends(pop: ScreenPop) -> None:
    pop.on_event(called("alice", "AgentConnect", HoldTime="12"))
    pop.on_event(called("bob", "AgentCalled", Uniqueid="1795650000.10"))
    pages = pop.subscribe("alice")
    pop.resync(Live(1130.0, frozenset({"1795650000.10"}), frozenset()))
    assert pop.latest["alice"]["state"] == "ended" and pages.get_nowait()["state"] == "ended"
    assert pop.latest["bob"]["state"] == "ringing"  # still up: untouched
    # The ended call's late events change nothing any more.
    pop.on_event(called("alice", "AgentComplete"))
    assert pop.latest["alice"]["state"] == "ended"


def test_screenpop_verified_caller_shows_name_kloter_documents_and_payment(
    pop: ScreenPop,
) -> None:
    verified = called("alice")["ChanVariable"].replace("HAJJ_VERIFIED=no", "HAJJ_VERIFIED=yes")
    pop.on_event(called("alice", ChanVariable=verified))
    p = pop.latest["alice"]
    assert p["verified"] is True
    facts = p["pilgrim"]
    assert (facts["name"], facts["kloter"], facts["status"]) == (
        SOC.nama,
        SOC.kloter,
        SOC.status_porsi,
    )
    assert {"departure", "passport", "visa", "payment", "kabupaten"} <= set(facts)


def test_screenpop_verified_for_another_porsi_is_not_verified(pop: ScreenPop) -> None:
    """HAJJ_VERIFIED comes from the controller for the porsi in HAJJ_PORSI; a caller who
    never reached the date of birth has no HAJJ_VERIFIED at all."""
    unverified = called("alice")["ChanVariable"].replace("HAJJ_VERIFIED=no\n", "")
    pop.on_event(called("alice", ChanVariable=unverified))
    assert "name" not in pop.latest["alice"]["pilgrim"]


def test_screenpop_rows_give_the_console_every_fact_as_text(pop: ScreenPop) -> None:
    pop.on_event(called("alice"))
    pop.on_event(called("alice", "AgentConnect", HoldTime="75"))
    rows = dict(pop.latest["alice"]["rows"])
    assert rows["Nomor penelepon"] == "081234567890" and rows["Nomor porsi"] == SOC.nomor_porsi
    assert rows["Alasan"] == "Tanggal lahir salah 3 kali"
    assert rows["Tanggal lahir terverifikasi"] == "Tidak"
    assert rows["Topik ditanyakan"] == "estimate, kloter"
    assert rows["Lama menunggu"] == "1 mnt 15 dtk"  # updated when the agent answered
    # Not verified: the public facts, the personal ones empty (the console shows a dash).
    assert rows["Status porsi"] == SOC.status_porsi
    assert rows["Nama jemaah"] == rows["Kloter"] == rows["Pelunasan"] == ""


def test_screenpop_shows_the_umrah_licence_asked_and_what_was_found(pop: ScreenPop) -> None:
    asked = "HAJJ_REASON=caller_request\nHAJJ_TOPICS=umrah ppiu\nHAJJ_PPIU=8120001357924 revoked"
    pop.on_event(called("alice", ChanVariable=asked))
    p = pop.latest["alice"]
    assert p["ppiu"] == "8120001357924 revoked"
    assert dict(p["rows"])["Izin biro umrah ditanyakan"] == "8120001357924 (izin dicabut)"


def test_screenpop_shows_the_correction_case_filed_in_the_call(pop: ScreenPop) -> None:
    event = called("alice")
    facts = event["ChanVariable"].replace("=dob_failed", "=correction_resolved")
    event["ChanVariable"] = facts + "\nHAJJ_CORRECTION=1234567897"
    pop.on_event(event)
    rows = dict(pop.latest["alice"]["rows"])
    assert rows["Laporan data tidak sesuai"] == "1234567897"
    assert rows["Alasan"].startswith("Laporan data sudah ditindaklanjuti unit")


def test_screenpop_cancelled_porsi_shows_its_refund_stage_unverified(pop: ScreenPop) -> None:
    """The refund stage and the heir's porsi are said with the status to any caller: the
    agent sees them too, without the date of birth."""
    cancelled = next(p for p in sample.FIXED_PILGRIMS if p.status_porsi == "BATAL")
    variables = called("alice")["ChanVariable"].replace(SOC.nomor_porsi, cancelled.nomor_porsi)
    pop.on_event(called("alice", ChanVariable=variables))
    rows = dict(pop.latest["alice"]["rows"])
    assert (
        rows["Status porsi"] == "BATAL" and rows["Pengembalian dana"] == "DIVERIFIKASI 2026-03-20"
    )
    assert rows["Porsi ahli waris"] == "" and rows["Nama jemaah"] == ""


def test_screenpop_on_an_agent_node_reads_the_path_the_ivr_node_logged(pop: ScreenPop) -> None:
    """The agent node's channel has its own id; the IVR node's came in X-Hajj-Ivr-Call."""
    variables = called("alice")["ChanVariable"] + f"\nHAJJ_IVR_CALL={CALL}"
    pop.on_event(called("alice", Uniqueid="1795659999.7", ChanVariable=variables))
    p = pop.latest["alice"]
    assert p["call_id"] == "1795659999.7"
    assert p["path"][0] == "tekan 1" and len(p["path"]) == 4


def test_screenpop_one_node_without_an_ivr_call_reads_its_own_path(pop: ScreenPop) -> None:
    pop.on_event(called("alice", Uniqueid="1795659999.8"))
    assert pop.latest["alice"]["path"] == []  # nothing logged under the agent node's own id
