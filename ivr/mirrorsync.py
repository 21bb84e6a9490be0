"""The data mirror across nodes (``[database] url``): an import on one node publishes the
new file to PostgreSQL (ivr.data.published), and every controller swaps it in.

A controller LISTENs on the publish channel. At its start, at every NOTIFY and every
``every`` seconds (a NOTIFY is lost while the link is down) it compares the sha256 of the
file it serves with the newest published; when they differ it fetches that file into a
``*.new`` file beside the live one under the import lock (ivr.data.guard), checks the
checksum and that it opens as a mirror, and swaps it in as a local import does
(``os.replace``: the Mirror reopens at its next lookup). A file that fails the checksum is
refused and remembered: the live mirror keeps serving, and the error is logged once.

The controller also beats: its row in ivr.heartbeats every :data:`heartbeats.EVERY`
seconds, with the mirror it serves, for the dashboard's nodes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivr import heartbeats, tasks
from ivr.config import Config
from ivr.data import guard, published
from ivr.data.importer import swap
from ivr.data.mirror import Mirror
from ivr.data.published import Published
from ivr.errors import DataError, HajjIvrError
from ivr.store import Sql

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Served:
    """The mirror file a node serves: its sha256 and as-of date ("" when none)."""

    sha256: str = ""
    as_of: str = ""


class LocalMirror:
    """The live mirror's sha256 and as-of date, computed once per file (a file of hundreds
    of MB takes a second to hash: not at every heartbeat)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._known: tuple[tuple[int, ...], Served] | None = None

    def served(self) -> Served:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return Served()
        identity = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
        known = self._known
        if known is not None and known[0] == identity:
            return known[1]
        with self.path.open("rb") as f:
            sha = published.sha256_of(f)
        try:
            with Mirror(self.path) as mirror:
                as_of = mirror.as_of.isoformat()
        except DataError:
            as_of = ""
        self._known = (identity, Served(sha, as_of))
        return self._known[1]


def publish_live(config: Config, who: str) -> Published | None:
    """Publish the live mirror to the other nodes again (`hajj-ivr data publish`); None
    without a ``[database] url``. Under the import lock: the file and its as-of date are
    one, and no fetch swaps another file in meanwhile."""
    if not config.database.postgres:
        return None
    with guard.exclusive(config.mirror_path):
        return _publish(config, who)


class Publish:
    """An import's ``then`` (ivr.data.importer): the new mirror published while the import
    still holds its lock; otherwise this node's controller, finding its file unlike the
    published one, would swap the old one back before the publish. A failure is kept, not
    raised: the import here stands, and the caller says what to do."""

    def __init__(self, config: Config, who: str) -> None:
        self.config, self.who = config, who
        self.done: Published | None = None
        self.error = ""

    def __call__(self) -> None:
        if not self.config.database.postgres:
            return
        try:
            self.done = _publish(self.config, self.who)
        except HajjIvrError as e:
            self.error = f"{e}"

    def outcome(self) -> str:
        """What became of the publish, in words ("" without a ``[database] url``)."""
        if self.error:
            return (
                f"imported here, NOT published to the other nodes ({self.error}); this node "
                "goes back to the published mirror within seconds: run `hajj-ivr data publish`"
            )
        return f"{self.done.summary()}: every node takes it within seconds" if self.done else ""


def _publish(config: Config, who: str) -> Published:
    from ivr import pgstore  # psycopg only where PostgreSQL is configured

    live = config.mirror_path
    with Mirror(live) as mirror:
        as_of = mirror.as_of
    with live.open("rb") as file, pgstore.connect(config.database) as conn:
        done = published.publish(
            conn, file, as_of=as_of, who=who, node=socket.gethostname(), now=time.time()
        )
    log.info("data mirror %s", done.summary())
    return done


