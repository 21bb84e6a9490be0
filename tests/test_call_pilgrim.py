"""The pilgrim flow over real calls: statuses, wrong entries, identity, agents.

The real tier's share of the scenarios (tests/scenarios/pilgrim.py REAL: long calls that
overlap the imports swapped in meanwhile, and those the cross-tier comparison reads) runs
at once through the private Asterisk (it carries them in parallel), with a SIP phone
alongside, each ending as soon as the IVR has said what its test waits for; the tests then
read the transcripts. Every scenario, with the same checks, runs in the fast tier
(tests/test_flow_pilgrim.py). Keys are typed ahead as a caller would; "W" waits a second.
"""

from __future__ import annotations

import shutil
import threading
import time
from itertools import zip_longest
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ivr.calllog import CallLogReader
from ivr.data.importer import import_export
from ivr.data.report import ImportRefused, ImportReport
from ivr.testcall import CallResult
from tests.rig import sipp
from tests.rig.fast import FastHotline
from tests.rig.hotline import Hotline, Until
from tests.scenarios import pilgrim as checks
from tests.scenarios.pilgrim import REAL_AGENT_MENUS, REAL_STATUSES, ZERO, real_scenarios, scenarios
from tests.scenarios.tier import heard

pytestmark = pytest.mark.asterisk


@pytest.fixture(scope="module")
def calls(hotline: Hotline, tmp_path_factory: pytest.TempPathFactory) -> dict[str, CallResult]:
    workdir = Path(tmp_path_factory.mktemp("sipp"))
    port = hotline.config.asterisk.sip_port
    # A real SIP phone keys a porsi with a leading zero over RFC 4733 meanwhile (and hangs
    # up 8 s after its last key: the lookup is done by then).
    keys = f"1{ZERO.nomor_porsi}#{'W' * 12}1"
    phone = threading.Thread(
        target=lambda: SIP.append(
            sipp.call(workdir, port, "500425", keys, caller="081122334455", hangup_after_ms=8000)
        )
    )
    phone.start()
    imports = threading.Thread(target=_imports_meanwhile, args=(hotline, workdir))
    imports.start()
    results = hotline.calls(real_scenarios())
    phone.join(300)
    imports.join(60)
    return results


IMPORTS: dict[str, object] = {}
# The SIP phone's call, placed alongside the Local-channel scenarios.
SIP: list[sipp.SippResult] = []


def _imports_meanwhile(hotline: Hotline, workdir: Path) -> None:
    """While the calls run: a refused export, then valid ones swapped in under them."""
    good = hotline.config.state_dir / "sample"
    bad = workdir / "bad-export"
    shutil.copytree(good, bad)
    jemaah = bad / "jemaah.csv"
    lines = jemaah.read_text().splitlines(keepends=True)
    lines[5] = "12AB" + lines[5][4:]
    jemaah.write_text("".join(lines))
    time.sleep(15)
    try:
        import_export(bad, hotline.config.mirror_path)
    except ImportRefused as e:
        IMPORTS["refused"] = e.report
    swaps = []
    for _ in range(5):
        time.sleep(4)
        import_export(good, hotline.config.mirror_path, imported_by="tests")
        swaps.append(time.time())
    IMPORTS["swaps"] = swaps


@pytest.mark.parametrize(("status", "wording"), REAL_STATUSES)
def test_pilgrim_found_each_status_hears_its_wording_and_estimate(
    hotline: Hotline, calls: dict[str, CallResult], status: str, wording: str
) -> None:
    checks.check_status(hotline, calls, status, wording)


