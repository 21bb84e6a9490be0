"""Retention: personal data goes when its period in ``[retention]`` ends.

What goes, and what stays (docs/decisions.md, "Retention", says why):

- the call log (``calls_days``): call rows, their transcripts, queue stays, ratings and
  after-call dispositions;
- porsi lookups (``lookups_days``);
- callback requests done or given up (``callbacks_days``); open ones wait for their call;
- complaints closed longer than ``closed_complaints_days``: the caller's recording, the
  officer's recorded reply, the caller's number and porsi; the ticket keeps its category,
  dates, state, tier and history (a history line says what was removed); open tickets are
  never touched. Files in the recordings folder no ticket names go after the same period;
- correction cases resolved longer than ``closed_complaints_days``: the porsi, the
  confirmed number and the message (unit, field, dates and state stay, for the report);
- a finished campaign's calls (``campaigns_days``): the pilgrims' numbers and outcomes;
  schedule-call opt-outs after two years (``ivr.campaigns.store.OPTOUT_DAYS``);
- whatever is left in the uploads folder after ``uploads_days`` (a crashed import's files);
- agent-call recordings (``recordings_days``, counted from when the agent answered): the
  file, its row and who played it; files in that folder no row names go after the same
  period (a row never written: the controller was down).

The controller purges at start and then once a day (in a thread, in small batches, so calls
never wait on the call log); `hajj-ivr retention purge [--dry-run]` does it at once. Only
counts are printed and logged, never what was deleted.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ivr import calldb, calllog, dispositions, ratings
from ivr.campaigns import store as campaigns
from ivr.complaints import tickets as tickets_mod
from ivr.config import Config
from ivr.corrections.cases import Cases
from ivr.prompts import formats
from ivr.queue import callbacks, queuelog, records
from ivr.queue.recordings import Recordings

log = logging.getLogger(__name__)
DAY = 86400.0


@dataclass(frozen=True)
class Count:
    what: str
    key: str  # the [retention] key that rules it
    days: int
    count: int | None  # None: kept (days = 0)

    def __str__(self) -> str:
        if self.count is None:
            return f"{self.what}: kept (retention.{self.key} = 0)"
        return f"{self.what}: {self.count} (period {self.days} day{'s' * (self.days != 1)})"


@dataclass(frozen=True)
class Report:
    counts: tuple[Count, ...]
    dry_run: bool

    def lines(self) -> list[str]:
        head = "retention purge, dry run: nothing deleted" if self.dry_run else "retention purge"
        return [head, *(f"  {c}" for c in self.counts)]

    def summary(self) -> str:
        return ", ".join(f"{c.what} {c.count}" for c in self.counts if c.count is not None)

    def count(self, what: str) -> int | None:
        return next(c.count for c in self.counts if c.what == what)


def purge(config: Config, now: float | None = None, dry_run: bool = False) -> Report:
    """Delete (or with ``dry_run`` count) what is past its period at ``now``."""
    now = time.time() if now is None else now
    r = config.retention
    counts = _call_log(config, now, dry_run)
    counts += _corrections(config, now, dry_run)
    counts += _complaints(config, now, dry_run)
    counts += _recordings(config, now, dry_run)
    uploads = _old_entries(config.uploads_dir, _before(now, r.uploads_days))
    counts.append(_count("upload leftovers", "uploads_days", r.uploads_days, uploads, dry_run))
    return Report(tuple(counts), dry_run)


def _before(now: float, days: int) -> float | None:
    return now - days * DAY if days else None


def _call_log(config: Config, now: float, dry_run: bool) -> list[Count]:
    r = config.retention
    calls_before = _before(now, r.calls_days)
    lookups_before = _before(now, r.lookups_days)
    callbacks_before = _before(now, r.callbacks_days)
    with calldb.opened(config) as sql:  # calls.sqlite, or PostgreSQL with [database] url
        calls = lines = stays = rated = noted = entries = lookups = finished = None
        if calls_before is not None:
            rated = ratings.purge_ratings(sql, calls_before, dry_run)  # while calls name them
            noted = dispositions.purge_dispositions(sql, calls_before, dry_run)
            calls, lines = calllog.purge_calls(sql, calls_before, dry_run)
            stays = records.purge_stays(sql, calls_before, dry_run)
            entries = queuelog.purge_entries(sql, calls_before, dry_run)
        if lookups_before is not None:
            lookups = calllog.purge_lookups(sql, lookups_before, dry_run)
        if callbacks_before is not None:
            finished = callbacks.Callbacks(sql).purge_finished(callbacks_before, dry_run)
    reached = _campaigns(config, now, dry_run)
    return [
        Count("calls", "calls_days", r.calls_days, calls),
        Count("transcript lines", "calls_days", r.calls_days, lines),
        Count("queue stays", "calls_days", r.calls_days, stays),
        Count("satisfaction ratings", "calls_days", r.calls_days, rated),
        Count("after-call dispositions", "calls_days", r.calls_days, noted),
        Count("queue log entries", "calls_days", r.calls_days, entries),
        Count("porsi lookups", "lookups_days", r.lookups_days, lookups),
        Count("finished callback requests", "callbacks_days", r.callbacks_days, finished),
        *reached,
    ]


def _campaigns(config: Config, now: float, dry: bool) -> list[Count]:
    days = config.retention.campaigns_days
    before = _before(now, days)
    with calldb.opened(config) as sql:  # every node's campaigns, with [database] url
        store = campaigns.Campaigns(sql)
        calls = None if before is None else store.purge_calls(before, dry)
        optouts = store.purge_optouts(now - campaigns.OPTOUT_DAYS * DAY, dry)
    return [
        Count("finished campaign calls", "campaigns_days", days, calls),
        Count("schedule-call opt-outs", "campaigns_days", campaigns.OPTOUT_DAYS, optouts),
    ]


def _complaints(config: Config, now: float, dry_run: bool) -> list[Count]:
    days = config.retention.closed_complaints_days
    before = _before(now, days)
    key = "closed_complaints_days"
    if before is None:
        return [Count("closed complaints emptied", key, days, None)]
    desk = tickets_mod.for_config(config, clock=lambda: now)
    folder = config.recordings_dir
    emptied = files = 0
    for ticket in desk.closed_with_personal_data(before):
        paths = [folder / Path(n).name for n in (ticket.recording, ticket.reply) if n]
        present = [path for path in paths if path.is_file()]
        codecs = [c for path in paths for c in formats.siblings(path) if c.is_file()]
        if not all(_remove(path, dry_run) for path in [*codecs, *present]):  # a reply's G.711
            continue  # its row keeps naming the files until they can go (tomorrow)
        if not dry_run:
            desk.forget(ticket, days)
        emptied, files = emptied + 1, files + len(present)
    orphans = _orphan_recordings(config, before, desk)
    return [
        Count("closed complaints emptied", key, days, emptied),
        Count("complaint recordings and replies", key, days, files),
        _count("recordings of no ticket", key, days, orphans, dry_run),
    ]


def _recordings(config: Config, now: float, dry_run: bool) -> list[Count]:
    days, key = config.retention.recordings_days, "recordings_days"
    before = _before(now, days)
    if before is None:
        return [Count("agent-call recordings", key, days, None)]
    folder, gone = config.call_recordings_dir, 0
    with calldb.opened(config) as sql:
        store = Recordings(sql)
        for old in store.older_than(before):
            if not _remove(folder / Path(old.file).name, dry_run):
                continue  # the row keeps naming it until it can go
            if not dry_run:
                store.forget(old.id)
            gone += 1
        named = store.file_names()
    orphans = [p for p in _old_entries(folder, before) if p.name not in named]
    return [
        Count("agent-call recordings", key, days, gone),
        _count("call recordings of no row", key, days, orphans, dry_run),
    ]


def _corrections(config: Config, now: float, dry_run: bool) -> list[Count]:
    days = config.retention.closed_complaints_days
    before, what = _before(now, days), "resolved correction cases emptied"
    if before is None:
        return [Count(what, "closed_complaints_days", days, None)]
    emptied = 0
    with calldb.opened(config) as sql:
        cases = Cases(sql)
        for case in cases.resolved_with_personal_data(before):
            message = config.recordings_dir / Path(case.recording).name
            if case.recording and message.is_file() and not _remove(message, dry_run):
                continue  # the row keeps naming it until it can go
            if not dry_run:
                cases.forget(case.number)
            emptied += 1
    return [Count(what, "closed_complaints_days", days, emptied)]


def _orphan_recordings(config: Config, before: float, desk: tickets_mod.Tickets) -> list[Path]:
    """Old files no ticket or correction case names: a recording whose ticket row was never
    written, a reply conversion's folder left by a crash."""
    with calldb.opened(config) as sql:
        named = desk.file_names() | Cases(sql).file_names()
    # A reply's .alaw/.ulaw go with its .wav, never before it.
    named |= {p.name for name in named for p in formats.siblings(Path(name))}
    return [p for p in _old_entries(config.recordings_dir, before) if p.name not in named]


def _old_entries(folder: Path, before: float | None) -> list[Path]:
    if before is None or not folder.is_dir():
        return []
    return [p for p in folder.iterdir() if p.lstat().st_mtime < before]


def _count(what: str, key: str, days: int, paths: list[Path], dry_run: bool) -> Count:
    if not days:
        return Count(what, key, days, None)
    return Count(what, key, days, sum(_remove(path, dry_run) for path in paths))


def _remove(path: Path, dry_run: bool) -> bool:
    """Delete a file or folder; False (logged, no content named) when it cannot go."""
    if dry_run:
        return True
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    except OSError as e:
        log.warning("retention: cannot delete %s (%s); next purge tries again", path, e.strerror)
        return False
    return True
