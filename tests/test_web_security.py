"""The web pages under attack, against the running hotline: markup from an export or a
note shows as text and never runs (real Chromium), CSV cells are not formulas, every
answer carries the security headers, searches by porsi stay out of URLs, and times show
in the hotline's zone with its label."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections.abc import Iterator, Sequence
from zoneinfo import ZoneInfo

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from ivr.calllog import CallLog
from ivr.complaints import tickets as tickets_mod
from ivr.outcomes import Outcome
from tests.rig import web
from tests.rig.browser import browser_login, console_errors
from tests.rig.hotline import Hotline

pytestmark = pytest.mark.asterisk

# Each would set the page's title (and a window flag) if the browser ran it.
SCRIPT = "<script>document.title='pwned';window.pwned=1</script>"
IMAGE = "<img src=x onerror=\"document.title='pwned';window.pwned=1\">"
FORMULA = '=HYPERLINK("http://x","y")'


@pytest.fixture(scope="module")
def admin(hotline: Hotline) -> str:
    return hotline.add_admin("sekar")


@pytest.fixture
def client(hotline: Hotline, admin: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hotline.web_url, timeout=10) as logged_in:
        web.login(logged_in, "sekar", admin)
        yield logged_in


def crafted_call(
    hotline: Hotline, call_id: str, lookups: Sequence[tuple[str, str | None]] = (), end: bool = True
) -> None:
    """A call in the hotline's log that keyed these porsi (kabupaten None: not found)."""
    log = CallLog(hotline.config.calllog_path)
    try:
        log.start(call_id, "0811000090", "hotline")
        for porsi, kabupaten in lookups:
            log.lookup(call_id, porsi, kabupaten, "JAWA TENGAH" if kabupaten else "")
            time.sleep(0.01)  # the found one comes after the miss (the mistyped porsi)
        if end:
            log.finish(call_id, Outcome.SERVED)
    finally:
        log.close()


def not_run(browser: WebDriver) -> None:
    title, flag = browser.execute_script("return [document.title, window.pwned === undefined]")
    assert title != "pwned" and flag, "the injected markup ran"


def test_complaints_markup_from_an_export_shows_as_text_and_never_runs(
    hotline: Hotline, admin: str, browser: WebDriver
) -> None:
    desk = tickets_mod.for_config(hotline.config)
    ticket = desk.open(
        source="agent",
        category="payment",
        who="sekar",
        caller="0811000091",
        kabupaten=SCRIPT,
        embarkasi=IMAGE,
        note=IMAGE,
    )
    browser_login(browser, hotline, "sekar", admin)
    browser.get(f"{hotline.web_url}/complaints")
    assert SCRIPT in browser.find_element(By.ID, "complaint-report").text
    not_run(browser)
    browser.get(f"{hotline.web_url}/complaints/{ticket.number}")
    facts = browser.find_element(By.CSS_SELECTOR, "dl.call").text
    assert SCRIPT in facts and IMAGE in facts
    not_run(browser)


def test_reports_markup_in_a_kabupaten_shows_as_text_and_never_runs(
    hotline: Hotline, admin: str, browser: WebDriver
) -> None:
    crafted_call(hotline, "hajj-xss-report", [("0900000009", None), ("3300000009", IMAGE)])
    browser_login(browser, hotline, "sekar", admin)
    browser.get(f"{hotline.web_url}/admin/reports")
    section = browser.find_element(By.ID, "report-not-found")
    assert IMAGE in str(section.get_attribute("textContent"))
    not_run(browser)


