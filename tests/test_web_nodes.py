"""The nodes page (/admin/nodes) over the real web app: with [database] url every node's
heartbeat on a real PostgreSQL (up or stale, calls, the mirror it serves against the
published one), escaped; on one node this node alone; admins only."""

from __future__ import annotations

import asyncio
import html
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from ivr import config as config_mod
from ivr import heartbeats, mirrorsync, pgstore, wiring
from ivr.agents.store import AgentStore
from ivr.config import Config
from ivr.heartbeats import Beat, Heartbeats
from ivr.web.app import build_app
from ivr.web.screenpop import ScreenPop
from tests.rig.browser import browser_login, console_errors
from tests.rig.procs import service_env
from tests.test_data_published import imported, node, sha256
from tests.test_files import VENV_BIN, _wait_listening
from tests.test_web_complaints import NoAmi, logged_in


def _page(config: Config, who: str = "rahmat", role: str = "admin") -> str | int:
    """/admin/nodes as ``who``: the page's text, or its status when refused."""
    password = AgentStore.for_config(config).add(who, 0 if role == "admin" else 1, role=role)
    app = build_app(
        config,
        pop=ScreenPop(config.calllog_path, config.mirror_path),
        ami=NoAmi(),  # type: ignore[arg-type]
    )

    async def visit() -> str | int:
        async with logged_in(app, who, password[1].web) as client:
            response = await client.get("/admin/nodes")
        return response.text if response.status_code == 200 else response.status_code

    return asyncio.run(visit())


def _rows(page: str) -> list[list[str]]:
    body = page.split('id="nodes"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in _cells(row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def _cells(row: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)


def test_nodes_page_shows_two_heartbeats_up_and_stale_with_their_mirror(
    tmp_path: Path, pg_url: str
) -> None:
    config = node(tmp_path / "web", pg_url)
    imported(config, tmp_path / "export", 30)
    done = mirrorsync.publish_live(config, "rahmat")
    assert done is not None
    with pgstore.opened(config.database) as sql:
        store = Heartbeats(sql)
        store.beat(Beat("ivr1:4573", "ivr", "127.0.0.2:5060", "127.0.0.2:4573", 7,
                        done.sha256, "2026-04-10", time.time()))  # fmt: skip
        store.beat(Beat("ivr2:4573<b>", "ivr", "127.0.0.3:5060", "127.0.0.3:4573", 2,
                        "0" * 64, "2026-04-01", time.time()))  # fmt: skip
    with psycopg.connect(pg_url, autocommit=True) as conn:  # ivr2 silent for a minute
        conn.execute(
            "UPDATE node_heartbeats SET last_seen = now() - interval '60 seconds'"
            " WHERE name LIKE 'ivr2%'"
        )
    page = _page(config)
    assert isinstance(page, str)
    rows = _rows(page)
    seen = [row.pop(3) for row in rows]  # by PostgreSQL's clock: about 0 and 60 s ago
    assert rows == [
        ["ivr1:4573", "IVR", "aktif", "7", "2026-04-10", "ya"],
        ["ivr2:4573<b>", "IVR", "tidak merespons", "2", "2026-04-01", "tidak"],
    ]
    assert re.fullmatch(r"\d+ detik lalu", seen[0]) and int(seen[0].split()[0]) < 15
    assert int(seen[1].split()[0]) >= 60
    assert "ivr2:4573&lt;b&gt;" in page and "<b>" not in page.split('id="nodes"')[1]
    assert f"published #{done.id}: as of 2026-04-10" in page


def test_controller_heartbeat_says_the_mirror_it_serves(tmp_path: Path, pg_url: str) -> None:
    config = node(tmp_path / "ivr1", pg_url)
    imported(config, tmp_path / "export", 30)
    local = mirrorsync.LocalMirror(config.mirror_path)
    with pgstore.opened(config.database) as sql:
        beat = mirrorsync.Heartbeat(Heartbeats(sql), config, local, "ivr1", "ivr", lambda: 3, 1.0)
        beat()
        beat()  # an upsert: still one row
        (seen,) = Heartbeats(sql).nodes()
    assert seen.beat == Beat(
        "ivr1", "ivr", "127.0.0.1:5060", "127.0.0.1:4573", 3, sha256(config.mirror_path),
        "2026-04-10", 1.0,
    )  # fmt: skip
    assert seen.up() and not heartbeats.Node(seen.beat, 3 * heartbeats.EVERY + 1).up()


def test_nodes_page_on_one_node_shows_this_node(tmp_path: Path) -> None:
    config = config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path / "state"})
    imported(config, tmp_path / "export", 30)
    page = _page(config)
    assert isinstance(page, str)
    assert _rows(page) == [[wiring.node_name(config), "satu node", "aktif", "-", "0",
                            "2026-04-10", "-"]]  # fmt: skip
    assert "Belum ada data yang diterbitkan" in page


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_nodes_page_refuses_everyone_but_admins(tmp_path: Path, role: str) -> None:
    config = config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path})
    assert _page(config, "siti", role) == 403


