"""The call log: a row per call and its transcript, on SQLite and on PostgreSQL (the
``backend`` fixture runs each store test on both)."""

from __future__ import annotations

from pathlib import Path

from ivr import calllog, storeplace
from ivr.calllog import CallLog, CallLogReader, CallSearch
from ivr.outcomes import Outcome
from ivr.store import Sql
from tests.rig import callstores
from tests.rig.postgres import Backend


def _at(sql: Sql, call_id: str) -> float:
    row = sql.one("SELECT max(at) FROM transcript WHERE call_id = ?", (call_id,))
    assert row is not None
    return float(row[0])


def test_calllog_call_with_lines_reads_back_in_order(backend: Backend) -> None:
    log = CallLog.over(callstores.stores(backend))
    log.start("c1", "0812", "hotline")
    log.add("c1", "say", "Selamat datang", "greeting", interrupted=True)
    log.add("c1", "input", "123")
    log.finish("c1", Outcome.AGENT, "no_input")

    reader = callstores.reader(backend)
    row = reader.get("c1")
    lines = reader.transcript("c1")

    assert row is not None and (row.outcome, row.reason, row.caller) == (
        "agent",
        "no_input",
        "0812",
    )
    assert row.ended_at is not None and row.ended_at >= row.started_at
    assert [(x.seq, x.kind, x.text, x.interrupted) for x in lines] == [
        (1, "say", "Selamat datang", True),
        (2, "input", "123", False),
    ]


def test_calllog_file_opened_by_path_reads_back(tmp_path: Path) -> None:
    log = CallLog(tmp_path / "calls.sqlite")  # the SQLite-only opener tests and tools use
    log.start("c1", "0812", "hotline")
    log.close()
    assert [c.id for c in CallLogReader(tmp_path / "calls.sqlite").recent()] == ["c1"]


def test_calllog_recent_newest_first(backend: Backend) -> None:
    log = CallLog.over(callstores.stores(backend), clock=iter([1.0, 2.0, 3.0]).__next__)
    for call_id in ("a", "b", "c"):
        log.start(call_id, "", "hotline")

    assert [c.id for c in callstores.reader(backend).recent(2)] == ["c", "b"]


def test_calllog_second_session_continues_the_rows_transcript(backend: Backend) -> None:
    sql = callstores.stores(backend)
    log = CallLog.over(sql)
    log.start("c1", "0812", "hotline")
    log.add("c1", "say", "Selamat datang")
    log.leave("c1")
    log.start("c1", "0812", "callback_offer")  # the offer while queued: the same row
    log.add("c1", "input", "1")

    lines = callstores.reader(backend).transcript("c1")
    assert [x.seq for x in lines] == [1, 2]
    assert log.exists("c1") and not log.exists("c2")
    assert [c.route for c in callstores.reader(backend).recent()] == ["hotline"]


def test_calllog_two_connections_see_each_others_calls(backend: Backend) -> None:
    """Two controllers (nodes) on one store: each one's calls and lines in the other's
    reads, sequence numbers carried on by whoever adds the next line."""
    one, two = CallLog.over(callstores.stores(backend)), CallLog.over(callstores.stores(backend))
    one.start("from-one", "0811", "hotline")
    one.add("from-one", "say", "Selamat datang")
    two.start("from-two", "0812", "hotline")
    two.add("from-one", "event", "queue: joined hajj-tier1")  # after its IVR part

    assert two.exists("from-one") and one.exists("from-two")
    lines = callstores.reader(backend).transcript("from-one")
    assert [(x.seq, x.text) for x in lines] == [
        (1, "Selamat datang"),
        (2, "queue: joined hajj-tier1"),
    ]


