"""After-call work for browser-phone agents: when a call on a console phone ends
(app_queue's AgentComplete for a member on a ``PJSIP/webrtc-`` interface), the agent is
paused with reason ``pascapanggilan`` (ivr/agents/pauses.py) at once, server-side, so the
queue cannot ring them before they have written the disposition; the console's Siap
button unpauses. The agent report counts that pause time as ACW.

Desk-phone agents keep today's behaviour (they pause with *44 if they want): their
console may not even be open, and a pause nobody sees on a screen would strand them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from ivr.agents import pauses
from ivr.agents.store import web_endpoint_of
from ivr.errors import HajjIvrError
from ivr.web.agent_state import DeskAmi

log = logging.getLogger(__name__)
BROWSER = "PJSIP/" + web_endpoint_of("")  # every browser phone's interface starts so


class AfterCall:
    """Feed it AgentComplete events (the web's AMI connection); it pauses as the desk."""

    def __init__(self, desk: DeskAmi) -> None:
        self.desk = desk
        self._tasks: set[asyncio.Task[None]] = set()

    def on_event(self, event: Mapping[str, str]) -> None:
        if event.get("Event") != "AgentComplete":
            return
        interface = event.get("Interface", "")
        if not interface.startswith(BROWSER):
            return
        task = asyncio.get_running_loop().create_task(
            self.pause(event.get("Queue", ""), interface, event.get("MemberName", ""))
        )
        self._tasks.add(task)  # held until done: the loop keeps only weak references
        task.add_done_callback(self._tasks.discard)

    async def pause(self, queue: str, interface: str, who: str) -> None:
        fields = pauses.queue_pause(interface, True, pauses.AFTER_CALL.word)
        try:
            async with self.desk() as ami:
                await ami.action("QueuePause", Queue=queue, **fields)
        except HajjIvrError as e:  # logged out meanwhile, or Asterisk away
            log.warning("after-call pause of %s not done: %s", who, e)
            return
        log.info("%s paused (%s) after a browser-phone call", who, pauses.AFTER_CALL.word)

    async def drain(self) -> None:
        """Wait for pauses under way (the app's shutdown, tests)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
