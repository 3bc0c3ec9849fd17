"""Servicing's bulk writers: many loans and installments in one statement (the nightly run).

Servicing owns ``loans`` and ``installments``; the nightly run computes a partition's new loan
columns in bulk and hands them here to be written, never writing the tables itself:

    update_loans(conn, frame)      # id, version, then the columns to write, one row per loan
    set_billed_interest(conn, [(loan_id, due_date, interest_fen), ...])

:func:`update_loans` updates a row only if its ``version`` is still the one read (a repayment
committed meanwhile leaves the row alone and the caller retries), and bumps it. PostgreSQL
copies the frame into a temporary table and runs one ``UPDATE ... FROM``; SQLite runs one
``executemany`` of ``UPDATE ... WHERE id = ? AND version = ?``. A frame with columns ``id``,
``version``, ``dpd`` (1000001, 4, 3) sets ``dpd = 3, version = 5`` on loan 1000001 if its version
is 4, and returns 1.

Every function takes the caller's connection and never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl
from sqlalchemy import Connection, and_, bindparam, update

from lendcore.store.copy import copy_frame, is_postgres
from lendcore.store.servicing_tables import installments, loans

KEYS = ("id", "version")
# Columns the bulk path may not set: the keys, and what only a loan's own commands change.
NOT_WRITTEN = frozenset({"id", "version", "customer_id", "product_code", "principal_fen",
                         "start_date"})


def _written(frame: pl.DataFrame) -> list[str]:
    """The frame's columns after ``id, version``, each a column of ``loans`` the path may set."""
    if tuple(frame.columns[:2]) != KEYS:
        raise ValueError(f"a loan update frame starts with id, version, not {frame.columns[:2]}")
    cols = frame.columns[2:]
    wrong = [c for c in cols if c not in loans.c or c in NOT_WRITTEN]
    if wrong or not cols:
        raise ValueError(f"not bulk-writable loan columns: {wrong or 'none given'}")
    return cols


def update_loans(conn: Connection, frame: pl.DataFrame) -> int:
    """Write each row's columns to its loan if the version still matches; rows updated."""
    if frame.height == 0:
        return 0
    cols = _written(frame)
    if is_postgres(conn):
        return _update_pg(conn, frame, cols)
    return _update_sqlite(conn, frame, cols)


def _pg_type(dtype: pl.DataType) -> str:
    if dtype == pl.Date:
        return "date"
    if dtype == pl.String:
        return "text"
    if dtype.is_integer():
        return "bigint"
    raise TypeError(f"no bulk loan column of type {dtype}")


def _update_pg(conn: Connection, frame: pl.DataFrame, cols: list[str]) -> int:
    types = ", ".join(f"{c} {_pg_type(t)}" for c, t in frame.schema.items())
    conn.exec_driver_sql(f"CREATE TEMP TABLE loans_upd ({types}) ON COMMIT DROP")
    copy_frame(conn, "loans_upd", frame)
    conn.exec_driver_sql("ANALYZE loans_upd")  # row count and ids known: a hash or merge join
    sets = ", ".join(f"{c} = t.{c}" for c in cols)
    ids = frame["id"]
    # The id bounds keep the join inside the frame's range of the primary key (and, on a
    # partitioned book, inside its partitions) instead of a scan of every loan.
    result = conn.exec_driver_sql(
        f"UPDATE loans SET {sets}, version = loans.version + 1 FROM loans_upd t "
        "WHERE loans.id = t.id AND loans.version = t.version "
        f"AND loans.id BETWEEN {int(ids.min())} AND {int(ids.max())}")  # type: ignore[arg-type]
    conn.exec_driver_sql("DROP TABLE loans_upd")
    return int(result.rowcount)


def _update_sqlite(conn: Connection, frame: pl.DataFrame, cols: list[str]) -> int:
    sets = ", ".join(f"{c} = ?" for c in cols)
    sql = f"UPDATE loans SET {sets}, version = version + 1 WHERE id = ? AND version = ?"
    order = [*cols, *KEYS]
    values = [frame[c].cast(pl.String).to_list() if frame.schema[c] == pl.Date
              else frame[c].to_list() for c in order]
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cur.executemany(sql, list(zip(*values, strict=True)))
    return int(cur.rowcount)


def set_billed_interest(conn: Connection, rows: Sequence[tuple[int, date, int]]) -> None:
    """Pay-any-time billing: each loan's open installment due on the date takes the interest
    accrued, ``(loan_id, due_date, interest_fen)`` per row."""
    if not rows:
        return
    stmt = (update(installments)
            .where(and_(installments.c.loan_id == bindparam("lid"),
                        installments.c.due_date == bindparam("due"),
                        installments.c.status == "open"))
            .values(interest_fen=bindparam("fen")))
    conn.execute(stmt, [{"lid": a, "due": b, "fen": c} for a, b, c in sorted(rows)])
