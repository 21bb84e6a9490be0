"""Agent-call recordings in the call log: one row per agent leg MixMonitor recorded, and
one row each time someone played one.

The dialplan's [hajj-record] starts MixMonitor on the agent's channel once the agent
answers (Queue's member gosub) and says so with a HajjRecording UserEvent; the controller
(ivr.queue.recorder) writes the row. A transfer up a tier re-queues the same call, so the
new agent's leg is a second row of the same ``call_id``. The files live in
``config.call_recordings_dir`` (Asterisk's folder, 0600); the web serves them only through
a guarded route (ivr.web.recording_pages), never as static files.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from ivr.agents.store import OVERSEERS
from ivr.store import Schema

_V1 = """
CREATE TABLE IF NOT EXISTS recordings (
    id INTEGER PRIMARY KEY,
    call_id TEXT NOT NULL,            -- the call (calls.id, queue_calls.call_id)
    stay_id INTEGER,                  -- the queue stay the agent answered (queue_calls.id)
    queue TEXT NOT NULL DEFAULT '',
    agent TEXT NOT NULL DEFAULT '',   -- the agent's name (agents.name)
    file TEXT NOT NULL,               -- a bare name in call_recordings_dir
    started_at REAL NOT NULL,
    duration REAL                     -- seconds talked (AgentComplete); NULL while on
);
CREATE INDEX IF NOT EXISTS recordings_call ON recordings(call_id);
CREATE INDEX IF NOT EXISTS recordings_started ON recordings(started_at);
-- Every playback: who heard which recording, when (admins see the list).
CREATE TABLE IF NOT EXISTS recording_plays (
    id INTEGER PRIMARY KEY,
    recording_id INTEGER NOT NULL,
    at REAL NOT NULL,
    who TEXT NOT NULL,
    role TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS recording_plays_at ON recording_plays(at);
"""
SCHEMA = Schema("recordings", (_V1,))

# What the dialplan names a file: the call's uniqueid, the agent leg's uniqueid, .wav. A
# uniqueid is digits and dots, or what an Originate's ChannelId gave (the test rig's
# "hajj-test-..."): letters, digits, dots, dashes. A name with anything else (a slash) is
# not ours and is never joined to a path.
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.wav$")

# Who may hear any recording; an agent hears only the calls they answered.


def may_hear(role: str, user: str, agent: str) -> bool:
    """The access rule: admins and supervisors hear every recording, an agent the calls
    they answered, everyone else (another agent, a unit login) none."""
    if role in OVERSEERS:
        return True
    return role == "agent" and bool(user) and user == agent


@dataclass(frozen=True)
class Recording:
    id: int
    call_id: str
    stay_id: int | None
    queue: str
    agent: str
    file: str
    started_at: float
    duration: float | None


@dataclass(frozen=True)
class Play:
    id: int
    recording_id: int
    at: float
    who: str
    role: str


_COLUMNS = "id, call_id, stay_id, queue, agent, file, started_at, duration"


class Recordings:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def started(self, call_id: str, queue: str, agent: str, file: str, at: float) -> int | None:
        """An agent leg's recording began; linked to the call's latest queue stay. None
        (nothing written) when ``file`` is not a name the dialplan makes."""
        if not FILE_NAME.match(file):
            return None
        stay = self.db.execute(
            "SELECT id FROM queue_calls WHERE call_id = ? ORDER BY id DESC LIMIT 1", (call_id,)
        ).fetchone()
        cur = self.db.execute(
            "INSERT INTO recordings (call_id, stay_id, queue, agent, file, started_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (call_id, stay[0] if stay else None, queue, agent, file, at),
        )
        return int(cur.lastrowid or 0)

    def ended(self, call_id: str, agent: str, duration: float) -> None:
        """The agent's leg of the call ended after ``duration`` seconds of talk."""
        self.db.execute(
            "UPDATE recordings SET duration = ? WHERE id = (SELECT id FROM recordings "
            "WHERE call_id = ? AND agent = ? AND duration IS NULL ORDER BY id DESC LIMIT 1)",
            (duration, call_id, agent),
        )

    def closed(self, file: str, duration: float) -> int | None:
        """The agent's leg hung up ``duration`` seconds after the recording began: its
        length when AgentComplete did not give it (it does not always come after a blind
        transfer up a tier). The queue stay the leg answered, if known."""
        self.db.execute(
            "UPDATE recordings SET duration = ? WHERE file = ? AND duration IS NULL",
            (duration, file),
        )
        row = self.db.execute("SELECT stay_id FROM recordings WHERE file = ?", (file,)).fetchone()
        return None if row is None else row[0]

    def get(self, recording_id: int) -> Recording | None:
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM recordings WHERE id = ?", (recording_id,)
        ).fetchone()
        return Recording(*row) if row else None

    def for_call(self, call_id: str) -> list[Recording]:
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM recordings WHERE call_id = ? ORDER BY id", (call_id,)
        ).fetchall()
        return [Recording(*row) for row in rows]

    def played(self, recording_id: int, who: str, role: str, at: float | None = None) -> None:
        self.db.execute(
            "INSERT INTO recording_plays (recording_id, at, who, role) VALUES (?, ?, ?, ?)",
            (recording_id, time.time() if at is None else at, who, role),
        )

    def plays(self, call_id: str = "", limit: int = 100) -> list[Play]:
        """Playbacks, newest first (of one call's recordings with ``call_id``)."""
        where, args = "", tuple[object, ...]()
        if call_id:
            where = "WHERE recording_id IN (SELECT id FROM recordings WHERE call_id = ?)"
            args = (call_id,)
        rows = self.db.execute(
            f"SELECT id, recording_id, at, who, role FROM recording_plays {where} "
            "ORDER BY id DESC LIMIT ?",
            (*args, limit),
        ).fetchall()
        return [Play(*row) for row in rows]

    def older_than(self, before: float) -> list[Recording]:
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM recordings WHERE started_at < ?", (before,)
        ).fetchall()
        return [Recording(*row) for row in rows]

    def file_names(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT file FROM recordings")}

    def forget(self, recording_id: int) -> None:
        """The row and its playback log go (the file went first: ivr.retention)."""
        self.db.execute("DELETE FROM recording_plays WHERE recording_id = ?", (recording_id,))
        self.db.execute("DELETE FROM recordings WHERE id = ?", (recording_id,))


def disk_use(folder: Path) -> int:
    """Bytes the recordings take (files directly in ``folder``; 0 when it is missing)."""
    if not folder.is_dir():
        return 0
    with os.scandir(folder) as entries:  # one stat per file, from the directory read
        return sum(e.stat(follow_symlinks=False).st_size for e in entries if e.is_file())
