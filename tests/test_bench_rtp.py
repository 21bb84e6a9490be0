"""The SIP benchmark's ear (bench.rtp_probe): how a caller's received audio becomes stretch."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bench.rtp_probe import PACKET_S, SILENCE, Stream, heard, pcap_payloads
from tests.rig import dtmf_pcap


def stream(arrivals: list[float], seqs: list[int] | None = None) -> Stream:
    s = Stream(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), timed=True)
    s.sock.close()
    s.arrivals, s.seqs = arrivals, seqs if seqs is not None else list(range(len(arrivals)))
    return s


def test_rtp_probe_packets_every_20_ms_have_no_stretch() -> None:
    got = heard(stream([i * PACKET_S for i in range(500)]))
    assert (got.packets, got.spurts, got.lost) == (500, 1, 0)
    assert got.stretch == pytest.approx(0, abs=1e-9)


def test_rtp_probe_a_stall_inside_a_prompt_is_stretch_a_wait_for_keys_is_not() -> None:
    spoken = [i * PACKET_S for i in range(100)]  # 2 s
    stalled = [*spoken[:50], *(t + 0.2 for t in spoken[50:])]  # 200 ms late halfway
    waited = [*spoken, *(t + spoken[-1] + SILENCE + 2 for t in spoken)]  # the IVR waits 3 s

    assert heard(stream(stalled)).stretch == pytest.approx(0.1)
    assert heard(stream(stalled)).max_gap == pytest.approx(0.22)
    assert heard(stream(stalled)).in_stalls == pytest.approx(0.1)
    assert heard(stream(waited)).spurts == 2
    assert heard(stream(waited)).stretch == pytest.approx(0, abs=1e-9)


def test_rtp_probe_lost_packets_counted_across_the_sequence_wrap() -> None:
    seqs = [65533, 65534, 65535, 1, 2]  # 0 missing
    assert heard(stream([i * PACKET_S for i in range(5)], seqs)).lost == 1


def test_rtp_probe_key_pcap_read_back_as_timed_rfc4733_payloads(tmp_path: Path) -> None:
    seconds = dtmf_pcap.write(tmp_path / "k.pcap", "1W2")
    packets = pcap_payloads(tmp_path / "k.pcap")
    assert len(packets) == 2 * (8 + 3)  # 160 ms of 20 ms updates, the end sent three times
    assert {p[1] & 0x7F for _, p in packets} == {dtmf_pcap.PAYLOAD_TYPE}
    assert [p[12] for _, p in packets] == [1] * 11 + [2] * 11
    assert packets[11][0] - packets[0][0] == pytest.approx(0.6 + 1.0)  # tone, gap, W
    assert seconds >= packets[-1][0]
