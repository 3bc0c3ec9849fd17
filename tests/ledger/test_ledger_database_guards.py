"""The database itself refuses what the ledger forbids, even through raw SQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from lendcore.ledger import posting, store
from lendcore.store.uow import UnitOfWork

D = date(2026, 3, 1)


def _raw_entry(conn: Connection, entry_id: int) -> None:
    conn.execute(text("INSERT INTO journal_entries (id, reason, effective_date) "
                      "VALUES (:id, 'repayment', '2026-03-01')"), {"id": entry_id})


def _raw_posting(conn: Connection, entry_id: int, line: int, code: str, d: int, c: int) -> None:
    conn.execute(text("INSERT INTO postings (entry_id, line, account_code, debit_fen, credit_fen)"
                      " VALUES (:e, :l, :a, :d, :c)"),
                 {"e": entry_id, "l": line, "a": code, "d": d, "c": c})


@pytest.mark.postgres
def test_postgres_refuses_an_unbalanced_entry_at_commit(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite cannot defer a check to commit; the Python check guards it")
    with engine.connect() as conn:
        _raw_entry(conn, 500)
        _raw_posting(conn, 500, 1, "1001", 100, 0)
        _raw_posting(conn, 500, 2, "4100", 0, 99)
        with pytest.raises(DBAPIError, match="unbalanced"):
            conn.commit()


@pytest.mark.postgres
def test_postgres_refuses_an_entry_without_postings_at_commit(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    with engine.connect() as conn:
        _raw_entry(conn, 501)
        with pytest.raises(DBAPIError, match="no postings"):
            conn.commit()


@pytest.mark.postgres
def test_postgres_accepts_a_balanced_entry_written_line_by_line(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    with engine.connect() as conn:
        _raw_entry(conn, 502)
        _raw_posting(conn, 502, 1, "1001", 100, 0)  # unbalanced until the next line
        _raw_posting(conn, 502, 2, "4100", 0, 100)
        conn.commit()


def test_a_posting_with_both_sides_is_refused_by_the_table(engine: Engine) -> None:
    with engine.connect() as conn:
        _raw_entry(conn, 503)
        with pytest.raises(DBAPIError):
            _raw_posting(conn, 503, 1, "1001", 100, 100)


def test_a_negative_posting_is_refused_by_the_table(engine: Engine) -> None:
    with engine.connect() as conn:
        _raw_entry(conn, 504)
        with pytest.raises(DBAPIError):
            _raw_posting(conn, 504, 1, "1001", -100, 0)


@pytest.mark.parametrize("statement", [
    "UPDATE journal_entries SET reason = 'waiver'",
    "DELETE FROM journal_entries",
    "UPDATE postings SET debit_fen = debit_fen + 1 WHERE debit_fen > 0",
    "DELETE FROM postings",
])
def test_stored_entries_and_postings_cannot_be_updated_or_deleted(
    engine: Engine, statement: str
) -> None:
    with UnitOfWork(engine) as uow:
        store.post(uow.conn, posting.recovery(42000001, D, 500))
        uow.commit()
    with engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(text(statement))


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["journal_entries", "postings"])
def test_postgres_refuses_truncating_the_ledger(engine: Engine, table: str) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    with engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(text(f"TRUNCATE {table} CASCADE"))
