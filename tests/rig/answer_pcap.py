"""A pcap for a phone that answers like a person: "Halo?" (a short tone standing in for the
voice, G.711 u-law), a moment of silence, then keys over RFC 4733 (dtmf_pcap's events).

Asterisk's AMD() hears a short greeting followed by silence and says HUMAN; a phone that
sends nothing at all sounds like a machine (initial silence) to it.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

from tests.rig import dtmf_pcap

PCMU = 0
SAMPLES = dtmf_pcap.PACKET_MS * dtmf_pcap.SAMPLES_PER_MS  # 160 per 20 ms packet


def _ulaw(sample: int) -> int:
    """G.711 u-law of one 16-bit sample (ITU-T G.711, the classic bias-and-segment form)."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), 32635) + 0x84
    exponent = max(0, magnitude.bit_length() - 8)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _audio(seq: int, ts: int, marker: bool, payload: bytes) -> bytes:
    second = (0x80 if marker else 0) | PCMU
    header = struct.pack(">BBHII", 0x80, second, seq & 0xFFFF, ts & 0xFFFFFFFF, dtmf_pcap.SSRC)
    return header + payload


def write(path: Path, keys: str, greeting_ms: int = 600, silence_ms: int = 2400) -> float:
    """The pcap: greeting, silence, then ``keys`` (W waits a second); its length in s."""
    tone = bytes(_ulaw(int(8000 * math.sin(2 * math.pi * 400 * n / 8000))) for n in range(SAMPLES))
    quiet = bytes([0xFF]) * SAMPLES
    packets: list[tuple[int, bytes]] = []
    seq = 1
    for i in range((greeting_ms + silence_ms) // dtmf_pcap.PACKET_MS):
        at = i * dtmf_pcap.PACKET_MS
        payload = tone if at < greeting_ms else quiet
        packets.append((at, _audio(seq, at * dtmf_pcap.SAMPLES_PER_MS, i == 0, payload)))
        seq += 1
    start = greeting_ms + silence_ms
    keyed = path.with_suffix(".keys.pcap")
    keys_s = dtmf_pcap.write(keyed, keys) if keys else 0.0
    for at, payload in _packets(keyed.read_bytes()) if keys else []:
        rtp = bytearray(payload)
        struct.pack_into(">H", rtp, 2, seq & 0xFFFF)  # one stream: sequence numbers go on
        old_ts = struct.unpack_from(">I", rtp, 4)[0]
        struct.pack_into(">I", rtp, 4, (old_ts + start * dtmf_pcap.SAMPLES_PER_MS) & 0xFFFFFFFF)
        packets.append((start + at, bytes(rtp)))
        seq += 1
    _save(path, packets)
    return start / 1000 + keys_s


def _packets(data: bytes) -> list[tuple[int, bytes]]:
    """(capture ms, RTP payload) of each packet of a pcap dtmf_pcap wrote."""
    found, offset = [], 24
    while offset < len(data):
        sec, usec, length, _ = struct.unpack_from("<IIII", data, offset)
        frame = data[offset + 16 : offset + 16 + length]
        found.append((sec * 1000 + usec // 1000, frame[42:]))
        offset += 16 + length
    return found


def _save(path: Path, packets: list[tuple[int, bytes]]) -> None:
    headers = dtmf_pcap._headers()
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for at_ms, payload in packets:
        frame = dtmf_pcap._fix_lengths(headers, len(payload)) + payload
        out.append(
            struct.pack("<IIII", at_ms // 1000, (at_ms % 1000) * 1000, len(frame), len(frame))
        )
        out.append(frame)
    path.write_bytes(b"".join(out))


def voice(path: Path, hz: int, seconds: float, keys: str = "") -> float:
    """A pcap: ``keys`` first (RFC 4733), then a steady ``hz`` tone (G.711 u-law) for
    ``seconds``, a voice that can be told apart from another in a mixed recording; its
    length in s. ``hz`` a multiple of 50 keeps whole cycles in each 20 ms packet (no
    click at the packet edges to smear it across the band)."""
    packets: list[tuple[int, bytes]] = []
    seq, start = 1, 0
    if keys:
        keyed = path.with_suffix(".keys.pcap")
        start = int(dtmf_pcap.write(keyed, keys) * 1000) + 200
        for at, payload in _packets(keyed.read_bytes()):
            rtp = bytearray(payload)
            struct.pack_into(">H", rtp, 2, seq & 0xFFFF)  # one stream: sequence numbers go on
            packets.append((at, bytes(rtp)))
            seq += 1
    tone = bytes(_ulaw(int(8000 * math.sin(2 * math.pi * hz * n / 8000))) for n in range(SAMPLES))
    for i in range(int(seconds * 1000) // dtmf_pcap.PACKET_MS):
        at = start + i * dtmf_pcap.PACKET_MS
        packets.append((at, _audio(seq, at * dtmf_pcap.SAMPLES_PER_MS, i == 0, tone)))
        seq += 1
    _save(path, packets)
    return start / 1000 + seconds
