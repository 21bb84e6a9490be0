"""The browser phone without Asterisk: the SIP identity check (a pure function, table-
tested), the settings route's roles, the socket refused without an agent session, the
SIP.js unpacker's integrity pin, and the local certificate."""

from __future__ import annotations

import asyncio
import io
import stat
import tarfile
from pathlib import Path

import pytest
from starlette.types import Message

from ivr.agents import passwords
from ivr.agents.store import AgentStore
from ivr.asterisk import tls
from ivr.errors import SetupError
from ivr.secrets import load_or_create
from ivr.web import sipidentity, vendor
from tests.rig.clock import Clock
from tests.test_web_logins import browser, make_app, post_login

ME = "webrtc-siti"


def request(method: str, *headers: str, first: str = "", body: str = "") -> str:
    """One SIP message as SIP.js frames it: CRLF line ends, one To, Call-ID and CSeq unless
    ``headers`` give their own, and a Content-Length that counts the body's bytes."""
    line = first or f"{method} sip:hajj-ivr SIP/2.0"
    names = {h.partition(":")[0].strip().lower() for h in headers}
    extra = [
        default
        for short, default in (
            ("t", "To: <sip:500425@hajj-ivr>"),
            ("i", "Call-ID: c1"),
            ("", f"CSeq: 1 {method or 'REGISTER'}"),
        )
        if not names & {default.partition(":")[0].lower(), short}
    ]
    length = f"Content-Length: {len(body.encode())}"
    via = "Via: SIP/2.0/WSS x.invalid;branch=z9hG4bKx"
    return "\r\n".join([line, via, *headers, *extra, length, "", body])


OWN_FROM = f'From: "Siti" <sip:{ME}@hajj-ivr>;tag=a1'
AUTH = 'Authorization: Digest username="{}", realm="hajj-ivr", nonce="n", response="r"'


@pytest.mark.parametrize(
    "message",
    [
        request("REGISTER", OWN_FROM, f"To: <sip:{ME}@hajj-ivr>"),
        request("REGISTER", OWN_FROM, f"To: <sip:{ME}@hajj-ivr>", AUTH.format(ME)),
        request("INVITE", f"f: <sip:{ME}@hajj-ivr>;tag=b", "t: <sip:500425@hajj-ivr>"),
        request("BYE", OWN_FROM, "To: <sip:500425@hajj-ivr>;tag=c"),
        request("", "From: <sip:500425@hajj-ivr>", first="SIP/2.0 200 OK"),  # an answer
        "\r\n\r\n",  # a keep-alive
    ],
)
def test_sipidentity_own_endpoint_passes(message: str) -> None:
    assert sipidentity.refusal(message, ME) is None


@pytest.mark.parametrize(
    ("message", "why"),
    [
        (
            request("REGISTER", "From: <sip:webrtc-budi@hajj-ivr>", "To: <sip:webrtc-budi@h>"),
            "From",
        ),
        (request("REGISTER", OWN_FROM, "To: <sip:webrtc-budi@hajj-ivr>"), "To"),
        (request("REGISTER", OWN_FROM, f"To: <sip:{ME}@h>", AUTH.format("webrtc-budi")), "cred"),
        (request("INVITE", OWN_FROM, 'Proxy-Authorization: Digest username="agent-siti"'), "cred"),
        (request("INVITE", "f: <sip:agent-budi@hajj-ivr>"), "From"),
        (request("INVITE", OWN_FROM, "From: <sip:webrtc-budi@hajj-ivr>"), "From"),  # two
        (request("INVITE", "To: <sip:500425@hajj-ivr>"), "From"),  # none
        (request("MESSAGE", f"From: <sip:{ME}x@hajj-ivr>"), "From"),  # a longer name
        (request("INVITE", OWN_FROM, 'Authorization: Digest realm="hajj-ivr"'), "cred"),
        ("GET / HTTP/1.1\r\n\r\n", "not a SIP"),
    ],
)
def test_sipidentity_anyone_elses_identity_is_refused(message: str, why: str) -> None:
    refused = sipidentity.refusal(message, ME)
    assert refused is not None and why in refused


