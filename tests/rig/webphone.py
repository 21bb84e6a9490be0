"""The console's browser phone in a real headless Chromium: fake microphone and camera
(Chromium's beep as the agent's voice), media over loopback, no network beyond the hotline.
`agent_browser_phone` logs an agent in, waits until window.deskPhone registered, and
records the phone's events; `browser_phone_in_queue` logs that phone in to the tier's
queue (MEMBERNAME = the agent's name) as the console's state buttons will. The lead's
full console test builds on both."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from ivr.agents.store import queue_of, web_endpoint_of
from ivr.ami.users import AmiUser, session
from tests.rig import browser as browser_rig
from tests.rig.hotline import Hotline

FLAGS = (
    "--use-fake-ui-for-media-stream",  # getUserMedia granted without a prompt
    "--use-fake-device-for-media-stream",  # a synthetic microphone (a beep)
    "--allow-loopback-in-peer-connection",  # ICE host candidates on 127.0.0.1
    # nothing leaves the machine: no updates, no sync, no field trials, no metrics
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--no-first-run",
    "--metrics-recording-only",
    "--no-pings",
)

# Every event DeskPhone fires, recorded in the page as [name, detail] pairs.
RECORD_EVENTS = """
window.phoneEvents = window.phoneEvents || [];
for (const name of ["registered", "unregistered", "registrationFailed", "incoming",
                    "connected", "ended", "held", "muted"]) {
  window.deskPhone.addEventListener(name, (e) => window.phoneEvents.push([name, e.detail]));
}
"""


def phone_state(driver: WebDriver) -> str:
    return str(driver.execute_script("return window.deskPhone ? window.deskPhone.state : ''"))


def events(driver: WebDriver) -> list[str]:
    """The names of the phone's events so far."""
    recorded: list[list[Any]] = driver.execute_script("return window.phoneEvents || []")
    return [str(name) for name, _ in recorded]


@contextlib.contextmanager
def agent_browser_phone(hotline: Hotline, name: str, web_password: str) -> Iterator[WebDriver]:
    """A Chromium logged in as ``name`` on the console, its phone registered."""
    driver = browser_rig.start(*FLAGS)
    try:
        browser_rig.browser_login(driver, hotline, name, web_password)
        if not driver.current_url.endswith("/agent"):
            driver.get(f"{hotline.web_url}/agent")
        WebDriverWait(driver, 30).until(lambda d: phone_state(d) == "registered")
        driver.execute_script(RECORD_EVENTS)
        yield driver
    finally:
        with contextlib.suppress(Exception):
            driver.execute_async_script(
                "const done = arguments[0]; window.deskPhone.stop().then(done, done);"
            )
        driver.quit()


@contextlib.contextmanager
def browser_phone_in_queue(hotline: Hotline, name: str, tier: int) -> Iterator[None]:
    """``name``'s browser phone a member of the tier's queue for the block."""
    interface = f"PJSIP/{web_endpoint_of(name)}"
    queue = queue_of(tier)

    async def add() -> None:
        async with session(hotline.config, AmiUser.DESK) as ami:
            await ami.action(
                "QueueAdd",
                Queue=queue,
                Interface=interface,
                MemberName=name,
                StateInterface=interface,
                Paused="false",
            )

    async def remove() -> None:
        async with session(hotline.config, AmiUser.DESK) as ami:
            await ami.action("QueueRemove", Queue=queue, Interface=interface)

    asyncio.run(add())
    try:
        yield
    finally:
        asyncio.run(remove())


def media_counts(driver: WebDriver) -> dict[str, int]:
    """The call's RTP as the browser counts it (getStats): packets received and sent, and
    the energy of what it decoded (x 1e6: 0 for silence)."""
    script = """
const done = arguments[0];
const session = window.deskPhone._session;
const none = {received: 0, sent: 0, energy: 0};
if (!session || !session.sessionDescriptionHandler) { done(none); return; }
session.sessionDescriptionHandler.peerConnection.getStats().then((report) => {
  const counts = {received: 0, sent: 0, energy: 0};
  report.forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "audio") {
      counts.received += s.packetsReceived;
      counts.energy += Math.round((s.totalAudioEnergy || 0) * 1e6);
    }
    if (s.type === "outbound-rtp" && s.kind === "audio") counts.sent += s.packetsSent;
  });
  done(counts);
}, () => done(none));
"""
    counts: dict[str, int] = driver.execute_async_script(script)
    return counts
