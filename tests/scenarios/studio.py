"""Recording prompts by phone (*79 from a staff phone), for both tiers: an admin signs in,
keys a prompt's number, records after the beep and keeps it, and the next call hears the
recording; a wrong PIN, a locked phone, an unknown prompt number, recording again and
cancelling.

The prompt recorded is ``you-entered`` (the echo route's read-back: `*500`), so the next
call that hears it is short. The sound Asterisk plays for it is checked to be the
recording (``check_next_call_hears_the_recording``)."""

from __future__ import annotations

import wave
from dataclasses import dataclass

from ivr.admin.audit import Audit
from ivr.admin.studio import Studio, recorded_dirs
from ivr.agents.store import AgentStore
from ivr.prompts import build
from ivr.prompts.catalog import SOUND_DIR, Catalog
from ivr.testcall import CallResult
from tests.rig.hotline import Scenario
from tests.scenarios.tier import Tier, guard_of

PROMPT = "you-entered"  # what the scenarios record
STAFF_PHONE = "hajj-agent-phone"
RECORD = "*79"
KEPT = "Rekaman disimpan. Penelepon berikutnya akan mendengarnya."
CANCELLED = "Perekaman dibatalkan. Prompt tidak berubah."
WRONG = "Maaf, nomor admin atau PIN tidak sesuai."
LOCKED_SAID = "Maaf, demi keamanan, perekaman dari telepon ini dikunci"
UNKNOWN = "Maaf, nomor prompt tersebut tidak ada."
EMPTY = "Maaf, rekaman kosong atau terlalu pendek"
# After the prompt's number: its current text, the recording prompt and the beep, then
# the admin speaks a few seconds and ends with "#".
TO_BEEP = "W" * 9
SPEAK = "WW#"
# A voice from the prompt's number on: the recording starts during it; "#" ends it.
AFTER_VOICE = "WW"


@dataclass(frozen=True)
class Admin:
    name: str
    number: str
    pin: str


def admin_of(tier: Tier, name: str = "perekam") -> Admin:
    store = AgentStore(tier.config.agents_path)
    if name not in [a.name for a in store.all(role="admin")]:
        store.add(name, 0, role="admin")
    number, pin = Studio(tier.config).new_pin(name)
    return Admin(name, number, pin)


def number_of(tier: Tier, prompt: str = PROMPT) -> int:
    return Catalog.load(tier.config.prompts_dir, tier.config.overrides_dir).number_of()[prompt]


def sign_in(admin: Admin, pin: str = "") -> str:
    return f"{admin.number}#W{pin or admin.pin}#W"


def keyed(tier: Tier, admin: Admin, review: str) -> str:
    """Sign in, key the prompt's number, record, then ``review`` keys; "#" alone: done."""
    return f"{sign_in(admin)}{number_of(tier)}#{TO_BEEP}{SPEAK}W{review}WWWW#"


def scenario(dtmf: str, caller: str, after_voice: str = "") -> Scenario:
    """A call from a staff phone (its context) to *79, to its natural end. With
    ``after_voice`` the admin speaks after ``dtmf``, then keys that."""
    return Scenario(
        dtmf,
        None,
        120,
        f'"Staf" <{caller}>',
        audio=bool(after_voice),
        context=STAFF_PHONE,
        number=RECORD,
        dtmf_after=after_voice,
    )


def forget(tier: Tier) -> None:
    """The prompt as the build makes it again (the recording by phone removed)."""
    config = tier.config
    if (recorded_dirs(config)[0] / f"{PROMPT}.wav").exists():
        catalog = Catalog.load(config.prompts_dir, config.overrides_dir)
        Studio(config).forget(catalog[PROMPT], number_of(tier), "tests")


def place(tier: Tier, name: str, dtmf: str, caller: str, after_voice: str = "") -> CallResult:
    return tier.calls({name: scenario(dtmf, caller, after_voice)})[name]


def record_and_keep(tier: Tier) -> tuple[CallResult, CallResult]:
    """An admin records the prompt and keeps it; then a caller's echo call hears it."""
    admin = admin_of(tier)
    # The admin speaks from the prompt's number on (through the beep) and stops talking
    # with "#", then keeps the take (3) and is done (# alone).
    spoken = f"{sign_in(admin)}{number_of(tier)}#"
    kept = place(tier, "keep", spoken, "0811000031", f"{AFTER_VOICE}#W3WWWW#")
    after = tier.call("12", number="*500", timeout=60)
    return kept, after


# --- checks ------------------------------------------------------------------------------


def check_kept_by_phone(tier: Tier, kept: CallResult) -> None:
    notes = tier.notes(kept.call_id)
    number = number_of(tier)
    assert f"studio: prompt {number} ({PROMPT}) kept" in notes, notes
    assert KEPT in tier.spoken(kept.call_id)
    recording = recorded_dirs(tier.config)[0] / f"{PROMPT}.wav"
    with wave.open(str(recording)) as w:  # what RECORD FILE wrote (the voice), kept
        assert w.getframerate() == 8000 and w.getnframes() > 8000  # over a second
    assert build.voice_of(tier.config.sounds_dir)[PROMPT] == build.RECORDED
    entries = [r for r in Audit.for_config(tier.config).recent(10) if r.what == "recording"]
    assert entries and entries[0].who == "perekam" and PROMPT in entries[0].detail
    # The PIN is never in the transcript: its keys are masked.
    _, transcript = tier.record(kept.call_id)
    assert "******" in [x.text for x in transcript if x.kind == "input"]
    takes = list(tier.config.recordings_dir.glob("prompt-take-*"))
    assert takes == []  # no take outlives its call


