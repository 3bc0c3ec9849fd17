"""The nightly run's own rows: runs, partitions, the notification outbox, provisions.

These four tables are eod's; the loans and installments it closes are written through servicing
(:mod:`lendcore.servicing.bulk`), credit-line freezes through :mod:`lendcore.customers.store`, the
business date through :mod:`lendcore.clock` and the ledger through :mod:`lendcore.ledger.store`.
Every function takes the caller's connection and never commits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Connection, and_, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from lendcore.ids import LOANS_PER_CUSTOMER
from lendcore.store.copy import copy_frame, is_postgres
from lendcore.store.eod_tables import eod_partitions, eod_provisions, eod_runs
from lendcore.store.eod_tables import notification_outbox as outbox
from lendcore.store.servicing_tables import loans

FAR_ID = 2**62


def run_row(conn: Connection, day: date) -> Any:
    return conn.execute(select(eod_runs).where(eod_runs.c.business_date == day)).first()


def last_run(conn: Connection) -> Any:
    return conn.execute(select(eod_runs).order_by(eod_runs.c.business_date.desc())
                        .limit(1)).first()


def plan_partitions(conn: Connection, day: date, count: int | None) -> list[tuple[int, int]]:
    """Cut the live loans into loan-id ranges on customer boundaries; record the plan.

    On PostgreSQL no range holds live loans of two partitions of the ``loans`` table (migration
    ``0020_customer_partitions``): the ranges are cut at every partition bound
    (:func:`table_bounds`) up to the highest live loan, so a night partition reads and writes
    one table partition, which can be detached or moved whole. The last range still runs to the
    end of the id space, past the blocks made ahead and empty (any loan opened there during the
    night is the next night's), so a book within one block is planned as before.
    """
    n, lo, hi = conn.execute(select(func.count(), func.min(loans.c.id), func.max(loans.c.id))
                             .where(loans.c.status != "closed")).one()
    parts = count or max(2, min(64, -(-int(n or 0) // 125_000)))
    first, last = (int(lo or 0) // LOANS_PER_CUSTOMER), (int(hi or 0) // LOANS_PER_CUSTOMER) + 1
    step = max(1, -(-(last - first) // parts))
    bounds = list(range(first, last, step))
    ranges = [(b * LOANS_PER_CUSTOMER, (b + step) * LOANS_PER_CUSTOMER - 1) for b in bounds]
    ranges[0] = (0, ranges[0][1])
    ranges[-1] = (ranges[-1][0], FAR_ID)
    ranges = split_at(ranges, _cuts(table_bounds(conn), int(hi or 0)))
    conn.execute(insert(eod_runs).values(business_date=day, status="running",
                                         partitions=len(ranges)))
    conn.execute(insert(eod_partitions), [
        {"business_date": day, "lo_id": a, "hi_id": b, "status": "pending"} for a, b in ranges])
    return ranges


def _cuts(bounds: Sequence[int], highest: int) -> list[int]:
    """The bounds at or below ``highest``: those above it have no live loan on either side."""
    return [b for b in bounds if b <= highest]


def split_at(ranges: Sequence[tuple[int, int]], cuts: Sequence[int]) -> list[tuple[int, int]]:
    """Inclusive ranges cut so that none holds both ``c - 1`` and ``c`` for a cut ``c``.

    >>> split_at([(0, 99), (100, 299)], [50, 100, 200])
    [(0, 49), (50, 99), (100, 199), (200, 299)]
    """
    out: list[tuple[int, int]] = []
    for lo, hi in ranges:
        for cut in sorted(c for c in set(cuts) if lo < c <= hi):
            out.append((lo, cut - 1))
            lo = cut
        out.append((lo, hi))
    return out


def table_bounds(conn: Connection, table: str = "loans") -> list[int]:
    """The range bounds of ``table``'s partitions (PostgreSQL, as pg_catalog has them), sorted;
    empty for a table that is not partitioned (and on SQLite).

    Each partition holds ``[lower, upper)``: night ranges cut at these values never span two.
    """
    if not is_postgres(conn):
        return []
    found = conn.execute(text(
        "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = CAST(:t AS regclass)"),
        {"t": table}).scalars()
    values = {int(v) for bound in found for v in _BOUND.findall(bound)}
    return sorted(values)


# "FOR VALUES FROM ('100000000000') TO ('200000000000')"; the default partition has none.
_BOUND = re.compile(r"'(-?\d+)'")


def add_customer_partitions(conn: Connection, through_customer: int) -> int:
    """PostgreSQL: make the customer partitions of loans, installments and loan_events up to
    the block holding ``through_customer`` (rows already in a default partition move into
    theirs); the number of partitions made. Nothing on SQLite, or before migration 0020."""
    if not is_postgres(conn) or not conn.execute(text(
            "SELECT to_regproc('lendcore_add_customer_partitions') IS NOT NULL")).scalar_one():
        return 0
    return int(conn.execute(text("SELECT lendcore_add_customer_partitions(:c)"),
                            {"c": through_customer}).scalar_one())


def partitions(conn: Connection, day: date, status: str | None = None) -> list[Any]:
    q = select(eod_partitions).where(eod_partitions.c.business_date == day)
    if status is not None:
        q = q.where(eod_partitions.c.status == status)
    return list(conn.execute(q.order_by(eod_partitions.c.lo_id)))


def claim_partition(conn: Connection, day: date, lo_id: int) -> bool:
    """True if the partition is still pending; on PostgreSQL its row stays locked until commit."""
    q = select(eod_partitions.c.status).where(
        and_(eod_partitions.c.business_date == day, eod_partitions.c.lo_id == lo_id))
    if is_postgres(conn):
        q = q.with_for_update()
    return bool(conn.execute(q).scalar_one() == "pending")


def finish_partition(conn: Connection, day: date, lo_id: int, loans_done: int,
                     stats: dict[str, Any]) -> None:
    conn.execute(update(eod_partitions).where(and_(
        eod_partitions.c.business_date == day, eod_partitions.c.lo_id == lo_id))
        .values(status="done", loans=loans_done, stats_json=json.dumps(stats)))


def insert_notifications(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    if is_postgres(conn):
        conn.exec_driver_sql(
            "CREATE TEMP TABLE eod_out (event_key text, business_date date, customer_id bigint, "
            "loan_id bigint, channel text, template text, due_date date, amount_masked text) "
            "ON COMMIT DROP")
        cols = ["event_key", "business_date", "customer_id", "loan_id", "channel", "template",
                "due_date", "amount_masked"]
        copy_frame(conn, "eod_out", pl.DataFrame(rows).select(cols))
        names = ", ".join(cols)
        conn.exec_driver_sql(f"INSERT INTO notification_outbox ({names}) SELECT {names} "
                             "FROM eod_out ORDER BY event_key ON CONFLICT (event_key) DO NOTHING")
        conn.exec_driver_sql("DROP TABLE eod_out")
        return
    stmt = sqlite.insert(outbox).on_conflict_do_nothing(index_elements=[outbox.c.event_key])
    conn.execute(stmt, list(rows))


def last_allowances(conn: Connection, before: date) -> dict[str, int]:
    last = conn.execute(select(func.max(eod_provisions.c.business_date))
                        .where(eod_provisions.c.business_date < before)).scalar_one_or_none()
    if last is None:
        return {}
    rows = conn.execute(select(eod_provisions.c.product_code,
                               func.sum(eod_provisions.c.allowance_fen))
                        .where(eod_provisions.c.business_date == last)
                        .group_by(eod_provisions.c.product_code))
    return {p: int(a) for p, a in rows}


def save_provisions(conn: Connection, day: date, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if is_postgres(conn):
        stmt: Any = postgresql.insert(eod_provisions).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(eod_provisions).on_conflict_do_nothing()
    conn.execute(stmt, [{"business_date": day, **r} for r in rows])


def close_run(conn: Connection, day: date, status: str, report: dict[str, Any]) -> None:
    conn.execute(update(eod_runs).where(eod_runs.c.business_date == day)
                 .values(status=status, report_json=json.dumps(report, ensure_ascii=False)))
