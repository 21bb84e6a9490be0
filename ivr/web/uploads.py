"""Uploads streamed to disk under caps: a data export, an officer's recorded reply.

Starlette's ``request.form()`` spools every file part, whatever its size, into the system
temporary folder before the endpoint sees it, and an endpoint that then ``read()``s it
holds it whole in memory (a 300 MiB "reply" did). Here the body is parsed as it arrives
(python-multipart's streaming parser over ``request.stream()``):

- a request whose Content-Length is over its cap is refused before a byte is read, and
  one that grows past it (chunked, or lying) the moment it does: :class:`UploadTooLarge`,
  which the endpoint answers with 413;
- each file goes straight to disk, in a private folder made for this one request
  (``mkdtemp``: mode 0700) under ``state_dir/uploads``, removed when the request is done
  whatever happened; at most ``FLUSH_BYTES`` of it is in memory at a time;
- the sender's file name is never a path: files are stored as ``file-<n><suffix>`` and
  the name, cleaned, is only shown and used for its type.

Every other request body is capped by :class:`ivr.web.bodycap.BodyCap` (forms are small).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
import threading
import urllib.parse
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from ivr.config import Config
from ivr.data.ppiu import PPIU_CSV
from ivr.errors import UploadError, UploadTooLarge

MIB = 1 << 20
FORM_BYTES = 1 * MIB  # any other form: logins, notes, announcements, hours
FLUSH_BYTES = 1 * MIB  # file bytes gathered before one write in a worker thread
MAX_FILES = 8
# An export uploaded as files: these two, and those it may carry besides (docs/data-format.md).
REQUIRED_FILES = ("jemaah.csv", "kloter.csv")
OPTIONAL_FILES = (PPIU_CSV, "kantor.csv")
MAX_FIELDS = 100
SUFFIX = re.compile(r"^\.[a-z0-9]{1,5}$")
# The endpoints that stream their uploads (BodyCap lets them cap their own).
STREAMED = r"/admin/actions/import|/complaints/[^/]+/action"
UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


@dataclass(frozen=True)
class Limits:
    body: int  # the whole request, bytes
    file: int  # each file, bytes
    what: str  # "the export", "the reply": how messages name the upload
    key: str  # the config key that sets the cap, so a refusal says what to change


@dataclass(frozen=True)
class UploadedFile:
    field: str
    name: str  # as the sender named it, cleaned: for messages and its type only
    path: Path  # inside the request's private folder
    size: int


@dataclass
class Upload:
    """A parsed form: its fields (``get`` as a Starlette form has) and its files."""

    folder: Path
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)

    def get(self, key: str, default: str = "") -> str:
        return self.fields.get(key, [default])[0]

    def getlist(self, key: str) -> list[str]:
        return list(self.fields.get(key, []))

    def files_of(self, key: str) -> list[UploadedFile]:
        return [f for f in self.files if f.field == key and (f.size or f.name)]

    def file(self, key: str) -> UploadedFile | None:
        found = self.files_of(key)
        return found[0] if found else None


def export_limits(config: Config) -> Limits:
    cap = config.web.max_export_mib * MIB
    return Limits(cap + FORM_BYTES, cap, "the export", "web.max_export_mib")


def reply_limits(config: Config) -> Limits:
    cap = config.web.max_reply_mib * MIB
    return Limits(cap + FORM_BYTES, cap, "the reply file", "web.max_reply_mib")


def export_source(upload: Upload, key: str) -> tuple[Path, str]:
    """Where the uploaded export is (one .zip, or a folder of jemaah.csv and kloter.csv,
    with the optional files if any, made for it) and what to call it; UploadError for
    anything else."""
    files = upload.files_of(key)
    names = ", ".join(f.name or "(no name)" for f in files)
    if len(files) == 1 and zipfile.is_zipfile(files[0].path):
        return files[0].path, f"upload {files[0].name}"
    if not _an_export(sorted(f.name.lower() for f in files)):
        raise UploadError(
            f"upload one .zip file, or the two files {' and '.join(REQUIRED_FILES)}"
            f" (and {' or '.join(OPTIONAL_FILES)} if the export has them)"
            f" (got: {names or 'no file'}); nothing was imported"
        )
    folder = upload.folder / "export"
    folder.mkdir()
    for f in files:
        f.path.rename(folder / f.name.lower())
    return folder, f"upload {names}"


def _an_export(names: list[str]) -> bool:
    """Each required file once, and optional ones at most once each (names sorted)."""
    required = [n for n in names if n in REQUIRED_FILES]
    optional = [n for n in names if n not in REQUIRED_FILES]
    return required == list(REQUIRED_FILES) and (
        set(optional) <= set(OPTIONAL_FILES) and len(set(optional)) == len(optional)
    )


def remove_left_over(parent: Path) -> None:
    """At start: what a killed web process left in ``parent`` (no request is running)."""
    if parent.is_dir():
        for path in parent.iterdir():
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def clean_name(raw: str) -> str:
    """A file name safe to show: its last part, letters, digits and ``._ -`` only, no
    leading dots (so ``..`` and ``../../x`` are harmless)."""
    last = re.split(r"[/\\]", raw)[-1]
    cleaned = UNSAFE.sub("_", last).lstrip(". ")[:100]
    return cleaned or "upload"


def too_large(limits: Limits) -> UploadTooLarge:
    return UploadTooLarge(
        f"{limits.what} is larger than {limits.file // MIB} MiB ({limits.key}); nothing was kept"
    )


@asynccontextmanager
async def receive(request: Request, parent: Path, limits: Limits) -> AsyncIterator[Upload]:
    """The request's form, its files in a private folder under ``parent`` that is removed
    on leaving, whatever happened. Raises UploadTooLarge or UploadError."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.body:
        raise too_large(limits)  # before reading a byte
    folder = _private_folder(parent)
    parts = _Parts(folder, limits)
    try:
        yield await _parse(request, parts, limits)
    finally:
        parts.close()
        shutil.rmtree(folder, ignore_errors=True)


