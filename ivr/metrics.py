"""The controller's own measurements, as Prometheus metrics on loopback (prometheus_client).

Two things only the controller can see and an engineer watching a busy hotline wants:
- prompt stretch: for each prompt Asterisk played to its end, the wall time from STREAM
  FILE to its reply against the audio played (the reply's ``endpos``, in 8 kHz samples).
  1.0 is a prompt heard at its own pace; more is audio held back by an overloaded
  Asterisk or controller (what a caller hears as gaps).
- lookup latency: a porsi looked up in the mirror, measured on the event loop that also
  serves every other call.
Each controller has its own registry (no process-wide state), served by prometheus_client's
small HTTP server when ``[agi] metrics_port`` is set; bench/ reads the same page.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

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

    def played(self, elapsed: float, endpos: int) -> None:
        """A STREAM FILE took ``elapsed`` s and Asterisk played ``endpos`` samples."""
        self._media.inc()
        seconds = endpos / SAMPLE_RATE
        if seconds >= MIN_PLAYED:
            self._stretch.observe(elapsed / seconds)

    def looked_up(self, seconds: float) -> None:
        self._lookup.observe(seconds)

    def serve(self, host: str, port: int) -> Callable[[], None]:
        """Serve /metrics on ``host:port`` in a thread; return what stops it."""
        server, thread = start_http_server(port, addr=host, registry=self.registry)

        def stop() -> None:
            server.shutdown()
            server.server_close()
            thread.join(5)

        return stop
