"""Real calls through a private Asterisk into the controller (Local channels via AMI)."""

from __future__ import annotations

import pytest

from tests.rig.hotline import Hotline

pytestmark = pytest.mark.asterisk

KEY_TEST = "*500"  # the installers' key test: keys read back through the whole path
DIGIT_WORDS = "satu dua tiga empat lima enam tujuh delapan sembilan nol"


def test_local_call_keys_ten_digits_hears_them_read_back(hotline: Hotline) -> None:
    result = hotline.call("1234567890", number=KEY_TEST)

    assert result.ended
    row, _ = hotline.record(result.call_id)
    assert row is not None and row.outcome == "served" and row.route == "echo"
    spoken = hotline.spoken(result.call_id)
    assert spoken[-2] == f"Nomor yang Anda tekan adalah {DIGIT_WORDS}"
    assert spoken[-1].startswith("Terima kasih")


def test_local_call_keys_nothing_hears_no_input_then_goodbye(hotline: Hotline) -> None:
    result = hotline.call("", number=KEY_TEST)

    spoken = hotline.spoken(result.call_id)
    assert spoken[0].startswith("Selamat datang")
    assert spoken[-2] == "Maaf, kami tidak menerima tombol apa pun."
    assert hotline.record(result.call_id)[0].outcome == "served"  # type: ignore[union-attr]