class MirrorSync:
    """One controller's side: take the newest published mirror when it is not the one
    served here."""

    def __init__(self, config: Config, local: LocalMirror | None = None) -> None:
        self.config = config
        self.local = local or LocalMirror(config.mirror_path)
        self._refused: int | None = None  # the published id whose checksum failed

    def check(self) -> str:
        """Fetch and swap in the newest published mirror if it differs; what was done."""
        from ivr import pgstore

        with pgstore.connect(self.config.database) as conn:
            newest = published.latest(conn)
            if newest is None:
                return "nothing published yet"
            if newest.sha256 == self.local.served().sha256:
                return f"serving the current mirror (#{newest.id})"
            if newest.id == self._refused:
                return f"published mirror #{newest.id} was refused; the live mirror stays"
            if not self._take(conn, newest):
                return "an import is running here: the next check"
        return f"took {newest.summary()}"

    def _take(self, conn: Any, newest: Published) -> bool:
        """Fetch, check and swap in ``newest``; False when an import here holds the lock
        (it publishes its own file before it lets go: the next check sees it)."""
        live = self.config.mirror_path
        with contextlib.ExitStack() as held:
            try:
                held.enter_context(guard.exclusive(live))
            except DataError:
                return False
            fd, tmp = tempfile.mkstemp(dir=live.parent, prefix=f"{live.name}.", suffix=".new")
            new = Path(tmp)
            try:
                with os.fdopen(fd, "wb") as file:
                    got = published.fetch(conn, newest, file)
                self._verify(new, newest, got)
                swap(new, live)
            finally:
                new.unlink(missing_ok=True)  # a no-op after the swap
        log.info("data mirror: took %s", newest.summary())
        return True

    def _verify(self, new: Path, newest: Published, got: str) -> None:
        """The fetched file is the one published (its sha256) and a mirror this release
        reads; else DataError, and that publish is not fetched again."""
        try:
            if got != newest.sha256:
                raise DataError(
                    f"checksum mismatch (fetched {got[:12]}…, published {newest.sha256[:12]}…)"
                )
            with Mirror(new) as mirror:
                mirror.info  # noqa: B018 (opens it: a mirror of a schema we read)
        except DataError as e:
            self._refused = newest.id
            raise DataError(
                f"published mirror #{newest.id}: {e}: refused, the live mirror stays; "
                "import the export again on one node"
            ) from None

    async def run(self, every: float) -> None:
        """LISTEN and check (at start, at each NOTIFY, every ``every`` seconds), until
        cancelled; a lost link is opened again."""
        import psycopg

        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.config.database.url, autocommit=True, connect_timeout=10
                ) as conn:
                    await conn.execute(f"LISTEN {published.CHANNEL}")
                    while True:
                        await self._check(conn)
                        async for _ in conn.notifies(timeout=every, stop_after=1):
                            pass
            except psycopg.Error as e:
                log.warning("data mirror: PostgreSQL link lost (%s); again", type(e).__name__)
                await asyncio.sleep(every)

    async def _check(self, conn: Any) -> None:
        """The newest checksum over the listening connection (no new connection every few
        seconds); only when it differs from the file served, :meth:`check` in a thread."""
        try:
            newest = await (await conn.execute(published.NEWEST)).fetchone()
            if newest is None or newest[0] == self._refused:
                return
            if newest[1] == (await asyncio.to_thread(self.local.served)).sha256:
                return
            log.info("data mirror: %s", await asyncio.to_thread(self.check))
        except (HajjIvrError, OSError) as e:
            log.error("data mirror: %s", e)


@dataclass(frozen=True)
class Heartbeat:
    """One controller's heartbeat: its row, with the mirror it serves, upserted."""

    store: heartbeats.Heartbeats
    config: Config
    local: LocalMirror
    node: str
    role: str
    calls: Callable[[], int]  # calls in progress now
    started: float

    def __call__(self) -> None:
        served, c = self.local.served(), self.config
        sip = f"{c.asterisk.sip_bind}:{c.asterisk.sip_port}"
        agi = f"{c.agi.host}:{c.agi.port}"
        beat = heartbeats.Beat(
            self.node, self.role, sip, agi, self.calls(), served.sha256, served.as_of, self.started
        )
        self.store.beat(beat)


def jobs(
    config: Config,
    sql: Sql,
    node: str,
    role: str,
    calls: Callable[[], int],
    *,
    every: float = heartbeats.EVERY,
) -> Iterator[Coroutine[Any, Any, None]]:
    """The controller's mirror sync and heartbeat (with ``[database] url`` only)."""
    local = LocalMirror(config.mirror_path)
    beat = Heartbeat(heartbeats.Heartbeats(sql), config, local, node, role, calls, time.time())
    yield MirrorSync(config, local).run(every)
    yield tasks.every(every, beat, "node heartbeat")
