"""SIPp as a real SIP phone: a UAC that dials the hotline and keys digits over RFC 4733.

Keys travel as RFC 4733 telephone-events in the call's RTP stream, replayed by SIPp's
play_pcap_audio from one pcap per key sequence (see dtmf_pcap for why not the per-digit
files sip-tester ships).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from tests.rig import dtmf_pcap
from tests.rig.ports import free_port
from tests.rig.procs import stop_process

# The phone's media offer or answer: G.711 u-law and RFC 4733 telephone events.
SDP = """v=0
o=sipp 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=sendrecv
"""

INVITE = (
    """INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Jemaah" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:{caller}@[local_ip]:[local_port]>
Max-Forwards: 70
User-Agent: SIPp hajj-ivr test
Content-Type: application/sdp
Content-Length: [len]

"""
    + SDP
)

ACK = """ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[last_From:]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: <sip:{caller}@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0
"""

# 200 OK to any request the phone receives (BYE, OPTIONS, NOTIFY, ...).
OK_REQUEST = """SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
"""


BYE = """BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[last_From:]
[last_To:]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: <sip:{caller}@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0
"""


# Static RTP payload types of the G.711 codecs (RFC 3551).
G711 = {"PCMU": 0, "PCMA": 8}


def offering(message: str, codec: str) -> str:
    """``message`` with an SDP that offers ``codec`` alone (A-law: Indonesian carriers)."""
    pt = G711[codec]
    return message.replace("RTP/AVP 0 101", f"RTP/AVP {pt} 101").replace(
        "a=rtpmap:0 PCMU/8000", f"a=rtpmap:{pt} {codec}/8000"
    )


def scenario(
    workdir: Path,
    dtmf: str,
    caller: str,
    delay_ms: int = 1500,
    hangup_after_ms: int = 0,
    codec: str = "PCMU",
) -> str:
    """A UAC scenario: INVITE (offering ``codec``), answer, keys over RFC 4733, then wait
    for the IVR's BYE (or, with ``hangup_after_ms``, hang up that long after the keys)."""
    invite = offering(INVITE.format(caller=caller), codec)
    steps = [
        *dialled(invite, ACK.format(caller=caller)),
        *_answered(workdir, dtmf, caller, delay_ms, hangup_after_ms),
    ]
    body = "\n".join(steps)
    head = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<scenario name="hajj caller">'
    return f"{head}\n{body}\n</scenario>\n"


def _answered(
    workdir: Path, dtmf: str, caller: str, delay_ms: int, hangup_after_ms: int
) -> list[str]:
    """After the ACK: the keys, then the IVR's BYE (or ours ``hangup_after_ms`` later)."""
    steps = [f'<pause milliseconds="{delay_ms}"/>']
    if dtmf:
        pcap = workdir / f"keys-{abs(hash(dtmf))}.pcap"
        seconds = dtmf_pcap.write(pcap, dtmf)
        steps.append(f'<nop><action><exec play_pcap_audio="{escape(str(pcap))}"/></action></nop>')
        steps.append(f'<pause milliseconds="{int(seconds * 1000) + 200}"/>')
    if hangup_after_ms:
        steps += hang_up_after(hangup_after_ms, caller)
    else:
        steps += [
            '<recv request="BYE" timeout="120000"/>',
            f"<send><![CDATA[\n{OK_REQUEST}\n]]></send>",
        ]
    return steps


def staff_scenario(workdir: Path, dtmf: str, user: str, password: str) -> str:
    """A staff phone's call (an agent's endpoint): the INVITE is challenged (401),
    acknowledged and sent again with digest auth; then keys, and the IVR hangs up."""
    invite = INVITE.replace('"Jemaah" ', "").format(caller=user)
    auth = f"[authentication username={user} password={password}]"
    challenged_ack = ACK.format(caller=user).replace(
        "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]", "[last_Via:]"
    )
    steps = [
        _send(invite, retrans=True),
        '<recv response="100" optional="true"/>',
        '<recv response="401" auth="true"/>',
        _send(challenged_ack),
        _send(invite.replace("CSeq: 1 INVITE", f"CSeq: 2 INVITE\n{auth}"), retrans=True),
        '<recv response="100" optional="true"/>',
        '<recv response="180" optional="true"/>',
        '<recv response="183" optional="true"/>',
        '<recv response="200" rtd="true"/>',
        _send(ACK.format(caller=user).replace("CSeq: 1 ACK", "CSeq: 2 ACK")),
        *_answered(workdir, dtmf, user, 1500, 0),
    ]
    return _xml("staff phone", steps)


