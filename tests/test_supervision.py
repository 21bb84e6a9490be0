"""Supervision without Asterisk: the supervisor role and its phone, the ChanSpy legs' AMI
fields and dialplan, who may ask for one (agents may not), the audit row, the wallboard's
list of agents' calls. The real calls are in tests/test_call_supervision.py."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from ivr import config as config_mod
from ivr import reports
from ivr.admin.audit import Audit
from ivr.agents import pjsip, supervise
from ivr.agents.passwords import SIP_REALM
from ivr.agents.store import Agent, AgentError, AgentStore
from ivr.calllog import CallLog
from ivr.config import Config
from ivr.errors import AmiActionError
from ivr.queue.records import SCHEMA, QueueRecords
from ivr.web.app import build_app
from ivr.web.screenpop import ScreenPop
from tests.rig import web
from tests.test_web_complaints import NoAmi, logged_in

DIALPLAN = Path(__file__).parent.parent / "dialplan"
SPY_OPTIONS = {"listen": "qbES", "whisper": "qbESw", "barge": "qbESB"}


def md5_cred(user: str, password: str) -> str:
    import hashlib

    return hashlib.md5(f"{user}:{SIP_REALM}:{password}".encode()).hexdigest()


# --- the role and its phone -------------------------------------------------------------


def test_supervisors_add_has_a_phone_of_its_own_and_no_queue(tmp_path: Path) -> None:
    store = AgentStore(tmp_path / "agents.sqlite")
    store.add("budi", 1)
    boss, new = store.add("nurul", 0, role="supervisor")
    assert boss.endpoint == "supervisor-nurul" and boss.interface == "PJSIP/supervisor-nurul"
    assert new.sip and boss.sip_md5 == md5_cred("supervisor-nurul", new.sip)
    assert [a.name for a in store.all()] == ["budi"]  # not an agent: never a queue member
    assert [a.name for a in store.all(role="supervisor")] == ["nurul"]
    with pytest.raises(AgentError, match="no agent 'nurul'"):
        store.get("nurul")
    text = pjsip.text(store.all() + store.all(role="supervisor"), "key")
    section = text[text.index("[supervisor-nurul](supervisor-template)") :]
    assert "HAJJ_AGENT_TIER" not in section.split("\n\n")[0]
    assert "[agent-budi](agent-template)" in text and "HAJJ_AGENT_TIER=1" in text


def test_supervisor_new_sip_password_is_digested_for_the_supervisor_endpoint(
    tmp_path: Path,
) -> None:
    store = AgentStore(tmp_path / "agents.sqlite")
    store.add("nurul", 0, role="supervisor")
    boss, password = store.new_sip_password("nurul", role="supervisor")
    assert boss.sip_md5 == md5_cred("supervisor-nurul", password)


def test_supervisor_phone_reaches_only_the_hotline_and_no_spy_context() -> None:
    pjsip_conf = (DIALPLAN / "pjsip.conf").read_text()
    template = pjsip_conf[pjsip_conf.index("[supervisor-template]") :].split("\n\n")[0]
    assert "context = hajj-supervisor-phone" in template and "allow_transfer = no" in template
    contexts = contexts_of((DIALPLAN / "extensions.conf").read_text())
    assert set(extensions(contexts["hajj-supervisor-phone"])) == {"{{hotline}}"}


# --- the dialplan: the spy context is reached by AMI alone -----------------------------


def contexts_of(text: str) -> dict[str, str]:
    """Each context's lines, comments left out."""
    text = re.sub(r"^\s*;.*\n", "", text, flags=re.M)
    parts = re.split(r"^\[([^\]]+)\]\s*$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def extensions(body: str) -> list[str]:
    return re.findall(r"^exten => ([^,]+),", body, re.M)


def test_dialplan_spy_context_runs_chanspy_with_each_modes_options() -> None:
    spy = contexts_of((DIALPLAN / "extensions.conf").read_text())["hajj-supervise"]
    assert set(extensions(spy)) == set(supervise.MODES)
    for mode, options in SPY_OPTIONS.items():
        block = spy[spy.index(f"exten => {mode},") :].split("exten =>")[1]
        assert f"ChanSpy(${{HAJJ_SPY_TARGET}},{options})" in block, (mode, block)
        assert "Gosub(hajj-supervise-target,s,1)" in block.splitlines()[0]


def test_dialplan_no_phone_context_leads_to_the_spy_context() -> None:
    """Callers, agents and supervisors dial only within their own context (and what it
    Goto/Gosubs to): none of those names hajj-supervise, nor has a listen/whisper/barge."""
    contexts = contexts_of((DIALPLAN / "extensions.conf").read_text())
    for name, body in contexts.items():
        if name in ("hajj-supervise", "hajj-supervise-target"):
            continue
        assert "hajj-supervise" not in body, name
        assert not set(extensions(body)) & set(supervise.MODES), name
        assert "ChanSpy" not in body, name
    assert not re.search(r"^include\s*=>", "\n".join(contexts.values()), re.M)


def test_dialplan_spy_target_must_be_one_agent_channel_named_exactly() -> None:
    target = contexts_of((DIALPLAN / "extensions.conf").read_text())["hajj-supervise-target"]
    found = re.search(r'REGEX\("([^"]+)"', target)
    assert found
    pattern = re.compile(found[1])
    assert pattern.match("PJSIP/agent-ali-0000002a")
    assert pattern.match("PJSIP/webrtc-ali-0000002a")  # the agent's browser phone
    for bad in (
        "PJSIP/agent-ali",
        "PJSIP/agent-",
        "PJSIP/webrtc-ali",
        "PJSIP/supervisor-nurul-0000002a",
        "PJSIP/xwebrtc-ali-0000002a",
        "Local/x",
    ):
        assert not pattern.match(bad), bad


def test_manager_supervise_user_may_originate_only() -> None:
    text = (DIALPLAN / "manager.conf").read_text()
    users = dict(re.findall(r"^\[\{\{ami_user\}\}-(\w+)\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S))
    assert re.search(r"^write = originate$", users["supervise"], re.M)
    assert re.search(r"^read =$", users["supervise"], re.M)
    # The web's own user lists the channels (CoreShowChannels) and still places no call.
    assert re.search(r"^write = reporting$", users["web"], re.M)
    assert "originate" not in re.search(r"^write = (.*)$", users["web"], re.M)[1]  # type: ignore[index]


def test_modules_load_chanspy() -> None:
    assert "load => app_chanspy.so" in (DIALPLAN / "modules.conf").read_text()


# --- the AMI side of a leg ----------------------------------------------------------------


def agent(name: str, role: str = "agent") -> Agent:
    return Agent(name, 1 if role == "agent" else 0, "md5" if role != "admin" else "", "", role, 0)


CHANNELS = [
    {"Channel": "PJSIP/agent-ali-b-00000003", "BridgeId": "b1"},
    {"Channel": "PJSIP/agent-ali-00000004", "BridgeId": ""},  # ringing: not in a call yet
    {"Channel": "PJSIP/agent-ali-00000005", "BridgeId": "b2"},
    {"Channel": "Local/s@hajj-inbound-0001;1", "BridgeId": "b2"},
]


def test_agent_channel_finds_the_browser_phones_bridged_channel() -> None:
    channels = [
        {"Channel": "PJSIP/webrtc-ali-b-00000007", "BridgeId": "b3"},
        {"Channel": "PJSIP/webrtc-ali-00000008", "BridgeId": "b4"},
    ]
    assert supervise.agent_channel(channels, agent("ali")) == "PJSIP/webrtc-ali-00000008"
    assert supervise.agent_channel(channels[:1], agent("ali")) is None


def test_agent_channel_is_the_bridged_one_named_exactly() -> None:
    assert supervise.agent_channel(CHANNELS, agent("ali")) == "PJSIP/agent-ali-00000005"
    assert supervise.agent_channel(CHANNELS, agent("ali-b")) == "PJSIP/agent-ali-b-00000003"
    assert supervise.agent_channel(CHANNELS, agent("al")) is None


@pytest.mark.parametrize("mode", supervise.MODES)
def test_originate_rings_the_supervisors_phone_into_the_mode(mode: str) -> None:
    fields = supervise.originate_fields(
        agent("nurul", "supervisor"), agent("ali"), "PJSIP/agent-ali-00000005", mode
    )
    assert fields["Channel"] == "PJSIP/supervisor-nurul"
    assert (fields["Context"], fields["Exten"], fields["Priority"]) == ("hajj-supervise", mode, "1")
    assert fields["Variable"] == "HAJJ_SPY_TARGET=PJSIP/agent-ali-00000005"


def test_originate_refuses_an_unknown_mode() -> None:
    with pytest.raises(supervise.SupervisionError, match="mode 'steal'"):
        supervise.originate_fields(agent("nurul", "supervisor"), agent("ali"), "x", "steal")


class FakeAmi(NoAmi):
    """CoreShowChannels answers ``channels``; every Originate is kept."""

    connected = True

    def __init__(self, channels: Sequence[Mapping[str, str]], fail: bool = False) -> None:
        self.channels = channels
        self.fail = fail
        self.originated: list[dict[str, str]] = []

    async def action_list(self, name: str, /, **fields: str) -> list[Mapping[str, str]]:
        # QueueStatus: the wallboard's agent states (none logged in here).
        return list(self.channels) if name == "CoreShowChannels" else []

    async def originate(self, **fields: str) -> Mapping[str, str]:
        if self.fail:
            raise AmiActionError("Originate: Permission denied")
        self.originated.append(fields)
        return {"Response": "Success"}


@pytest.mark.parametrize(
    ("supervisor", "target", "error"),
    [
        (agent("rahmat", "admin"), agent("ali"), "rahmat has no phone"),
        (agent("budi"), agent("ali"), "budi has no phone"),  # an agent asking
        (agent("nurul", "supervisor"), agent("sinta", "supervisor"), "sinta is not an agent"),
        (agent("nurul", "supervisor"), agent("dewi"), "dewi is not on a call"),
    ],
)
def test_place_refuses_without_a_phone_an_agent_or_a_call(
    supervisor: Agent, target: Agent, error: str
) -> None:
    ami = FakeAmi(CHANNELS)
    with pytest.raises(supervise.SupervisionError, match=error):
        asyncio.run(supervise.place(ami, ami, supervisor, target, "listen"))  # type: ignore[arg-type]
    assert ami.originated == []


# --- the audit and the wallboard's list ---------------------------------------------------


def test_audit_keeps_each_supervision_leg_newest_first(tmp_path: Path) -> None:
    audit = Audit(tmp_path / "admin.sqlite")
    audit.record("rahmat", "data", True, "import")  # the reload log is untouched beside it
    audit.supervised("nurul", "ali", "1795650000.1", "listen", True, "PJSIP/agent-ali-0000000a")
    audit.supervised("nurul", "ali", "1795650000.1", "barge", False, "ali is not on a call")
    rows = audit.supervisions()
    assert [(r.who, r.agent, r.call_id, r.mode, r.ok) for r in rows] == [
        ("nurul", "ali", "1795650000.1", "barge", False),
        ("nurul", "ali", "1795650000.1", "listen", True),
    ]
    assert rows[0].at >= rows[1].at > 0 and len(audit.recent()) == 1


def stays(config: Config, now: float) -> None:
    """ali talks to 081299887766 (tier 2) since a minute; budi's call ended; one waits."""
    log = CallLog(config.calllog_path, SCHEMA)
    try:
        records = QueueRecords(log.sql)
        records.joined("c-ali", "hajj-tier2", "081299887766", "caller_request", "", now - 90, 1)
        records.left("c-ali", "hajj-tier2", now - 60)  # as app_queue says it, before answered
        records.answered("c-ali", "hajj-tier2", "ali", now - 60, 30)
        records.joined("c-budi", "hajj-tier1", "081211112222", "caller_request", "", now - 99, 1)
        records.answered("c-budi", "hajj-tier1", "budi", now - 80, 19)
        records.completed("c-budi", "hajj-tier1", now - 10, 70, "caller")
        records.joined("c-wait", "hajj-tier1", "081233334444", "no_input", "", now - 5, 1)
    finally:
        log.close()


def test_agent_calls_lists_answered_unended_stays_masked_with_their_tier(tmp_path: Path) -> None:
    config = config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path})
    now = time.time()
    stays(config, now)
    with closing(CallLog(config.calllog_path)) as log:
        calls = reports.agent_calls(log.sql, now)
    assert [(c.call_id, c.agent, c.caller, c.tier) for c in calls] == [
        ("c-ali", "ali", "08********66", 2)
    ]
    assert calls[0].since == pytest.approx(now - 60)


# --- the web: who may see and ask -------------------------------------------------------


@pytest.fixture
def hotline(tmp_path: Path) -> dict[str, Any]:
    config = config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path})
    store = AgentStore.for_config(config)
    passwords = {
        "ali": store.add("ali", 2)[1].web,
        "nurul": store.add("nurul", 0, role="supervisor")[1].web,
        "rahmat": store.add("rahmat", 0, role="admin")[1].web,
    }
    stays(config, time.time())
    ami = FakeAmi([{"Channel": "PJSIP/agent-ali-0000000a", "BridgeId": "b1"}])

    @contextlib.asynccontextmanager
    async def session() -> AsyncIterator[Any]:
        yield ami

    pop = ScreenPop(config.calllog_path, config.mirror_path)
    app = build_app(config, pop=pop, ami=ami, supervise_ami=session)  # type: ignore[arg-type]
    return {"app": app, "config": config, "passwords": passwords, "ami": ami}


