"""Web logins as an attacker tries them, over real HTTP against the rig's web app: a copied
cookie after logout, after removal or a password change; an open screen-pop stream after
removal; a flood of wrong passwords."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from ivr.admin.audit import Audit
from tests.rig import sipp, web
from tests.rig.hotline import Hotline

pytestmark = pytest.mark.asterisk


def client(hotline: Hotline, address: str = "127.0.0.1") -> httpx.Client:
    """A browser on this machine; ``address`` is the source address (any 127.x.y.z): the
    web app sees another client."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=hotline.web_url, timeout=30, transport=transport)


def refused(answer: httpx.Response) -> bool:
    """A page sends the browser to the login page; an API or action says 401/403."""
    to_login = answer.status_code == 303 and answer.headers["location"].startswith("/login")
    return to_login or answer.status_code in (401, 403)


def test_removed_admin_cookie_gets_no_dashboard_and_posts_no_action(hotline: Hotline) -> None:
    password = hotline.add_admin("yanto")
    with client(hotline) as browser:
        web.login(browser, "yanto", password)
        token = web.csrf(browser.get("/admin/actions").text)
        assert browser.get("/admin").status_code == 200
        hotline.cli("admins", "remove", "yanto")
        before = len(Audit.for_config(hotline.config).recent(100))
        assert refused(browser.get("/admin"))
        assert refused(browser.get("/admin/api/wallboard"))
        assert refused(browser.post("/admin/actions/asterisk", data={"csrf": token}))
    assert len(Audit.for_config(hotline.config).recent(100)) == before


def test_logout_ends_the_session_for_a_copied_cookie(hotline: Hotline) -> None:
    password = hotline.add_agent("nina", 1).web
    with client(hotline) as browser:
        web.login(browser, "nina", password)
        page = browser.get("/agent")
        assert page.status_code == 200
        copied = dict(browser.cookies)
        assert browser.post("/logout", data={"csrf": web.csrf(page.text)}).status_code == 303
    with client(hotline) as thief:
        thief.cookies.update(copied)
        assert refused(thief.get("/agent"))
        assert refused(thief.get("/agent/api/current"))


def test_agents_password_ends_the_old_session(hotline: Hotline) -> None:
    password = hotline.add_agent("oki", 1).web
    with client(hotline) as browser:
        web.login(browser, "oki", password)
        assert browser.get("/agent").status_code == 200
        printed = hotline.cli("agents", "password", "oki").stdout
        assert refused(browser.get("/agent"))
        assert browser.get("/agent/api/current").status_code == 401
        assert web.login(browser, "oki", password).headers["location"] == "/login?failed=1"
        web.login(browser, "oki", web.printed_password(printed))
        assert browser.get("/agent").status_code == 200


def test_screen_pop_stream_ends_when_the_agent_is_removed(hotline: Hotline) -> None:
    password = hotline.add_agent("putri", 1).web
    with client(hotline) as browser:
        web.login(browser, "putri", password)
        with browser.stream("GET", "/agent/events") as stream:
            assert stream.status_code == 200
            hotline.cli("agents", "remove", "putri")
            deadline = time.monotonic() + 40
            for _ in stream.iter_lines():  # keepalives until the server ends the stream
                assert time.monotonic() < deadline, "the stream outlived the agent"


def test_login_flood_locks_the_name_and_another_user_still_logs_in(hotline: Hotline) -> None:
    password = hotline.add_agent("rudi", 1).web
    other = hotline.add_agent("sari", 1).web
    with client(hotline, "127.0.0.5") as attacker:
        token = web.csrf(attacker.get("/login").text)
        for i in range(200):
            wrong = {"name": "rudi", "password": f"tebakan{i}", "csrf": token}
            assert attacker.post("/login", data=wrong).status_code in (303, 429)
        right = attacker.post("/login", data={"name": "rudi", "password": password, "csrf": token})
        assert right.status_code == 429
        assert "Terlalu banyak" in right.text
        assert refused(attacker.get("/agent"))
    with client(hotline, "127.0.0.6") as colleague:
        assert web.login(colleague, "sari", other).headers["location"] == "/agent"
        assert colleague.get("/agent").status_code == 200


def test_agent_phone_and_web_passwords_differ_and_admins_have_no_phone(
    hotline: Hotline, tmp_path: Path
) -> None:
    agent = hotline.add_agent("tono", 1)
    hotline.add_admin("umar")
    assert agent.sip != agent.web
    port = hotline.config.asterisk.sip_port
    assert sipp.register(tmp_path, port, "agent-tono", agent.sip).ok
    assert not sipp.register(tmp_path, port, "agent-tono", agent.web).ok
    with client(hotline) as browser:
        token = web.csrf(browser.get("/login").text)
        tried = browser.post("/login", data={"name": "tono", "password": agent.sip, "csrf": token})
        assert tried.headers["location"] == "/login?failed=1"
        assert web.login(browser, "tono", agent.web).headers["location"] == "/agent"
    conf = (hotline.config.asterisk_dir / "etc" / "pjsip_agents.conf").read_text()
    assert "[agent-tono]" in conf and "umar" not in conf
    endpoints = hotline.cli("asterisk", "cli", "pjsip show endpoints").stdout
    assert "agent-tono" in endpoints and "umar" not in endpoints
