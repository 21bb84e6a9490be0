"""Streamed uploads (ivr.web.uploads) in process: caps before and while reading, private
folders that never outlive the request, names that are never paths."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.requests import Request

from ivr import config as config_mod
from ivr.admin.audit import Audit
from ivr.agents.store import AgentStore
from ivr.config import Config
from ivr.data.importer import import_export
from ivr.data.mirror import Mirror
from ivr.data.sample import write_sample
from ivr.errors import UploadError, UploadTooLarge
from ivr.web import uploads
from ivr.web.app import build_app
from ivr.web.screenpop import ScreenPop
from tests.rig import web
from tests.test_data_import_guard import older

MIB = 1 << 20
LIMITS = uploads.Limits(body=3 * MIB, file=2 * MIB, what="the file", key="web.test_mib")


class NoAmi:
    connected = False

    def on_event(self, pattern: str, callback: Callable[[Any], None]) -> None:
        pass


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("..", "upload"),
        (".", "upload"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("/", "upload"),
        ("siskohat 2026-04-10.zip", "siskohat 2026-04-10.zip"),
        ("jemaah.csv\x00.png", "jemaah.csv_.png"),
        (".hidden.zip", "hidden.zip"),
        ("<script>.wav", "_script_.wav"),
    ],
)
def test_uploads_clean_name_never_a_path(raw: str, clean: str) -> None:
    assert uploads.clean_name(raw) == clean


def request(body: list[bytes], headers: dict[str, str]) -> Request:
    """A Starlette request whose body arrives in ``body``'s chunks; reading past the
    last one fails the test (so "refused before reading" is checked)."""
    chunks = list(body)

    async def receive() -> dict[str, Any]:
        assert chunks, "read past the end of the body"
        chunk = chunks.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "POST", "headers": raw}, receive)


def form_body(files: dict[str, tuple[str, bytes]], fields: dict[str, str]) -> list[bytes]:
    boundary = "b0undary"
    out = b""
    for name, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    for name, (filename, data) in files.items():
        out += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\n\r\n'
            ).encode()
            + data
            + b"\r\n"
        )
    out += f"--{boundary}--\r\n".encode()
    return [out[i : i + 65536] for i in range(0, len(out), 65536)]


MULTIPART = {"content-type": "multipart/form-data; boundary=b0undary"}


def test_uploads_files_land_in_a_private_folder_removed_afterwards(tmp_path: Path) -> None:
    body = form_body({"export": ("../../x.zip", b"PK" + b"x" * 3 * 65536)}, {"csrf": "t"})

    async def run() -> tuple[uploads.Upload, int, int]:
        async with uploads.receive(request(body, MULTIPART), tmp_path, LIMITS) as form:
            [f] = form.files_of("export")
            folder_mode = stat.S_IMODE(form.folder.stat().st_mode)
            file_mode = stat.S_IMODE(f.path.stat().st_mode)
            assert f.path.read_bytes() == b"PK" + b"x" * 3 * 65536
            return form, folder_mode, file_mode

    form, folder_mode, file_mode = asyncio.run(run())
    [f] = form.files
    assert (f.name, f.path.name, f.path.parent) == ("x.zip", "file-0.zip", form.folder)
    assert (form.get("csrf"), folder_mode, file_mode) == ("t", 0o700, 0o600)
    assert list(tmp_path.iterdir()) == []  # the folder went with the request


def test_uploads_declared_length_over_the_cap_refused_before_reading(tmp_path: Path) -> None:
    headers = {**MULTIPART, "content-length": str(4 * MIB)}

    async def run() -> None:
        async with uploads.receive(request([], headers), tmp_path, LIMITS):
            pytest.fail("the body was accepted")

    with pytest.raises(UploadTooLarge, match=r"the file is larger than 2 MiB \(web.test_mib\)"):
        asyncio.run(run())
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "files",
    [
        {"f": ("a.bin", bytes(2 * MIB + 1))},  # one file over the file cap
        {"f": ("a.bin", bytes(MIB)), "g": ("b.bin", bytes(MIB)), "h": ("c", bytes(MIB))},
    ],
    ids=["file", "body"],
)
def test_uploads_growing_past_a_cap_refused_while_reading(
    tmp_path: Path, files: dict[str, tuple[str, bytes]]
) -> None:
    """No Content-Length (chunked): refused the moment a file, or the body, is too big."""

    async def run() -> None:
        async with uploads.receive(request(form_body(files, {}), MULTIPART), tmp_path, LIMITS):
            pytest.fail("the body was accepted")

    with pytest.raises(UploadTooLarge):
        asyncio.run(run())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "body",
    [
        b"not a form at all",
        b'--b0undary\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\nhalf',
    ],
    ids=["garbage", "cut short"],
)
def test_uploads_malformed_form_upload_error(tmp_path: Path, body: bytes) -> None:

    async def run() -> None:
        async with uploads.receive(request([body], MULTIPART), tmp_path, LIMITS):
            pass

    with pytest.raises(UploadError):
        asyncio.run(run())


def test_uploads_left_over_folders_removed_at_start(tmp_path: Path) -> None:
    (tmp_path / "upload-x1").mkdir()
    (tmp_path / "upload-x1" / "file-0.zip").write_bytes(b"PK")
    (tmp_path / "20261201-101010").mkdir()  # what the old dashboard kept forever
    uploads.remove_left_over(tmp_path)
    assert list(tmp_path.iterdir()) == []


# --- the web app in process ---------------------------------------------------------------


def app_for(tmp_path: Path, **overrides: Any) -> tuple[Config, Any, str]:
    config = config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path, **overrides})
    _, new = AgentStore.for_config(config).add("rahmat", 0, role="admin")
    pop = ScreenPop(config.calllog_path, config.mirror_path)
    return config, build_app(config, pop=pop, ami=NoAmi()), new.web  # type: ignore[arg-type]


def as_admin(
    app: Any, password: str, work: Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]
) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            token = web.csrf((await c.get("/login")).text)
            form = {"name": "rahmat", "password": password, "csrf": token}
            assert (await c.post("/login", data=form)).status_code == 303
            return await work(c)

    return asyncio.run(run())


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    for i in range(0, len(data), 65536):
        yield data[i : i + 65536]


@pytest.mark.parametrize("chunked", [False, True])
def test_web_any_other_form_over_a_mib_refused_413(tmp_path: Path, chunked: bool) -> None:
    _, app, password = app_for(tmp_path)
    big = b"note=" + b"x" * (2 * MIB)

    async def post(c: httpx.AsyncClient) -> httpx.Response:
        content: Any = chunks(big) if chunked else big
        headers = {"content-type": "application/x-www-form-urlencoded"}
        return await c.post("/complaints/new", content=content, headers=headers)

    answer = as_admin(app, password, post)
    assert answer.status_code == 413 and "larger than 1024 KiB" in answer.text


def post_export(data: bytes, name: str = "siskohat.zip", force: bool = False) -> Any:
    async def post(c: httpx.AsyncClient) -> httpx.Response:
        token = web.csrf((await c.get("/admin/actions")).text)
        fields = {"csrf": token, **({"force": "1"} if force else {})}
        return await c.post("/admin/actions/import", data=fields, files={"export": (name, data)})

    return post


def test_web_export_over_its_cap_refused_413_and_logged(tmp_path: Path) -> None:
    config, app, password = app_for(tmp_path, **{"web.max_export_mib": 1})
    answer = as_admin(app, password, post_export(bytes(2 * MIB)))
    assert answer.status_code == 413
    assert "the export is larger than 1 MiB (web.max_export_mib)" in answer.text
    [row] = Audit.for_config(config).recent(1)
    assert (row.who, row.what, row.ok) == ("rahmat", "data", False)
    assert not config.uploads_dir.exists()  # refused on its Content-Length, before a folder


def test_web_export_older_than_live_refused_unless_the_box_is_ticked(tmp_path: Path) -> None:
    config, app, password = app_for(tmp_path)
    write_sample(tmp_path / "export", jemaah=40)
    import_export(tmp_path / "export", config.mirror_path)
    old = older(tmp_path / "export", tmp_path / "old")
    csvs = {name: (old / name).read_bytes() for name in ("jemaah.csv", "kloter.csv")}

    def post(force: bool) -> Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]:
        async def run(c: httpx.AsyncClient) -> httpx.Response:
            token = web.csrf((await c.get("/admin/actions")).text)
            fields = {"csrf": token, **({"force": "1"} if force else {})}
            files = [("export", (name, data)) for name, data in csvs.items()]
            return await c.post("/admin/actions/import", data=fields, files=files)

        return run

    refused = as_admin(app, password, post(force=False))
    assert 'class="result failed"' in refused.text and "older than the live mirror" in refused.text
    with Mirror(config.mirror_path) as mirror:
        assert str(mirror.as_of) == "2026-04-10"
    taken = as_admin(app, password, post(force=True))
    assert 'class="result ok"' in taken.text, taken.text
    assert "from upload jemaah.csv, kloter.csv" in taken.text
    with Mirror(config.mirror_path) as mirror:
        assert str(mirror.as_of) == "2026-03-01"
    assert list(config.uploads_dir.iterdir()) == []


def post_files(files: list[tuple[str, bytes]]) -> Any:
    async def run(c: httpx.AsyncClient) -> httpx.Response:
        token = web.csrf((await c.get("/admin/actions")).text)
        parts = [("export", (name, data)) for name, data in files]
        return await c.post("/admin/actions/import", data={"csrf": token}, files=parts)

    return run


def test_web_export_as_files_may_carry_the_optional_ppiu_csv(tmp_path: Path) -> None:
    config, app, password = app_for(tmp_path)
    write_sample(tmp_path / "export", jemaah=40)
    files = [(p.name, p.read_bytes()) for p in sorted((tmp_path / "export").iterdir())]
    assert [name for name, _ in files] == ["jemaah.csv", "kantor.csv", "kloter.csv", "ppiu.csv"]
    for wrong in ([*files, ("lain.csv", b"x\n")], [*files, files[3]]):
        refused = as_admin(app, password, post_files(wrong))
        assert "(and ppiu.csv or kantor.csv if the export has them)" in refused.text, refused.text
    taken = as_admin(app, password, post_files(files))
    assert 'class="result ok"' in taken.text and "5 PPIU" in taken.text, taken.text
    with Mirror(config.mirror_path) as mirror:
        assert mirror.ppiu("8120001357924").check == "revoked"
