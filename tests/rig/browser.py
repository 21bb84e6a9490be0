"""A real headless Chromium for dashboard tests: Debian's chromium and chromium-driver
(installed by `make setup`), driven by Selenium; no browser download."""

from __future__ import annotations

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.command import Command
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

from tests.rig.hotline import Hotline

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def start(*extra: str) -> WebDriver:
    """``extra``: more Chromium flags (the browser phone's fake media: tests/rig/webphone.py)."""
    options = webdriver.ChromeOptions()
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--autoplay-policy=no-user-gesture-required",
        *extra,
    ):
        options.add_argument(arg)
    options.binary_location = CHROMIUM
    # The console's messages (Content-Security-Policy refusals) for browser.get_log().
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def browser_login(browser: WebDriver, site: Hotline | str, name: str, password: str) -> None:
    """Log in on the hotline's web app (or the one at the base URL ``site``)."""
    base = site if isinstance(site, str) else site.web_url
    browser.get(f"{base}/login")
    browser.find_element(By.NAME, "name").send_keys(name)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda b: "/login" not in b.current_url)


def console_errors(browser: WebDriver) -> list[str]:
    """The browser console's errors since the last call (CSP refusals among them)."""
    entries = browser.execute(Command.GET_LOG, {"type": "browser"})["value"]
    return [str(e["message"]) for e in entries if e["level"] == "SEVERE"]


def wait_replaced(browser: WebDriver, element: WebElement, timeout: float = 10) -> None:
    """Wait until ``element``'s page is gone (a form's answer has loaded). Chromedriver
    reports an element of a page being replaced either as stale or, mid-navigation, as
    "does not belong to the document": both mean the old page is gone."""

    def gone(_: WebDriver) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as e:
            if "does not belong to the document" in str(e):
                return True
            raise
        return False

    WebDriverWait(browser, timeout).until(gone)