def test_calllog_reconcile_calls_left_in_progress_closed_by_whether_the_channel_lives(
    backend: Backend,
) -> None:
    sql = callstores.stores(backend)
    log = CallLog.over(sql)
    for call_id in ("queued", "cut", "done", "mine"):
        log.start(call_id, "0812", "hotline")
        log.add(call_id, "say", "Selamat datang")
    log.finish("done", Outcome.SERVED)
    at = {c: _at(sql, c) for c in ("queued", "cut")}
    sql.run("UPDATE calls SET started_at = started_at - 60 WHERE id != 'mine'")
    row = sql.one("SELECT started_at FROM calls WHERE id = 'mine'")
    assert row is not None

    assert log.reconcile(row[0], live={"queued", "mine"}) == (1, 1)
    assert log.reconcile(row[0], live=set()) == (0, 0)  # once closed, left alone
    reader = callstores.reader(backend)
    rows = {c: reader.get(c) for c in ("queued", "cut", "done", "mine")}
    assert {c: (r.outcome, r.reason) for c, r in rows.items() if r} == {
        "queued": ("agent", "controller_restart"),
        "cut": ("failed", "controller_restart"),
        "done": ("served", ""),
        "mine": ("in_progress", ""),  # this controller's own call, running
    }
    # They end where the transcript last heard of them, not at the restart.
    assert {c: r.ended_at for c, r in rows.items() if r and c in at} == at


def test_calllog_search_by_caller_porsi_and_outcome_lists_each_porsi_once(
    backend: Backend,
) -> None:
    clock = iter(float(t) for t in range(100, 200)).__next__
    log = CallLog.over(callstores.stores(backend), clock)
    log.start("c1", "081234567890", "hotline")
    for porsi in ("1200000001", "1200000002", "1200000001"):
        log.lookup("c1", porsi, None)
    log.finish("c1", Outcome.SERVED)
    log.start("c2", "089999", "hotline")

    reader = callstores.reader(backend)
    by_caller = reader.search(CallSearch(caller="3456"))
    assert [(c.id, c.porsi) for c in by_caller] == [("c1", "1200000001,1200000002")]
    assert [c.id for c in reader.search(CallSearch(porsi="1200000002"))] == ["c1"]
    assert [c.id for c in reader.search(CallSearch(outcome="in_progress"))] == ["c2"]
    assert [c.id for c in reader.search(CallSearch(since=0, until=1e9))] == ["c2", "c1"]
    assert [c.porsi for c in reader.search(CallSearch(caller="0899"))] == [""]


def test_calllog_purge_takes_old_calls_with_their_lines_and_lookups(backend: Backend) -> None:
    sql = callstores.stores(backend)
    times = iter([10.0, 11.0, 12.0, 500.0, 501.0])
    log = CallLog.over(sql, times.__next__)
    log.start("old", "0812", "hotline")
    log.add("old", "say", "Selamat datang")
    log.lookup("old", "1200000001", "Kota Bandung", "Jawa Barat")
    log.start("new", "0812", "hotline")
    log.add("new", "say", "Selamat datang")

    assert calllog.purge_calls(sql, 100, dry_run=True) == (1, 1)
    assert calllog.purge_calls(sql, 100, batch=1) == (1, 1)
    assert calllog.purge_lookups(sql, 100) == 1
    assert calllog.purge_calls(sql, 100) == (0, 0)
    reader = callstores.reader(backend)
    assert [c.id for c in reader.recent()] == ["new"]
    assert reader.transcript("old") == [] and len(reader.transcript("new")) == 1


def test_calllog_reader_through_storeplace_reads_what_the_controller_wrote(
    backend: Backend,
) -> None:
    CallLog.over(callstores.stores(backend)).start("c1", "0812", "hotline")
    database = callstores.database(backend)
    path = backend.folder / callstores.FILE
    with storeplace.opened(database, path, (calllog.SCHEMA,)) as sql:
        assert sql.all("SELECT id, caller FROM calls") == [("c1", "0812")]


def test_calllog_reconcile_of_one_node_leaves_another_nodes_calls_alone(
    backend: Backend,
) -> None:
    """Nodes sharing one store: a restarted node closes its own calls left in progress
    (and unnamed ones), never a call another node is serving now."""
    mine = CallLog.over(callstores.stores(backend), lambda: 10.0, node="ivr1:4573")
    theirs = CallLog.over(callstores.stores(backend), lambda: 10.0, node="ivr2:4573")
    mine.start("mine", "0811", "hotline")
    theirs.start("theirs", "0812", "hotline")
    CallLog.over(callstores.stores(backend), lambda: 10.0).start("unnamed", "0813", "hotline")

    assert mine.reconcile(20.0, live=set(), node="ivr1:4573") == (0, 2)
    reader = callstores.reader(backend)
    outcomes = {c.id: (c.outcome, c.node) for c in reader.recent()}
    assert outcomes == {
        "mine": ("failed", "ivr1:4573"),
        "unnamed": ("failed", ""),
        "theirs": ("in_progress", "ivr2:4573"),
    }