def staff_call(
    workdir: Path, sip_port: int, number: str, dtmf: str, user: str, password: str
) -> SippResult:
    """One call from an agent's phone (its endpoint, digest auth) to ``number``."""
    xml = workdir / f"staff-{abs(hash((number, dtmf, user)))}.xml"
    xml.write_text(staff_scenario(workdir, dtmf, user, password))
    return _run(workdir, sipp_argv(xml, sip_port, "-s", number), 240)


@dataclass(frozen=True)
class SippResult:
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def call_playing(
    workdir: Path, sip_port: int, number: str, pcap: Path, seconds: float, caller: str
) -> SippResult:
    """One SIPp call that plays ``pcap`` (keys, a voice: answer_pcap.voice) a second and a
    half after the IVR answers and hangs up once it has played (``seconds`` long)."""
    steps = [
        *dialled(offering(INVITE.format(caller=caller), "PCMU"), ACK.format(caller=caller)),
        '<pause milliseconds="1500"/>',
        f'<nop><action><exec play_pcap_audio="{escape(str(pcap))}"/></action></nop>',
        *hang_up_after(int(seconds * 1000) + 200, caller),
    ]
    xml = workdir / f"uac-playing-{abs(hash((number, str(pcap), caller)))}.xml"
    xml.write_text(_xml("hajj caller, speaking", steps))
    return _run(workdir, sipp_argv(xml, sip_port, "-s", number), seconds + 120)


def call_with_media_at(
    workdir: Path, sip_port: int, number: str, media_port: int, seconds: float, caller: str
) -> SippResult:
    """One SIPp call whose SDP names ``media_port`` (a test's own RTP socket, which keys
    and speaks and counts what it hears: tests/rig/rtpear.py) instead of SIPp's; SIPp does
    the signalling only and hangs up ``seconds`` after the answer."""
    invite = offering(INVITE.format(caller=caller), "PCMU").replace("[media_port]", str(media_port))
    steps = [
        *dialled(invite, ACK.format(caller=caller)),
        *hang_up_after(int(seconds * 1000), caller),
    ]
    xml = workdir / f"uac-media-{media_port}.xml"
    xml.write_text(_xml("hajj caller, media in the test", steps))
    return _run(workdir, sipp_argv(xml, sip_port, "-s", number), seconds + 120)


def call(
    workdir: Path,
    sip_port: int,
    number: str,
    dtmf: str,
    caller: str = "081234567890",
    timeout: float = 180.0,
    hangup_after_ms: int = 0,
    codec: str = "PCMU",
) -> SippResult:
    """Run one SIPp call to 127.0.0.1:sip_port and wait for it to finish."""
    xml = workdir / f"uac-{abs(hash((number, dtmf, caller, hangup_after_ms, codec)))}.xml"
    xml.write_text(scenario(workdir, dtmf, caller, hangup_after_ms=hangup_after_ms, codec=codec))
    return _run(workdir, sipp_argv(xml, sip_port, "-s", number), timeout)


# --- the agent's phone: registers with digest auth, then answers (or ignores) calls ---

REGISTER = """REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{user}@[remote_ip]:[remote_port]>;tag=[pid]reg{cseq}
To: <sip:{user}@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: {cseq} REGISTER
Contact: <sip:{user}@[local_ip]:[local_port]>
Expires: {expires}
Max-Forwards: 70
User-Agent: SIPp hajj-ivr agent
{auth}Content-Length: 0
"""

RINGING = """SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]agent[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:agent@[local_ip]:[local_port]>
Content-Length: 0
"""

ANSWER = (
    """SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]agent[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:agent@[local_ip]:[local_port]>
Content-Type: application/sdp
Content-Length: [len]

"""
    + SDP
)

TERMINATED = """SIP/2.0 487 Request Terminated
[last_Via:]
[last_From:]
[last_To:];tag=[pid]agent[call_number]
[last_Call-ID:]
CSeq: [cseq] INVITE
Content-Length: 0
"""


def _xml(name: str, steps: list[str]) -> str:
    head = f'<?xml version="1.0" encoding="ISO-8859-1"?>\n<scenario name="{name}">'
    return head + "\n" + "\n".join(steps) + "\n</scenario>\n"


