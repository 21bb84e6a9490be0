"""The scripted channel: Asterisk's timing rules in simulated time (dtmf_stream, barge-in by
escape digits only, keys lost between commands, RECORD FILE's end rules, hang-ups)."""

from __future__ import annotations

import asyncio
import os
import wave
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from ivr.agi.scripted import (
    Caller,
    Key,
    ScriptedChannel,
    ScriptedLine,
    SoundLengths,
    VirtualClock,
    keys_of,
)
from ivr.channel import Channel
from ivr.errors import AgiCommandFailed, CallerHangup

T = TypeVar("T")
START = 1_776_000_000.0


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def tone(path: Path, seconds: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * round(seconds * 8000))
    return path


@pytest.fixture
def lengths(tmp_path: Path) -> SoundLengths:
    sounds = tmp_path / "sounds"
    tone(sounds / "id" / "hajj" / "ten.wav", 10.0)
    tone(sounds / "id" / "hajj" / "two.wav", 2.0)
    tone(sounds / "id" / "hajj" / "queue-periodic.wav", 3.0)
    tone(sounds / "id" / "beep.wav", 0.4)
    return SoundLengths(sounds)


def line_of(
    lengths: SoundLengths,
    keys: tuple[tuple[float, str], ...] = (),
    hangs_up_at: float = 300.0,
    speaks: tuple[float, float] | None = None,
    until: Any = lambda: False,
) -> ScriptedLine:
    caller = Caller("0811000020", tuple(Key(at, d) for at, d in keys), speaks, hangs_up_at)
    return ScriptedLine("line-1", caller, VirtualClock(START), lengths, until)


# --- the caller's script -----------------------------------------------------------------


KEYS_OF = {
    # delay 1.0, 100 ms quiet, 150 ms tone: the first key ends at 1.25; 300 ms gap
    "two-keys": ("12", [(1.25, "1"), (1.70, "2")], 2.0),
    # W: a second without a gap; w: half a second
    "pauses": ("1Ww2", [(1.25, "1"), (3.20, "2")], 3.5),
    "no-keys": ("", [], 1.0),  # SendDTMF does not run: no quiet either
    "only-pause": ("W", [], 2.1),
}


@pytest.mark.parametrize("case", KEYS_OF)
def test_keys_of_follows_dtmf_streams_timing(case: str) -> None:
    dtmf, expected, done = KEYS_OF[case]
    keys, keyed = keys_of(dtmf, 1.0, 300, 150)
    assert [(round(k.at, 6), k.digit) for k in keys] == expected
    assert keyed == pytest.approx(done)


@dataclass(frozen=True)
class Spec:
    dtmf: str = "1"
    delay: float = 1.0
    gap_ms: int = 300
    duration_ms: int = 150
    hold: float = 300.0
    timeout: float = 120.0
    caller_id: str = '"Uji" <0811000020>'
    audio: bool = False
    dtmf_after: str = ""


def test_caller_keys_after_the_voice(lengths: SoundLengths) -> None:
    """TestCall.dtmf_after: the keys come once the voice ended, SendDTMF's timing."""
    caller = Caller.from_test_call(Spec(audio=True, dtmf_after="W3", hold=5.0), lengths)
    assert caller.speaks is not None
    first, after = caller.keys
    assert first.digit == "1" and first.at <= caller.speaks[0]
    assert after.digit == "3" and after.at > caller.speaks[1] + 1.0
    assert caller.hangs_up_at == pytest.approx(after.at + 0.3 + 5.0)


def test_caller_hangs_up_after_keys_voice_and_hold_or_at_the_timeout(
    lengths: SoundLengths,
) -> None:
    held = Caller.from_test_call(Spec(hold=5.0), lengths)
    assert held.number == "0811000020" and held.speaks is None
    assert held.hangs_up_at == pytest.approx(1.55 + 5.0) and not held.cut_by_test
    timed_out = Caller.from_test_call(Spec(), lengths)  # hold 300 s, timeout 120 s
    assert timed_out.hangs_up_at == 120.0 and timed_out.cut_by_test
    speaking = Caller.from_test_call(Spec(hold=5.0, audio=True), lengths)
    assert speaking.speaks == pytest.approx((1.55, 1.55 + 2 * 3.0))
    assert speaking.hangs_up_at == pytest.approx(1.55 + 6.0 + 5.0)


# --- commands ----------------------------------------------------------------------------


def test_scripted_channel_is_a_channel(lengths: SoundLengths) -> None:
    channel: Channel = line_of(lengths).session("hotline")
    assert channel.env["agi_network_script"] == "hotline"
    assert channel.env["agi_callerid"] == "0811000020"
    assert channel.uniqueid == "line-1" and not channel.hung_up


