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

With ``[database] url`` the call log's stores (calls, transcripts, lookups, queue stays,
recordings, ratings, dispositions, the queue log, callbacks) are PostgreSQL's instead:
``PG_SCHEMAS`` are their tables there, the controller's CallDb runs them over its one
pool (ivr.wiring), and every reader reaches them through :func:`opened`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ivr import calllog, dispositions, guard, ppiulog, ratings, storeplace
from ivr.calllog import CallLog
from ivr.campaigns import store as campaigns
from ivr.campaigns.store import Campaigns
from ivr.config import Config
from ivr.corrections import cases
from ivr.corrections.cases import Cases
from ivr.ppiulog import PpiuLog
from ivr.queue import callbacks, queuelog, recordings, records
from ivr.queue.callbacks import Callbacks
from ivr.queue.recordings import Recordings
from ivr.queue.records import QueueRecords
from ivr.ratings import Ratings
from ivr.store import Sql, SqliteSql, open_store

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
# The same stores' tables in PostgreSQL.
PG_SCHEMAS = (
    calllog.PG_SCHEMA,
    records.PG_SCHEMA,
    callbacks.PG_SCHEMA,
    guard.PG_SCHEMA,
    ppiulog.PG_SCHEMA,
    cases.PG_SCHEMA,
    campaigns.PG_SCHEMA,
    ratings.PG_SCHEMA,
    queuelog.PG_SCHEMA,
    recordings.PG_SCHEMA,
    dispositions.PG_SCHEMA,
)


def open_calldb(path: Path, *, threads: bool = True) -> sqlite3.Connection:
    """calls.sqlite with every table created (WAL: the controller writes while the web
    app and the CLI read)."""
    return open_store(path, *SCHEMAS, wal=True, threads=threads)


@contextmanager
def opened(config: Config) -> Iterator[Sql]:
    """The call log's stores for one block (a page, a command, the purge, a scrape):
    calls.sqlite with every table created, or with ``[database] url`` PostgreSQL over one
    connection (ivr.storeplace)."""
    with storeplace.opened(config.database, config.calllog_path, SCHEMAS, wal=True) as sql:
        yield sql


@dataclass(frozen=True)
class CallDb:
    """The controller's call-log stores: on calls.sqlite's one connection, or with
    ``[database] url`` on the controller's PostgreSQL pool (``sql``)."""

    sql: Sql  # the call log's stores (PG_SCHEMAS' tables)
    db: sqlite3.Connection  # calls.sqlite (with a URL: only what a store file still needs)
    calls: CallLog
    stays: QueueRecords
    callbacks: Callbacks
    ppiu: PpiuLog  # umrah agency licences asked about
    corrections: Cases
    campaigns: Campaigns
    ratings: Ratings  # satisfaction after an agent (or the IVR) served the call
    recordings: Recordings  # agent-call recordings (ivr.queue.recorder writes them)

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        clock: Callable[[], float] = time.time,
        shared: Sql | None = None,
        node: str = "",
    ) -> CallDb:
        """calls.sqlite at ``path``; ``shared``: the controller's PostgreSQL pool (its
        tables migrated: ivr.wiring), closed with the rest at the controller's stop;
        ``node``: this controller's name, on every call it logs."""
        db = open_calldb(path)
        sql: Sql = SqliteSql(db) if shared is None else shared

        def close() -> None:
            db.close()
            if shared is not None:
                from ivr import pgstore  # psycopg only where PostgreSQL is configured

                pgstore.close(shared)

        return cls(
            sql,
            db,
            CallLog.over(sql, clock, close, node),
            QueueRecords(sql, node),
            Callbacks(sql),
            PpiuLog(sql, clock),
            Cases(sql),
            Campaigns(sql),
            Ratings(sql, clock),
            Recordings(sql),
        )

    def close(self) -> None:
        self.calls.close()