def as_user(hotline: dict[str, Any], name: str, *requests: tuple[str, str, bool]) -> list[Any]:
    """Log in as ``name``; each (method, path, with the wallboard's CSRF token) answered."""

    async def run() -> list[Any]:
        async with logged_in(hotline["app"], name, hotline["passwords"][name]) as client:
            token = web.csrf((await client.get("/login")).text)
            answers = []
            for method, path, data in requests:
                form = {"csrf": token, "agent": "ali", "mode": "whisper"} if data else None
                answers.append(await client.request(method, path, data=form))
            return answers

    return asyncio.run(run())


def audited(hotline: dict[str, Any]) -> list[Any]:
    return Audit.for_config(hotline["config"]).supervisions()


def test_agent_gets_no_wallboard_and_no_supervision(hotline: dict[str, Any]) -> None:
    answers = as_user(
        hotline,
        "ali",
        ("GET", "/admin", False),
        ("GET", "/admin/api/wallboard", False),
        ("POST", "/admin/api/supervise", True),
    )
    assert [a.status_code for a in answers] == [403, 403, 403]
    assert hotline["ami"].originated == [] and audited(hotline) == []


def test_anonymous_supervision_is_refused(hotline: dict[str, Any]) -> None:
    async def run() -> int:
        async with logged_in(hotline["app"], "ali", hotline["passwords"]["ali"]) as client:
            await client.post("/logout", data={"csrf": web.csrf((await client.get("/agent")).text)})
            return (await client.post("/admin/api/supervise", data={"mode": "listen"})).status_code

    assert asyncio.run(run()) == 401