def test_nodes_page_without_a_login_goes_to_the_login(tmp_path: Path) -> None:
    config = config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path})
    app = build_app(
        config,
        pop=ScreenPop(config.calllog_path, config.mirror_path),
        ami=NoAmi(),  # type: ignore[arg-type]
    )

    async def visit() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as anon:
            return await anon.get("/admin/nodes")

    response = asyncio.run(visit())
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


FORGED = "ivr3<img src=x onerror=window.pwned=1>"


def test_nodes_page_in_a_browser_refreshes_in_place_new_and_silent_nodes_escaped(
    tmp: Path, pg_url: str, browser: WebDriver
) -> None:
    """The real web app (`hajj-ivr web`) with [database] url, in Chromium: the page shows
    the nodes' heartbeats; without a reload a node that starts beating appears (its name
    as text, never markup) and one that falls silent turns "tidak merespons"."""
    config = node(tmp / "web", pg_url)
    _, password = AgentStore.for_config(config).add("rahmat", 0, role="admin")
    env = service_env(config.state_dir, pg_url)
    web_port = int(env["HAJJ_IVR_WEB_PORT"])
    with pgstore.opened(config.database) as sql:
        store = Heartbeats(sql)
        store.beat(Beat("ivr1", "ivr", "127.0.0.2:5060", "127.0.0.2:4573", 4, "", "", 1.0))
        with (tmp / "web.log").open("wb") as out:
            proc = subprocess.Popen([str(VENV_BIN / "hajj-ivr"), "web"], env=env, stdout=out,
                                    stderr=out)  # fmt: skip
            try:
                _wait_listening(web_port, proc)
                url = f"http://127.0.0.1:{web_port}"
                browser_login(browser, url, "rahmat", password.web)
                browser.get(f"{url}/admin/nodes")
                assert _browser_rows(browser) == [["ivr1", "IVR", "aktif", "4"]]
                browser.execute_script("window.loadedOnce = true")

                with psycopg.connect(pg_url, autocommit=True) as conn:  # ivr1 falls silent
                    conn.execute("UPDATE node_heartbeats SET last_seen = now() - interval"
                                 " '60 seconds' WHERE name = 'ivr1'")  # fmt: skip
                # A new node after: any read of two rows shows the last state.
                store.beat(
                    Beat(FORGED, "agent", "127.0.0.4:5060", "127.0.0.4:4573", 0, "", "", 1.0)
                )
                expected = [
                    ["ivr1", "IVR", "tidak merespons", "4"],
                    [FORGED, "petugas", "aktif", "0"],
                ]
                WebDriverWait(browser, 15).until(lambda b: len(_browser_rows(b)) == 2)
                assert _browser_rows(browser) == expected
                assert browser.execute_script("return window.loadedOnce === true")  # in place
                assert browser.execute_script("return window.pwned === undefined")
                assert not [e for e in console_errors(browser) if "Content Security" in e]
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(20)


# The table read in one go inside the page: the refresh may swap it between two reads of
# Selenium's (a row found, then its cells asked for: "stale element reference").
ROWS = """return Array.from(document.querySelectorAll("#nodes tbody tr"),
    (row) => Array.from(row.cells, (cell) => cell.textContent.trim()));"""


def _browser_rows(browser: WebDriver) -> list[list[str]]:
    """The table as the browser shows it: name, role, state, calls."""
    cells: list[list[str]] = browser.execute_script(ROWS)
    return [[row[0], row[1], row[2], row[4]] for row in cells]
