"""Write one RFC 4733 pcap carrying a whole key sequence, for SIPp's play_pcap_audio.

sip-tester ships one pcap per digit, but each has fixed RTP sequence numbers and
timestamps: Asterisk drops an event whose timestamp is not after the last one, so "21" or
"11" from those files loses keys. One pcap per call with increasing sequence numbers and
timestamps is what a real phone sends. Addressing is copied from the shipped files (SIPp
rewrites it); only the RTP part and the capture times are ours.
"""

from __future__ import annotations

import struct
from pathlib import Path

SHIPPED = Path("/usr/share/sip-tester/dtmf_2833_1.pcap")
EVENT_CODE = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
PAUSES = {"w": 500, "W": 1000}
PAYLOAD_TYPE = 101  # telephone-event, as offered in our SDP
PACKET_MS = 20
SAMPLES_PER_MS = 8  # 8 kHz clock
SSRC = 0x48414A4A  # "HAJJ"


def _headers() -> bytes:
    """Ethernet + IPv4 + UDP headers of the shipped file's first packet (42 bytes)."""
    data = SHIPPED.read_bytes()
    return data[24 + 16 : 24 + 16 + 42]


def _rtp(seq: int, ts: int, marker: bool, event: int, end: bool, duration: int) -> bytes:
    first = 0x80
    second = (0x80 if marker else 0) | PAYLOAD_TYPE
    header = struct.pack(">BBHII", first, second, seq & 0xFFFF, ts & 0xFFFFFFFF, SSRC)
    volume = 10 | (0x80 if end else 0)
    return header + struct.pack(">BBH", event, volume, duration)


def write(path: Path, keys: str, tone_ms: int = 160, gap_ms: int = 440) -> float:
    """Write the pcap; return its length in seconds (how long SIPp needs to play it)."""
    headers = _headers()
    packets: list[tuple[int, bytes]] = []  # (capture time in ms, udp payload)
    seq, clock_ms = 1000, 0
    for key in keys:
        if key in PAUSES:  # as in SendDTMF: w waits half a second, W a second
            clock_ms += PAUSES[key]
            continue
        event, start_ts = EVENT_CODE[key], clock_ms * SAMPLES_PER_MS
        steps = tone_ms // PACKET_MS
        for i in range(1, steps + 1):
            duration = i * PACKET_MS * SAMPLES_PER_MS
            packets.append((clock_ms, _rtp(seq, start_ts, i == 1, event, False, duration)))
            seq, clock_ms = seq + 1, clock_ms + PACKET_MS
        for _ in range(3):  # the end packet is sent three times (RFC 4733 2.5.1.4)
            packets.append((clock_ms, _rtp(seq, start_ts, False, event, True, tone_ms * 8)))
            seq += 1
        clock_ms += gap_ms
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for at_ms, payload in packets:
        frame = _fix_lengths(headers, len(payload)) + payload
        out.append(
            struct.pack("<IIII", at_ms // 1000, (at_ms % 1000) * 1000, len(frame), len(frame))
        )
        out.append(frame)
    path.write_bytes(b"".join(out))
    return clock_ms / 1000


def _fix_lengths(headers: bytes, payload_len: int) -> bytes:
    eth, ip, udp = headers[:14], bytearray(headers[14:34]), bytearray(headers[34:42])
    struct.pack_into(">H", ip, 2, 20 + 8 + payload_len)
    struct.pack_into(">H", ip, 10, 0)
    struct.pack_into(">H", ip, 10, _checksum(bytes(ip)))
    struct.pack_into(">H", udp, 4, 8 + payload_len)
    struct.pack_into(">H", udp, 6, 0)  # UDP checksum optional over IPv4
    return eth + bytes(ip) + bytes(udp)


def _checksum(header: bytes) -> int:
    total: int = sum(struct.unpack(f">{len(header) // 2}H", header))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