def _send(text: str, retrans: bool = False) -> str:
    attr = ' retrans="500"' if retrans else ""
    return f"<send{attr}><![CDATA[\n{text}\n]]></send>"


def hang_up_after(milliseconds: int, caller: str) -> list[str]:
    """Scenario steps: wait, then the caller's BYE and Asterisk's 200."""
    return [
        f'<pause milliseconds="{milliseconds}"/>',
        f'<send retrans="500"><![CDATA[\n{BYE.format(caller=caller)}\n]]></send>',
        '<recv response="200"/>',
    ]


def register_scenario(user: str, password: str, hold_ms: int) -> str:
    auth = f"[authentication username={user} password={password}]\n"
    return _xml(
        "agent register",
        [
            _send(REGISTER.format(user=user, cseq=1, expires=300, auth=""), retrans=True),
            '<recv response="401" auth="true"/>',
            _send(REGISTER.format(user=user, cseq=2, expires=300, auth=auth), retrans=True),
            '<recv response="200"/>',
            f'<pause milliseconds="{hold_ms}"/>',
        ],
    )


def register(
    workdir: Path, sip_port: int, user: str, password: str, local_ip: str = "127.0.0.1"
) -> SippResult:
    """One REGISTER with digest auth, then unregister; ok only when Asterisk took it.
    ``local_ip``: the address it comes from (any of 127.0.0.0/8 reaches a loopback Asterisk)."""
    xml = workdir / f"register-{user}-{abs(hash(password))}.xml"
    xml.write_text(register_scenario(user, password, hold_ms=0))
    return _run(workdir, sipp_argv(xml, sip_port, local_ip=local_ip), 20)


def agent_calls_scenario(answer: bool, keys_pcap: Path | None = None, keys_s: float = 0) -> str:
    """Out-of-call scenario: each INVITE Asterisk sends the phone is one run of this.
    With ``keys_pcap`` the agent keys those digits (RFC 4733) a second after answering."""
    # Asterisk qualifies the phone (OPTIONS) now and then: answer 200 and be done.
    steps = ['<recv request="OPTIONS" optional="true" next="options"/>', '<recv request="INVITE"/>']
    if answer:
        steps += [
            _send(RINGING),
            '<pause milliseconds="300"/>',
            _send(ANSWER),
            '<recv request="ACK"/>',
        ]
        if keys_pcap is not None:
            steps += [
                '<pause milliseconds="1000"/>',
                f'<nop><action><exec play_pcap_audio="{escape(str(keys_pcap))}"/></action></nop>',
                f'<pause milliseconds="{int(keys_s * 1000) + 200}"/>',
            ]
        steps.append('<recv request="BYE" timeout="600000"/>')
    else:  # rings and never answers: Asterisk gives up (ring timeout) with CANCEL
        steps += [
            _send(RINGING),
            '<recv request="CANCEL" timeout="600000"/>',
            _send(OK_REQUEST),
            _send(TERMINATED),
            '<recv request="ACK" next="end"/>',
        ]
    steps += ['<label id="options"/>', _send(OK_REQUEST), '<label id="end"/>']
    return _xml("agent phone", steps)


def uas_scenario() -> str:
    """A phone that answers one call and waits for the other side to hang up."""
    return _xml(
        "answering phone",
        [
            '<recv request="INVITE"/>',
            _send(RINGING),
            '<pause milliseconds="500"/>',
            _send(ANSWER),
            '<recv request="ACK"/>',
            '<recv request="BYE" timeout="600000"/>',
            _send(OK_REQUEST),
        ],
    )


def pilgrim_scenario(answer: bool, pcap: Path | None = None, seconds: float = 0) -> str:
    """A pilgrim's phone for one call the hotline places: rings and never answers (the
    hotline gives up with CANCEL), or answers and plays ``pcap`` (a voice, keys) and waits
    for the hotline to hang up."""
    steps = ['<recv request="INVITE"/>', _send(RINGING)]
    if not answer:
        steps += [
            '<recv request="CANCEL" timeout="120000"/>',
            _send(OK_REQUEST),
            _send(TERMINATED),
            '<recv request="ACK"/>',
        ]
        return _xml("pilgrim phone, no answer", steps)
    steps += ['<pause milliseconds="500"/>', _send(ANSWER), '<recv request="ACK"/>']
    if pcap is not None:
        steps += [
            f'<nop><action><exec play_pcap_audio="{escape(str(pcap))}"/></action></nop>',
            f'<pause milliseconds="{int(seconds * 1000) + 200}"/>',
        ]
    steps += ['<recv request="BYE" timeout="180000"/>', _send(OK_REQUEST)]
    return _xml("pilgrim phone", steps)


