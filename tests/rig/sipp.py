"""SIPp as a real SIP phone: a UAC that dials the hotline and keys digits over RFC 4733.

Keys travel as RFC 4733 telephone-events in the call's RTP stream, replayed by SIPp's
play_pcap_audio from one pcap per key sequence (see dtmf_pcap for why not the per-digit
files sip-tester ships).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from tests.rig import dtmf_pcap

INVITE = """INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
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

v=0
o=jemaah 1 1 IN IP[local_ip_type] [local_ip]
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

OK_BYE = """SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
"""


def scenario(workdir: Path, dtmf: str, caller: str, delay_ms: int = 1500) -> str:
    """A UAC scenario: INVITE, answer, keys over RFC 4733, then wait for the IVR's BYE."""
    steps = [
        f'<send retrans="500"><![CDATA[\n{INVITE.format(caller=caller)}\n]]></send>',
        '<recv response="100" optional="true"/>',
        '<recv response="180" optional="true"/>',
        '<recv response="183" optional="true"/>',
        '<recv response="200" rtd="true"/>',
        f"<send><![CDATA[\n{ACK.format(caller=caller)}\n]]></send>",
        f'<pause milliseconds="{delay_ms}"/>',
    ]
    if dtmf:
        pcap = workdir / f"keys-{abs(hash(dtmf))}.pcap"
        seconds = dtmf_pcap.write(pcap, dtmf)
        steps.append(f'<nop><action><exec play_pcap_audio="{escape(str(pcap))}"/></action></nop>')
        steps.append(f'<pause milliseconds="{int(seconds * 1000) + 200}"/>')
    steps += [
        '<recv request="BYE" timeout="120000"/>',
        f"<send><![CDATA[\n{OK_BYE}\n]]></send>",
    ]
    body = "\n".join(steps)
    head = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<scenario name="hajj caller">'
    return f"{head}\n{body}\n</scenario>\n"


@dataclass(frozen=True)
class SippResult:
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def call(
    workdir: Path,
    sip_port: int,
    number: str,
    dtmf: str,
    caller: str = "081234567890",
    timeout: float = 180.0,
) -> SippResult:
    """Run one SIPp call to 127.0.0.1:sip_port and wait for it to finish."""
    sipp = shutil.which("sipp")
    if sipp is None:
        raise RuntimeError("sipp missing: apt-get install sip-tester (make setup does)")
    xml = workdir / f"uac-{abs(hash((number, dtmf)))}.xml"
    xml.write_text(scenario(workdir, dtmf, caller))
    argv = [
        sipp,
        f"127.0.0.1:{sip_port}",
        "-sf",
        str(xml),
        "-s",
        number,
        "-m",
        "1",
        "-i",
        "127.0.0.1",
        "-p",
        "0",
        "-mi",
        "127.0.0.1",
        "-mp",
        "0",
        "-timeout",
        f"{int(timeout)}s",
        "-nostdin",
        "-trace_err",
    ]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=workdir, timeout=timeout + 30)
    return SippResult(done.returncode, done.stdout[-3000:] + done.stderr[-3000:])