def test_supervisor_sees_the_wallboard_with_agents_calls_masked(hotline: dict[str, Any]) -> None:
    page, board = as_user(
        hotline, "nurul", ("GET", "/admin", False), ("GET", "/admin/api/wallboard", False)
    )
    assert page.status_code == 200 and 'id="agent-calls"' in page.text
    assert web.csrf(page.text.replace('data-csrf="', 'name="csrf" value="'))
    calls = board.json()["agent_calls"]
    assert [(c["agent"], c["tier"], c["caller"]) for c in calls] == [("ali", 2, "08********66")]
    assert calls[0]["since_text"] and board.json()["admin"] is False
    assert "081299887766" not in board.text


def test_supervisor_whispers_a_leg_to_their_phone_audited(hotline: dict[str, Any]) -> None:
    (answer,) = as_user(hotline, "nurul", ("POST", "/admin/api/supervise", True))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"mode": "whisper", "agent": "ali", "call_id": "c-ali"}
    (fields,) = hotline["ami"].originated
    assert fields["Channel"] == "PJSIP/supervisor-nurul" and fields["Exten"] == "whisper"
    assert fields["Variable"] == "HAJJ_SPY_TARGET=PJSIP/agent-ali-0000000a"
    (row,) = audited(hotline)
    assert (row.who, row.agent, row.call_id, row.mode, row.ok) == (
        "nurul",
        "ali",
        "c-ali",
        "whisper",
        True,
    )


