"""The browser phone's SIP stack, SIP.js, fetched by `make setup` (`hajj-ivr phone setup`)
from the npm registry into static/vendor/sip.js (git-ignored) with its licence, its
integrity checked against the pin below. No CDN at run time, no bundler: SIP.js 0.21.2
has no dependencies and its lib/ is native ES modules, which the browser imports as is.
"""

from __future__ import annotations

import base64
import hashlib
import io
import shutil
import tarfile
import tempfile
import urllib.request
from pathlib import Path, PurePosixPath

from ivr.errors import SetupError
from ivr.health import Check

VERSION = "0.21.2"  # MIT licence (its LICENSE.md is copied beside it)
URL = f"https://registry.npmjs.org/sip.js/-/sip.js-{VERSION}.tgz"
INTEGRITY = (
    "sha512-tSqTcIgrOd2IhP/rd70JablvAp+fSfLSxO4hGNY6LkWRY1SKyg"
    "TO7OtJEV/BQb8oIxtMRx0LE7nUF2MaqGbFzA=="
)
TARGET = Path(__file__).parent / "static" / "vendor" / "sip.js"
STAMP = ".version"


def installed(target: Path = TARGET) -> Check:
    """`hajj-ivr doctor`'s check: this release's SIP.js is where the desk page loads it."""
    name = "browser phone (SIP.js)"
    if (target / STAMP).is_file() and (target / STAMP).read_text() == INTEGRITY:
        return Check(name, True, f"SIP.js {VERSION} in {target}")
    return Check(name, False, f"SIP.js {VERSION} is not in {target}: `hajj-ivr phone setup`")


def fetch(target: Path = TARGET, url: str = URL) -> bool:
    """Put SIP.js in ``target`` unless this version already is there; True when fetched."""
    if (target / STAMP).is_file() and (target / STAMP).read_text() == INTEGRITY:
        return False
    try:
        with urllib.request.urlopen(url, timeout=60) as answer:
            tarball = answer.read()
    except OSError as e:
        raise SetupError(f"cannot fetch SIP.js {VERSION} from {url}: {e}") from None
    unpack(tarball, target)
    return True


def unpack(tarball: bytes, target: Path) -> None:
    """Check the tarball against INTEGRITY, then move lib/**/*.js and the licence into
    ``target`` at once: a bad checksum leaves no file written, and a half-done unpack
    (a crash) never stands in ``target``."""
    got = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    if got != INTEGRITY:
        raise SetupError(
            f"SIP.js {VERSION}: the download's checksum is {got}, not the pinned {INTEGRITY}: "
            "nothing was installed (a tampered or truncated download?)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.parent.chmod(0o755)
    staging = Path(tempfile.mkdtemp(prefix=".sip.js-", dir=target.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            for member in archive.getmembers():
                path = _wanted(member)
                if path is None:
                    continue
                data = archive.extractfile(member)
                assert data is not None  # a regular file (checked in _wanted)
                out = staging / path
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(data.read())
        (staging / STAMP).write_text(INTEGRITY)
        _public(staging)
        old = target.with_name(target.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _public(top: Path) -> None:
    """A published library the web serves to anyone: readable by the web's user whoever
    ran setup (mkdtemp makes its folder 0700)."""
    for path in (top, *top.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)


def _wanted(member: tarfile.TarInfo) -> PurePosixPath | None:
    """package/lib/**/*.js and the licence (LICENSE.md in 0.21.2), as paths under the
    target; else None."""
    path = PurePosixPath(member.name)
    if not member.isfile() or ".." in path.parts or path.parts[:1] != ("package",):
        return None
    inner = PurePosixPath(*path.parts[1:])
    if inner.parts in (("LICENSE",), ("LICENSE.md",)):
        return inner
    if inner.parts[:1] == ("lib",) and inner.suffix == ".js":
        return inner
    return None
