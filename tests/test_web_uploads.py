"""Uploads as an attacker sends them, over real HTTP to the running hotline's web app:
too big, too long, badly named, zip bombs and damaged zips. Each is refused with a clear
message, nothing of it is kept, and the hotline goes on serving."""

from __future__ import annotations

import io
import secrets
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ivr.admin.audit import Audit
from ivr.complaints import tickets as tickets_mod
from ivr.complaints.tickets import Ticket
from ivr.data.mirror import Mirror
from ivr.data.sample import FIXED_PILGRIMS
from tests.rig import web
from tests.rig.hotline import Hotline

pytestmark = pytest.mark.asterisk

MIB = 1 << 20
SOC = FIXED_PILGRIMS[0].nomor_porsi


@pytest.fixture(scope="module")
def admin(hotline: Hotline) -> str:
    return hotline.add_admin("usman")


@pytest.fixture
def client(hotline: Hotline, admin: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hotline.web_url, timeout=120) as logged_in:
        web.login(logged_in, "usman", admin)
        yield logged_in
    # Whatever happened, no upload left anything behind.
    uploads = hotline.config.uploads_dir
    assert not uploads.exists() or list(uploads.iterdir()) == []


def peak_rss_mib(hotline: Hotline) -> float:
    """The web process's peak resident memory (VmHWM), MiB."""
    assert hotline.web is not None
    status = Path(f"/proc/{hotline.web.pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def multipart(
    fields: dict[str, str], file_field: str, file_name: str, mib: int
) -> tuple[dict[str, str], Iterator[bytes]]:
    """A multipart/form-data body of ``mib`` MiB of zeros as a browser streams it: its
    headers (type and exact length) and a generator, so the file is never whole in this
    process either."""
    boundary = secrets.token_hex(16)
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{file_name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    )
    tail = f"\r\n--{boundary}--\r\n".encode()
    headers = {
        "content-type": f"multipart/form-data; boundary={boundary}",
        "content-length": str(len(head.encode()) + mib * MIB + len(tail)),
    }

    def body() -> Iterator[bytes]:
        yield head.encode()
        yield from zeros(mib)
        yield tail

    return headers, body()


def zeros(mib: int) -> Iterator[bytes]:
    block = bytes(MIB)
    for _ in range(mib):
        yield block


def new_ticket(hotline: Hotline) -> Ticket:
    desk = tickets_mod.for_config(hotline.config)
    return desk.open(source="phone", category="payment", who="caller", caller="0811000077")


def resolve_fields(client: httpx.Client, ticket: Ticket) -> dict[str, str]:
    token = web.csrf(client.get(f"/complaints/{ticket.number}").text)
    return {"csrf": token, "action": "resolve", "resolution": "", "note": ""}


def assert_unchanged(hotline: Hotline, ticket: Ticket) -> None:
    still = tickets_mod.for_config(hotline.config).get(ticket.number)
    assert (still.state, still.reply) == ("new", "")
    assert not list(hotline.config.recordings_dir.glob(f"{ticket.number}-reply*"))


# --- recorded replies --------------------------------------------------------------------


@pytest.mark.parametrize("declared", [False, True], ids=["chunked", "content-length"])
def test_reply_upload_of_300_mib_refused_413_memory_stays_low(
    hotline: Hotline, client: httpx.Client, declared: bool
) -> None:
    ticket = new_ticket(hotline)
    fields = resolve_fields(client, ticket)
    headers, body = multipart(fields, "reply", "balasan.wav", 300)
    if not declared:  # sent chunked: the size is known only once it is all there
        del headers["content-length"]
    before = peak_rss_mib(hotline)
    answer = client.post(f"/complaints/{ticket.number}/action", content=body, headers=headers)
    assert answer.status_code == 413, answer.text
    assert "larger than 20 MiB (web.max_reply_mib)" in answer.json()["error"]
    assert peak_rss_mib(hotline) - before < 64  # the 300 MiB never sat in memory
    assert_unchanged(hotline, ticket)


def test_reply_longer_than_reply_max_seconds_refused(
    hotline: Hotline, client: httpx.Client, tmp_path: Path
) -> None:
    """150 s is more than a status call can play in one go (the AGI media timeout)."""
    ticket = new_ticket(hotline)
    long_reply = tmp_path / "panjang.wav"
    sox = ["sox", "-n", "-r", "8000", "-c", "1", str(long_reply), "synth", "150", "sine", "440"]
    subprocess.run(sox, check=True)
    answer = client.post(
        f"/complaints/{ticket.number}/action",
        data=resolve_fields(client, ticket),
        files={"reply": ("panjang.wav", long_reply.read_bytes(), "audio/wav")},
    )
    assert answer.status_code == 409, answer.text
    error = answer.json()["error"]
    assert "lasts 150 s" in error and "at most 90 s (complaints.reply_max_seconds)" in error
    assert_unchanged(hotline, ticket)


