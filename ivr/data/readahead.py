"""Validate ahead in a thread while SQLite inserts: the import's two halves overlap.

An import spends about half its time in Python checking rows and half in SQLite storing
them; ``sqlite3`` lets go of the GIL while it steps a statement, so a second thread can
check the next rows meanwhile. Rows travel in batches through a small bounded queue (a
few batches: memory stays flat however big the export). Whatever the reading thread
raises (a damaged file, a csv error) is raised again in the caller, inside the same
``with`` that opened the file, so it is reported exactly as before; and a caller that stops
early (an error while inserting) stops the thread too.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")
BATCH = 4096  # rows per hand-over: large enough that the queue is not the cost
DEPTH = 4  # batches read ahead at most

_DONE = object()


class _Stopped(Exception):
    """The consumer went away: the reading thread ends quietly."""


class Lines(Protocol):
    @property
    def line_num(self) -> int: ...


class ReadAhead(Generic[T]):
    """Iterate ``source`` in a thread; yield batches of (items, lines): for each item the
    line ``reader`` was at right after producing it (a duplicate is reported by line)."""

    def __init__(self, source: Iterable[T], reader: Lines) -> None:
        self._source = source
        self._reader = reader
        self._queue: queue.Queue[object] = queue.Queue(DEPTH)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="import read-ahead", daemon=True)

    def __iter__(self) -> Iterator[tuple[list[T], list[int]]]:
        self._thread.start()
        try:
            while (item := self._queue.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                yield item  # type: ignore[misc]
        finally:
            self._stop.set()
            while self._thread.is_alive():  # unblock a put() that waits for room
                with contextlib.suppress(queue.Empty):
                    self._queue.get(timeout=0.05)
            self._thread.join()

    def _put(self, item: object) -> None:
        while True:
            if self._stop.is_set():
                raise _Stopped
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _run(self) -> None:
        try:
            reader, batch, lines = self._reader, [], []
            for row in self._source:
                batch.append(row)
                lines.append(reader.line_num)
                if len(batch) == BATCH:
                    self._put((batch, lines))
                    batch, lines = [], []
            if batch:
                self._put((batch, lines))
            self._put(_DONE)
        except _Stopped:
            return
        except BaseException as e:  # handed to the caller, raised there
            try:
                self._put(e)
            except _Stopped:
                return