@dataclass
class AgentPhone:
    """A SIPp softphone running in the background until stopped (by PID): an agent's phone
    (registers, then answers or ignores each call) or, with ``listen``, a pilgrim's phone
    answering the callback on a fixed port."""

    process: subprocess.Popen[str]

    @classmethod
    def listen(cls, workdir: Path, port: int, scenario: str = "") -> AgentPhone:
        """``scenario``: what the phone does with the call (default: answer, then wait)."""
        xml = workdir / f"uas-{port}-{abs(hash(scenario))}.xml"
        xml.write_text(scenario or uas_scenario())
        log = workdir / f"uas-{port}.log"
        argv = sipp_argv(xml, None, "-p", str(port), "-error_file", str(log))
        return cls(_spawn(argv, workdir / f"uas-{port}.out"))

    @classmethod
    def start(
        cls,
        workdir: Path,
        sip_port: int,
        user: str,
        password: str,
        answer: bool = True,
        keys: str = "",
        voice: tuple[Path, float] | None = None,
    ) -> AgentPhone:
        """``keys``: what the agent keys on every answered call (e.g. "#12", a transfer);
        or ``voice``: a pcap it plays instead (answer_pcap.voice) and its length."""
        tag = f"{user}-{'answer' if answer else 'ignore'}"
        reg = workdir / f"reg-{tag}.xml"
        reg.write_text(register_scenario(user, password, hold_ms=3_600_000))
        ooc = workdir / f"ooc-{tag}.xml"
        pcap, seconds = voice if voice is not None else (None, 0.0)
        if keys:
            pcap = workdir / f"agent-keys-{tag}.pcap"
            seconds = dtmf_pcap.write(pcap, keys)
        ooc.write_text(agent_calls_scenario(answer, pcap, seconds))
        log = workdir / f"agent-{tag}.log"
        argv = sipp_argv(reg, sip_port, "-oocsf", str(ooc), "-error_file", str(log))
        return cls(_spawn(argv, workdir / f"agent-{tag}.out"))

    def stop(self) -> None:
        stop_process(self.process)

    def wait(self, timeout: float) -> int:
        """Until the phone's one call is over; SIPp's exit status (0: as scripted)."""
        return self.process.wait(timeout)


def _sipp() -> str:
    sipp = shutil.which("sipp")
    if sipp is None:
        raise RuntimeError("sipp missing: apt-get install sip-tester (make setup does)")
    return sipp


AUTH_INVITE = (
    """INVITE sip:{code}@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{user}@[remote_ip]:[remote_port]>;tag=[pid]fc[call_number]
To: <sip:{code}@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: {cseq} INVITE
Contact: <sip:{user}@[local_ip]:[local_port]>
Max-Forwards: 70
{auth}Content-Type: application/sdp
Content-Length: [len]

"""
    + SDP
)

ACK_CHALLENGE = """ACK sip:{code}@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
[last_From:]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0
"""

ACK_ANSWER = """ACK sip:{code}@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[last_From:]
[last_To:]
Call-ID: [call_id]
CSeq: 2 ACK
Max-Forwards: 70
Content-Length: 0
"""


def feature_code(workdir: Path, sip_port: int, user: str, password: str, code: str) -> SippResult:
    """Dial a feature code (*71 ...) from an agent's phone, with digest auth, and wait for
    Asterisk to hang up after its confirmation prompt."""
    auth = f"[authentication username={user} password={password}]\n"
    fmt = {"code": code, "user": user}
    xml = workdir / f"fc-{user}-{code.strip('*')}.xml"
    xml.write_text(
        _xml(
            "feature code",
            [
                _send(AUTH_INVITE.format(cseq=1, auth="", **fmt), retrans=True),
                '<recv response="100" optional="true"/>',
                '<recv response="401" auth="true"/>',
                _send(ACK_CHALLENGE.format(**fmt)),
                _send(AUTH_INVITE.format(cseq=2, auth=auth, **fmt), retrans=True),
                '<recv response="100" optional="true"/>',
                '<recv response="180" optional="true"/>',
                '<recv response="183" optional="true"/>',
                '<recv response="200"/>',
                _send(ACK_ANSWER.format(**fmt)),
                '<recv request="BYE" timeout="30000"/>',
                _send(OK_REQUEST),
            ],
        )
    )
    return _run(workdir, sipp_argv(xml, sip_port), 40)


