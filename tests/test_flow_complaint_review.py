"""A caller hears their own complaint recording through Call.say (issue 12, point 4):
the playback is in the transcript, and a key pressed during it answers the review menu
instead of being lost."""

from __future__ import annotations

from ivr.flows.complaint import RECORDING_HEARD
from tests.rig.fast import FastHotline
from tests.scenarios import complaints as checks


def test_complaint_key_during_review_playback_answers_the_review_menu(
    fast: FastHotline,
) -> None:
    # "1" at the review plays the recording back; "2" while it plays records again.
    keys = checks.FILE + "W" * 11 + "12"
    result = fast.call(keys, caller_id='"Uji" <0811000024>', timeout=120, audio=True)
    _, lines = fast.record(result.call_id)
    playback = [x for x in lines if x.kind == "say" and x.text == RECORDING_HEARD]
    assert len(playback) == 1 and playback[0].interrupted
    assert fast.notes(result.call_id).count("complaint recorded") == 2
    ticket = checks.ticket_of(fast, result.call_id)
    assert not ticket.partial and (fast.config.recordings_dir / ticket.recording).exists()
