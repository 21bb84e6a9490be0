"""The admin dashboard against the running hotline: every door locked, reloads that never
drop a call, and the dashboard in a real headless Chromium."""

from __future__ import annotations

import csv
import shutil
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.wait import WebDriverWait
from starlette.routing import Route

from ivr.admin.audit import Audit
from ivr.calllog import CallLog
from ivr.data.sample import FIXED_PILGRIMS
from ivr.outcomes import Outcome
from ivr.testcall import CallResult
from ivr.web.app import build_app
from tests.rig import web
from tests.rig.browser import browser_login, wait_replaced
from tests.rig.hotline import Hotline, Scenario

pytestmark = pytest.mark.asterisk

SOC = FIXED_PILGRIMS[0]
CLOSED = "Layanan petugas saat ini sedang tutup"
GREETING = "Selamat datang di layanan informasi haji"


def found(porsi: str) -> str:
    return f"1{porsi}#{'W' * 12}1"


@pytest.fixture(scope="module")
def admin(hotline: Hotline) -> str:
    return hotline.add_admin("rahmat")


def admin_actions(client: httpx.Client, password: str) -> str:
    """Log in as the admin; the actions page's CSRF token."""
    web.login(client, "rahmat", password)
    return web.csrf(client.get("/admin/actions").text)


# --- locked doors ---------------------------------------------------------------------


# Answered to anyone on purpose: the login page, the home redirect, and the health checks
# load balancers ask (no personal data: tests/test_health.py).
PUBLIC = ("/login", "/", "/healthz", "/readyz")


def test_every_page_and_action_refuses_without_login(hotline: Hotline) -> None:
    app = build_app(hotline.config)
    paths = [
        (route.path.replace("{call_id}", "x").replace("{name}", "topics"), method)
        for route in app.routes
        if isinstance(route, Route) and route.path not in PUBLIC
        for method in (route.methods or set()) - {"HEAD"}
    ]
    assert ("/admin/actions/import", "POST") in paths and ("/agent", "GET") in paths
    with httpx.Client(base_url=hotline.web_url, timeout=10) as anonymous:
        for path, method in paths:
            answer = anonymous.request(method, path)
            refused = answer.status_code in (401, 403) or (
                answer.status_code == 303 and answer.headers["location"].startswith("/login")
            )
            assert refused, (method, path, answer.status_code)


def test_agents_cannot_use_the_admin_dashboard(hotline: Hotline) -> None:
    password = hotline.add_agent("dewi", 1).web
    with httpx.Client(base_url=hotline.web_url, timeout=10) as client:
        web.login(client, "dewi", password)
        assert client.get("/agent").status_code == 200
        for path in ("/admin", "/admin/api/wallboard", "/admin/actions", "/admin/calls"):
            assert client.get(path).status_code == 403, path
        token = web.csrf(client.get("/agent").text)
        assert client.post("/admin/actions/asterisk", data={"csrf": token}).status_code == 403


def test_admin_action_without_csrf_token_is_refused(hotline: Hotline, admin: str) -> None:
    with httpx.Client(base_url=hotline.web_url, timeout=10) as client:
        web.login(client, "rahmat", admin)
        before = len(Audit.for_config(hotline.config).recent())
        assert client.post("/admin/actions/asterisk").status_code == 403
        assert len(Audit.for_config(hotline.config).recent()) == before


# --- reloads during a call ----------------------------------------------------------------


def test_reloads_of_each_kind_during_a_running_call_leave_it_intact(
    hotline: Hotline, admin: str
) -> None:
    """A caller who keys nothing hears the main menu three times (about 40 s) and is then
    handed to a person (the test hangs up there); data, prompts and Asterisk config are
    reloaded meanwhile."""
    results: list[CallResult] = []
    handed = "UserEvent"  # HajjToAgent
    caller = threading.Thread(
        target=lambda: results.append(hotline.call("", timeout=90, end_on=handed))
    )
    caller.start()
    time.sleep(3)
    hotline.cli("data", "import", str(hotline.config.state_dir / "sample"), "--quiet")
    with httpx.Client(base_url=hotline.web_url, timeout=60) as client:
        token = admin_actions(client, admin)
        for action in ("prompts", "asterisk"):
            answer = client.post(f"/admin/actions/{action}", data={"csrf": token})
            assert 'class="result ok"' in answer.text, answer.text
    reload_cli = hotline.cli("asterisk", "reload")
    assert "reloaded dialplan, queues, pjsip" in reload_cli.stdout
    caller.join(120)
    [result] = results
    heard = hotline.spoken(result.call_id)
    # The call went on to its natural end: three menus, then the hand-over to a person.
    assert sum(line.startswith("Untuk informasi jemaah") for line in heard) == 3, heard
    assert "to agent: no_input" in hotline.notes(result.call_id)
    kinds = [r.what for r in Audit.for_config(hotline.config).recent(10)]
    assert {"data", "prompts", "asterisk"} <= set(kinds)


