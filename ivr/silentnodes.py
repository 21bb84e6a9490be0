"""A node that fell silent (``[database] url``): its heartbeat stopped, so its server, or
its Asterisk and controller, are gone. Its calls would stay "in progress" in the shared
call log, and its callers "waiting" in a queue, until it starts again (its own resync
closes them), and the dashboard's calls in the IVR and callers waiting would count them
meanwhile: every other controller closes them once the node has been silent for
``[cluster] silent_after`` seconds (a minute by default).

A call closed so is ``failed`` with reason ``node_silent``, ending at its last transcript
line; a waiting stay is ``unknown``. A node that was only slow (a minute without a
heartbeat, its calls going on) writes each call's real ending when it ends.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ivr.calllog import CallLog
from ivr.errors import SetupError
from ivr.heartbeats import Heartbeats, Node
from ivr.outcomes import Reason
from ivr.queue.records import QueueRecords

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Closed:
    node: str
    calls: int
    stays: int


def close(
    heartbeats: Heartbeats,
    calllog: CallLog,
    records: QueueRecords,
    me: str,
    now: float,
    after: float,
) -> list[Closed]:
    """What every node silent for over ``after`` seconds (by PostgreSQL's clock) left
    open, closed; ``me`` (this node) never. Nodes with nothing left open are not listed."""
    closed = []
    for node in heartbeats.nodes():
        name = node.beat.name
        if name == me or node.age <= after:
            continue
        calls, stays = _close_open(calllog, records, name, now)
        if calls or stays:
            log.warning(
                "node %s silent for %.0f s: its %d calls and %d queue stays closed",
                name, node.age, calls, stays,
            )  # fmt: skip
            closed.append(Closed(name, calls, stays))
    return closed


def forget(
    heartbeats: Heartbeats,
    calllog: CallLog,
    records: QueueRecords,
    name: str,
    now: float,
    after: float,
) -> tuple[Node, Closed]:
    """A node gone for good (`hajj-ivr nodes forget`): what it left open closed, its
    heartbeat removed. SetupError for a name that never beat, or a node heard within
    ``after`` seconds (it would beat again: stop it first)."""
    found = {node.beat.name: node for node in heartbeats.nodes()}
    node = found.get(name)
    if node is None:
        known = ", ".join(found) or "none"
        raise SetupError(f"no node {name!r} in the heartbeats (known: {known})")
    if node.age <= after:
        raise SetupError(
            f"node {name} beat {node.age:.0f} s ago: stop it first (a running node beats "
            f"again), then forget it once it is silent for {after:.0f} s"
        )
    calls, stays = _close_open(calllog, records, name, now)
    heartbeats.forget(name)
    return node, Closed(name, calls, stays)


def _close_open(calllog: CallLog, records: QueueRecords, name: str, now: float) -> tuple[int, int]:
    """The node's calls still in progress (failed, node_silent) and its stays still waiting
    (unknown) closed; how many of each."""
    _, calls = calllog.reconcile(now, (), name, Reason.NODE_SILENT)
    return calls, records.resync(now, (), now, name)