# --- data exports ------------------------------------------------------------------------


def post_export(client: httpx.Client, name: str, data: bytes) -> httpx.Response:
    token = web.csrf(client.get("/admin/actions").text)
    return client.post(
        "/admin/actions/import",
        data={"csrf": token},
        files={"export": (name, data, "application/zip")},
    )


def last_reload(hotline: Hotline) -> tuple[str, bool, str]:
    [row] = Audit.for_config(hotline.config).recent(1)
    return row.what, row.ok, row.detail


def assert_live_mirror_serves(hotline: Hotline, inode: int) -> None:
    assert hotline.config.mirror_path.stat().st_ino == inode
    with Mirror(hotline.config.mirror_path) as mirror:
        assert mirror.lookup(SOC) is not None


@pytest.mark.parametrize("name", ["..", "../../etc/passwd", "/", "..\\..\\x.zip"])
def test_export_named_to_escape_its_folder_refused_clearly(
    hotline: Hotline, client: httpx.Client, name: str
) -> None:
    inode = hotline.config.mirror_path.stat().st_ino
    answer = post_export(client, name, b"nomor_porsi\n")
    assert answer.status_code == 400, answer.text
    assert 'class="result failed"' in answer.text
    assert "upload one .zip file, or the two files jemaah.csv and kloter.csv" in answer.text
    what, ok, detail = last_reload(hotline)
    assert (what, ok) == ("data", False) and "upload one .zip file" in detail
    assert not (hotline.config.state_dir / "etc").exists()
    assert_live_mirror_serves(hotline, inode)


def sample_zip(hotline: Hotline, bomb: bool = False) -> bytes:
    """The rig's sample export as a zip; with ``bomb``, jemaah.csv is its header and then
    256 MiB of zeros (about 256 KiB deflated)."""
    folder = hotline.config.state_dir / "sample"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        # The whole export (kantor and ppiu too): the mirror it leaves serves later tests.
        for csv_file in sorted(folder.glob("*.csv")):
            if csv_file.name != "jemaah.csv" or not bomb:
                zf.write(csv_file, csv_file.name)
        if bomb:
            with zf.open("jemaah.csv", "w", force_zip64=True) as member:
                member.write((folder / "jemaah.csv").read_bytes().split(b"\n")[0] + b"\n")
                for block in zeros(256):
                    member.write(block)
    return out.getvalue()


def test_export_zip_bomb_refused_at_once_logged_mirror_serves(
    hotline: Hotline, client: httpx.Client
) -> None:
    """About 256 KiB that inflate to 256 MiB (deflate's best case: zeros)."""
    bomb = sample_zip(hotline, bomb=True)
    assert len(bomb) < 512 * 1024
    inode = hotline.config.mirror_path.stat().st_ino
    answer = post_export(client, "siskohat.zip", bomb)
    assert answer.status_code == 200 and 'class="result failed"' in answer.text
    assert "a zip bomb rather than an export" in answer.text
    what, ok, detail = last_reload(hotline)
    assert (what, ok) == ("data", False) and "zip bomb" in detail
    assert_live_mirror_serves(hotline, inode)


def test_export_zip_with_a_damaged_member_clear_message_not_500(
    hotline: Hotline, client: httpx.Client
) -> None:
    data = bytearray(sample_zip(hotline))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        at = zf.getinfo("jemaah.csv").header_offset
    start = at + 30 + int.from_bytes(data[at + 26 : at + 28], "little")  # past the name
    for i in range(start + 300, start + 360):  # inside the deflate stream
        data[i] ^= 0x5A
    inode = hotline.config.mirror_path.stat().st_ino
    answer = post_export(client, "siskohat.zip", bytes(data))
    assert answer.status_code == 200, answer.text
    assert 'class="result failed"' in answer.text and "jemaah.csv is damaged" in answer.text
    what, ok, detail = last_reload(hotline)
    assert (what, ok) == ("data", False) and "jemaah.csv is damaged" in detail
    assert_live_mirror_serves(hotline, inode)


def test_export_good_zip_still_imports(hotline: Hotline, client: httpx.Client) -> None:
    answer = post_export(client, "siskohat.zip", sample_zip(hotline))
    assert 'class="result ok"' in answer.text, answer.text
    assert "from upload siskohat.zip" in answer.text
