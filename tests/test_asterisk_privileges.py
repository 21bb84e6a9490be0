"""What a stolen AMI login or a hijacked Asterisk can do to the machine: nothing beyond
the hotline. The attacks of issue 11 (points 3 and 4) against the real Asterisk."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import stat
import subprocess
import uuid
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from ivr.admin import reloads
from ivr.admin.audit import Audit
from ivr.ami.client import AmiClient
from ivr.ami.users import AmiUser, for_config
from ivr.asterisk.render import LOAD
from ivr.complaints import tickets
from ivr.errors import AmiActionError
from ivr.files import run_account
from tests.rig import web
from tests.rig.hotline import Hotline

pytestmark = pytest.mark.asterisk


def ami_users(hotline: Hotline) -> dict[str, str]:
    """Every user the rendered manager.conf defines, with its secret."""
    text = (hotline.asterisk.layout.etc / "manager.conf").read_text()
    found = re.findall(r"^\[([^\]]+)\]\s*\nsecret\s*=\s*(\S+)", text, re.M)
    return dict(found)


async def attempt(client: AmiClient, action: str, **fields: str) -> str:
    """'allowed', or the refusal Asterisk sent."""
    try:
        await client.action(action, **fields)
    except AmiActionError as e:
        return str(e)
    return "allowed"


async def attacks(port: int, user: str, secret: str, marker: Path) -> dict[str, str]:
    shell = f"touch {marker}"
    client = AmiClient("127.0.0.1", port, user, secret)
    await client.connect()
    try:
        return {
            "ModuleLoad": await attempt(
                client, "ModuleLoad", Module="app_system.so", LoadType="load"
            ),
            "DialplanExtensionAdd": await attempt(
                client,
                "DialplanExtensionAdd",
                Context="hajj-inbound",
                Extension="666",
                Priority="1",
                Application="System",
                ApplicationData=shell,
            ),
            "GetConfig": await attempt(client, "GetConfig", Filename="manager.conf"),
            "Command": await attempt(client, "Command", Command="core show version"),
            "Originate System": await attempt(
                client,
                "Originate",
                Channel="Local/s@hajj-doctor",
                Application="System",
                Data=shell,
                Async="true",
            ),
        }
    finally:
        await client.close()


def test_ami_every_user_is_refused_modules_dialplan_config_cli_and_shell(
    hotline: Hotline,
) -> None:
    """Issue 11.3: the 'reload-only' user loaded app_system, added System() to the
    dialplan and read every secret with GetConfig."""
    users = ami_users(hotline)
    assert len(users) >= 4, users
    marker = Path("/tmp") / f"hajj-ivr-pwned-{uuid.uuid4().hex}"
    port = hotline.config.asterisk.ami_port
    results = {
        user: asyncio.run(attacks(port, user, secret, marker)) for user, secret in users.items()
    }
    allowed = {
        (user, action)
        for user, tried in results.items()
        for action, answer in tried.items()
        if answer == "allowed"
    }
    assert allowed == set(), results
    assert not marker.exists()
    dialplan = hotline.asterisk.cli("dialplan show 666@hajj-inbound")
    assert "System" not in dialplan


def test_ami_only_the_test_call_user_may_set_variables(hotline: Hotline) -> None:
    """Issue 11.4: the controller's user redirected every call's AGI with a global Setvar."""

    async def setvars(user: str, secret: str) -> tuple[str, str]:
        client = AmiClient("127.0.0.1", hotline.config.asterisk.ami_port, user, secret)
        await client.connect()
        try:
            global_var = await attempt(client, "Setvar", Variable="HAJJ_AGI", Value="agi://x")
            channel_var = await attempt(
                client, "Setvar", Channel="Local/s@hajj-inbound-0001;1", Variable="X", Value="1"
            )
            return global_var, channel_var
        finally:
            await client.close()

    calls = AmiUser.CALLS.username(hotline.config)
    results = {
        user: asyncio.run(setvars(user, secret))
        for user, secret in ami_users(hotline).items()
        if user != calls
    }
    assert AmiUser.CONTROLLER.username(hotline.config) in results
    assert all(
        "Permission denied" in g and "Permission denied" in c for g, c in results.values()
    ), results
    assert "agi://127.0.0.1" in hotline.asterisk.cli("dialplan show globals")


def test_ami_controller_user_still_originates_and_hears_the_outcome(hotline: Hotline) -> None:
    async def run() -> str:
        client = for_config(hotline.config, AmiUser.CONTROLLER)
        await client.connect()
        try:
            action_id = f"priv-{uuid.uuid4().hex}"
            outcome = client.wait_event(
                "OriginateResponse", lambda e: e.get("ActionID") == action_id, 20
            )
            await client.originate(
                Channel="Local/s@hajj-doctor", Application="Wait", Data="1", ActionID=action_id
            )
            return (await outcome).get("Response", "")
        finally:
            await client.close()

    assert asyncio.run(run()) == "Success"


def test_ami_web_and_desk_users_cannot_place_calls(hotline: Hotline) -> None:
    async def run(user: AmiUser) -> str:
        client = for_config(hotline.config, user)
        await client.connect()
        try:
            return await attempt(
                client,
                "Originate",
                Channel="Local/s@hajj-doctor",
                Application="Wait",
                Data="1",
                Async="true",
            )
        finally:
            await client.close()

    for user in (AmiUser.WEB, AmiUser.DESK):
        assert "Permission denied" in asyncio.run(run(user)), user


def test_ami_supervise_user_originates_but_cannot_touch_a_call(hotline: Hotline) -> None:
    """The web's supervision legs need Originate (docs/decisions.md); the user that holds
    it may not Redirect, Hangup, Setvar or Getvar any call ('call' and 'reporting' rights)
    nor list them."""

    async def run() -> dict[str, str]:
        client = for_config(hotline.config, AmiUser.SUPERVISE)
        await client.connect()
        try:
            channel = "Local/s@hajj-inbound-0001;1"
            return {
                action: await attempt(client, action, Channel=channel, **extra)
                for action, extra in (
                    ("Redirect", {"Context": "hajj-doctor", "Exten": "s", "Priority": "1"}),
                    ("Hangup", {}),
                    ("Setvar", {"Variable": "X", "Value": "1"}),
                    ("Getvar", {"Variable": "HAJJ_PORSI"}),
                    ("CoreShowChannels", {}),
                )
            } | {
                "Originate": await attempt(
                    client,
                    "Originate",
                    Channel="Local/s@hajj-doctor",
                    Application="Wait",
                    Data="1",
                    Async="true",
                )
            }
        finally:
            await client.close()

    results = asyncio.run(run())
    assert results.pop("Originate") == "allowed"
    assert all("Permission denied" in answer for answer in results.values()), results


# --- Asterisk's own rights ------------------------------------------------------------


def test_asterisk_runs_as_the_run_user_when_started_as_root(hotline: Hotline) -> None:
    pid = hotline.asterisk.pid()
    assert pid is not None
    status = Path(f"/proc/{pid}/status").read_text()
    uids = [int(x) for x in re.search(r"^Uid:\s+(.*)$", status, re.M)[1].split()]  # type: ignore[index]
    account = run_account(hotline.config)
    if os.geteuid() == 0:
        assert account is not None and set(uids) == {account.uid}, status
    else:
        assert account is None and set(uids) == {os.geteuid()}


def test_asterisk_module_dir_holds_exactly_the_listed_modules(hotline: Hotline) -> None:
    layout = hotline.asterisk.layout
    conf = (layout.etc / "asterisk.conf").read_text()
    moddir = Path(re.search(r"^astmoddir\s*=>\s*(\S+)", conf, re.M)[1])  # type: ignore[index]
    listed = set(LOAD.findall((layout.etc / "modules.conf").read_text()))
    present = {p.name for p in moddir.iterdir()}
    assert present == listed
    assert all((moddir / name).resolve().is_file() for name in listed)
    assert "app_system.so" not in present
    # Not even the control socket (root's own access) can bring it in.
    answer = hotline.asterisk.cli("module load app_system.so")
    assert "Unable to load module app_system.so" in answer, answer
    assert "app_system" not in hotline.asterisk.cli("module show like app_system")


# --- reloads through the control socket ------------------------------------------------


def test_asterisk_reload_refused_by_asterisk_puts_the_previous_files_back(
    hotline: Hotline, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(hotline.config.project_dir / "dialplan", project / "dialplan")
    broken = project / "dialplan" / "extensions.conf"
    broken.write_text(broken.read_text() + "\n[hajj-broken\nexten => 1,1,NoOp()\n")
    etc = hotline.asterisk.layout.etc
    before = (etc / "extensions.conf").read_text()

    _, outcome = reloads.reload_asterisk(replace(hotline.config, project_dir=project), "tests")

    assert not outcome.ok
    assert "refused the new dialplan (The module 'pbx_config.so' reported" in outcome.detail
    assert (etc / "extensions.conf").read_text() == before
    result = hotline.call("42", number="*500", timeout=40)
    assert "Nomor yang Anda tekan adalah empat dua" in hotline.spoken(result.call_id)
    last = Audit.for_config(hotline.config).recent(1)[0]
    assert (last.what, last.ok, last.who) == ("asterisk", False, "tests")


# --- files (issue 11.5) -----------------------------------------------------------------


def test_state_dir_after_start_stores_are_private_and_asterisk_owns_its_folders(
    hotline: Hotline,
) -> None:
    config = hotline.config
    account = run_account(config)
    state = config.state_dir.stat()
    assert stat.S_IMODE(state.st_mode) == (0o710 if account else 0o700)
    for store in ("calls.sqlite", "mirror.sqlite", "complaints.sqlite", "secrets.toml"):
        path = config.state_dir / store
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for wal in config.state_dir.glob("*.sqlite-*"):
        assert stat.S_IMODE(wal.stat().st_mode) == 0o600, wal
    uid = account.uid if account else os.geteuid()
    for folder in (config.asterisk_dir, config.sounds_dir, config.recordings_dir):
        info = folder.stat()
        assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (uid, 0o700), folder
    prompt = next((config.sounds_dir / "id" / "hajj").glob("*.wav"))
    assert (prompt.stat().st_uid, stat.S_IMODE(prompt.stat().st_mode)) == (uid, 0o600)


def test_officers_reply_uploaded_on_the_web_is_readable_by_asterisk_alone(
    hotline: Hotline, tmp_path: Path
) -> None:
    """The web app (umask 077) writes the reply; Asterisk, as its own user, must play it."""
    password = hotline.add_admin("penjaga")
    desk = tickets.for_config(hotline.config)
    ticket = desk.open(source="agent", category="payment", who="siti", caller="0811000031")
    upload = web.tone_wav(tmp_path / "balasan.wav", 1)
    with httpx.Client(base_url=hotline.web_url, timeout=60) as client:
        web.login(client, "penjaga", password)
        page = client.get(f"/complaints/{ticket.number}")
        data = {"csrf": web.csrf(page.text), "action": "resolve", "resolution": "", "note": ""}
        files_ = {"reply": ("balasan.wav", upload.read_bytes())}
        done = client.post(f"/complaints/{ticket.number}/action", data=data, files=files_)
    assert done.status_code == 303, done.text
    reply = hotline.config.recordings_dir / desk.get(ticket.number).reply
    info = reply.stat()
    account = run_account(hotline.config)
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert info.st_uid == (account.uid if account else os.geteuid())
    if account is not None:  # read it as Asterisk's user would
        argv = ["setpriv", f"--reuid={account.uid}", f"--regid={account.gid}", "--clear-groups"]
        head = subprocess.run([*argv, "head", "-c", "4", str(reply)], capture_output=True)
        assert head.stdout == b"RIFF", head.stderr


def test_ami_each_service_logs_in_as_its_own_user_and_test_calls_as_theirs(
    hotline: Hotline,
) -> None:
    connected = hotline.asterisk.cli("manager show connected")
    names = {line.split()[0] for line in connected.splitlines()[1:] if "127.0.0.1" in line}
    # The CLI shows the first 15 characters of a name.
    expected = {u.username(hotline.config)[:15] for u in (AmiUser.CONTROLLER, AmiUser.WEB)}
    assert expected <= names, connected
    doctor = hotline.cli("doctor").stdout
    assert f"as {AmiUser.CALLS.username(hotline.config)}" in doctor, doctor