def _private_folder(parent: Path) -> Path:
    parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="upload-", dir=parent))  # mode 0700, ours alone


async def _parse(request: Request, parts: _Parts, limits: Limits) -> Upload:
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind == b"multipart/form-data" and options.get(b"boundary"):
        parser = MultipartParser(options[b"boundary"], parts.callbacks())
        async for chunk in _capped(request, limits):
            try:
                parser.write(chunk)
            except FormParserError as e:
                raise UploadError(f"the form could not be read: {e}") from None
            if parts.backlog():
                await asyncio.to_thread(parts.flush)
        parser.finalize()
        if not parts.ended:  # the body stopped before the closing boundary
            raise UploadError("the form was cut short; nothing was kept")
        await asyncio.to_thread(parts.flush)
        return parts.upload
    body = b"".join([chunk async for chunk in _capped(request, limits)])
    for key, value in urllib.parse.parse_qsl(body.decode("utf-8", "replace"), True):
        parts.upload.fields.setdefault(key, []).append(value)
    return parts.upload


async def _capped(request: Request, limits: Limits) -> AsyncIterator[bytes]:
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limits.body:
            raise too_large(limits)
        yield chunk


@dataclass
class _File:
    """A file part on its way to disk: bytes not yet written, the open file."""

    path: Path
    pending: bytearray = field(default_factory=bytearray)
    fd: int = -1
    done: bool = False


class _Parts:
    """python-multipart's callbacks: fields kept (capped), file bytes queued for disk."""

    def __init__(self, folder: Path, limits: Limits) -> None:
        self.folder, self.limits = folder, limits
        self.upload = Upload(folder)
        self._header, self._value = bytearray(), bytearray()
        self._disposition = b""
        self._name, self._filename = "", ""
        self._data = bytearray()  # a field's value
        self._file: _File | None = None
        self._size = 0
        self._writing: list[_File] = []
        self.ended = False
        # flush() runs in a worker thread; close() must not pull its files from under it
        # (a request cancelled mid-write would otherwise close an fd still being written).
        self._disk = threading.Lock()

    def callbacks(self) -> Any:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda d, s, e: self._header.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self._value.extend(d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _end(self) -> None:
        self.ended = True

    def _begin(self) -> None:
        self._disposition, self._data, self._file, self._size = b"", bytearray(), None, 0

    def _header_end(self) -> None:
        if bytes(self._header).lower() == b"content-disposition":
            self._disposition = bytes(self._value)
        self._header, self._value = bytearray(), bytearray()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" not in options:
            if sum(map(len, self.upload.fields.values())) >= MAX_FIELDS:
                raise UploadError(f"the form has more than {MAX_FIELDS} fields")
            return
        if len(self.upload.files) >= MAX_FILES:
            raise UploadError(f"the form has more than {MAX_FILES} files")
        raw = options[b"filename"].decode("utf-8", "replace")
        self._filename = clean_name(raw) if raw else ""  # "": a file input left empty
        suffix = Path(self._filename).suffix.lower()
        number = len(self.upload.files) + len(self._writing)
        name = f"file-{number}{suffix if SUFFIX.match(suffix) else ''}"
        self._file = _File(self.folder / name)
        self._writing.append(self._file)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        self._size += end - start
        if self._file is None:
            if self._size > FORM_BYTES:
                raise UploadError(f"the form field {self._name!r} is too long")
            self._data.extend(data[start:end])
        elif self._size > self.limits.file:
            raise too_large(self.limits)
        else:
            self._file.pending.extend(data[start:end])

    def _part_end(self) -> None:
        if self._file is None:
            value = self._data.decode("utf-8", "replace")
            self.upload.fields.setdefault(self._name, []).append(value)
            return
        self._file.done = True
        uploaded = UploadedFile(self._name, self._filename, self._file.path, self._size)
        self.upload.files.append(uploaded)

    def backlog(self) -> bool:
        """Whether file bytes should go to disk now (never more than about a MiB held)."""
        return any(f.done or len(f.pending) >= FLUSH_BYTES for f in self._writing)

    def flush(self) -> None:
        """Write what is queued (in a worker thread: a slow disk never stalls the loop)."""
        with self._disk:
            self._flush()

    def _flush(self) -> None:
        for f in self._writing:
            if f.fd < 0:
                f.fd = os.open(f.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with memoryview(f.pending) as view:
                written = 0
                while written < len(view):
                    written += os.write(f.fd, view[written:])
            f.pending.clear()
            if f.done:
                os.close(f.fd)
                f.fd = -1
        self._writing = [f for f in self._writing if not f.done]

    def close(self) -> None:
        with self._disk:
            for f in self._writing:
                if f.fd >= 0:
                    os.close(f.fd)
            self._writing = []
