"""Configuration: defaults < TOML file < environment < CLI flags, validated with clear errors."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from ivr import config
from ivr.errors import ConfigError


def test_config_defaults_are_loopback_and_standard_ports() -> None:
    c = config.load(env={})
    assert (c.agi.host, c.agi.port, c.asterisk.ami_port) == ("127.0.0.1", 4573, 5038)


def test_config_file_then_env_then_flags_later_wins(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[agi]\nport = 4600\nmax_sessions = 10\n[asterisk]\nsip_port = 5070\n")
    env = {"HAJJ_IVR_AGI_PORT": "4601", "HAJJ_IVR_CONFIG": str(path)}

    c = config.load(env=env, overrides={"asterisk.sip_port": 5080})

    assert (c.agi.port, c.agi.max_sessions, c.asterisk.sip_port) == (4601, 10, 5080)


def test_config_bad_value_names_key_and_value() -> None:
    with pytest.raises(ConfigError, match=r"agi.port = 'many' is not a valid int"):
        config.load(env={"HAJJ_IVR_AGI_PORT": "many"})


def test_config_unknown_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[agi]\nprot = 1\n")
    with pytest.raises(ConfigError, match=r"unknown configuration key 'agi\.prot'"):
        config.load(file=path, env={})


def test_config_fastagi_beyond_loopback_is_refused() -> None:
    with pytest.raises(ConfigError, match=re.escape("agi.host = '0.0.0.0' must be a loopback")):
        config.load(env={"HAJJ_IVR_AGI_HOST": "0.0.0.0"})


def test_config_port_out_of_range_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"asterisk.ami_port = 70000 is not a TCP/UDP port"):
        config.load(env={}, overrides={"asterisk.ami_port": 70000})


def test_config_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        config.load(file=tmp_path / "absent.toml", env={})


def test_config_readme_lists_every_retention_key_with_its_default() -> None:
    readme = (config.PROJECT_DIR / "README.md").read_text()
    for key, days in dataclasses.asdict(config.RetentionSettings()).items():
        assert re.search(rf"^{key} = {days}\s+#", readme, re.MULTILINE), key


def test_config_reply_longer_than_the_media_timeout_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"complaints.reply_max_seconds = 150 must be 1-110"):
        config.load(env={}, overrides={"complaints.reply_max_seconds": 150})


def test_config_reply_ceiling_fits_in_the_agi_media_timeout() -> None:
    from ivr.agi.channel import MEDIA_TIMEOUT

    assert config.REPLY_SECONDS_CEILING + 5 < MEDIA_TIMEOUT  # the pad and the AGI round trip


def test_config_upload_cap_below_one_mib_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"web.max_reply_mib = 0 must be at least 1"):
        config.load(env={}, overrides={"web.max_reply_mib": 0})


def test_config_run_user_that_is_not_a_user_name_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"asterisk.run_user = 'x; rm' is not a user name"):
        config.load(env={"HAJJ_IVR_ASTERISK_RUN_USER": "x; rm"})


def test_config_run_user_empty_keeps_asterisk_as_its_starter() -> None:
    assert config.load(env={"HAJJ_IVR_ASTERISK_RUN_USER": ""}).asterisk.run_user == ""


def test_config_default_rtp_range_holds_max_calls_sip_calls() -> None:
    ast = config.load(env={}).asterisk
    assert (ast.rtp_end - ast.rtp_start + 1) // 2 >= ast.max_calls >= 1000


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (10000, 10999, "10000-10999 holds 500 calls (two ports each), fewer than"),
        (10001, 14000, "asterisk.rtp_start = 10001 must be even"),
        (14000, 10000, "need 1024 <= rtp_start < rtp_end"),
        (80, 4079, "need 1024 <= rtp_start < rtp_end"),
    ],
)
def test_config_rtp_range_too_small_odd_or_privileged_is_refused(
    start: int, end: int, message: str
) -> None:
    overrides = {"asterisk.rtp_start": start, "asterisk.rtp_end": end}
    with pytest.raises(ConfigError, match=re.escape(message)):
        config.load(env={}, overrides=overrides)


def test_config_rtp_range_for_fewer_calls_passes_with_max_calls_lowered() -> None:
    overrides = {"asterisk.rtp_start": 10000, "asterisk.rtp_end": 10999, "asterisk.max_calls": 500}
    assert config.load(env={}, overrides=overrides).asterisk.max_calls == 500


def test_config_originates_per_second_zero_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"asterisk.originates_per_second = 0.0 must be above 0"):
        config.load(env={}, overrides={"asterisk.originates_per_second": 0})
