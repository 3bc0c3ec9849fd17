"""Writing a synthetic book: prototypes copied into N loans, loaded in bulk.

Frames are built with Polars joins (a copy of a prototype is a join on its index), then loaded
with COPY on PostgreSQL and ``executemany`` on SQLite, in one transaction. On PostgreSQL the
ledger's per-row balance triggers are bypassed for this bulk load when the role may do so
(``session_replication_role = replica``): every entry was built and validated by the ledger's
posting rules, and :func:`load_book` re-checks the balance set-wise before committing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Connection, Engine, func, select, text

from lendcore.eod import accounting
from lendcore.eod import store as eod_store
from lendcore.eod.convert import installment_dicts, loan_row
from lendcore.eod.sqlio import copy_frame, is_postgres
from lendcore.ledger.journal import Entry
from lendcore.ledger.store import post_many
from lendcore.portfolio.opening import accrual_entries, accrual_totals, loan_entries
from lendcore.portfolio.prototypes import Prototype
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Assignment:
    """Loan i is a copy of prototype ``proto[i]`` for customer ``customer[i]``."""

    loan_id: np.ndarray
    customer_id: np.ndarray
    proto: np.ndarray


def assign(count: int, prototypes: int, seed: int, first_customer: int = 1) -> Assignment:
    rng = np.random.default_rng(seed)
    per_customer = rng.choice([1, 1, 1, 2, 3], size=count)
    customer = first_customer + np.repeat(np.arange(count), per_customer)[:count]
    starts = np.r_[0, np.nonzero(np.diff(customer))[0] + 1]
    number = np.arange(count) - np.repeat(starts, np.diff(np.r_[starts, count])) + 1
    return Assignment((customer * 1_000_000 + number).astype(np.int64),
                      customer.astype(np.int64), rng.integers(0, prototypes, size=count))


def _proto_frames(protos: Sequence[Prototype], business_date: date) -> dict[str, pl.DataFrame]:
    loan_rows, inst, events, heads, lines = [], [], [], [], []
    for p, proto in enumerate(protos):
        row = loan_row(proto.state, product_code=proto.product_code, kind=proto.kind)
        del row["id"]
        loan_rows.append({"proto": p, **row})
        inst += [{"proto": p, **{k: v for k, v in r.items() if k != "loan_id"}}
                 for r in installment_dicts(proto.state)]
        events += [{"proto": p, "kind": e.kind, "effective_date": e.effective_date,
                    "amount_fen": e.amount_fen, "detail_json": json.dumps(dict(e.detail))}
                   for e in proto.events]
        for k, entry in enumerate(loan_entries(proto.state, proto.product_code, business_date)):
            heads.append({"proto": p, "k": k, "reason": entry.reason.value,
                          "effective_date": entry.effective_date,
                          "product_code": entry.product_code})
            lines += [{"proto": p, "k": k, "line": i, "account_code": q.account.code,
                       "debit_fen": q.debit_fen, "credit_fen": q.credit_fen}
                      for i, q in enumerate(entry.postings, 1)]
    return {"loans": pl.DataFrame(loan_rows, infer_schema_length=None),
            "installments": pl.DataFrame(inst, infer_schema_length=None),
            "events": pl.DataFrame(events, schema={
                "proto": pl.Int64, "kind": pl.Utf8, "effective_date": pl.Date,
                "amount_fen": pl.Int64, "detail_json": pl.Utf8}),
            "heads": pl.DataFrame(heads), "lines": pl.DataFrame(lines)}


def book_frames(protos: Sequence[Prototype], a: Assignment,
                business_date: date) -> dict[str, pl.DataFrame]:
    """Every table's rows for the book (ids assigned; ledger ids from 1)."""
    pf = _proto_frames(protos, business_date)
    keys = pl.DataFrame({"id": a.loan_id, "customer_id": a.customer_id, "proto": a.proto})
    loans_f = keys.join(pf["loans"], on="proto", how="left").sort("id")
    lines_f = _credit_lines(loans_f, business_date)
    loans_f = loans_f.join(lines_f.select(["customer_id", "product_code",
                                           pl.col("id").alias("credit_line_id")]),
                           on=["customer_id", "product_code"], how="left")
    link = keys.rename({"id": "loan_id"})
    inst = link.join(pf["installments"], on="proto").drop(["proto", "customer_id"])
    events = link.join(pf["events"], on="proto").drop(["proto", "customer_id"]).sort(
        ["loan_id", "effective_date"])
    events = events.with_row_index("id", offset=1).with_columns(pl.col("id").cast(pl.Int64))
    heads = link.join(pf["heads"], on="proto").sort(["loan_id", "k"]).with_row_index(
        "id", offset=1).with_columns(pl.col("id").cast(pl.Int64))
    posts = heads.select(["loan_id", "k", pl.col("id").alias("entry_id")]).join(
        link.join(pf["lines"], on="proto"), on=["loan_id", "k"])
    customers_f = loans_f.group_by("customer_id").agg(
        pl.len().alias("loan_counter"), pl.col("start_date").min().alias("created_on")).rename(
        {"customer_id": "id"}).sort("id")
    return {
        "customers": customers_f.with_columns(
            pl.lit("张**").alias("name_masked"), pl.lit("138****5678").alias("mobile_masked"),
            pl.col("loan_counter").cast(pl.Int64)),
        "credit_lines": lines_f, "loans": loans_f.drop("proto"), "installments": inst,
        "loan_events": events,
        "journal_entries": heads.select(["id", "reason", "effective_date", "loan_id",
                                         "product_code"]),
        "postings": posts.select(["entry_id", "line", "account_code", "debit_fen",
                                  "credit_fen"]),
    }


