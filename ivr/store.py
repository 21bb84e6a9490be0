"""The hotline's own SQLite stores: one way to open them, with their tables brought to this
release's version, and one way to purge them.

Each store owns a :class:`Schema`: its tables as numbered steps. A database file built by
an older release is brought forward when it is opened (every start, and `hajj-ivr db
migrate`): the steps it has not had yet run, each in its own transaction, and
``schema_versions`` records how far each store's tables are. A table changes by a new
step at the end, never by editing an old one (tests/test_store_versions.py opens the
previous release's stores and compares them with fresh ones). A step is a SQL script that
can run twice (CREATE ... IF NOT EXISTS: two processes starting together may both run it)
or a function that checks before it changes anything.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ivr.errors import SetupError

Step = str | Callable[[sqlite3.Connection], None]
VERSIONS = """CREATE TABLE IF NOT EXISTS schema_versions (
    part TEXT PRIMARY KEY,
    version INTEGER NOT NULL
)"""


@dataclass(frozen=True)
class Schema:
    """One store's tables in a database file; version N is its first N steps."""

    part: str  # the store's name in schema_versions
    steps: tuple[Step, ...]

    @property
    def version(self) -> int:
        return len(self.steps)

    @property
    def script(self) -> str:
        """The first step's SQL: the tables as the store was first released."""
        first = self.steps[0]
        assert isinstance(first, str)
        return first


def version_of(db: sqlite3.Connection, part: str) -> int:
    """How far a store's tables in this file are (0: never versioned, or new)."""
    db.execute(VERSIONS)
    row = db.execute("SELECT version FROM schema_versions WHERE part = ?", (part,)).fetchone()
    return int(row[0]) if row else 0


def migrate(db: sqlite3.Connection, schema: Schema, path: Path) -> tuple[int, int]:
    """Bring ``schema``'s tables in ``db`` to this release: (version before, after)."""
    before = version_of(db, schema.part)
    if before > schema.version:
        raise SetupError(
            f"{path}: the {schema.part} tables are at version {before}, newer than this "
            f"release knows ({schema.version}); upgrade hajj-ivr or restore a backup of "
            "this release"
        )
    for number in range(before, schema.version):
        _run(db, schema.part, number + 1, schema.steps[number])
    return before, schema.version