def test_a_changed_announcement_is_heard_on_the_next_call(hotline: Hotline, admin: str) -> None:
    text = "Manasik haji tingkat kecamatan dimulai bulan Januari."
    with httpx.Client(base_url=hotline.web_url, timeout=120) as client:
        token = admin_actions(client, admin)
        answer = client.post(
            "/admin/actions/announcements", data={"csrf": token, "announcement": [text]}
        )
        assert 'class="result ok"' in answer.text, answer.text
    # The controller looks at the catalog's files at most once a second (overrides.Watched):
    # a call placed sooner after the previous one may still hear the old text.
    time.sleep(1.5)
    general = Scenario("2", lambda lines: text in lines, timeout=40)
    result = hotline.calls({"general": general})["general"]
    assert text in hotline.spoken(result.call_id)


def test_staffed_hours_edited_on_the_dashboard_apply_to_the_next_call(
    hotline: Hotline, admin: str
) -> None:
    with httpx.Client(base_url=hotline.web_url, timeout=30) as client:
        token = admin_actions(client, admin)
        bad = client.post(
            "/admin/actions/hours",
            data={"csrf": token, "hours": "20:00-08:00", "days": "mon", "holidays": ""},
        )
        assert 'class="result failed"' in bad.text and "closing must come after" in bad.text
        today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 7 * 3600))
        closed = {
            "csrf": token,
            "hours": "00:00-24:00",
            "days": "mon,tue,wed,thu,fri,sat,sun",
            "holidays": today,
        }
        assert 'class="result ok"' in client.post("/admin/actions/hours", data=closed).text
        time.sleep(1.5)  # the controller looks at the hours file at most once a second
        try:
            offer = Scenario("0", lambda lines: any(line.startswith(CLOSED) for line in lines), 30)
            result = hotline.calls({"closed": offer})["closed"]
            assert not result.saw("QueueCallerJoin")
            heard = hotline.spoken(result.call_id)
            assert any(line.startswith(CLOSED) for line in heard)
        finally:
            closed["holidays"] = ""
            assert 'class="result ok"' in client.post("/admin/actions/hours", data=closed).text


# --- the dashboard in a real browser --------------------------------------------------------


def export_zip(
    source: Path, target: Path, edit: dict[str, str] | None = None, break_line: int | None = None
) -> Path:
    """A copy of the sample export, zipped: SOC's row edited, or one line broken."""
    folder = target.with_suffix("")
    shutil.copytree(source, folder)
    jemaah = folder / "jemaah.csv"
    with jemaah.open(newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if edit and row["nomor_porsi"] == SOC.nomor_porsi:
            row.update(edit)
    with jemaah.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    if break_line is not None:
        lines = jemaah.read_text().splitlines(keepends=True)
        lines[break_line] = "12AB" + lines[break_line][4:]
        jemaah.write_text("".join(lines))
    with zipfile.ZipFile(target, "w") as z:
        for member in sorted(folder.glob("*.csv")):  # the whole export, kantor and ppiu too
            z.write(member, member.name)
    return target


def upload(browser: WebDriver, path: Path) -> str:
    browser.find_element(By.LINK_TEXT, "Tindakan admin").click()
    browser.find_element(By.CSS_SELECTOR, "#import input[type=file]").send_keys(str(path))
    browser.find_element(By.CSS_SELECTOR, "#import button").click()
    result = WebDriverWait(browser, 120).until(ec.presence_of_element_located((By.ID, "result")))
    return str(result.get_attribute("class"))


def test_browser_admin_sees_a_live_call_opens_it_and_imports_exports(
    hotline: Hotline, admin: str, browser: WebDriver, tmp_path: Path
) -> None:
    browser_login(browser, hotline, "rahmat", admin)
    assert browser.current_url.endswith("/admin")

    # A real call through Asterisk appears on the wallboard while it runs; the caller hangs
    # up once it was seen there and greeted.
    seen = threading.Event()
    live = Scenario("", lambda lines: seen.is_set() and GREETING in " ".join(lines), 20)
    caller = threading.Thread(target=lambda: hotline.calls({"live": live}))
    caller.start()
    link = WebDriverWait(browser, 20).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#live a.live-call"))
    )
    call_id = link.text
    assert call_id.startswith("hajj-test-")
    assert int(browser.find_element(By.ID, "tile-in_ivr").text) >= 1
    seen.set()
    caller.join(60)

    # Its transcript, from the call log page.
    browser.get(f"{hotline.web_url}/admin/calls/{call_id}")
    transcript = browser.find_element(By.ID, "transcript").text
    assert GREETING in transcript

    sample = hotline.config.state_dir / "sample"
    # A bad export is refused with its bad row shown, while calls still get answers.
    served: list[CallResult] = []
    answered = said("Data per")  # the status and the data's date, after the lookup
    during = threading.Thread(target=lambda: served.append(lookup_soc(hotline, answered)))
    during.start()
    bad = export_zip(sample, tmp_path / "bad.zip", break_line=5)
    assert "failed" in upload(browser, bad)
    assert "jemaah.csv line 6" in browser.find_element(By.ID, "bad-rows").text

    # A good one is taken, and the next call speaks the new data. The call above stays on
    # the line meanwhile (it only has to be answered, whichever data it hears), so the two
    # half-minute lookups overlap rather than follow each other.
    good = export_zip(
        sample,
        tmp_path / "good.zip",
        edit={"updated_at": "2026-04-20 09:00", "estimasi_masehi": "2031"},
    )
    assert "ok" in upload(browser, good)
    assert "changed 1" in browser.find_element(By.ID, "result").text
    new_year = "dua ribu tiga puluh satu"  # the estimate (after the data's date)
    lines = hotline.spoken(lookup_soc(hotline, said(new_year)).call_id)
    assert any(new_year in line for line in lines), lines
    assert any(line.startswith("Data per tanggal dua puluh April") for line in lines), lines
    during.join(90)
    assert served, "the call placed during the refused upload did not end"
    assert any(line.startswith("Data per") for line in hotline.spoken(served[0].call_id))
    # Put the sample back for the tests after this one (older than good.zip: forced).
    hotline.cli("data", "import", str(sample), "--quiet", "--force")


