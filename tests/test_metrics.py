"""The controller's metrics: what a STREAM FILE reply, a lookup, an AGI command, a call's end
and an error add to /metrics, served over real HTTP from the controller's own registry,
and who may read it (loopback peers only; a bearer token when configured)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ivr.config import load
from ivr.errors import ConfigError
from ivr.metrics import Metrics, guarded
from ivr.secrets import load_or_create
from tests.rig.ports import free_port


def samples(text: str) -> dict[tuple[str, str], float]:
    """{(sample name, le or ""): value} of a /metrics page."""
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, s.labels.get("le", ""))] = s.value
    return found


def test_metrics_prompts_heard_out_give_stretch_short_ones_only_count() -> None:
    metrics = Metrics()
    metrics.played(2.04, 16_000)  # 2 s of audio in 2.04 s: stretch 1.02
    metrics.played(3.3, 24_000)  # 3 s in 3.3 s: 1.1
    metrics.played(0.2, 800)  # 0.1 s: mostly the round trip, not a stretch figure
    metrics.looked_up(40e-6)
    stop = metrics.serve("127.0.0.1", port := free_port())
    try:
        page = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    finally:
        stop()
    got = samples(page)
    assert got[("hajj_prompts_played_total", "")] == 3
    assert got[("hajj_prompt_stretch_ratio_count", "")] == 2
    assert got[("hajj_prompt_stretch_ratio_bucket", "1.02")] == 1
    assert got[("hajj_prompt_stretch_ratio_bucket", "1.075")] == 1
    assert got[("hajj_prompt_stretch_ratio_bucket", "1.1")] == 2
    assert got[("hajj_lookup_seconds_count", "")] == 1
    assert got[("hajj_lookup_seconds_bucket", "3e-05")] == 0
    assert got[("hajj_lookup_seconds_bucket", "5e-05")] == 1


def test_metrics_two_controllers_in_one_process_keep_their_own_counts() -> None:
    one, two = Metrics(), Metrics()
    one.looked_up(0.001)
    assert samples(_text(one))[("hajj_lookup_seconds_count", "")] == 1
    assert samples(_text(two))[("hajj_lookup_seconds_count", "")] == 0


def _text(metrics: Metrics) -> str:
    return generate_latest(metrics.registry).decode()


def test_metrics_calls_and_errors_counted_by_label() -> None:
    metrics = Metrics()
    metrics.commanded("STREAM FILE", 1.2)
    metrics.commanded("SET VARIABLE", 300e-6)
    metrics.ended("hotline", "served")
    metrics.ended("hotline", "served")
    metrics.ended("callback", "callback")
    metrics.failed("flow")
    page = _text(metrics)
    got = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(page)
        for s in family.samples
    }
    assert got[("hajj_agi_command_seconds_count", (("command", "STREAM FILE"),))] == 1
    assert (
        got[("hajj_agi_command_seconds_bucket", (("command", "SET VARIABLE"), ("le", "0.0005")))]
        == 1
    )
    assert got[("hajj_calls_total", (("outcome", "served"), ("route", "hotline")))] == 2
    assert got[("hajj_calls_total", (("outcome", "callback"), ("route", "callback")))] == 1
    assert got[("hajj_controller_errors_total", (("where", "flow"),))] == 1


@pytest.fixture
def served() -> Iterator[tuple[str, str]]:
    """A controller's /metrics on loopback asking for a bearer token: (url, token)."""
    metrics, token = Metrics(), "s3cret-token"
    stop = metrics.serve("127.0.0.1", port := free_port(), token)
    try:
        yield f"http://127.0.0.1:{port}", token
    finally:
        stop()


def test_metrics_token_set_scrape_without_it_or_with_another_refused(
    served: tuple[str, str],
) -> None:
    url, token = served
    assert httpx.get(f"{url}/metrics", timeout=5).status_code == 401
    wrong = {"Authorization": "Bearer not-it"}
    assert httpx.get(f"{url}/metrics", headers=wrong, timeout=5).status_code == 401
    basic = {"Authorization": f"Basic {token}"}
    assert httpx.get(f"{url}/metrics", headers=basic, timeout=5).status_code == 401
    right = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert right.status_code == 200 and "hajj_lookup_seconds_count" in right.text


def test_metrics_only_the_metrics_path_is_served(served: tuple[str, str]) -> None:
    url, token = served
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{url}/", headers=auth, timeout=5).status_code == 404
    assert httpx.get(f"{url}/metrics/x", headers=auth, timeout=5).status_code == 404


@pytest.mark.parametrize(
    ("peer", "status"),
    [
        *[("127.0.0.1", "200 OK"), ("::1", "200 OK"), ("::ffff:127.0.0.1", "200 OK")],
        *[("10.0.0.5", "403 Forbidden"), ("192.168.1.20", "403 Forbidden"), ("", "403 Forbidden")],
    ],
)
def test_metrics_guard_answers_loopback_peers_only(peer: str, status: str) -> None:
    """Without a token only a peer on this machine's loopback is answered (the server binds
    loopback too: agi.host must be one)."""
    answered: list[str] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [])
        return [b"page"]

    def start_response(got: str, headers: list[tuple[str, str]]) -> None:
        answered.append(got)

    body = guarded(app, "")({"REMOTE_ADDR": peer, "PATH_INFO": "/metrics"}, start_response)
    assert answered == [status]
    assert (b"".join(body) == b"page") == (status == "200 OK")


def test_metrics_config_token_on_wiring_serves_with_the_secrets_token(tmp_path: Path) -> None:
    """agi.metrics_token = true: the token is the secrets file's metrics_token."""
    config = load(overrides={"state_dir": str(tmp_path), "agi.metrics_token": True})
    token = load_or_create(config.secrets_path).metrics_token
    assert len(token) >= 32 and token == load_or_create(config.secrets_path).metrics_token
    assert config.agi.metrics_port == 9425 and config.agi.host == "127.0.0.1"


def test_metrics_config_host_off_loopback_refused() -> None:
    with pytest.raises(ConfigError, match=r"agi\.host"):
        load(overrides={"agi.host": "0.0.0.0"})


def _outward_address() -> str | None:
    """This machine's address on its default route (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("198.51.100.1", 9))  # TEST-NET-2: only the route is looked up
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if ipaddress.ip_address(address).is_loopback else address


def test_metrics_served_on_every_address_still_refuses_a_peer_off_loopback() -> None:
    """Bound beyond loopback by mistake, the page still goes to loopback peers only: a real
    connection to this machine's outward address is refused, one over 127.0.0.1 served."""
    address = _outward_address()
    if address is None:
        pytest.skip("this machine has no address besides loopback")
    stop = Metrics().serve("0.0.0.0", port := free_port())
    try:
        outside = httpx.get(f"http://{address}:{port}/metrics", timeout=5)
        inside = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    finally:
        stop()
    assert outside.status_code == 403 and "hajj_" not in outside.text
    assert inside.status_code == 200


@pytest.mark.parametrize(("port", "shown"), [(9425, True), (0, False)])
def test_metrics_run_tells_where_metrics_are_when_served(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], port: int, shown: bool
) -> None:
    """`make run` (hajj-ivr run) prints the page's address with the rest."""
    from ivr.cli.serve import _print_how_to_call

    _print_how_to_call(load(overrides={"state_dir": str(tmp_path), "agi.metrics_port": port}))
    printed = capsys.readouterr().out
    assert ("Prometheus: http://127.0.0.1:9425/metrics" in printed) == shown
    assert "The hotline is up" in printed
