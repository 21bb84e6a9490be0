"""The hotline without Asterisk: the real controller, flows and stores on a private state
dir (the sample mirror imported), a scripted line per call, the dialplan modelled
(dialplan_model.py), simulated time (ivr/agi/scripted.py). A call that takes a minute on
the real rig takes milliseconds here.

FastHotline reads like the real rig's Hotline (call, calls, spoken, notes, record) and
returns the same CallResult, so scenario tables and their checks serve both tiers. Calls
run one after another (each inside one event-loop step); the config is the real rig's
(tests/rig/hotline.py write_config), so prompts, timeouts and keys are timed alike.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivr import config as config_mod
from ivr import wiring
from ivr.agi.scripted import Caller, ScriptedLine, SoundLengths, VirtualClock
from ivr.calllog import CallLogReader, CallRow, Line
from ivr.config import Config
from ivr.controller import Controller
from ivr.data import sample
from ivr.data.importer import import_export
from ivr.queue.tracker import QueueTracker
from ivr.testcall import CallResult, TestCall
from tests.rig.dialplan_model import DialplanModel
from tests.rig.hotline import Scenario, Until, write_config
from tests.rig.sounds import shared_sounds


@dataclass
class FastHotline:
    config: Config
    controller: Controller
    clock: VirtualClock
    lengths: SoundLengths
    dialplan: DialplanModel

    @classmethod
    def start(
        cls,
        state_dir: Path,
        extra_config: str = "",
        env: Mapping[str, str] | None = None,
        agents_logged_in: int = 0,
    ) -> FastHotline:
        """``env`` overrides config as HAJJ_IVR_* variables do (e.g. holidays)."""
        config = config_mod.load(file=write_config(state_dir, extra_config), env=dict(env or {}))
        lengths = SoundLengths(shared_sounds(config.prompts))
        sample.write_sample(state_dir / "sample")
        import_export(state_dir / "sample", config.mirror_path, imported_by="tests")
        clock = VirtualClock(time.time())
        controller = wiring.controller(config, clock=clock)
        services = controller.services
        tracker = QueueTracker(services.calllog, services.desk.records, clock)
        dialplan = DialplanModel(controller.handle, config, tracker, agents_logged_in)
        return cls(config, controller, clock, lengths, dialplan)

    def close(self) -> None:
        self.controller.services.calllog.close()

    # --- calls -----------------------------------------------------------------------

    def call(self, dtmf: str = "", number: str = "", **kwargs: Any) -> CallResult:
        """One test call as `hajj-ivr call` places it; return once it is over."""
        return self._one(TestCall(number or self.config.ivr.hotline, dtmf, **kwargs), None)

    def calls(self, scenarios: Mapping[str, Scenario]) -> dict[str, CallResult]:
        """Each scenario's call, one after another; results by name. A scenario's
        ``until`` hangs up once the IVR has said what the test waits for."""
        hotline = self.config.ivr.hotline
        return {
            name: self._one(TestCall(hotline, s.dtmf, timeout=s.timeout), s.until)
            for name, s in scenarios.items()
        }

    def place_all(self, specs: list[TestCall]) -> list[CallResult]:
        """These calls in order (the real rig places them at the same moment)."""
        return [self._one(spec, None) for spec in specs]

    def _one(self, spec: TestCall, until: Until | None) -> CallResult:
        call_id = f"hajj-test-{uuid.uuid4().hex[:16]}"
        caller = Caller.from_test_call(spec, self.lengths)
        line = ScriptedLine(call_id, caller, self.clock, self.lengths, self._stop(call_id, until))
        self.dialplan.run(line, spec.number, spec.end_on)
        return CallResult(call_id, line.hung_up_by != "test", list(line.events))

    def _stop(self, call_id: str, until: Until | None) -> Callable[[], bool]:
        if until is None:
            return lambda: False
        return lambda: until(self._said(call_id))

    def _said(self, call_id: str) -> list[str]:
        """The say lines so far, on the controller's own connection (it sees its writes)."""
        rows = self.controller.services.calllog.db.execute(
            "SELECT text FROM transcript WHERE call_id = ? AND kind = 'say' ORDER BY seq",
            (call_id,),
        )
        return [text for (text,) in rows]

    # --- reading, as Hotline does ------------------------------------------------------

    def notes(self, call_id: str) -> list[str]:
        """The transcript's events (decisions, lookups) in order."""
        return [line.text for line in self.record(call_id)[1] if line.kind == "event"]

    def record(self, call_id: str) -> tuple[CallRow | None, list[Line]]:
        reader = CallLogReader(self.config.calllog_path)
        return reader.get(call_id), reader.transcript(call_id)

    def spoken(self, call_id: str) -> list[str]:
        """What the IVR said, line by line (the transcript's `say` lines)."""
        return [line.text for line in self.record(call_id)[1] if line.kind == "say"]
