"""SIPp scenarios for what a caller's phone may try beyond a call: an in-dialog REFER
(transfer the IVR's side elsewhere) and an out-of-dialog SUBSCRIBE (watch something)."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from tests.rig import dtmf_pcap
from tests.rig.sipp import ACK, INVITE, OK_REQUEST, SippResult, _run, _send, _xml, sipp_argv

REFER = """REFER sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[last_From:]
[last_To:]
Call-ID: [call_id]
CSeq: 2 REFER
Contact: <sip:{caller}@[local_ip]:[local_port]>
Refer-To: <sip:{target}@[remote_ip]:[remote_port]>
Referred-By: <sip:{caller}@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0
"""

SUBSCRIBE = """SUBSCRIBE sip:{target}@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]sub[call_number]
To: <sip:{target}@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 SUBSCRIBE
Contact: <sip:{caller}@[local_ip]:[local_port]>
Event: {event}
Accept: application/pidf+xml, application/dialog-info+xml, application/simple-message-summary
Expires: 60
Max-Forwards: 70
Content-Length: 0
"""


def refer_in_call(
    workdir: Path, sip_port: int, number: str, target: str, dtmf: str, refused: int
) -> SippResult:
    """Call ``number``; once answered, REFER the call to ``target`` and expect the status
    ``refused``; then key ``dtmf`` and stay until the IVR hangs up (the call went on)."""
    caller = "081200000011"
    pcap = workdir / "refer-keys.pcap"
    seconds = dtmf_pcap.write(pcap, dtmf)
    steps = [
        _send(INVITE.format(caller=caller), retrans=True),
        '<recv response="100" optional="true"/>',
        '<recv response="180" optional="true"/>',
        '<recv response="183" optional="true"/>',
        '<recv response="200" rtd="true"/>',
        _send(ACK.format(caller=caller)),
        '<pause milliseconds="1000"/>',
        _send(REFER.format(caller=caller, target=target), retrans=True),
        f'<recv response="{refused}"/>',
        f'<nop><action><exec play_pcap_audio="{escape(str(pcap))}"/></action></nop>',
        f'<pause milliseconds="{int(seconds * 1000) + 200}"/>',
        '<recv request="BYE" timeout="60000"/>',
        _send(OK_REQUEST),
    ]
    xml = workdir / "refer.xml"
    xml.write_text(_xml("caller refers", steps))
    return _run(workdir, sipp_argv(xml, sip_port, "-s", number), 90)


def subscribe(workdir: Path, sip_port: int, target: str, event: str, refused: int) -> SippResult:
    """An out-of-dialog SUBSCRIBE from a phone with no account; expect status ``refused``."""
    steps = [
        _send(SUBSCRIBE.format(caller="081200000012", target=target, event=event), True),
        f'<recv response="{refused}"/>',
    ]
    xml = workdir / f"subscribe-{event}.xml"
    xml.write_text(_xml("caller subscribes", steps))
    return _run(workdir, sipp_argv(xml, sip_port), 30)
