"""Complaints by phone: file one and hear its number, ask its status, hear an officer's
recorded reply, ask for an officer, a wrong number, a hang-up while recording. Each check
places its own calls (a status call needs the ticket filed before it)."""

from __future__ import annotations

import wave
from pathlib import Path

from ivr import speech
from ivr.complaints import replies
from ivr.complaints import tickets as tickets_mod
from ivr.complaints.tickets import Ticket
from ivr.config import Config
from ivr.data.sample import FIXED_PILGRIMS
from ivr.prompts.catalog import Catalog
from tests.rig import web
from tests.rig.hotline import Scenario
from tests.scenarios.tier import Tier

# Main menu 3 (complaints), 1 (new), category 3 (catering), 2 (no porsi); then the caller
# speaks (music) through the beep until record_max_seconds, keys nothing more: sent.
FILE = "3W1W3W2"
NUMBER_SAID = "Pengaduan Anda telah kami terima. Nomor pengaduan Anda adalah"
STATUS = "3W2WWWWWWW"  # main menu 3, 2 (status), then the number
SOC = FIXED_PILGRIMS[0]


def ticket_of(tier: Tier, call_id: str) -> Ticket:
    found = [t for t in tickets_mod.for_config(tier.config).search() if t.call_id == call_id]
    assert found, f"no ticket for {call_id}"
    return found[0]


def digits_spoken(tier: Tier, number: str) -> list[str]:
    catalog = Catalog.load(tier.config.prompts_dir)
    return [catalog[speech.DIGITS[d]].text for d in number]


def file_one(tier: Tier) -> Ticket:
    result = tier.call(FILE, caller_id='"Uji" <0811000020>', timeout=90, audio=True)
    return ticket_of(tier, result.call_id)


def officer_reply(config: Config, ticket: Ticket, voice: Path) -> str:
    """An officer's recorded reply stored for the ticket (the dashboard's upload)."""
    seconds = config.complaints.reply_max_seconds
    return replies.store(config.recordings_dir, ticket.number, voice, "b.wav", seconds)


# --- checks ------------------------------------------------------------------------------


def check_recorded_by_phone(tier: Tier, filed: Ticket) -> None:
    assert (filed.category, filed.source, filed.caller, filed.partial) == (
        "catering",
        "phone",
        "0811000020",
        False,
    )
    recording = tier.config.recordings_dir / filed.recording
    with wave.open(str(recording)) as w:  # a WAV file RECORD FILE wrote
        assert w.getframerate() == 8000 and w.getnframes() > 0
    said = tier.spoken(filed.call_id)
    first = said.index(NUMBER_SAID)
    digits = digits_spoken(tier, filed.number)
    assert said[first + 1 : first + 9] == digits  # one digit per utterance: slowly
    again = said.index("Sekali lagi, nomor pengaduan Anda adalah")
    assert said[again + 1 : again + 9] == digits


def check_status_says_state_and_resolution(tier: Tier, filed: Ticket) -> None:
    result = tier.call(STATUS + filed.number, timeout=60)
    assert "Pengaduan Anda sudah kami terima dan menunggu untuk diperiksa." in tier.spoken(
        result.call_id
    )
    desk = tickets_mod.for_config(tier.config)
    desk.resolve(desk.get(filed.number), "siti", "resolution-refund")
    result = tier.call(STATUS + filed.number, timeout=60)
    said = tier.spoken(result.call_id)
    assert "Pengaduan Anda telah selesai ditangani." in said
    assert any(line.startswith("Pengembalian dana Anda telah diproses") for line in said)


def check_status_plays_the_officers_reply(tier: Tier, tmp_path: Path) -> None:
    desk = tickets_mod.for_config(tier.config)
    ticket = desk.open(source="agent", category="payment", who="siti", caller="0811000021")
    reply = officer_reply(tier.config, ticket, web.tone_wav(tmp_path / "balasan.wav", 2))
    desk.resolve(ticket, "rahmat", "", reply=reply)
    result = tier.call(STATUS + ticket.number, timeout=60)
    said = tier.spoken(result.call_id)
    # One utterance: the introduction, then the recording (its transcript stand-in).
    at = said.index(f"Berikut balasan dari petugas kami. {replies.HEARD}")
    # The file was played (a missing one fails the call to an agent): the flow went on.
    assert Catalog.load(tier.config.prompts_dir)["complaint-officer"].text in said[at:]
    row, _ = tier.record(result.call_id)
    assert row is not None and row.outcome == "served"


def check_officer_sees_the_ticket_number(tier: Tier, filed: Ticket) -> None:
    keys = STATUS + filed.number + "W" * 8 + "0"
    result = tier.call(keys, timeout=60, end_on="UserEvent")  # HajjToAgent
    handed = [e for e in result.events if e.get("UserEvent") == "HajjToAgent"]
    assert handed and handed[0]["Ticket"] == filed.number
    assert handed[0]["Reason"] == "complaint_request"


def check_wrong_number_not_found(tier: Tier, filed: Ticket) -> None:
    wrong = filed.number[:-1] + str((int(filed.number[-1]) + 1) % 10)
    result = tier.call(STATUS + wrong + "WWWWWW", timeout=30)
    assert "Maaf, nomor pengaduan tersebut tidak kami temukan." in tier.spoken(result.call_id)


def check_hang_up_while_recording_keeps_a_flagged_ticket(tier: Tier) -> None:
    def recording(lines: list[str]) -> bool:
        return any(
            line.startswith("Silakan sampaikan pengaduan Anda setelah nada") for line in lines
        )

    result = tier.calls({"hangup": Scenario("3W1W5W2", recording)})["hangup"]
    ticket = ticket_of(tier, result.call_id)
    assert ticket.partial and ticket.recording == f"{ticket.number}.wav"
    assert ticket.category == "documents"
    assert "complaint recording: caller hung up (kept, flagged)" in tier.notes(result.call_id)