def test_stream_file_lasts_its_wav_and_moves_the_clock(lengths: SoundLengths) -> None:
    line = line_of(lengths)
    assert run(line.session("hotline").stream_file("hajj/ten", "0123456789")) == ""
    assert line.t == pytest.approx(10.0)
    assert line.clock() == pytest.approx(START + 10.0)


def test_stream_file_escape_key_cuts_it_when_the_tone_ends(lengths: SoundLengths) -> None:
    line = line_of(lengths, keys=((3.0, "5"),))
    assert run(line.session("hotline").stream_file("hajj/ten", "5")) == "5"
    assert line.t == pytest.approx(3.0)


def test_stream_file_keys_not_in_escape_are_dropped(lengths: SoundLengths) -> None:
    line = line_of(lengths, keys=((3.0, "7"), (4.0, "1")))
    channel = line.session("hotline")
    assert run(channel.stream_file("hajj/ten", "123")) == "1"
    assert run(channel.wait_for_digit(5000)) == ""  # the 7 is gone


def test_keys_ending_while_no_command_reads_are_lost(lengths: SoundLengths) -> None:
    line = line_of(lengths, keys=((1.0, "1"), (5.0, "2")))
    assert line.wait(3.0)  # the dialplan's Queue(): nobody reads the "1"
    assert run(line.session("callback").wait_for_digit(10_000)) == "2"
    assert line.t == pytest.approx(5.0)


def test_wait_for_digit_times_out_empty(lengths: SoundLengths) -> None:
    line = line_of(lengths, keys=((9.0, "1"),))
    assert run(line.session("hotline").wait_for_digit(5000)) == ""
    assert line.t == pytest.approx(5.0)


def test_wait_for_digit_negative_waits_until_hang_up(lengths: SoundLengths) -> None:
    line = line_of(lengths, hangs_up_at=42.0)
    with pytest.raises(CallerHangup):
        run(line.session("hotline").wait_for_digit(-1))
    assert line.t == 42.0 and line.hung_up


def test_missing_sound_fails_the_command_like_result_minus_one(lengths: SoundLengths) -> None:
    with pytest.raises(AgiCommandFailed):
        run(line_of(lengths).session("hotline").stream_file("hajj/nope", ""))


def test_sound_with_an_absolute_name_is_that_file(lengths: SoundLengths, tmp_path: Path) -> None:
    recording = tone(tmp_path / "recordings" / "26040001.wav", 1.5)
    assert lengths(str(recording.with_suffix(""))) == pytest.approx(1.5)
    tone(recording, 2.5)  # re-recorded: the new length
    os.utime(recording, ns=(0, 1))
    assert lengths(str(recording.with_suffix(""))) == pytest.approx(2.5)


# --- RECORD FILE -------------------------------------------------------------------------


def record(line: ScriptedLine, tmp_path: Path, max_ms: int = 4000) -> tuple[str, float | None]:
    path = tmp_path / "rec"
    digit = run(line.session("hotline").record_file(str(path), "wav", "#", max_ms, 2))
    written = path.with_suffix(".wav")
    if not written.exists():
        return digit, None
    with wave.open(str(written)) as w:
        return digit, w.getnframes() / w.getframerate()


def recorded(line: ScriptedLine, tmp_path: Path, max_ms: int = 4000) -> tuple[str, float]:
    """The digit that ended the recording and the seconds kept (to the millisecond)."""
    digit, seconds = record(line, tmp_path, max_ms)
    assert seconds is not None, "no file written"
    return digit, round(seconds, 3)


def test_record_silent_caller_ends_after_the_silence_minus_its_trimmed_tail(
    lengths: SoundLengths, tmp_path: Path
) -> None:
    line = line_of(lengths)
    assert recorded(line, tmp_path) == ("", 1.0)  # 2 s of silence, 1 s kept
    assert line.t == pytest.approx(0.4 + 2.0)  # the beep, then the silence


def test_record_caller_speaking_through_runs_to_the_maximum(
    lengths: SoundLengths, tmp_path: Path
) -> None:
    line = line_of(lengths, speaks=(0.0, 30.0))
    assert recorded(line, tmp_path) == ("", 4.0)
    assert line.t == pytest.approx(0.4 + 4.0)


def test_record_short_voice_ends_silence_seconds_after_it(
    lengths: SoundLengths, tmp_path: Path
) -> None:
    line = line_of(lengths, speaks=(0.0, 1.4))
    assert recorded(line, tmp_path, max_ms=10_000) == ("", 2.0)
    assert line.t == pytest.approx(1.4 + 2.0)


