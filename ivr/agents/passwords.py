"""Credential hashes: we keep no agent password, only what checks one.

SIP: PJSIP's ``md5_cred`` (MD5 of user:realm:password, what digest auth needs). Web:
scrypt with a random salt (stdlib hashlib; no extra dependency for one function).
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


def web_hash(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P)
    return f"scrypt${salt.hex()}${digest.hex()}"


def web_check(password: str, stored: str) -> bool:
    try:
        kind, salt, digest = stored.split("$")
    except ValueError:
        return False
    if kind != "scrypt":
        return False
    got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=_N, r=_R, p=_P)
    return hmac.compare_digest(got.hex(), digest)