def test_phone_config_is_the_agents_own_and_for_agents_only(tmp_path: Path) -> None:
    config, app = make_app(tmp_path, Clock())
    store = AgentStore.for_config(config)
    agent_web = store.add("siti", 1)[1].web
    admin_web = store.add("rahmat", 0, role="admin")[1].web
    boss_web = store.add("nurul", 0, role="supervisor")[1].web

    async def scenario() -> None:
        async with browser(app) as anonymous:
            assert (await anonymous.get("/agent/phone/config")).status_code == 401
        for name, password in (("rahmat", admin_web), ("nurul", boss_web)):
            async with browser(app) as client:
                await post_login(client, name, password)
                assert (await client.get("/agent/phone/config")).status_code == 403, name
        async with browser(app) as client:
            await post_login(client, "siti", agent_web)
            answer = await client.get("/agent/phone/config")
            assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
            secret = load_or_create(config.secrets_path).webrtc_secret
            assert answer.json() == {
                "ws_url": "ws://127.0.0.1/agent/phone/ws",
                "uri": "sip:webrtc-siti@hajj-ivr",
                "username": "webrtc-siti",
                "password": passwords.webrtc_password(secret, "webrtc-siti"),
                "display": "siti",
            }

    asyncio.run(scenario())


async def upgrade(app: object, cookie: str = "", origin: str = "") -> list[Message]:
    """What the app sends back to a WebSocket upgrade of /agent/phone/ws."""
    headers = [(b"host", b"127.0.0.1"), (b"sec-websocket-protocol", b"sip")]
    if cookie:
        headers.append((b"cookie", f"hajj_session={cookie}".encode()))
    if origin:
        headers.append((b"origin", origin.encode()))
    scope = {
        "type": "websocket", "path": "/agent/phone/ws", "raw_path": b"/agent/phone/ws",
        "query_string": b"", "headers": headers, "scheme": "ws", "server": ("127.0.0.1", 80),
        "client": ("10.0.0.1", 40000), "subprotocols": ["sip"], "root_path": "",
    }  # fmt: skip
    sent: list[Message] = []
    inbox = [{"type": "websocket.connect"}]

    async def receive() -> Message:
        return inbox.pop(0) if inbox else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)  # type: ignore[operator]
    return sent


def test_phone_socket_without_an_agent_session_is_refused_before_accept(tmp_path: Path) -> None:
    config, app = make_app(tmp_path, Clock())
    admin_web = AgentStore.for_config(config).add("rahmat", 0, role="admin")[1].web

    async def scenario() -> None:
        for cookie in ("", "forged"):
            assert [m["type"] for m in await upgrade(app, cookie)] == ["websocket.close"]
        async with browser(app) as client:  # an admin has no browser phone
            await post_login(client, "rahmat", admin_web)
            sent = await upgrade(app, client.cookies["hajj_session"])
        assert [(m["type"], m.get("code")) for m in sent] == [("websocket.close", 1008)]

    asyncio.run(scenario())


def test_phone_socket_from_another_sites_page_is_refused(tmp_path: Path) -> None:
    config, app = make_app(tmp_path, Clock())
    agent_web = AgentStore.for_config(config).add("siti", 1)[1].web

    async def scenario() -> None:
        async with browser(app) as client:
            await post_login(client, "siti", agent_web)
            cookie = client.cookies["hajj_session"]
        evil = await upgrade(app, cookie, origin="https://evil.example")
        assert [(m["type"], m.get("code")) for m in evil] == [("websocket.close", 1008)]
        # Its own page gets past the guard to Asterisk, which no test runs here: 1011.
        own = await upgrade(app, cookie, origin="http://127.0.0.1")
        assert [(m["type"], m.get("code")) for m in own] == [("websocket.close", 1011)]

    asyncio.run(scenario())