def _run(db: sqlite3.Connection, part: str, version: int, step: Step) -> None:
    record = (
        "INSERT INTO schema_versions (part, version) VALUES (?, ?) ON CONFLICT (part)"
        " DO UPDATE SET version = excluded.version WHERE version < excluded.version"
    )
    try:
        if isinstance(step, str):
            db.executescript(f"BEGIN IMMEDIATE;\n{step}\n;")  # a script commits what came before
        else:
            db.execute("BEGIN IMMEDIATE")
            step(db)
        db.execute(record, (part, version))
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def add_columns(table: str, columns: dict[str, str]) -> Callable[[sqlite3.Connection], None]:
    """A step adding columns (name -> declaration) a table does not have yet."""

    def step(db: sqlite3.Connection) -> None:
        have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        for name, declaration in columns.items():
            if name not in have:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")

    return step


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction on an autocommit connection (open_store's kind)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def open_store(
    path: Path, *schemas: Schema, wal: bool = False, threads: bool = False
) -> sqlite3.Connection:
    """Autocommit, a short busy wait (the CLI and the web app write rarely), the schemas
    brought to this release.

    ``wal`` for a store written on every call (the call log); ``threads`` when one
    connection is shared with worker threads (asyncio.to_thread).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=not threads)
    if wal:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=2000")
    for schema in schemas:
        migrate(db, schema, path)
    return db


def delete_where(
    db: sqlite3.Connection,
    table: str,
    where: str,
    args: tuple[object, ...],
    dry_run: bool = False,
    batch: int = 2000,
) -> int:
    """Delete ``table``'s rows matching ``where`` (ours, never user input); how many.

    A batch per transaction: the controller writes the same file during calls, inline on
    its event loop, and must never wait on one long purge. ``dry_run`` only counts.
    """
    if dry_run:
        return int(db.execute(f"SELECT count(*) FROM {table} WHERE {where}", args).fetchone()[0])
    total = 0
    while True:
        done = db.execute(
            f"DELETE FROM {table} WHERE rowid IN "
            f"(SELECT rowid FROM {table} WHERE {where} LIMIT {int(batch)})",
            args,
        ).rowcount
        total += done
        if done < batch:
            return total


Row = tuple[Any, ...]


class Sql(Protocol):
    """A store's way to its tables, on SQLite (:class:`SqliteSql`) or PostgreSQL
    (ivr.pgstore.PgSql): one statement at a time, each committed on its own. A store
    written against it writes its SQL once, with ``?`` placeholders."""

    @property
    def skip_locked(self) -> str:
        """Appended to a claim's SELECT: PostgreSQL's " FOR UPDATE SKIP LOCKED" (SQLite
        needs none: one writer at a time, and a claim is one statement)."""
        ...

    def one(self, sql: str, args: Sequence[object] = ()) -> Row | None: ...

    def all(self, sql: str, args: Sequence[object] = ()) -> list[Row]: ...

    def run(self, sql: str, args: Sequence[object] = ()) -> int:
        """Run a change; the rows it changed."""
        ...

    def insert_unique(self, sql: str, args: Sequence[object] = ()) -> Row | None:
        """An INSERT ... RETURNING; None when a unique index refused the row."""
        ...

    def delete_where(
        self, table: str, where: str, args: tuple[object, ...], dry_run: bool = False
    ) -> int: ...

    def transaction(self) -> AbstractContextManager[Sql]:
        """Statements that stand or fall together (an account removed with its sessions,
        a ticket with its history line): the block's Sql runs them in one transaction,
        committed when the block ends, rolled back if it raises."""
        ...


@dataclass(frozen=True)
class SqliteSql:
    """:class:`Sql` over one autocommit connection (open_store's kind)."""

    db: sqlite3.Connection
    skip_locked: str = ""

    def one(self, sql: str, args: Sequence[object] = ()) -> Row | None:
        # Closed at once: an UPDATE ... RETURNING left unfinished would hold its write.
        with closing(self.db.execute(sql, args)) as cur:
            row: Row | None = cur.fetchone()
        return row

    def all(self, sql: str, args: Sequence[object] = ()) -> list[Row]:
        return self.db.execute(sql, args).fetchall()

    def run(self, sql: str, args: Sequence[object] = ()) -> int:
        return self.db.execute(sql, args).rowcount

    def insert_unique(self, sql: str, args: Sequence[object] = ()) -> Row | None:
        try:
            return self.one(sql, args)
        except sqlite3.IntegrityError:
            return None

    def delete_where(
        self, table: str, where: str, args: tuple[object, ...], dry_run: bool = False
    ) -> int:
        return delete_where(self.db, table, where, args, dry_run)

    @contextmanager
    def transaction(self) -> Iterator[Sql]:
        with transaction(self.db):
            yield self


def unchanged(sql: Sql, table: str, key: str, seen: dict[str, float] | None) -> bool:
    """Whether no row of ``table`` was saved since a puller took them (``seen``: each
    row's ``saved_at`` by its ``key``, kept by :func:`took`): a node's cheap look at what
    other nodes saved (the dashboard's files, the phone recordings) before it reads their
    contents. Without ``seen``, False: read them all."""
    if seen is None:
        return False
    rows = sql.all(f"SELECT {key}, saved_at FROM {table}")
    return {str(k): float(at) for k, at in rows} == seen


def took(seen: dict[str, float] | None, rows: Sequence[Row]) -> None:
    """``seen`` made what a pull took: each row's first column (its key) and last (its
    ``saved_at``)."""
    if seen is not None:
        seen.clear()
        seen.update({str(row[0]): float(row[-1]) for row in rows})