def test_every_page_keeps_to_the_content_security_policy(
    hotline: Hotline, admin: str, browser: WebDriver
) -> None:
    """No inline script or style on any page: Chromium refuses none of it, and the
    pages' own scripts still run (the wallboard fills in, the console shows a pop)."""
    crafted_call(hotline, "hajj-csp-call", [("3300000006", "KAB. UJI")])
    ticket = tickets_mod.for_config(hotline.config).open(
        source="agent", category="other", who="sekar", caller="0811000092"
    )
    browser_login(browser, hotline, "sekar", admin)
    console_errors(browser)  # what came before this test
    WebDriverWait(browser, 10).until(lambda b: b.find_element(By.ID, "tile-in_ivr").text != "…")
    for path in (
        "/admin/calls",
        "/admin/calls/hajj-csp-call",
        "/admin/reports",
        "/admin/actions",
        "/complaints",
        f"/complaints/{ticket.number}",
        "/agent",
    ):
        browser.get(hotline.web_url + path)
        assert browser.find_element(By.ID, "me").text == "sekar", path
    browser.get(hotline.web_url + "/login")
    assert not [e for e in console_errors(browser) if "Content Security Policy" in e]


def test_report_csv_a_formula_from_an_export_is_neutralised(
    hotline: Hotline, client: httpx.Client
) -> None:
    crafted_call(hotline, "hajj-csv-report", [("0900000008", None), ("3300000008", FORMULA)])
    answer = client.get("/admin/reports/not-found.csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    places = [row[2] for row in rows[1:]]
    assert "'" + FORMULA in places and FORMULA not in places


def test_security_headers_on_pages_static_files_and_api_answers(
    hotline: Hotline, client: httpx.Client
) -> None:
    answers = [
        client.get("/login"),
        client.get("/admin/calls"),
        client.get("/static/style.css"),
        client.get("/admin/api/wallboard"),
        httpx.get(f"{hotline.web_url}/agent/api/current"),  # refused: 401
        client.get("/no-such-page"),
    ]
    for answer in answers:
        headers = answer.headers
        policy = headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy, (answer.url, policy)
        assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
        assert headers.get("x-frame-options") == "DENY", answer.url
        assert headers.get("x-content-type-options") == "nosniff", answer.url
        assert headers.get("referrer-policy") == "no-referrer", answer.url


def test_call_log_search_by_porsi_is_posted_and_never_read_from_the_url(
    hotline: Hotline, client: httpx.Client
) -> None:
    crafted_call(hotline, "hajj-search-hit", [("3300000007", "KAB. UJI")])
    crafted_call(hotline, "hajj-search-miss")
    # A link or a history entry with ?porsi= in it searches nothing.
    listed = client.get("/admin/calls", params={"porsi": "3300000007", "caller": "0811"}).text
    assert "/admin/calls/hajj-search-hit" in listed and "/admin/calls/hajj-search-miss" in listed
    assert 'method="post"' in listed
    token = web.csrf(listed)
    found = client.post("/admin/calls", data={"csrf": token, "porsi": "3300000007"})
    assert found.status_code == 200 and "3300000007" not in str(found.url)
    assert "/admin/calls/hajj-search-hit" in found.text
    assert "/admin/calls/hajj-search-miss" not in found.text
    assert client.post("/admin/calls", data={"porsi": "3300000007"}).status_code == 403


def test_times_show_in_the_hotlines_zone_with_its_label(
    hotline: Hotline, admin: str, browser: WebDriver, client: httpx.Client
) -> None:
    assert hotline.config.agents.timezone == "Asia/Jakarta"
    crafted_call(hotline, "hajj-zone-call", end=False)  # in the IVR now: on the wallboard
    started = float(int(time.time()) - 30)
    log = CallLog(hotline.config.calllog_path)
    try:
        log.sql.run("UPDATE calls SET started_at = ? WHERE id = 'hajj-zone-call'", (started,))
        jakarta = dt.datetime.fromtimestamp(started, ZoneInfo("Asia/Jakarta"))
        assert jakarta.utcoffset() == dt.timedelta(hours=7)
        listing = client.get("/admin/calls").text
        assert f"{jakarta:%Y-%m-%d %H:%M:%S} WIB" in listing
        browser_login(browser, hotline, "sekar", admin)
        row = '#live tr:has(a[href="/admin/calls/hajj-zone-call"])'
        shown = (
            WebDriverWait(browser, 20)
            .until(lambda b: b.find_elements(By.CSS_SELECTOR, row))[0]
            .text
        )
        assert f"{jakarta:%H:%M:%S} WIB" in shown, shown
    finally:
        log.finish("hajj-zone-call", Outcome.SERVED)
        log.close()
