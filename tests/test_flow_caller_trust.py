"""Which caller ID a callback offers back (HAJJ_CALLER_TRUST, set by the dialplan beside a
carrier trunk: ivr/asterisk/trunk.py): the carrier's asserted number is read back as any
caller ID was; a SIP From nobody vouches for is never read back nor stored, the caller
keys the number. Over real SIP: tests/test_call_trunk.py."""

from __future__ import annotations

from ivr import chanvars
from tests.rig.fast import FastHotline
from tests.scenarios.callbacks import OFFER, OFFER_ACCEPTED, READBACK, STORED, requests


def test_callback_carrier_asserted_caller_id_is_read_back_and_stored(fast: FastHotline) -> None:
    trust = {chanvars.CALLER_TRUST: chanvars.TRUST_CARRIER}
    result = fast.call_with(trust, OFFER_ACCEPTED, caller_id='"" <081234567021>', timeout=120)
    lines = fast.spoken(result.call_id)
    assert READBACK in lines and any(line.startswith(STORED) for line in lines)
    [stored] = requests(fast, "081234567021")
    assert stored["call_id"] == result.call_id


def test_callback_untrusted_sip_from_is_never_offered_the_caller_keys_a_number(
    fast: FastHotline,
) -> None:
    trust = {chanvars.CALLER_TRUST: chanvars.TRUST_NONE}
    keys = OFFER + "W" * 8 + "081234567023#" + "W" * 16 + "1"
    result = fast.call_with(trust, keys, caller_id='"" <081234567022>', timeout=120)
    lines = fast.spoken(result.call_id)
    assert any(line.startswith("Nomor telepon Anda tidak dapat kami gunakan") for line in lines)
    assert "callback: the caller ID is a SIP From nobody vouches for" in fast.notes(result.call_id)
    assert requests(fast, "081234567022") == []
    [stored] = requests(fast, "081234567023")
    assert stored["call_id"] == result.call_id
    assert lines.count(READBACK) == 1  # only the keyed number, confirmed before it was stored
