"""The nightly run's own rows: runs, partitions, the notification outbox, provisions.

These four tables are eod's; the loans and installments it closes are written through servicing
(:mod:`lendcore.servicing.bulk`), credit-line freezes through :mod:`lendcore.customers.store`, the
business date through :mod:`lendcore.clock` and the ledger through :mod:`lendcore.ledger.store`.
Every function takes the caller's connection and never commits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Connection, and_, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

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
    """Cut the live loans into loan-id ranges on customer boundaries; record the plan."""
    n, lo, hi = conn.execute(select(func.count(), func.min(loans.c.id), func.max(loans.c.id))
                             .where(loans.c.status != "closed")).one()
    parts = count or max(2, min(64, -(-int(n or 0) // 125_000)))
    first, last = (int(lo or 0) // 1_000_000), (int(hi or 0) // 1_000_000) + 1
    step = max(1, -(-(last - first) // parts))
    bounds = list(range(first, last, step))
    ranges = [(b * 1_000_000, (b + step) * 1_000_000 - 1) for b in bounds]
    ranges[0] = (0, ranges[0][1])
    ranges[-1] = (ranges[-1][0], FAR_ID)
    conn.execute(insert(eod_runs).values(business_date=day, status="running",
                                         partitions=len(ranges)))
    conn.execute(insert(eod_partitions), [
        {"business_date": day, "lo_id": a, "hi_id": b, "status": "pending"} for a, b in ranges])
    return ranges


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
