"""app_queue's members without Asterisk, for the desk's fast tests: a fake AMI client whose
QueueAdd/Remove/Pause change the members QueueStatus lists, and the web app built on it."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from typing import Any

from ivr.ami.wire import AmiMessage
from ivr.config import Config
from ivr.errors import AmiActionError, AmiError
from ivr.web.app import build_app
from ivr.web.screenpop import ScreenPop


class FakeQueue:
    """app_queue's members as AMI sees them: QueueAdd/Remove/Pause change them, QueueStatus
    lists them; every action sent is kept."""

    connected = True

    def __init__(self) -> None:
        self.members: dict[str, dict[str, str]] = {}
        self.sent: list[tuple[str, dict[str, str]]] = []
        self.down = False
        self.listeners: list[tuple[str, Any]] = []

    def on_event(self, pattern: str, callback: Any) -> None:
        self.listeners.append((pattern, callback))

    def on_connect(self, callback: Any) -> None:
        pass

    def emit(self, event: Mapping[str, str]) -> None:
        """An event from Asterisk, to every listener of its name."""
        for pattern, callback in self.listeners:
            if pattern == event.get("Event"):
                callback(event)

    async def action(self, name: str, /, **fields: str) -> AmiMessage:
        if self.down:
            raise AmiError("connection refused")
        self.sent.append((name, fields))
        where = fields.get("Interface", "")
        if name == "QueueAdd":
            self.members[where] = {
                "Event": "QueueMember",
                "Queue": fields["Queue"],
                "Location": where,
                "MemberName": fields["MemberName"],
                "Paused": "0",
                "Status": "1",
            }
        elif where not in self.members:
            raise AmiActionError(f"{name}: Interface not found")
        elif name == "QueueRemove":
            del self.members[where]
        elif name == "QueuePause":
            paused = fields["Paused"] == "true"
            self.members[where] |= {
                "Paused": "1" if paused else "0",
                "PausedReason": fields.get("Reason", ""),
                "LastPause": str(int(time.time()) - 30),
            }
        return {"Response": "Success"}

    async def action_list(self, name: str, /, **fields: str) -> list[AmiMessage]:
        if self.down:
            raise AmiError("connection refused")
        return list(self.members.values())

    def session(self) -> contextlib.nullcontext[FakeQueue]:
        return contextlib.nullcontext(self)


def app_for(config: Config, fake: FakeQueue, pop: ScreenPop | None = None) -> Any:
    pop = pop or ScreenPop(config.calllog_path, config.mirror_path)
    return build_app(config, pop=pop, ami=fake, desk_ami=fake.session)  # type: ignore[arg-type]
