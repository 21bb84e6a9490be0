"""The import's read-ahead thread: batches in order with their lines, errors raised in the
caller, and a caller that stops early stops the thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ivr.data import readahead
from ivr.data.readahead import ReadAhead
from ivr.errors import DataError


class Counting:
    """A source that counts its lines like csv.reader's line_num."""

    def __init__(self, rows: int, fail_at: int | None = None) -> None:
        self.rows, self.fail_at, self.line_num = rows, fail_at, 1

    def __iter__(self) -> Iterator[int]:
        for n in range(self.rows):
            if n == self.fail_at:
                raise DataError(f"jemaah.csv line {self.line_num + 1}: broken")
            self.line_num += 1
            yield n


def test_readahead_batches_keep_order_and_each_rows_line() -> None:
    source = Counting(readahead.BATCH * 2 + 5)
    got = list(ReadAhead(source, source))
    assert [len(batch) for batch, _ in got] == [readahead.BATCH, readahead.BATCH, 5]
    rows = [r for batch, _ in got for r in batch]
    lines = [n for _, lines in got for n in lines]
    assert rows == list(range(source.rows))
    assert lines == [r + 2 for r in rows]  # header on line 1


def test_readahead_error_in_the_reading_thread_raised_in_the_caller() -> None:
    source = Counting(readahead.BATCH * 3, fail_at=readahead.BATCH + 7)
    seen = []
    with pytest.raises(DataError, match="broken"):
        for batch, _ in ReadAhead(source, source):
            seen.append(len(batch))
    assert seen == [readahead.BATCH]  # what came before the error was handed over


def test_readahead_caller_stopping_early_ends_the_thread() -> None:
    source = Counting(readahead.BATCH * (readahead.DEPTH + 10))
    with pytest.raises(RuntimeError, match="insert failed"):
        for _batch in ReadAhead(source, source):
            raise RuntimeError("insert failed")
    assert not [t for t in threading.enumerate() if t.name == "import read-ahead"]
    assert source.line_num < source.rows  # it stopped reading, not ran to the end