def lookup_soc(hotline: Hotline, enough: Callable[[list[str]], bool]) -> CallResult:
    """A call that keys SOC's porsi and asks for the departure estimate (1); it hangs up
    once the IVR has said what the test reads (``enough``)."""
    keys = found(SOC.nomor_porsi) + "W" * 16 + "1"
    return hotline.calls({"soc": Scenario(keys, enough)})["soc"]


def said(text: str) -> Callable[[list[str]], bool]:
    return lambda lines: any(text in line for line in lines)


def test_browser_reports_have_plots_and_csv(
    hotline: Hotline, admin: str, browser: WebDriver
) -> None:
    browser_login(browser, hotline, "rahmat", admin)
    browser.get(f"{hotline.web_url}/admin/reports")
    for name in ("calls-per-hour", "outcomes", "topics", "not-found", "service-level"):
        section = browser.find_element(By.ID, f"report-{name}")
        assert section.find_elements(By.CSS_SELECTOR, "svg.chart")
    bars = browser.find_elements(By.CSS_SELECTOR, "#report-calls-per-hour svg rect")
    assert bars  # the calls of this test session, by hour
    with httpx.Client(base_url=hotline.web_url, timeout=10) as client:
        web.login(client, "rahmat", admin)
        answer = client.get("/admin/reports/outcomes.csv")
        assert answer.headers["content-type"].startswith("text/csv")
        assert answer.text.splitlines()[0] == "tanggal,layanan mandiri,ke petugas,ditinggalkan"


def test_browser_call_log_search_by_porsi(hotline: Hotline, admin: str, browser: WebDriver) -> None:
    log = CallLog(hotline.config.calllog_path)  # a call that keyed SOC's porsi
    log.start("hajj-search-soc", "0811000093", "hotline")
    log.lookup("hajj-search-soc", SOC.nomor_porsi, "KOTA SURAKARTA")
    log.finish("hajj-search-soc", Outcome.SERVED)
    log.close()
    browser_login(browser, hotline, "rahmat", admin)
    browser.get(f"{hotline.web_url}/admin/calls")
    before = browser.find_element(By.ID, "calls")
    browser.find_element(By.NAME, "porsi").send_keys(SOC.nomor_porsi)
    browser.find_element(By.CSS_SELECTOR, "form.search button").click()
    wait_replaced(browser, before)  # the answer's page
    assert browser.find_element(By.NAME, "porsi").get_attribute("value") == SOC.nomor_porsi
    assert SOC.nomor_porsi not in browser.current_url  # posted, not in the URL
    rows = browser.find_elements(By.CSS_SELECTOR, "#calls tbody tr")
    assert rows and all(SOC.nomor_porsi in row.text for row in rows)
