"""The hotline without Asterisk: the real controller, flows and stores on a private state
dir (the sample mirror imported), a scripted line per call, the dialplan modelled
(dialplan_model.py), simulated time (ivr/agi/scripted.py). A call that takes a minute on
the real rig takes milliseconds here.

FastHotline reads like the real rig's Hotline (call, calls, place_all, spoken, notes,
record) and returns the same CallResult, so scenario tables and their checks serve both
tiers. Calls placed together run side by side in simulated time (tests/rig/together.py),
as the real rig places them at the same moment; the config is the real rig's
(tests/rig/hotline.py write_config), so prompts, timeouts and keys are timed alike. The
controller's complaint writer (a task in `hajj-ivr serve`) applies a call's spooled
writes as the call ends.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr import config as config_mod
from ivr import wiring
from ivr.admin import reloads
from ivr.agi.scripted import Caller, ScriptedLine, SoundLengths, VirtualClock
from ivr.config import Config
from ivr.controller import Controller
from ivr.data import sample
from ivr.data.importer import import_export
from ivr.queue.tracker import QueueTracker
from ivr.testcall import CallResult, TestCall
from tests.rig.dialplan_model import DialplanModel
from tests.rig.hotline import CallLogReading, Scenario, Until, write_config
from tests.rig.sounds import own_sounds, shared_sounds
from tests.rig.together import Pace, together


@dataclass
class FastHotline(CallLogReading):
    config: Config
    controller: Controller
    clock: VirtualClock
    lengths: SoundLengths
    dialplan: DialplanModel
    preset: dict[str, str] = field(default_factory=dict)  # variables the next calls carry

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
        sample.write_sample(state_dir / "sample")
        import_export(state_dir / "sample", config.mirror_path, imported_by="tests")
        reloads.office_prompts(config, build_them=False)  # built with the shared sounds
        shared = shared_sounds(config.prompts, overlay=config.overrides_dir)
        own = own_sounds(config.prompts, state_dir / "edited-sounds", config.overrides_dir)
        lengths = SoundLengths(shared, first=own)
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
        spec = TestCall(number or self.config.ivr.hotline, dtmf, **kwargs)
        return self._at_once([(spec, None)])[0]

    def call_with(self, variables: Mapping[str, str], dtmf: str, **kwargs: Any) -> CallResult:
        """A call whose channel carries ``variables`` from the start, as an AMI Originate
        sets them (a schedule-change call: HAJJ_ROUTE=campaign, HAJJ_CAMPAIGN_CALL)."""
        self.preset = dict(variables)
        try:
            return self.call(dtmf, **kwargs)
        finally:
            self.preset = {}

    def calls(self, scenarios: Mapping[str, Scenario]) -> dict[str, CallResult]:
        """Each scenario's call, all at the same moment; results by name. A scenario's
        ``until`` hangs up once the IVR has said what the test waits for."""
        specs = [(s.test_call(self.config.ivr.hotline), s.until) for s in scenarios.values()]
        return dict(zip(scenarios, self._at_once(specs), strict=True))

    def place_all(self, specs: list[TestCall]) -> list[CallResult]:
        """These calls at the same moment; results in the same order."""
        return self._at_once([(spec, None) for spec in specs])

    def _at_once(self, specs: list[tuple[TestCall, Until | None]]) -> list[CallResult]:
        return asyncio.run(self._together(specs))

    async def _together(self, specs: list[tuple[TestCall, Until | None]]) -> list[CallResult]:
        """The calls answered now, side by side; the hotline's clock follows the turns."""
        answered = self.clock.elapsed

        def placed(spec: TestCall, until: Until | None) -> Callable[[Pace], Any]:
            async def run(pace: Pace) -> CallResult:
                async def turn(moment: float) -> None:
                    await pace(moment)
                    self.clock.advance(max(answered + moment - self.clock.elapsed, 0.0))

                return await self._one(spec, until, turn)

            return run

        return await together([placed(spec, until) for spec, until in specs])

    async def _one(self, spec: TestCall, until: Until | None, pace: Pace) -> CallResult:
        call_id = f"hajj-test-{uuid.uuid4().hex[:16]}"
        caller = Caller.from_test_call(spec, self.lengths)
        own = VirtualClock(self.clock())  # the line's time since answer: its own
        line = ScriptedLine(call_id, caller, own, self.lengths, self._stop(call_id, until))
        for name, value in self.preset.items():
            line.set_variable(name, value)
        await self.dialplan.arun(line, spec.number, spec.end_on, pace, spec.context)
        await self.controller.services.complaints.writer.flush()
        return CallResult(call_id, line.hung_up_by != "test", list(line.events))

    def _stop(self, call_id: str, until: Until | None) -> Callable[[], bool]:
        if until is None:
            return lambda: False
        return lambda: until(self._said(call_id))

    def _said(self, call_id: str) -> list[str]:
        """The say lines so far, on the controller's own connection (it sees its writes)."""
        rows = self.controller.services.calllog.sql.all(
            "SELECT text FROM transcript WHERE call_id = ? AND kind = 'say' ORDER BY seq",
            (call_id,),
        )
        return [text for (text,) in rows]