def test_supervision_without_csrf_is_refused_and_places_nothing(hotline: dict[str, Any]) -> None:
    async def run() -> int:
        async with logged_in(hotline["app"], "nurul", hotline["passwords"]["nurul"]) as client:
            form = {"agent": "ali", "mode": "listen"}
            return (await client.post("/admin/api/supervise", data=form)).status_code

    assert asyncio.run(run()) == 403
    assert hotline["ami"].originated == []


def test_admin_without_a_phone_is_told_so_and_the_refusal_audited(
    hotline: dict[str, Any],
) -> None:
    answer, actions = as_user(
        hotline, "rahmat", ("POST", "/admin/api/supervise", True), ("GET", "/admin/actions", False)
    )
    assert answer.status_code == 409 and "has no phone" in answer.json()["error"]
    assert hotline["ami"].originated == []
    (row,) = audited(hotline)
    assert (row.who, row.mode, row.ok) == ("rahmat", "whisper", False)
    # Admins read the supervision log on the actions page.
    assert 'id="supervisions"' in actions.text and "has no phone" in actions.text


def test_supervision_of_an_agent_not_on_a_call_is_refused(hotline: dict[str, Any]) -> None:
    hotline["ami"].channels = []  # the call ended before the button was pressed
    (answer,) = as_user(hotline, "nurul", ("POST", "/admin/api/supervise", True))
    assert answer.status_code == 409 and "not on a call" in answer.json()["error"]
    assert [r.ok for r in audited(hotline)] == [False]


def test_supervision_refused_by_asterisk_is_audited_as_failed(hotline: dict[str, Any]) -> None:
    hotline["ami"].fail = True
    (answer,) = as_user(hotline, "nurul", ("POST", "/admin/api/supervise", True))
    assert answer.status_code == 409 and "Permission denied" in answer.json()["error"]
    assert [r.ok for r in audited(hotline)] == [False]


def test_supervision_while_ami_is_down_is_refused(hotline: dict[str, Any]) -> None:
    hotline["ami"].connected = False  # the web's own connection lists the channels
    (answer,) = as_user(hotline, "nurul", ("POST", "/admin/api/supervise", True))
    assert answer.status_code == 409 and "not connected" in answer.json()["error"]
    assert hotline["ami"].originated == [] and [r.ok for r in audited(hotline)] == [False]
