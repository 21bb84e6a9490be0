"""``Sql.transaction`` on both backends: statements that stand or fall together, a row
refused by a unique index inside one leaving the rest standing (PostgreSQL: a savepoint),
and nothing seen by another connection before the commit."""

from __future__ import annotations

import pytest

from ivr.complaints.model import PG_SCHEMA, SCHEMA
from tests.rig.postgres import Backend

ADD = "INSERT INTO ticket_numbers (number, drawn_at) VALUES (?, 1) RETURNING number"


def test_sql_transaction_a_refused_row_leaves_the_rest_standing(backend: Backend) -> None:
    sql = backend.sql((SCHEMA,), (PG_SCHEMA,))
    with sql.transaction() as tx:
        assert tx.insert_unique(ADD, ("1000000018",)) == ("1000000018",)
        assert tx.insert_unique(ADD, ("1000000018",)) is None  # refused, not fatal
        tx.run("INSERT INTO ticket_numbers (number, drawn_at) VALUES ('2000000036', 1)")
    numbers = sql.all("SELECT number FROM ticket_numbers ORDER BY number")
    assert numbers == [("1000000018",), ("2000000036",)]


def test_sql_transaction_raising_keeps_nothing_and_hides_until_commit(backend: Backend) -> None:
    sql, other = backend.sql((SCHEMA,), (PG_SCHEMA,)), backend.sql((SCHEMA,), (PG_SCHEMA,))
    with pytest.raises(RuntimeError), sql.transaction() as tx:
        tx.run("INSERT INTO ticket_numbers (number, drawn_at) VALUES ('3000000054', 1)")
        raise RuntimeError("the second statement's check failed")
    assert sql.all("SELECT number FROM ticket_numbers") == []
    with sql.transaction() as tx:
        tx.run("INSERT INTO ticket_numbers (number, drawn_at) VALUES ('4000000072', 1)")
        assert other.all("SELECT number FROM ticket_numbers") == []  # (SQLite: WAL)
    assert other.all("SELECT number FROM ticket_numbers") == [("4000000072",)]
