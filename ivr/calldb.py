"""The call log's database (calls.sqlite): every table in it, and the one way to open it.

The tables belong to their stores: calls, transcripts and lookups to the call log
(ivr.calllog), queue stays to ivr.queue.records, agent-call recordings to
ivr.queue.recordings, callback requests to ivr.queue.callbacks, failed tries counted across
calls to ivr.guard, umrah licences asked to ivr.ppiulog, data correction cases to
ivr.corrections.cases, satisfaction ratings to ivr.ratings, after-call dispositions to
ivr.dispositions, Asterisk's queue log to ivr.queue.queuelog.
This module only lists them, so the controller, the web app and the CLI open the file
alike: WAL, a busy wait, every table created. (It is not ivr.calllog's: queue.tracker
imports calllog, so an opener there that imported the queue's tables would tie the two
packages in a circle.)
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ivr import calllog, dispositions, guard, ppiulog, ratings
from ivr.calllog import CallLog
from ivr.campaigns import store as campaigns
from ivr.campaigns.store import Campaigns
from ivr.corrections import cases
from ivr.corrections.cases import Cases
from ivr.ppiulog import PpiuLog
from ivr.queue import callbacks, queuelog, recordings, records
from ivr.queue.callbacks import Callbacks
from ivr.queue.records import QueueRecords
from ivr.ratings import Ratings
from ivr.store import open_store

SCHEMAS = (
    calllog.SCHEMA,
    records.SCHEMA,
    callbacks.SCHEMA,
    guard.SCHEMA,
    ppiulog.SCHEMA,
    cases.SCHEMA,
    campaigns.SCHEMA,
    ratings.SCHEMA,
    queuelog.SCHEMA,
    recordings.SCHEMA,
    dispositions.SCHEMA,
)


def open_calldb(path: Path, *, threads: bool = True) -> sqlite3.Connection:
    """calls.sqlite with every table created (WAL: the controller writes while the web
    app and the CLI read)."""
    return open_store(path, *SCHEMAS, wal=True, threads=threads)


@dataclass(frozen=True)
class CallDb:
    """The stores of calls.sqlite on one connection (the controller's)."""

    db: sqlite3.Connection
    calls: CallLog
    stays: QueueRecords
    callbacks: Callbacks
    ppiu: PpiuLog  # umrah agency licences asked about
    corrections: Cases
    campaigns: Campaigns
    ratings: Ratings  # satisfaction after an agent (or the IVR) served the call

    @classmethod
    def open(cls, path: Path, *, clock: Callable[[], float] = time.time) -> CallDb:
        db = open_calldb(path)
        return cls(
            db,
            CallLog.over(db, clock),
            QueueRecords(db),
            Callbacks(db),
            PpiuLog(db, clock),
            Cases(db),
            Campaigns(db),
            Ratings(db, clock),
        )

    def close(self) -> None:
        self.db.close()
