"""Data corrections over real calls (Local channels): a case filed from information menu 7
and routed to the district office, and one about a kloter, after the date of birth, with
a message RECORD FILE wrote and a confirmed callback number, routed to the embarkation.
Then the dashboard in Chromium: the district office's login sees only its cases and
resolves one; the admin's accuracy report plots both units. Every other branch runs in
the fast tier: tests/test_flow_corrections.py, the same checks
(tests/scenarios/corrections.py)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from ivr.testcall import CallResult
from tests.rig.browser import browser_login, wait_replaced
from tests.rig.hotline import Hotline
from tests.rig.web import printed_password
from tests.scenarios import corrections as checks
from tests.scenarios.pilgrim import SOC

pytestmark = pytest.mark.asterisk


@pytest.fixture(scope="module")
def calls(hotline: Hotline) -> dict[str, CallResult]:
    return hotline.calls(checks.real_scenarios())


def test_correction_estimate_is_filed_for_the_district_office(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    checks.check_estimate_filed_for_the_district(hotline, calls)


def test_correction_kloter_after_the_date_of_birth_goes_to_the_embarkation(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    checks.check_kloter_goes_to_the_embarkation(hotline, calls)


# --- the dashboard in a real headless Chromium, over the cases these calls filed ---------


@pytest.fixture(scope="module")
def solo(hotline: Hotline, calls: dict[str, CallResult]) -> str:
    """A login for the pilgrim's district office (`hajj-ivr units add`); its password."""
    unit = f"kab:{SOC.kd_kab}"
    return printed_password(hotline.cli("units", "add", "unit-solo", "--unit", unit).stdout)


def test_browser_unit_login_sees_only_its_units_cases_and_resolves_one(
    hotline: Hotline, calls: dict[str, CallResult], browser: WebDriver, solo: str
) -> None:
    ours = checks.case_of(hotline, calls["estimate"].call_id)
    theirs = checks.case_of(hotline, calls["kloter"].call_id)
    assert ours is not None and theirs is not None
    browser_login(browser, hotline, "unit-solo", solo)
    assert browser.current_url.endswith("/corrections")
    rows = browser.find_elements(By.CSS_SELECTOR, "#cases tbody tr")
    shown = {row.find_element(By.TAG_NAME, "td").text: row for row in rows}
    assert ours.number in shown and theirs.number not in shown  # the embarkation's
    units = [row.find_element(By.CSS_SELECTOR, "td.unit").text for row in rows]
    assert all(unit.startswith(ours.unit + " ") for unit in units), units
    assert browser.find_elements(By.ID, "report-accuracy") == []
    button = shown[ours.number].find_element(By.TAG_NAME, "button")
    button.click()
    wait_replaced(browser, button)
    row = next(
        r
        for r in browser.find_elements(By.CSS_SELECTOR, "#cases tbody tr")
        if r.find_element(By.TAG_NAME, "td").text == ours.number
    )
    assert row.find_element(By.CSS_SELECTOR, "td.state").text == "selesai"
    resolved = checks.case_of(hotline, calls["estimate"].call_id)
    assert resolved is not None and resolved.resolved_by == "unit-solo"


def test_browser_admin_sees_the_accuracy_report_plotted(
    hotline: Hotline, calls: dict[str, CallResult], browser: WebDriver
) -> None:
    password = hotline.add_admin("rahmat-koreksi")
    browser_login(browser, hotline, "rahmat-koreksi", password)
    browser.get(f"{hotline.web_url}/corrections")
    report = browser.find_element(By.ID, "report-accuracy")
    bars = report.find_elements(By.CSS_SELECTOR, "svg rect[class^='series-']")
    assert len(bars) >= 2  # the district office and the embarkation, each with lookups
    text = report.find_element(By.TAG_NAME, "svg").get_attribute("textContent") or ""
    assert "kab:" in text and "emb:SOC" in text
    assert browser.find_element(By.ID, "per-unit").is_displayed()
