"""The agent report over real calls: queue_log written by Asterisk, read by the
controller, added up on the report page (a real browser) and in its CSV.

laras's phone is a SIPp agent phone: one call rings it unanswered, one it answers; she
pauses with a reason from the console and from her phone's feature code.
"""

from __future__ import annotations

import contextlib
import csv
import io
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from ivr import testcall
from ivr.queue.queuelog import Entry, parse
from tests.rig import sipp, web
from tests.rig.browser import browser_login
from tests.rig.hotline import AgentPasswords, Hotline
from tests.test_call_agents import hang_up_on, state, wait_for

pytestmark = pytest.mark.asterisk

AGENT, ADMIN = "laras", "bagus"


@pytest.fixture(scope="module")
def laras(hotline: Hotline) -> AgentPasswords:
    return hotline.add_agent(AGENT, 1)


@pytest.fixture(scope="module")
def admin(hotline: Hotline) -> str:
    return hotline.add_admin(ADMIN)


@contextlib.contextmanager
def phone(
    hotline: Hotline, workdir: Path, password: str, answer: bool = True
) -> Iterator[sipp.AgentPhone]:
    handle = sipp.AgentPhone.start(
        workdir, hotline.config.asterisk.sip_port, f"agent-{AGENT}", password, answer
    )
    try:
        hotline.cli("agents", "login", AGENT)
        wait_for(lambda: state(hotline, AGENT) == "available", 20, f"{AGENT} logged in")
        yield handle
    finally:
        hotline.cli("agents", "logout", AGENT, check=False)
        handle.stop()


def queue_log(hotline: Hotline, event: str, data1: str = "") -> list[sqlite3.Row]:
    """laras's rows of ``event`` the controller has read in from Asterisk's queue_log."""
    with closing(sqlite3.connect(hotline.config.calllog_path)) as db:
        db.row_factory = sqlite3.Row
        return list(
            db.execute(
                "SELECT * FROM queue_log WHERE agent = ? AND event = ? AND (? = '' OR data1 = ?)"
                " ORDER BY id",
                (AGENT, event, data1, data1),
            )
        )


def report_csv(hotline: Hotline, password: str) -> dict[str, str]:
    """laras's row of the total table's CSV, fetched as the admin."""
    with httpx.Client(base_url=hotline.web_url, timeout=10) as client:
        web.login(client, ADMIN, password)
        answer = client.get("/admin/agent-report/agents.csv")
    assert answer.status_code == 200, answer.text
    return next(r for r in csv.DictReader(io.StringIO(answer.text)) if r["petugas"] == AGENT)


def test_pause_reason_keyed_on_the_phone_is_in_the_queue_log_and_the_report(
    hotline: Hotline, laras: AgentPasswords, admin: str, tmp_path: Path
) -> None:
    port = hotline.config.asterisk.sip_port
    with phone(hotline, tmp_path, laras.sip):
        assert sipp.feature_code(tmp_path, port, f"agent-{AGENT}", laras.sip, "*42").ok
        wait_for(lambda: state(hotline, AGENT) == "paused", 10, "laras paused")
        time.sleep(2)  # paused a while: the report counts the seconds
        assert sipp.feature_code(tmp_path, port, f"agent-{AGENT}", laras.sip, "*74").ok
        wait_for(lambda: state(hotline, AGENT) == "available", 10, "laras available")
    # Asterisk wrote PAUSE|salat; the controller read it into calls.sqlite.
    wait_for(lambda: read_in(hotline, current(hotline)), 30, "the queue_log read in")
    paused = queue_log(hotline, "PAUSE", "salat")
    assert paused and queue_log(hotline, "UNPAUSE")
    assert paused[0]["queue"] == "hajj-tier1"
    assert int(report_csv(hotline, admin)["jeda salat (detik)"]) >= 2


