"""dialplan/ and the Python side agree: channel variables, placeholders, prompt names."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from ivr import chanvars
from ivr import config as config_mod
from ivr.admin import reloads
from ivr.agents import pauses
from ivr.ami.users import AmiUser
from ivr.asterisk.render import LOAD, PLACEHOLDER, link_modules, render_text, values_for
from ivr.asterisk.sandbox import AsteriskInstall
from ivr.campaigns import dialer
from ivr.config import PROJECT_DIR
from ivr.errors import ConfigError, SetupError
from ivr.queue import dispatcher, tracker
from ivr.secrets import Secrets
from ivr.web import screenpop

DIALPLAN = PROJECT_DIR / "dialplan"
SECRETS = Secrets(**{f.name: "s" for f in fields(Secrets)})


def _globals(extensions: str) -> set[str]:
    block = extensions.split("[globals]", 1)[1].split("\n[", 1)[0]
    return set(re.findall(r"^(HAJJ_\w+)\s*=", block, re.M))


def test_dialplan_every_hajj_variable_is_known_to_python_or_a_global() -> None:
    text = (DIALPLAN / "extensions.conf").read_text()
    used = set(re.findall(r"\b(HAJJ_[A-Z_]+)\b", text))
    assert used - set(chanvars.ALL) - _globals(text) == set()


def test_dialplan_every_python_channel_variable_is_used_by_the_dialplan() -> None:
    text = (DIALPLAN / "extensions.conf").read_text()
    assert {name for name in chanvars.ALL if name not in text} == set()


def test_dialplan_modules_conf_loads_nothing_automatically() -> None:
    text = (DIALPLAN / "modules.conf").read_text()
    assert re.search(r"^autoload\s*=\s*no", text, re.M)


def test_dialplan_ami_and_agi_bind_loopback_only() -> None:
    manager = (DIALPLAN / "manager.conf").read_text()
    assert re.search(r"^bindaddr\s*=\s*127\.0\.0\.1", manager, re.M)
    assert "agi://127.0.0.1:" in (DIALPLAN / "extensions.conf").read_text()


def test_dialplan_no_secret_committed_in_templates() -> None:
    for path in DIALPLAN.glob("*.conf"):
        for line in path.read_text().splitlines():
            if re.match(r"^(secret|password)\s*=", line):
                assert PLACEHOLDER.search(line), f"{path.name}: {line}"


@pytest.mark.parametrize("path", sorted(DIALPLAN.glob("*.conf")), ids=lambda p: p.name)
def test_render_every_template_with_known_values_leaves_no_placeholder(path: Path) -> None:
    names = set(PLACEHOLDER.findall(path.read_text()))
    rendered = render_text(path.read_text(), {n: "x" for n in names}, path.name)
    assert not PLACEHOLDER.search(rendered)


def test_render_unknown_placeholder_names_it() -> None:
    with pytest.raises(ConfigError, match=r"extensions.conf: unknown placeholder \{\{nope\}\}"):
        render_text("exten => {{nope}},1,NoOp()", {}, "extensions.conf")


def test_dialplan_queue_log_to_a_file_rotated_with_the_other_logs() -> None:
    # The controller reads queue_log (ivr/queue/queuelog.py); the file keeps callers'
    # numbers, so it is rotated (and old ones deleted) like every other log.
    logger = (DIALPLAN / "logger.conf").read_text()
    assert re.search(r"^queue_log\s*=\s*yes\s*$", logger, re.MULTILINE)
    assert re.search(r"^queue_log_name\s*=\s*queue_log\s*$", logger, re.MULTILINE)
    assert re.search(r"^rotatestrategy\s*=\s*timestamp\s*$", logger, re.MULTILINE)


def test_dialplan_manager_conf_defines_each_ami_user_with_its_own_secret() -> None:
    manager = (DIALPLAN / "manager.conf").read_text()
    for user in AmiUser:
        section = manager.split(f"[{{{{ami_user}}}}-{user.value}]", 1)[1].split("\n[", 1)[0]
        assert f"secret = {{{{ami_{user.value}_secret}}}}" in section, user
        assert f"ami_{user.value}_secret" in {f.name for f in fields(Secrets)}


def test_dialplan_no_ami_user_may_reach_system_command_or_config() -> None:
    manager = (DIALPLAN / "manager.conf").read_text()
    rights = re.findall(r"^write\s*=\s*(.*)$", manager, re.M)
    assert len(rights) == len(AmiUser)
    granted = {right.strip() for line in rights for right in line.split(",") if right.strip()}
    assert granted.isdisjoint({"system", "command", "config", "all"}), granted


def test_dialplan_callers_may_not_transfer_or_subscribe_agents_may_transfer() -> None:
    pjsip = (DIALPLAN / "pjsip.conf").read_text()
    caller = pjsip.split("[caller-template](!)", 1)[1].split("\n[", 1)[0]
    agent = pjsip.split("[agent-template](!)", 1)[1].split("\n[", 1)[0]
    assert "allow_transfer = no" in caller and "allow_subscribe = no" in caller
    assert "allow_transfer = yes" in agent


@pytest.mark.parametrize(
    ("sip_bind", "media", "bind"),
    [("127.0.0.1", "127.0.0.1", "yes"), ("192.0.2.10", "192.0.2.10", "yes"), ("0.0.0.0", "", "no")],
)
def test_render_rtp_binds_to_the_sip_address_only_when_sip_binds_one(
    sip_bind: str, media: str, bind: str
) -> None:
    config = config_mod.load(env={}, overrides={"asterisk.sip_bind": sip_bind})
    install = AsteriskInstall(("asterisk",), Path("/m"), Path("/d"), "system")
    values = values_for(config, install, SECRETS)
    assert (values["media_address"], values["bind_rtp_to_media_address"]) == (media, bind)


def test_render_open_file_limit_grows_with_max_calls() -> None:
    install = AsteriskInstall(("asterisk",), Path("/m"), Path("/d"), "system")
    small, large = (
        int(values_for(config_mod.load(env={}, overrides=o), install, SECRETS)["max_files"])
        for o in (
            {"asterisk.max_calls": 100, "asterisk.rtp_end": 10199},
            {"asterisk.max_calls": 2000},
        )
    )
    assert "maxfiles = {{max_files}}" in (DIALPLAN / "asterisk.conf").read_text()
    assert large > 2000 * 6 and small < large


def test_render_module_dir_links_exactly_the_loaded_modules(tmp_path: Path) -> None:
    installed = tmp_path / "installed"
    installed.mkdir()
    for name in ("app_system.so", "app_dial.so", "pbx_config.so"):
        (installed / name).write_text("")
    target = tmp_path / "modules"
    target.mkdir()
    (target / "app_system.so").symlink_to(installed / "app_system.so")  # an older render's

    conf = "[modules]\nautoload = no\nload => pbx_config.so\n; load => app_system.so\n"
    link_modules(target, installed, conf + "load => app_dial.so\n")

    assert sorted(p.name for p in target.iterdir()) == ["app_dial.so", "pbx_config.so"]
    assert (target / "app_dial.so").resolve() == installed / "app_dial.so"


def test_render_module_dir_a_module_not_installed_is_named(tmp_path: Path) -> None:
    with pytest.raises(SetupError, match=r"modules.conf loads app_nope.so, not found in"):
        link_modules(tmp_path / "modules", tmp_path, "load => app_nope.so\n")


def test_dialplan_modules_conf_loads_no_shell_module() -> None:
    loaded = set(LOAD.findall((DIALPLAN / "modules.conf").read_text()))
    assert len(loaded) > 40 and "app_system.so" not in loaded


@pytest.mark.parametrize(
    ("output", "ok"),
    [
        ("Module 'pbx_config.so' reloaded successfully.\n", True),
        ("The module 'pbx_config.so' reported a reload failure\n", False),
        ("No such module 'pbx_config.so'\n", False),
        ("The module 'pbx_config.so' does not support reloading\n", False),
        ("Asterisk cannot reload a module yet; request queued\n", False),
        ("", False),
    ],
)
def test_reload_cli_output_only_the_success_sentence_counts(output: str, ok: bool) -> None:
    assert reloads.reloaded("pbx_config.so", output) is ok


def test_render_music_on_hold_plays_from_the_sounds_dir_where_its_codec_files_are() -> None:
    config = config_mod.load(env={}, overrides={"state_dir": "/srv/hajj"})
    install = AsteriskInstall(("asterisk",), Path("/m"), Path("/d"), "system")
    assert values_for(config, install, SECRETS)["moh_dir"] == "/srv/hajj/sounds/moh"


def _event_filters(user: AmiUser) -> set[str]:
    manager = (DIALPLAN / "manager.conf").read_text()
    section = manager.split(f"[{{{{ami_user}}}}-{user.value}]", 1)[1].split("\n[", 1)[0]
    return set(re.findall(r"^eventfilter\(action\(include\),name\((\w+)\)\) =$", section, re.M))


def test_dialplan_manager_conf_each_ami_user_hears_exactly_the_events_its_code_reads() -> None:
    controller = set(tracker.EVENTS) | set(dispatcher.EVENTS) | set(dialer.EVENTS)
    assert _event_filters(AmiUser.CONTROLLER) == controller
    assert _event_filters(AmiUser.WEB) == set(screenpop.EVENTS)
    # The test caller: its channels and their end (ivr/testcall.py), the doctor's
    # UserEvent, and whatever a call test waits for (queue events, dial events).
    calls = {"Newchannel", "Hangup", "DialBegin", "DialEnd", "UserEvent", "OriginateResponse"}
    assert _event_filters(AmiUser.CALLS) == calls | set(tracker.EVENTS)


def test_dialplan_pause_reason_codes_match_the_python_reasons() -> None:
    extensions = (DIALPLAN / "extensions.conf").read_text()
    phone = extensions.split("[hajj-agent-phone]", 1)[1].split("\n[", 1)[0]
    for reason in pauses.REASONS:
        block = phone.split(f"exten => {reason.code},1,", 1)[1].split("exten =>", 1)[0]
        assert f",,{reason.word})" in block and f"hajj/{pauses.prompt(reason)})" in block