def tarball(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_vendor_bad_checksum_writes_nothing_and_says_so(tmp_path: Path) -> None:
    target = tmp_path / "vendor" / "sip.js"
    bad = tarball({"package/lib/index.js": b"export {};", "package/LICENSE": b"MIT"})
    with pytest.raises(SetupError, match="checksum"):
        vendor.unpack(bad, target)
    assert not target.exists()
    assert not (tmp_path / "vendor").exists() or not any((tmp_path / "vendor").iterdir())


def test_vendor_keeps_only_lib_js_and_the_licence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64
    import hashlib

    files = {
        "package/lib/index.js": b"export * from './api/index.js';",
        "package/lib/api/index.js": b"export {};",
        "package/lib/index.d.ts": b"types",
        "package/LICENSE.md": b"MIT",
        "package/package.json": b"{}",
        "package/../evil.js": b"x",
    }
    data = tarball(files)
    pin = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    monkeypatch.setattr(vendor, "INTEGRITY", pin)
    target = tmp_path / "sip.js"
    vendor.unpack(data, target)
    found = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert found == [".version", "LICENSE.md", "lib/api/index.js", "lib/index.js"]
    vendor.unpack(data, target)  # again: replaced whole, nothing left beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sip.js"]


def test_tls_certificate_is_made_once_with_a_private_key(tmp_path: Path) -> None:
    made = tls.ensure(tmp_path / "tls")
    assert stat.S_IMODE(made.key.stat().st_mode) == 0o600
    assert stat.S_IMODE(made.folder.stat().st_mode) == 0o700
    first = made.cert.read_bytes()
    assert b"BEGIN CERTIFICATE" in first
    assert tls.ensure(tmp_path / "tls").cert.read_bytes() == first  # idempotent
    assert sorted(p.name for p in made.folder.iterdir()) == ["asterisk.crt", "asterisk.key"]


# A call Asterisk placed to the phone: its To names the contact SIP.js made up, so the
# browser's in-dialog requests (a re-INVITE to hold, the BYE) come from that user.
ASTERISK_INVITE = request(
    "INVITE",
    "From: <sip:500425@hajj-ivr>;tag=ast1",
    "To: <sip:k3j2h1@x.invalid;transport=ws>",
    "Call-ID: call-from-asterisk",
    first="INVITE sip:k3j2h1@x.invalid;transport=ws SIP/2.0",
)
IN_DIALOG = request(
    "INVITE",
    "From: <sip:k3j2h1@x.invalid>;tag=br1",
    "To: <sip:500425@hajj-ivr>;tag=ast1",
    "Call-ID: call-from-asterisk",
)


def test_sipidentity_in_dialog_request_passes_only_in_this_sockets_dialog() -> None:
    dialogs = sipidentity.Dialogs()
    assert sipidentity.refusal(IN_DIALOG, ME, dialogs) is not None  # not seen here
    dialogs.add(ASTERISK_INVITE)
    assert sipidentity.refusal(IN_DIALOG, ME, dialogs) is None
    assert sipidentity.refusal(IN_DIALOG.replace("tag=ast1", "x=1"), ME, dialogs) is not None
    other = IN_DIALOG.replace("Call-ID: call-from-asterisk", "Call-ID: someone-elses")
    assert sipidentity.refusal(other, ME, dialogs) is not None
    register = IN_DIALOG.replace("INVITE sip:", "REGISTER sip:")  # never in a dialog
    assert sipidentity.refusal(register, ME, dialogs) is not None
    assert "call-from-asterisk" in dialogs


def test_sipidentity_dialogs_keep_the_newest_only() -> None:
    dialogs = sipidentity.Dialogs()
    for n in range(sipidentity.Dialogs.MAX + 1):
        dialogs.add(ASTERISK_INVITE.replace("call-from-asterisk", f"c{n}"))
    dialogs.add("SIP/2.0 200 OK\r\nCall-ID: answer\r\n\r\n")  # answers add nothing
    assert "c0" not in dialogs and f"c{sipidentity.Dialogs.MAX}" in dialogs
    assert "answer" not in dialogs


OTHER = "webrtc-budi"


def test_sipidentity_refuses_a_hostile_from_and_an_oversized_frame() -> None:
    # sip:sip:sip:... made the old URI pattern quadratic: seconds on the one event loop.
    hostile = "From: <" + "sip:" * 16_000 + f"{ME}@hajj-ivr>"
    refused = sipidentity.refusal(request("INVITE", hostile), ME)
    assert refused is not None
    small = "From: " + "sip:" * 3000  # under the size limit: refused by its From
    assert "From" in (sipidentity.refusal(request("INVITE", small), ME) or "")
    big = request("MESSAGE", OWN_FROM, body="x" * 200_000)
    assert "KiB" in (sipidentity.refusal(big, ME) or "")


REGISTER_ME = request("REGISTER", OWN_FROM, f"To: <sip:{ME}@hajj-ivr>")
REGISTER_OTHER = request("REGISTER", f"From: <sip:{OTHER}@hajj-ivr>", f"To: <sip:{OTHER}@h>")


@pytest.mark.parametrize(
    ("message", "why"),
    [
        # Two messages in one frame: Asterisk's WS transport parses both.
        (REGISTER_ME + REGISTER_OTHER, "Content-Length"),
        ("SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n" + REGISTER_OTHER, "Content-Length"),
        (request("", first="SIP/2.0 200 OK") + REGISTER_OTHER, "Content-Length"),
        (REGISTER_ME.replace("Content-Length: 0\r\n", ""), "Content-Length"),
        (REGISTER_ME.replace("Content-Length: 0", "Content-Length: 0\r\nl: 0"), "Content-Length"),
        (request("MESSAGE", OWN_FROM, body="hi").replace("Length: 2", "Length: 1"), "Content-"),
        # A quoted display name is no URI: pjsip reads the one inside <...>.
        (request("INVITE", f'From: "sip:{ME}@x" <sip:{OTHER}@h>;tag=1'), "From"),
        (request("INVITE", f'From: "a\\" <sip:{ME}@x>" <sip:{OTHER}@h>;tag=1'), "From"),
        (request("REGISTER", OWN_FROM, f'To: "sip:{ME}@x" <sip:{OTHER}@h>'), "To"),
        (request("INVITE", f"From: sip:{ME}@x <sip:{OTHER}@h>;tag=1"), "From"),
        # A lone CR is a line end to pjlib, which keeps the last From.
        (REGISTER_ME.replace(OWN_FROM, f"{OWN_FROM}\rFrom: <sip:{OTHER}@h>"), "line end"),
        (REGISTER_ME.replace(OWN_FROM, f"{OWN_FROM}\nFrom: <sip:{OTHER}@h>"), "line end"),
        # pjsip keeps the last username=, and the last of a header that may appear once.
        (request("INVITE", OWN_FROM, AUTH.format(ME) + ', username="x"'), "cred"),
        (request("INVITE", OWN_FROM, AUTH.format(ME) + f", username={OTHER}"), "cred"),
        (request("INVITE", OWN_FROM, AUTH.format(ME), AUTH.format(ME)), "cred"),
        (request("INVITE", OWN_FROM, AUTH.format(ME).replace("Auth", "Proxy-Auth") + ",="), "cred"),
        (request("REGISTER", OWN_FROM, f"To: <sip:{ME}@h>", f"t: <sip:{OTHER}@h>"), "To"),
        (request("INVITE", OWN_FROM, "Call-ID: a", "i: b"), "Call-ID"),
        (request("INVITE", OWN_FROM, "CSeq: 1 INVITE", "CSeq: 2 INVITE"), "CSeq"),
        (request("", "From: <sip:x@h>", "From: <sip:y@h>", first="SIP/2.0 200 OK"), "From"),
    ],
)
def test_sipidentity_smuggled_identities_are_refused(message: str, why: str) -> None:
    refused = sipidentity.refusal(message, ME)
    assert refused is not None and why in refused, refused


def test_sipidentity_sipjs_shaped_messages_still_pass() -> None:
    sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
    invite = request("INVITE", OWN_FROM, "Content-Type: application/sdp", body=sdp + "é")
    assert sipidentity.refusal(invite, ME) is None
    auth = f'Authorization: Digest algorithm=MD5, username="{ME}", nonce="n\\"x", qop=auth'
    register = request("REGISTER", OWN_FROM, f"To: <sip:{ME}@h>", auth)
    assert sipidentity.refusal(register, ME) is None
    assert sipidentity.refusal(request("INVITE", f"From: sip:{ME}@hajj-ivr;tag=z"), ME) is None


class FakeBrowser:
    """The browser's side of the phone socket: frames to hand the proxy, then a close."""

    def __init__(self, *frames: Message) -> None:
        self.frames = list(frames)
        self.scope = {"session": {"role": "agent", "user": "siti"}}
        self.headers = {"host": "127.0.0.1"}
        self.closed: list[int] = []

    async def receive(self) -> Message:
        return self.frames.pop(0) if self.frames else {"type": "websocket.disconnect"}

    async def accept(self, subprotocol: str | None = None) -> None:
        raise OSError("the browser went away during the handshake")

    async def close(self, code: int = 1000) -> None:
        self.closed.append(code)


class FakeAsterisk:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.closed = False

    async def send(self, frame: str) -> None:
        self.sent.append(frame)

    async def close(self) -> None:
        self.closed = True


def text(frame: str) -> Message:
    return {"type": "websocket.receive", "text": frame}


def from_browser(monkeypatch: pytest.MonkeyPatch, browser: FakeBrowser) -> FakeAsterisk:
    """Run the proxy's browser-to-Asterisk pump on ``browser``'s frames; what went on."""
    from ivr.web import auth, phone

    monkeypatch.setattr(auth, "still_valid", lambda _: True)
    upstream = FakeAsterisk()
    proxy = phone.BrowserPhone(None)  # type: ignore[arg-type]
    pump = proxy._from_browser(browser, upstream, "siti", sipidentity.Dialogs())  # type: ignore[arg-type]
    asyncio.run(pump)
    return upstream


def test_phone_a_call_id_the_browser_chose_opens_no_dialog(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    own = request("INVITE", OWN_FROM, "Call-ID: chosen")
    forged = IN_DIALOG.replace("call-from-asterisk", "chosen").replace("k3j2h1", OTHER)
    upstream = from_browser(monkeypatch, FakeBrowser(text(own), text(forged)))
    assert upstream.sent == [own]


def test_phone_a_binary_frame_is_refused_and_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    binary: Message = {"type": "websocket.receive", "bytes": REGISTER_ME.encode()}
    upstream = from_browser(monkeypatch, FakeBrowser(binary, text(REGISTER_ME)))
    assert upstream.sent == []
    assert "binary" in caplog.text


def test_phone_a_failed_accept_still_closes_asterisks_socket(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from types import SimpleNamespace

    from ivr.web import phone

    upstream = FakeAsterisk()

    async def connect(*args: object, **kwargs: object) -> FakeAsterisk:
        return upstream

    monkeypatch.setattr(phone, "connect", connect)
    monkeypatch.setattr(phone.BrowserPhone, "_trust", lambda self: None)
    config = SimpleNamespace(asterisk=SimpleNamespace(https_port=8089))
    proxy = phone.BrowserPhone(config)  # type: ignore[arg-type]
    with pytest.raises(OSError, match="handshake"):
        asyncio.run(proxy.socket(FakeBrowser()))  # type: ignore[arg-type]
    assert upstream.closed
