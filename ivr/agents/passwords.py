"""Credential hashes: we keep no agent password, only what checks one.

SIP: PJSIP's ``md5_cred`` (MD5 of user:realm:password, what digest auth needs). Web:
scrypt with a random salt (stdlib hashlib; no extra dependency for one function). An
agent's phone and web login have different passwords: the MD5 digest is weak at rest (a
copy of agents.sqlite can be brute-forced fast), and must not give away the web login.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIP_REALM = "hajj-ivr"
_N, _R, _P = 2**14, 8, 1


def generate() -> str:
    return secrets.token_urlsafe(12)


def sip_md5(username: str, password: str, realm: str = SIP_REALM) -> str:
    return hashlib.md5(f"{username}:{realm}:{password}".encode()).hexdigest()


def webrtc_password(secret: str, endpoint: str) -> str:
    """The browser phone's SIP password: derived, never stored. The web app hands it to the
    agent's own console (GET /agent/phone/config); pjsip config holds only its MD5 digest.
    Rotating secrets' webrtc_secret changes every browser phone's password at once."""
    mac = hmac.new(secret.encode(), f"webrtc:{endpoint}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def web_hash(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = scrypt(password, salt)
    return f"scrypt${salt.hex()}${digest.hex()}"


def web_check(password: str, stored: str) -> bool:
    try:
        kind, salt, digest = stored.split("$")
    except ValueError:
        return False
    if kind != "scrypt":
        return False
    got = scrypt(password, bytes.fromhex(salt))
    return hmac.compare_digest(got.hex(), digest)


def scrypt(password: str, salt: bytes) -> bytes:
    """The costly part of a web login (about 16 MiB and 50 ms of one core): the web app
    runs it in a bounded pool (ivr/web/logins.py)."""
    return hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P)