def sipp_argv(
    scenario_file: Path, sip_port: int | None, *extra: str, local_ip: str = "127.0.0.1"
) -> list[str]:
    """One SIPp call on loopback with a scenario file: to Asterisk at ``sip_port``, or
    (None) listening. Local SIP and media ports are free ones unless ``extra`` sets -p."""
    target = [f"127.0.0.1:{sip_port}"] if sip_port is not None else []
    # Not "-p 0": SIPp then binds 5060 (5061...), so a phone started after another stopped
    # registered the same contact URI and kept its "Unavail" status from the last qualify.
    port = [] if "-p" in extra else ["-p", str(free_port(socket.SOCK_DGRAM))]
    return [
        _sipp(),
        *target,
        "-sf",
        str(scenario_file),
        "-m",
        "1",
        "-i",
        local_ip,
        *port,
        "-mi",
        "127.0.0.1",
        "-mp",
        "0",
        "-nostdin",
        "-trace_err",
        *extra,
    ]


def _run(workdir: Path, argv: list[str], timeout: float) -> SippResult:
    argv = [*argv, "-timeout", f"{int(timeout)}s"]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=workdir, timeout=timeout + 30)
    return SippResult(done.returncode, done.stdout[-3000:] + done.stderr[-3000:])


def _spawn(argv: list[str], output: Path) -> subprocess.Popen[str]:
    with output.open("w") as out:
        return subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, text=True, cwd=output.parent
        )


def dialled(invite: str, ack: str) -> list[str]:
    """A UAC's first steps: the INVITE, the provisional answers it may get, the 200 OK
    (its round trip timed) and the ACK."""
    return [
        f'<send retrans="500"><![CDATA[\n{invite}\n]]></send>',
        '<recv response="100" optional="true"/>',
        '<recv response="180" optional="true"/>',
        '<recv response="183" optional="true"/>',
        '<recv response="200" rtd="true"/>',
        f"<send><![CDATA[\n{ack}\n]]></send>",
    ]


def call_through_proxy(
    workdir: Path,
    proxy_port: int,
    number: str,
    dtmf: str,
    caller: str,
    hangup_after_ms: int = 0,
    timeout: float = 180.0,
    pai: str = "",
    local_ip: str = "127.0.0.1",
) -> SippResult:
    """One call like ``call``, sent to a record-routing proxy (Kamailio) at ``proxy_port``:
    the ACK (and our BYE, with ``hangup_after_ms``) goes to the 200 OK's Contact along its
    Record-Route set, as a phone's does. ``pai``: a P-Asserted-Identity the caller claims;
    ``local_ip``: the address it sends from."""
    invite = offering(INVITE.format(caller=caller), "PCMU")
    if pai:
        header = f"P-Asserted-Identity: <sip:{pai}@[local_ip]>"
        invite = invite.replace("Max-Forwards: 70\n", f"Max-Forwards: 70\n{header}\n", 1)
    steps = [
        *dialled(invite, _routed(ACK.format(caller=caller), "ACK")),
        *_answered(workdir, dtmf, caller, 1500, hangup_after_ms),
    ]
    bye = _routed(BYE.format(caller=caller), "BYE")
    steps = [
        s.replace('<recv response="200" rtd="true"/>', RECV_200_ROUTES).replace(
            BYE.format(caller=caller), bye
        )
        for s in steps
    ]
    key = abs(hash((number, dtmf, caller, hangup_after_ms, pai)))
    xml = workdir / f"uac-proxy-{key}.xml"
    xml.write_text(_xml("hajj caller, through a proxy", steps))
    return _run(workdir, sipp_argv(xml, proxy_port, "-s", number, local_ip=local_ip), timeout)


def _routed(request: str, method: str) -> str:
    """An in-dialog ``request`` to the remote target along the route set."""
    return request.replace(
        f"{method} sip:[service]@[remote_ip]:[remote_port]", f"{method} [next_url]"
    ).replace("Max-Forwards: 70", "[routes]\nMax-Forwards: 70")


# rrs: keep the 200 OK's Record-Route set for [routes] and its Contact for [next_url].
RECV_200_ROUTES = '<recv response="200" rtd="true" rrs="true"/>'