def check_next_call_hears_the_recording(tier: Tier, after: CallResult) -> None:
    """The next call plays the prompt (its text in the transcript), and the file Asterisk
    plays for it is the admin's recording, converted (no restart in between)."""
    catalog = Catalog.load(tier.config.prompts_dir)
    lines = tier.spoken(after.call_id)
    assert any(line.startswith(catalog[PROMPT].text) for line in lines), lines
    played = build.target_dir(tier.config.sounds_dir) / f"{PROMPT}.wav"
    expected = played.with_name(".expected.wav")
    build.telephone_wav(recorded_dirs(tier.config)[0] / f"{PROMPT}.wav", expected)
    try:
        assert played.read_bytes() == expected.read_bytes()
    finally:
        expected.unlink()
    assert f"{SOUND_DIR}/{PROMPT}" == catalog[PROMPT].sound


def check_wrong_pin_three_times(tier: Tier) -> None:
    admin = admin_of(tier)
    wrong = f"{(int(admin.pin) + 1) % 1_000_000:06d}"
    tries = sign_in(admin, wrong) * 3
    result = place(tier, "wrong", tries + "WWWW", "0811000032")
    lines = tier.spoken(result.call_id)
    assert lines.count(WRONG) == 3
    assert not any(line.startswith("Tekan nomor prompt") for line in lines)
    _, transcript = tier.record(result.call_id)
    assert not any(wrong in x.text for x in transcript)  # the PIN keyed is masked


def check_locked_phone_refuses_the_right_pin(tier: Tier) -> None:
    admin = admin_of(tier)
    with guard_of(tier) as guard:
        for _ in range(tier.config.prompts.pin_lock_failures):
            guard.pin_failed("0811000033")
    result = place(tier, "locked", sign_in(admin) + "WWW", "0811000033")
    lines = tier.spoken(result.call_id)
    assert any(line.startswith(LOCKED_SAID) for line in lines)
    assert not any(line.startswith("Tekan nomor prompt") for line in lines)


def check_locked_admin_number_from_another_phone(tier: Tier) -> None:
    """Guessing one admin's PIN from many phones locks that admin, right PIN or not."""
    admin = admin_of(tier, "perekam-dua")
    with guard_of(tier) as guard:
        for n in range(tier.config.prompts.pin_lock_failures):
            guard.pin_failed(f"08110009{n:02d}", admin.number)
    result = place(tier, "locked-admin", sign_in(admin) + "WWW", "0811000034")
    assert any(line.startswith(LOCKED_SAID) for line in tier.spoken(result.call_id))


def check_unknown_prompt_number(tier: Tier) -> None:
    admin = admin_of(tier)
    taken = set(Catalog.load(tier.config.prompts_dir).numbers())
    missing = next(n for n in range(1000, 10_000) if n not in taken)
    result = place(tier, "unknown", f"{sign_in(admin)}{missing}#WWWWWW#WW", "0811000035")
    lines = tier.spoken(result.call_id)
    assert UNKNOWN in lines
    assert f"studio: no prompt {missing}" in tier.notes(result.call_id)


def check_record_again_then_keep(tier: Tier) -> None:
    admin = admin_of(tier)
    keys = f"{sign_in(admin)}{number_of(tier)}#{TO_BEEP}{SPEAK}W2WWWWW{SPEAK}W3WWWW#"
    result = place(tier, "again", keys, "0811000036")
    notes = tier.notes(result.call_id)
    assert notes.count("studio: take recorded") == 2, notes
    assert f"studio: prompt {number_of(tier)} ({PROMPT}) kept" in notes
    forget(tier)


def check_cancel_changes_nothing(tier: Tier) -> None:
    forget(tier)
    admin = admin_of(tier)
    logged = len(Audit.for_config(tier.config).recent(100))
    result = place(tier, "cancel", keyed(tier, admin, "1WWWW*"), "0811000037")
    lines = tier.spoken(result.call_id)
    assert "(rekaman admin)" in lines  # heard the take, then cancelled
    assert CANCELLED in lines
    assert not (recorded_dirs(tier.config)[0] / f"{PROMPT}.wav").exists()
    assert build.voice_of(tier.config.sounds_dir).get(PROMPT) != build.RECORDED
    assert len(Audit.for_config(tier.config).recent(100)) == logged


def check_empty_take_is_not_kept(tier: Tier) -> None:
    """ "#" during the beep: RECORD FILE records nothing. Keeping it is refused (a silent
    prompt would reach every caller); the admin cancels."""
    forget(tier)
    admin = admin_of(tier)
    keys = f"{sign_in(admin)}{number_of(tier)}#{'W' * 8}#W3WW*WWWW#"
    result = place(tier, "empty", keys, "0811000038")
    notes = tier.notes(result.call_id)
    assert "studio: take empty" in notes and "studio: take recorded" not in notes
    assert any(line.startswith(EMPTY) for line in tier.spoken(result.call_id))
    assert f"studio: prompt {number_of(tier)} ({PROMPT}) unchanged" in notes
    assert not (recorded_dirs(tier.config)[0] / f"{PROMPT}.wav").exists()