def test_pilgrim_unknown_porsi_is_said_clearly(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    checks.check_unknown(hotline, calls)


def test_pilgrim_malformed_entry_three_times_goes_to_agent(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    checks.check_malformed_thrice(hotline, calls)


def test_pilgrim_readback_in_groups_rejected_asks_again(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    checks.check_readback_rejected(hotline, calls)


def test_pilgrim_dob_right_hears_kloter_documents_and_payment(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    checks.check_dob_right(hotline, calls)


def test_pilgrim_dob_wrong_three_times_goes_to_agent(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    checks.check_dob_wrong(hotline, calls)


@pytest.mark.parametrize("menu", REAL_AGENT_MENUS)
def test_pilgrim_zero_from_each_menu_reaches_agent(
    hotline: Hotline, calls: dict[str, CallResult], menu: str
) -> None:
    checks.check_zero_reaches_agent(hotline, calls, menu)


def test_pilgrim_another_porsi_in_the_same_call(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    checks.check_another_porsi(hotline, calls)


def test_pilgrim_sip_phone_keys_leading_zero_porsi_over_rfc4733(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    assert calls and SIP, "the SIP phone's call did not finish"
    done = SIP[0]
    assert done.ok, done.output
    rows = [
        c
        for c in CallLogReader(hotline.config.calllog_path).recent(100)
        if c.caller == "081122334455"
    ]
    assert rows
    assert "porsi found: AKTIF" in hotline.notes(rows[0].id)
    inputs = [x.text for x in hotline.record(rows[0].id)[1] if x.kind == "input"]
    assert ZERO.nomor_porsi in inputs


def test_pilgrim_imports_during_calls_refused_one_changes_nothing_valid_ones_swap_in(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    refused = IMPORTS["refused"]
    assert isinstance(refused, ImportReport) and not refused.accepted
    assert [(b.file, b.line) for b in refused.bad_rows] == [("jemaah.csv", 6)]
    swaps = IMPORTS["swaps"]
    assert isinstance(swaps, list) and len(swaps) == 5
    reader = CallLogReader(hotline.config.calllog_path)
    rows = [reader.get(c.call_id) for c in calls.values() if isinstance(c, CallResult)]
    during = [r for r in rows if r and r.ended_at and r.started_at < swaps[0] < r.ended_at]
    assert len(during) >= 5  # calls were running while the mirror was swapped under them
    assert all(r is not None and r.reason != "lookup_error" for r in rows)


# Long calls through barge-in, type-ahead, the date of birth, a second porsi, and (dob-wrong)
# the hand-over and the callback offer's second AGI session on the same channel.
CROSS_TIER = ("dob-right", "readback-rejected", "another-porsi", "dob-wrong")
Heard = list[tuple[str, str, str, bool]]


def stop_point(lines: Heard, until: Until | None) -> int:
    """How many lines there are once the scenario's ``until`` first holds (all if never)."""
    said: list[str] = []
    for number, (kind, text, _, _) in enumerate(lines):
        said += [text] if kind == "say" else []
        if until is not None and until(said):
            return number + 1
    return len(lines)


def test_fast_tier_transcripts_equal_the_real_ones(
    hotline: Hotline, calls: dict[str, CallResult], fast: FastHotline
) -> None:
    """The fast tier (tests/rig/fast.py) hears what a real call hears: the same lines, the
    same prompts, cut by the same keys, for the same DTMF strings.

    Up to the line that makes the scenario's ``until`` hold, line for line. After it the
    real rig hangs up 0-0.3 s later (it polls the call log), the fast tier before its next
    prompt: what the real call logged meanwhile (a note of the callback offer, say) must
    be the start of what the fast one logged.
    """
    table = scenarios()
    simulated = fast.calls({name: table[name] for name in CROSS_TIER})
    for name in CROSS_TIER:
        real, fast_lines = heard(hotline, calls[name].call_id), heard(fast, simulated[name].call_id)
        cut = stop_point(fast_lines, table[name].until)
        for number, (r, f) in enumerate(zip_longest(real[:cut], fast_lines[:cut])):
            assert r == f, f"{name}, line {number}: real {r} != fast {f}"
        assert real[cut:] == fast_lines[cut : len(real)], f"{name}: after the stop"


def test_controller_metrics_count_the_calls_prompts_and_lookups(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    """The controller's /metrics saw these calls: every lookup timed, prompts heard out
    with their stretch (wall time over the audio Asterisk reported played)."""
    port = hotline.config.agi.metrics_port
    page = httpx.get(f"http://{hotline.config.agi.host}:{port}/metrics", timeout=10).text
    got = {
        (s.name, s.labels.get("le", "")): s.value
        for family in text_string_to_metric_families(page)
        for s in family.samples
    }
    lookups = sum(
        "porsi found" in n or "porsi not found" in n
        for r in calls.values()
        for n in hotline.notes(r.call_id)
    )
    assert lookups > 0 and got[("hajj_lookup_seconds_count", "")] >= lookups
    assert got[("hajj_prompt_stretch_ratio_count", "")] > len(calls)
    assert got[("hajj_prompt_stretch_ratio_bucket", "2.0")] > 0  # heard at about their pace
