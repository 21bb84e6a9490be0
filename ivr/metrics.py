"""The controller's own measurements, as Prometheus metrics on loopback (prometheus_client).

What only the controller process sees, counted as it happens:
- prompt stretch: for each prompt Asterisk played to its end, the wall time from STREAM
  FILE to its reply against the audio played (the reply's ``endpos``, in 8 kHz samples).
  1.0 is a prompt heard at its own pace; more is audio held back by an overloaded
  Asterisk or controller (what a caller hears as gaps).
- lookup latency: a porsi looked up in the mirror, measured on the event loop that also
  serves every other call.
- AGI command latency, by command (a media command's time is mostly its playing).
- calls by route and outcome as each AGI session ends, and the controller's errors.
The hotline's state (calls in the IVR, callers waiting, agents, callbacks, the mirror) is
read at scrape time by a collector added to the same registry (ivr/livestate.py).

Each controller has its own registry (no process-wide state), served when
``[agi] metrics_port`` is set: prometheus_client's WSGI app behind a guard that answers
loopback peers only and, when configured, only a bearer token (``serve``). bench/ reads
the same page.
"""

from __future__ import annotations

import hmac
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.registry import Collector

SAMPLE_RATE = 8000  # STREAM FILE's endpos counts samples of the 8 kHz stream
# A prompt shorter than this is mostly the round trip, not playback: not a stretch figure.
MIN_PLAYED = 0.5
# Just under 1.0 is the usual: Asterisk's endpos counts the frames it read, a frame or
# two ahead of what the caller has heard when STREAM FILE returns.
STRETCH_BUCKETS = (
    *(0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 1.0),
    *(1.005, 1.01, 1.02, 1.03, 1.04, 1.05, 1.075, 1.1, 1.25, 1.5, 2.0, 4.0),
)
LOOKUP_BUCKETS = (
    10e-6,
    20e-6,
    30e-6,
    50e-6,
    75e-6,
    100e-6,
    200e-6,
    500e-6,
    1e-3,
    2e-3,
    5e-3,
    0.01,
    0.05,
    0.25,
    1.0,
)
# A quick command (SET VARIABLE) answers in well under a millisecond; a prompt or a wait
# for keys takes seconds, up to the media timeout (120 s).
COMMAND_BUCKETS = (
    *(100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1),
    *(0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0),
)
PATH = "/metrics"
Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._stretch = Histogram(
            "hajj_prompt_stretch_ratio",
            "Time from STREAM FILE to its reply over the audio played, per prompt heard out",
            buckets=STRETCH_BUCKETS,
            registry=self.registry,
        )
        self._lookup = Histogram(
            "hajj_lookup_seconds",
            "Porsi lookups in the mirror, timed on the controller's event loop",
            buckets=LOOKUP_BUCKETS,
            registry=self.registry,
        )
        self._media = Counter(
            "hajj_prompts_played",
            "Prompts Asterisk reported played (STREAM FILE replies)",
            registry=self.registry,
        )
        self._command = Histogram(
            "hajj_agi_command_seconds",
            "AGI commands, from writing the command to reading its reply, by command",
            ["command"],
            buckets=COMMAND_BUCKETS,
            registry=self.registry,
        )
        self._calls = Counter(
            "hajj_calls",
            "Calls whose IVR part ended, by route and outcome (the call log's)",
            ["route", "outcome"],
            registry=self.registry,
        )
        self._errors = Counter(
            "hajj_controller_errors",
            "Errors the controller caught (a flow that failed, a hand-over that failed)",
            ["where"],
            registry=self.registry,
        )

    def played(self, elapsed: float, endpos: int) -> None:
        """A STREAM FILE took ``elapsed`` s and Asterisk played ``endpos`` samples."""
        self._media.inc()
        seconds = endpos / SAMPLE_RATE
        if seconds >= MIN_PLAYED:
            self._stretch.observe(elapsed / seconds)

    def looked_up(self, seconds: float) -> None:
        self._lookup.observe(seconds)

    def commanded(self, command: str, seconds: float) -> None:
        """An AGI ``command`` (its name: a fixed set, never its arguments) took ``seconds``."""
        self._command.labels(command).observe(seconds)

    def ended(self, route: str, outcome: str) -> None:
        """A call's IVR part ended with the outcome the call log keeps."""
        self._calls.labels(route, outcome).inc()

    def failed(self, where: str) -> None:
        self._errors.labels(where).inc()

    def add(self, collector: Collector) -> None:
        """A collector read at scrape time (ivr/livestate.py)."""
        self.registry.register(collector)

    def serve(self, host: str, port: int, token: str = "") -> Callable[[], None]:
        """Serve /metrics on ``host:port`` in a thread; return what stops it.

        ``token``: a bearer token every scrape must present ("" asks none: loopback only).
        """

        class Server(ThreadingWSGIServer):
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

        server = make_server(
            host, port, guarded(make_wsgi_app(self.registry), token), Server, _Quiet
        )
        thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
        thread.start()

        def stop() -> None:
            server.shutdown()
            server.server_close()
            thread.join(5)

        return stop


def guarded(app: WsgiApp, token: str) -> WsgiApp:
    """``app`` for loopback peers on /metrics only, with ``token`` when one is set."""
    expected = f"Bearer {token}".encode()

    def guard(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if not _loopback(environ.get("REMOTE_ADDR", "")):
            return _refuse(start_response, "403 Forbidden")
        if environ.get("PATH_INFO", "") != PATH:
            return _refuse(start_response, "404 Not Found")
        given = environ.get("HTTP_AUTHORIZATION", "").encode()
        if token and not hmac.compare_digest(given, expected):
            return _refuse(start_response, "401 Unauthorized", [("WWW-Authenticate", "Bearer")])
        return app(environ, start_response)

    return guard


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.removeprefix("::ffff:")).is_loopback
    except ValueError:
        return False


def _refuse(
    start_response: StartResponse, status: str, headers: list[tuple[str, str]] | None = None
) -> Iterable[bytes]:
    start_response(status, [("Content-Type", "text/plain"), *(headers or [])])
    return [status.encode() + b"\n"]


class _Quiet(WSGIRequestHandler):
    """No access log on stderr: Prometheus scrapes every few seconds."""

    def log_message(self, format: str, *args: Any) -> None:
        pass
