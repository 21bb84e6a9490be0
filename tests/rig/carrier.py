"""SIPp playing the carrier of the rig's trunk (tests/rig/hotline.py CARRIER): calls in
from a given loopback address with or without a P-Asserted-Identity, a call that must be
refused, and the carrier's side that receives the hotline's calls out."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.rig import sipp
from tests.rig.sipp import ACK, INVITE, SippResult, offering


def _invite(caller: str, pai: str) -> str:
    """The INVITE, with the carrier's P-Asserted-Identity when ``pai`` is given."""
    invite = offering(INVITE.format(caller=caller), "PCMA")
    if pai:
        header = f"P-Asserted-Identity: <sip:{pai}@[local_ip]>"
        invite = invite.replace("Max-Forwards: 70\n", f"Max-Forwards: 70\n{header}\n", 1)
    return invite


def call(
    workdir: Path,
    sip_port: int,
    number: str,
    local_ip: str,
    caller: str,
    pai: str = "",
    hangup_after_ms: int = 3000,
) -> SippResult:
    """One call to ``number`` from ``local_ip``, From ``caller`` (and PAI ``pai``): answered,
    then hung up ``hangup_after_ms`` later (the greeting has begun by then)."""
    steps = [
        *sipp.dialled(_invite(caller, pai), ACK.format(caller=caller)),
        *sipp.hang_up_after(hangup_after_ms, caller),
    ]
    xml = workdir / f"carrier-{abs(hash((number, local_ip, caller, pai)))}.xml"
    xml.write_text(_xml("carrier call", steps))
    argv = sipp.sipp_argv(xml, sip_port, "-s", number, local_ip=local_ip)
    return _run(workdir, argv, 60)


# The ACK of a final error answer: same branch as the INVITE (RFC 3261 17.1.1.3).
ACK_ERROR = """ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
[last_From:]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0
"""


def refused(workdir: Path, sip_port: int, number: str, local_ip: str, status: int) -> SippResult:
    """A call from ``local_ip`` that must get ``status`` (401: nobody's endpoint; 404: not
    a number of ours) and nothing else: SIPp fails on a 200."""
    steps = [
        f'<send retrans="500"><![CDATA[\n{_invite("0811000077", "")}\n]]></send>',
        '<recv response="100" optional="true"/>',
        f'<recv response="{status}"/>',
        f"<send><![CDATA[\n{ACK_ERROR}\n]]></send>",
    ]
    xml = workdir / f"refused-{number.strip('+')}-{local_ip}-{status}.xml"
    xml.write_text(_xml("refused call", steps))
    return _run(workdir, sipp.sipp_argv(xml, sip_port, "-s", number, local_ip=local_ip), 30)


def answering(workdir: Path, port: int, local_ip: str) -> tuple[subprocess.Popen[str], Path]:
    """The carrier's side of one call out: answers, waits for the BYE; every message it
    saw in the returned file (SIPp -trace_msg)."""
    xml = workdir / f"carrier-uas-{port}.xml"
    xml.write_text(sipp.uas_scenario())
    messages = workdir / f"carrier-uas-{port}-messages.log"
    argv = sipp.sipp_argv(
        xml, None, "-p", str(port), "-trace_msg", "-message_file", str(messages), local_ip=local_ip
    )
    with (workdir / f"carrier-uas-{port}.out").open("w") as out:
        process = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, text=True, cwd=workdir
        )
    return process, messages


def _xml(name: str, steps: list[str]) -> str:
    head = f'<?xml version="1.0" encoding="ISO-8859-1"?>\n<scenario name="{name}">'
    return head + "\n" + "\n".join(steps) + "\n</scenario>\n"


def _run(workdir: Path, argv: list[str], timeout: float) -> SippResult:
    argv = [*argv, "-timeout", f"{int(timeout)}s"]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=workdir, timeout=timeout + 30)
    return SippResult(done.returncode, done.stdout[-3000:] + done.stderr[-3000:])


REALM, NONCE = "carrier.example", "b7e1f0c2a9d84e31"
CHALLENGE = f"""SIP/2.0 401 Unauthorized
[last_Via:]
[last_From:]
[last_To:];tag=[pid]reg
[last_Call-ID:]
[last_CSeq:]
WWW-Authenticate: Digest realm="{REALM}", nonce="{NONCE}", algorithm=MD5
Content-Length: 0
"""
REGISTERED = """SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]reg
[last_Call-ID:]
[last_CSeq:]
[last_Contact:];expires=3600
Expires: 3600
Content-Length: 0
"""


UNREGISTERED = """SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]reg
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
"""


def registrar(workdir: Path, port: int, local_ip: str) -> tuple[subprocess.Popen[str], Path]:
    """The carrier's registrar for one registration: challenges the first REGISTER (digest,
    REALM and NONCE), takes the second, then the unregister; every message it saw in the
    returned file."""
    steps = [
        '<recv request="REGISTER" timeout="30000"/>',
        f"<send><![CDATA[\n{CHALLENGE}\n]]></send>",
        '<recv request="REGISTER" timeout="30000"/>',
        f"<send><![CDATA[\n{REGISTERED}\n]]></send>",
        # Removed from the config, the registration ends with an unregister: answered
        # (else the reload that removes it waits for it in vain).
        '<recv request="REGISTER" timeout="30000"/>',
        f"<send><![CDATA[\n{UNREGISTERED}\n]]></send>",
    ]
    xml = workdir / f"carrier-registrar-{port}.xml"
    xml.write_text(_xml("carrier registrar", steps))
    messages = workdir / f"carrier-registrar-{port}-messages.log"
    argv = sipp.sipp_argv(
        xml, None, "-p", str(port), "-trace_msg", "-message_file", str(messages), local_ip=local_ip
    )
    with (workdir / f"carrier-registrar-{port}.out").open("w") as out:
        process = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, text=True, cwd=workdir
        )
    return process, messages