def _credit_lines(loans_f: pl.DataFrame, business_date: date) -> pl.DataFrame:
    overdue = (pl.col("dpd") > pl.col("grace_days")) & (pl.col("status") != "closed")
    used = pl.when(pl.col("status") == "active").then(pl.col("principal_outstanding_fen"))
    return (loans_f.group_by(["customer_id", "product_code"]).agg(
        used.otherwise(0).sum().alias("used_fen"), overdue.any().alias("frozen"),
        pl.col("start_date").min().alias("opened_on"))
        .sort(["customer_id", "product_code"]).with_row_index("id", offset=1)
        .with_columns(pl.col("id").cast(pl.Int64),
                      pl.max_horizontal(pl.col("used_fen"), pl.lit(5_000_000)).alias("limit_fen"),
                      pl.when(pl.col("frozen")).then(pl.lit("overdue past grace (generated)"))
                      .otherwise(None).alias("frozen_reason")))


def load_book(engine: Engine, protos: Sequence[Prototype], a: Assignment,
              business_date: date) -> dict[str, int]:
    """Load the book into an empty database and set the business date, in one transaction.

    On PostgreSQL the plain (non-constraint) indexes of the loaded tables are dropped and
    rebuilt inside the transaction: building an index once is much cheaper than upkeep per row.
    """
    frames = book_frames(protos, a, business_date)
    copies = np.bincount(a.proto, minlength=len(protos))
    with UnitOfWork(engine) as uow:
        conn = uow.conn
        if conn.execute(select(func.count()).select_from(loans)).scalar_one():
            raise RuntimeError("the database already holds loans; generate into an empty one")
        bypass = _bypass_triggers(conn)
        rebuild = _drop_plain_indexes(conn, list(frames))
        for table, frame in frames.items():
            write_frame(conn, table, frame)
        for statement in rebuild:
            conn.exec_driver_sql(statement)
        _fix_sequences(conn, frames)
        totals = accrual_totals((p.state, p.product_code, int(c))
                                for p, c in zip(protos, copies, strict=True))
        last = business_date - timedelta(days=1)
        post_many(conn, accrual_entries(last, totals) + _provisions(conn, frames["loans"], last))
        if bypass:
            _check_balanced(conn)
        eod_store.set_business_date(conn, business_date)
        uow.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "ANALYZE " + ", ".join(frames))
    return {t: len(f) for t, f in frames.items()}


