"""The local certificate of Asterisk's TLS side: the browser phones' secure WebSocket
(http.conf's tls*, served on 127.0.0.1 only) and their calls' DTLS-SRTP (pjsip.conf's
webrtc-template). Self-signed, made once by openssl; the web app's proxy trusts exactly
this certificate (ivr/web/phone.py). A real certificate replaces both files (README).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from ivr.config import Config
from ivr.errors import SetupError

DAYS = 3650  # loopback only, and the browser never sees it: the proxy pins it
NAMES = "subjectAltName=IP:127.0.0.1,DNS:localhost"


@dataclass(frozen=True)
class CertFiles:
    folder: Path  # 0700, the key 0600 (Asterisk's folder: its user owns both)

    @property
    def cert(self) -> Path:
        return self.folder / "asterisk.crt"

    @property
    def key(self) -> Path:
        return self.folder / "asterisk.key"


def ensure(folder: Path) -> CertFiles:
    """Make the key and certificate unless both exist (idempotent). Written beside their
    final names and moved in: an interrupted run never leaves half a pair in place."""
    files = CertFiles(folder)
    if files.cert.exists() and files.key.exists():
        return files
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    key_tmp, cert_tmp = (p.with_name(p.name + ".tmp") for p in (files.key, files.cert))
    argv = [
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
        "-days", str(DAYS), "-subj", "/CN=hajj-ivr asterisk", "-addext", NAMES,
        "-keyout", str(key_tmp), "-out", str(cert_tmp),
    ]  # fmt: skip
    try:
        subprocess.run(argv, check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as e:
        key_tmp.unlink(missing_ok=True)
        cert_tmp.unlink(missing_ok=True)
        raise SetupError(f"cannot make the local certificate with openssl: {e}") from None
    key_tmp.chmod(0o600)
    cert_tmp.chmod(0o600)
    key_tmp.replace(files.key)
    cert_tmp.replace(files.cert)
    return files


def files_for(config: Config) -> CertFiles:
    return CertFiles(config.asterisk_dir / "tls")