def test_agent_report_page_shows_calls_rings_and_pause_like_its_csv(
    hotline: Hotline, laras: AgentPasswords, admin: str, tmp_path: Path, browser: WebDriver
) -> None:
    spec = testcall.TestCall(hotline.config.ivr.hotline, "0", caller_id='"Uji" <0811000077>')
    mine = lambda e: e.get("MemberName") == AGENT  # noqa: E731
    with phone(hotline, tmp_path, laras.sip, answer=False):
        hang_up_on(hotline, spec, "AgentRingNoAnswer", mine)
    with phone(hotline, tmp_path, laras.sip):
        hang_up_on(hotline, spec, "AgentConnect", mine, after=3)
        pause_in_the_console(hotline, browser, laras.web)
    wait_for(lambda: read_in(hotline, current(hotline)), 30, "the queue_log read in")
    assert queue_log(hotline, "PAUSE", "istirahat") and queue_log(hotline, "COMPLETECALLER")

    browser.delete_all_cookies()
    browser_login(browser, hotline, ADMIN, admin)
    browser.get(f"{hotline.web_url}/admin/agent-report")
    table = browser.find_element(By.ID, "table-agents")
    header = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    rows = [
        [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")
    ]
    shown = dict(zip(header, next(r for r in rows if r[0] == AGENT), strict=True))
    assert shown["panggilan ditangani"] == "1"
    assert int(shown["dering tidak dijawab"]) >= 1
    assert int(shown["jeda istirahat (detik)"]) >= 2
    assert float(shown["rata-rata waktu penanganan (detik)"]) >= 2
    assert shown == report_csv(hotline, admin)  # the CSV has the same numbers


def said(browser: WebDriver, text: str) -> bool:
    """The desk's message line says ``text`` (the answer to its last form)."""
    return text in browser.find_element(By.ID, "desk-message").text


def pause_in_the_console(hotline: Hotline, browser: WebDriver, password: str) -> None:
    """laras pauses for a break from the console, and then is available again (the desk
    posts its forms with fetch and says the answer in its message line)."""
    browser.delete_all_cookies()
    browser_login(browser, hotline, AGENT, password)
    browser.get(f"{hotline.web_url}/agent")
    Select(browser.find_element(By.ID, "pause-reason")).select_by_value("istirahat")
    browser.find_element(By.ID, "pause-button").click()
    WebDriverWait(browser, 10).until(lambda b: said(b, "jeda (istirahat)"))
    wait_for(lambda: state(hotline, AGENT) == "paused", 10, "laras paused")
    time.sleep(2)
    button = WebDriverWait(browser, 10).until(
        lambda b: (e := b.find_element(By.ID, "unpause-button")).is_displayed() and e
    )
    button.click()
    WebDriverWait(browser, 10).until(lambda b: said(b, "Status Anda: siap"))
    wait_for(lambda: state(hotline, AGENT) == "available", 10, "laras available")


def test_queue_log_rotated_by_asterisk_loses_and_repeats_no_line(
    hotline: Hotline, laras: AgentPasswords
) -> None:
    log = hotline.config.asterisk_dir / "log"
    assert "rotated" in hotline.cli("asterisk", "rotate", "--keep", "14").stdout
    assert list(log.glob("queue_log.*")), "logger rotate made no queue_log.<time>"
    hotline.cli("agents", "login", AGENT)  # a member with no phone yet: written anew
    hotline.cli("agents", "logout", AGENT)
    # Every line of the newest rotated file and of the new one ends up in the table
    # exactly once (another module may have rotated and deleted older files).
    newest = max(log.glob("queue_log.*"), key=lambda p: int(p.name.rsplit(".", 1)[1]))
    files = (newest, current(hotline))
    written, stored = wait_for(lambda: read_in(hotline, *files), 30, "the new file read in")
    assert written and stored == written


def current(hotline: Hotline) -> Path:
    return hotline.config.asterisk_dir / "log" / "queue_log"


def read_in(hotline: Hotline, *files: Path) -> tuple[Counter[Entry], Counter[Entry]] | None:
    """(lines written to ``files``, how often each is in the table) once they agree (the
    controller has read them all, each once), else None."""
    written = Counter(
        entry
        for path in files
        for entry in map(parse, path.read_text().splitlines())
        if entry is not None
    )
    with closing(sqlite3.connect(hotline.config.calllog_path)) as db:
        rows = db.execute(
            "SELECT at, call_id, queue, agent, event, data1, data2, data3, data4, data5 "
            "FROM queue_log"
        ).fetchall()
    table = Counter(Entry(r[0], r[1], r[2], r[3], r[4], tuple(r[5:])) for r in rows)
    stored = Counter({e: table[e] for e in written})
    return (written, stored) if stored == written else None