def test_record_escape_key_ends_it_and_trims_the_tone(
    lengths: SoundLengths, tmp_path: Path
) -> None:
    line = line_of(lengths, keys=((1.2, "5"), (1.4, "#")), speaks=(0.0, 30.0))
    assert recorded(line, tmp_path) == ("#", 0.8)  # 1.0 s recorded, the tone trimmed


def test_record_escape_key_in_the_beep_records_nothing(
    lengths: SoundLengths, tmp_path: Path
) -> None:
    line = line_of(lengths, keys=((0.2, "#"),))
    assert record(line, tmp_path) == ("#", None)


def test_record_caller_hanging_up_leaves_what_was_recorded(
    lengths: SoundLengths, tmp_path: Path
) -> None:
    line = line_of(lengths, speaks=(0.0, 30.0), hangs_up_at=2.4)
    with pytest.raises(CallerHangup):
        record(line, tmp_path)
    with wave.open(str(tmp_path / "rec.wav")) as w:
        assert w.getnframes() / w.getframerate() == pytest.approx(2.0)


# --- hang-ups ----------------------------------------------------------------------------


def test_hang_up_mid_prompt_then_every_media_command_fails_at_once(
    lengths: SoundLengths,
) -> None:
    line = line_of(lengths, hangs_up_at=4.0)
    channel = line.session("hotline")
    with pytest.raises(CallerHangup):
        run(channel.stream_file("hajj/ten", "1"))
    assert (line.t, line.hung_up, channel.hung_up) == (4.0, True, True)
    assert line.hung_up_by == "caller"
    assert line.events == [{"Event": "Hangup", "Uniqueid": "line-1"}]
    with pytest.raises(CallerHangup):
        run(channel.wait_for_digit(1000))
    assert line.t == 4.0
    # res_agi still runs SET/GET VARIABLE on a dead channel
    run(channel.set_variable("HAJJ_RESULT", "done"))
    assert run(channel.get_variables(["HAJJ_RESULT"])) == {"HAJJ_RESULT": "done"}


def test_until_holding_hangs_up_before_the_next_command(lengths: SoundLengths) -> None:
    said: list[str] = []
    line = line_of(lengths, until=lambda: "two" in said)
    channel = line.session("hotline")
    run(channel.stream_file("hajj/two", ""))
    said.append("two")
    with pytest.raises(CallerHangup):
        run(channel.stream_file("hajj/ten", ""))
    assert line.t == pytest.approx(2.0) and line.hung_up_by == "test"


# --- variables ---------------------------------------------------------------------------


def test_set_variable_keeps_the_bare_name_and_remembers_inheritance(
    lengths: SoundLengths,
) -> None:
    line = line_of(lengths)
    channel = line.session("hotline")
    run(channel.set_variable("__HAJJ_PORSI", "1100123456"))
    run(channel.set_variable("_HAJJ_TICKET", "26040001"))
    run(channel.set_variable("HAJJ_RESULT", "agent"))
    assert line.variables == {
        "HAJJ_PORSI": "1100123456",
        "HAJJ_TICKET": "26040001",
        "HAJJ_RESULT": "agent",
    }
    assert line.inherited == {"HAJJ_PORSI"}
    run(channel.set_variable("HAJJ_RESULT", ""))  # Asterisk deletes it
    assert "HAJJ_RESULT" not in line.variables
    assert run(channel.get_variables(["HAJJ_RESULT"])) == {"HAJJ_RESULT": ""}


def test_get_variables_reads_several_in_one_joined_read(lengths: SoundLengths) -> None:
    line = line_of(lengths)
    line.variables.update({"HAJJ_PORSI": "1100123456", "HAJJ_OFFER": "nobody"})
    read = run(line.session("callback").get_variables(["HAJJ_PORSI", "HAJJ_TOPICS", "HAJJ_OFFER"]))
    assert read == {"HAJJ_PORSI": "1100123456", "HAJJ_TOPICS": "", "HAJJ_OFFER": "nobody"}
    assert line.t == 0.0  # instant, as it is next to any prompt


def test_sessions_on_one_line_share_its_variables_and_clock(lengths: SoundLengths) -> None:
    line = line_of(lengths)
    first: ScriptedChannel = line.session("hotline")
    run(first.set_variable("__HAJJ_REASON", "caller_request"))
    run(first.stream_file("hajj/two", ""))
    later = line.session("callback")
    assert run(later.get_variables(["HAJJ_REASON"])) == {"HAJJ_REASON": "caller_request"}
    assert later.env["agi_network_script"] == "callback" and line.t == pytest.approx(2.0)