def _drop_plain_indexes(conn: Connection, tables: list[str]) -> list[str]:
    """Drop the indexes no constraint owns; return the statements that rebuild them."""
    if not is_postgres(conn):
        return []
    rows = conn.execute(text(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
        "AND i.tablename = ANY(:tables) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conname = i.indexname)"), {"tables": tables}).all()
    for name, _definition in rows:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [definition for _name, definition in rows] + _drop_unreferenced_keys(conn, tables)


def _drop_unreferenced_keys(conn: Connection, tables: list[str]) -> list[str]:
    """Primary keys no foreign key points at (installments, postings, events) are dropped too
    and added back after the load: one index build instead of millions of b-tree inserts. The
    re-added key still checks uniqueness, inside the same transaction."""
    rows = conn.execute(text(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c WHERE c.contype = 'p' "
        "AND c.conrelid::regclass::text = ANY(:tables) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' "
        "AND f.confrelid = c.conrelid)"), {"tables": tables}).all()
    for table, name, _definition in rows:
        conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    return [f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'
            for table, name, definition in rows]


def _provisions(conn: Connection, loans_f: pl.DataFrame, day: date) -> list[Entry]:
    active = loans_f.filter(pl.col("status") == "active").group_by(
        ["product_code", "risk_class"]).agg(pl.col("principal_outstanding_fen").sum())
    exposure: dict[str, dict[str, int]] = {}
    for product, cls, fen in active.iter_rows():
        exposure.setdefault(product, {})[cls] = int(fen)
    allowance = accounting.allowances(exposure)
    eod_store.save_provisions(conn, day, [
        {"product_code": p, "risk_class": c, "exposure_fen": exposure[p].get(c, 0),
         "rate_bp": accounting.PROVISION_BP[c], "allowance_fen": v}
        for p, by_class in allowance.items() for c, v in by_class.items()])
    today = {p: sum(v.values()) for p, v in allowance.items()}
    return accounting.provision_entries(day, today, {})


def _bypass_triggers(conn: Connection) -> bool:
    if not is_postgres(conn):
        return False
    if not conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))\
            .scalar_one():
        return False
    conn.execute(text("SET LOCAL session_replication_role = replica"))
    return True


def _check_balanced(conn: Connection) -> None:
    bad = conn.execute(text(
        "SELECT entry_id FROM postings GROUP BY entry_id "
        "HAVING sum(debit_fen) <> sum(credit_fen) LIMIT 1")).first()
    if bad is not None:
        raise RuntimeError(f"generated entry {bad[0]} is unbalanced")
    conn.execute(text("SET LOCAL session_replication_role = origin"))


def write_frame(conn: Connection, table: str, frame: pl.DataFrame) -> None:
    if frame.is_empty():
        return
    if is_postgres(conn):
        copy_frame(conn, table, frame)
        return
    names = frame.columns
    casts = [pl.col(c).cast(pl.Utf8) if frame.schema[c] == pl.Date else
             (pl.col(c).cast(pl.Int64) if frame.schema[c] == pl.Boolean else pl.col(c))
             for c in names]
    rows = frame.select(casts).rows()
    sql = (f"INSERT INTO {table} ({', '.join(names)}) "
           f"VALUES ({', '.join('?' for _ in names)})")
    conn.connection.driver_connection.cursor().executemany(sql, rows)  # type: ignore[union-attr]


def _fix_sequences(conn: Connection, frames: dict[str, pl.DataFrame]) -> None:
    if not is_postgres(conn):
        return
    for table in ("customers", "credit_lines", "loan_events", "journal_entries"):
        if not frames[table].is_empty():
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT max(id) FROM {table}))"))


def describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{t} {n}" for t, n in counts.items())


def sample_ids(a: Assignment, k: int, seed: int) -> list[Any]:
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(a.loan_id, size=min(k, len(a.loan_id)), replace=False).tolist())
