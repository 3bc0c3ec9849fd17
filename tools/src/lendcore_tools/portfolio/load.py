"""Writing a synthetic book: prototypes copied into N loans, loaded in bulk.

Every row of the book is a copy of a prototype's row with its own ids, so a table is held as
:class:`Rows`: each row's own key columns beside an index into a small frame of the prototype
rows (Polars joins on plain integers; the text columns are never repeated in Python).

PostgreSQL, when the role may bypass triggers (a superuser): the tables are loaded in parallel,
one transaction per table on :data:`LOAD_CONNECTIONS` connections. Each transaction drops the
table's indexes that no foreign key needs, COPYs the rows (binary format, with the ledger's
per-row triggers and the foreign-key checks bypassed by ``session_replication_role = replica``),
rebuilds the indexes, checks what the bypassed triggers would have checked set-wise (postings
balance per entry) and analyses the table. Giving up the single transaction is safe because the
generator only fills an empty database and says so while it works: a committed
``system_state`` marker and no business date until the last transaction, which posts the
opening accruals and provisions, sets the business date and removes the marker. A run that dies
leaves the marker (``eod run`` and the servicing commands refuse: no business date); the next
``generate`` on that database empties the generated tables and starts again. A session advisory
lock keeps two generators off one database.

SQLite, or a PostgreSQL role that may not bypass triggers: one transaction, tables in
foreign-key order (SQLite ``executemany``, PostgreSQL binary COPY), the indexes no foreign key
needs dropped first and built once at the end.

On PostgreSQL the customer partitions of the book's tables (migration 0020, ``docs/scale.md``)
are made up to the book's highest customer first, so no row lands in a default partition.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Connection, Engine, text

from lendcore import clock
from lendcore.eod import accounting
from lendcore.eod import store as eod_store
from lendcore.eod.convert import installment_dicts, loan_row
from lendcore.eod.sqlio import copy_rows
from lendcore.errors import Conflict
from lendcore.ledger.journal import Entry
from lendcore.ledger.store import post_many
from lendcore.store.copy import is_postgres
from lendcore.store.uow import UnitOfWork
from lendcore_tools.portfolio.identities import identity_frame
from lendcore_tools.portfolio.opening import accrual_entries, accrual_totals, loan_entries
from lendcore_tools.portfolio.prototypes import Prototype

# Parents before children: the order of the one-transaction load.
TABLES = ("customers", "credit_lines", "loans", "installments", "loan_events",
          "journal_entries", "postings")
# The parallel load starts the longest tables first (measured: installments take about as long
# as all the others but loans), so the two connections finish together.
PARALLEL_ORDER = ("installments", "loans", "loan_events", "postings", "journal_entries",
                  "credit_lines", "customers")
LOAD_CONNECTIONS = 2  # this machine's cores: one COPY each
MARKER_KEY = clock.BOOK_LOADING_KEY  # in system_state while a parallel load is unfinished
LOCK_KEY = 0x6C656E64636F7265  # pg advisory lock: one generator per database


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


@dataclass(frozen=True, slots=True)
class Rows:
    """A table's rows: row i is ``keys`` row i followed by ``parts`` row ``part[i]``.

    ``keys`` are the row's own columns (ids and the like: fixed-width, never NULL); ``parts``
    are the rest, one row per prototype row, shared by all its copies.
    """

    keys: pl.DataFrame
    parts: pl.DataFrame
    part: np.ndarray

    def __len__(self) -> int:
        return self.keys.height

    def frame(self) -> pl.DataFrame:
        """Every column of every row."""
        return pl.concat([self.keys, self.parts[self.part]], how="horizontal")

    @staticmethod
    def split(frame: pl.DataFrame, keys: Sequence[str]) -> Rows:
        """Rows of a frame whose columns other than ``keys`` take few distinct values."""
        rest = [c for c in frame.columns if c not in keys]
        parts = frame.select(rest).unique(maintain_order=True)
        index = frame.select(rest).join(parts.with_row_index("part"), on=rest, how="left",
                                        nulls_equal=True, maintain_order="left")["part"]
        return Rows(frame.select(keys), parts, index.to_numpy().astype(np.int64))


def _proto_frames(protos: Sequence[Prototype], business_date: date) -> dict[str, pl.DataFrame]:
    """The prototypes' rows of every table, each with its prototype's index ``proto``."""
    loan_rows, inst, events, heads, lines = [], [], [], [], []
    for p, proto in enumerate(protos):
        row = loan_row(proto.state, product_code=proto.product_code, kind=proto.kind,
                       apr_nominal_ppb=proto.apr_nominal_ppb,
                       lpr_one_year_ppb=proto.lpr_one_year_ppb)
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
                "amount_fen": pl.Int64, "detail_json": pl.Utf8}).sort(
                ["proto", "effective_date"], maintain_order=True),
            "heads": pl.DataFrame(heads), "lines": pl.DataFrame(lines)}


def _copies(owners: pl.DataFrame, rows: pl.DataFrame, on: list[str]) -> pl.DataFrame:
    """``owners`` (in their order) each with the index of every prototype row of theirs."""
    return owners.join(rows.select(on).with_row_index("part"), on=on,
                       maintain_order="left_right").with_columns(pl.col("part").cast(pl.Int64))


def _numbered(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_row_index("id", offset=1).with_columns(pl.col("id").cast(pl.Int64))


class Book:
    """The book's rows, one table at a time (ids assigned; ledger ids from 1; loans in id
    order). A table is built when asked for, so a loader can copy one while it builds the next;
    what several tables share is built once."""

    def __init__(self, protos: Sequence[Prototype], a: Assignment, business_date: date) -> None:
        self.business_date = business_date
        self.pf = _proto_frames(protos, business_date)
        self.link = pl.DataFrame({"loan_id": a.loan_id, "customer_id": a.customer_id,
                                  "proto": a.proto}).sort("loan_id")

    def rows(self, table: str) -> Rows:
        build = {"customers": self._customers, "credit_lines": self._credit_lines,
                 "loans": self._loans, "installments": self._installments,
                 "loan_events": self._events, "journal_entries": self._entries,
                 "postings": self._postings}[table]
        return build()

    @cached_property
    def facts(self) -> pl.DataFrame:
        """Per loan, the columns credit lines, customers and the provisions are made from."""
        return self.link.join(self.pf["loans"].select(
            "proto", "product_code", "status", "risk_class", "principal_outstanding_fen", "dpd",
            "grace_days", "start_date"), on="proto", how="left", maintain_order="left")

    @cached_property
    def lines(self) -> pl.DataFrame:
        return _credit_lines(self.facts, self.business_date)

    @cached_property
    def heads(self) -> pl.DataFrame:
        """Journal entries: per loan (in id order) its prototype's entries, numbered."""
        return _numbered(_copies(self.link.select("loan_id", "proto"), self.pf["heads"],
                                 ["proto"]))

    def _installments(self) -> Rows:
        inst = _copies(self.link.select("loan_id", "proto"), self.pf["installments"], ["proto"])
        return Rows(inst.select("loan_id"), self.pf["installments"].drop("proto"),
                    inst["part"].to_numpy())

    def _loans(self) -> Rows:
        loans_f = self.facts.join(self.lines.select("customer_id", "product_code",
                                                    pl.col("id").alias("credit_line_id")),
                                  on=["customer_id", "product_code"], how="left",
                                  maintain_order="left")
        return Rows(loans_f.select(pl.col("loan_id").alias("id"), "customer_id",
                                   "credit_line_id"),
                    self.pf["loans"].drop("proto"), loans_f["proto"].to_numpy())

    def _events(self) -> Rows:
        events = _numbered(_copies(self.link.select("loan_id", "proto"), self.pf["events"],
                                   ["proto"]))
        return Rows(events.select("id", "loan_id"), self.pf["events"].drop("proto"),
                    events["part"].to_numpy())

    def _entries(self) -> Rows:
        return Rows(self.heads.select("id", "loan_id"), self.pf["heads"].drop("proto", "k"),
                    self.heads["part"].to_numpy())

    def _postings(self) -> Rows:
        line_heads = self.pf["lines"].join(self.pf["heads"].with_row_index("head").select(
            "proto", "k", pl.col("head").cast(pl.Int64)), on=["proto", "k"],
            maintain_order="left")
        posts = _copies(self.heads.select(pl.col("id").alias("entry_id"),
                                          pl.col("part").alias("head")), line_heads, ["head"])
        return Rows(posts.select("entry_id"), self.pf["lines"].drop("proto", "k"),
                    posts["part"].to_numpy())

    def _credit_lines(self) -> Rows:
        return Rows.split(self.lines, ["id", "customer_id", "limit_fen", "used_fen",
                                       "opened_on"])

    def _customers(self) -> Rows:
        customers = self.facts.group_by("customer_id").agg(
            pl.len().cast(pl.Int64).alias("loan_counter"),
            pl.col("start_date").min().alias("created_on")).sort("customer_id")
        # Each customer's own identity, masked, sealed and indexed (``identities.py``): parts
        # of one row each, as no two customers share them.
        return Rows(customers.select(pl.col("customer_id").alias("id"), "created_on",
                                     "loan_counter"),
                    identity_frame(customers["customer_id"].to_numpy(), self.business_date),
                    np.arange(customers.height, dtype=np.int64))


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
              business_date: date, seconds: dict[str, float] | None = None) -> dict[str, int]:
    """Load the book into an empty database and set the business date.

    ``seconds`` (if given) receives the wall time of each step.
    """
    timer = _Timer(seconds if seconds is not None else {})
    book = Book(protos, a, business_date)
    copies = np.bincount(a.proto, minlength=len(protos))
    totals = accrual_totals((p.state, p.product_code, int(c))
                            for p, c in zip(protos, copies, strict=True))
    timer.lap("prototype rows")
    if engine.dialect.name == "postgresql" and len(a.customer_id):
        # Every customer of the book in a partition of its own range, none in the default one.
        with engine.begin() as conn:
            eod_store.add_customer_partitions(conn, int(a.customer_id.max()))
    if engine.dialect.name == "postgresql" and _may_bypass_triggers(engine):
        counts = _load_parallel(engine, book, totals, business_date, timer)
    else:
        counts = _load_serial(engine, book, totals, business_date, timer)
    return {t: counts[t] for t in TABLES}


class _Timer:
    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds = seconds
        self.started = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = round(now - self.started, 3)
        self.started = now


def _opening(conn: Connection, book: Book, totals: dict[str, dict[str, int]],
             business_date: date) -> None:
    """The book-wide opening entries (accruals, provisions) and the business date."""
    _fix_sequences(conn)
    last = business_date - timedelta(days=1)
    post_many(conn, accrual_entries(last, totals) + _provisions(conn, book.facts, last))
    clock.init_business_date(conn, business_date)


# --- PostgreSQL, parallel ---------------------------------------------------------------------

def _load_parallel(engine: Engine, book: Book, totals: dict[str, dict[str, int]],
                   business_date: date, timer: _Timer) -> dict[str, int]:
    counts: dict[str, int] = {}
    with engine.connect() as control:
        try:
            _claim(control)
            timer.lap("claim")
            pool = ThreadPoolExecutor(LOAD_CONNECTIONS)
            try:
                jobs = []
                for table in PARALLEL_ORDER:  # built here while the connections copy
                    rows = book.rows(table)
                    counts[table] = len(rows)
                    jobs.append(pool.submit(_load_table, engine, table, rows, timer.seconds))
                done, _pending = wait(jobs, return_when=FIRST_EXCEPTION)
                for job in done:
                    job.result()  # raises a failed table's error; the marker stays
            finally:
                pool.shutdown(cancel_futures=True)
            timer.lap("tables")
            with control.begin():
                _opening(control, book, totals, business_date)
                control.execute(text("DELETE FROM system_state WHERE key = :k"),
                                {"k": MARKER_KEY})
            timer.lap("opening")
        finally:
            control.invalidate()  # ends the session, and with it the advisory lock
    return counts


def _may_bypass_triggers(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(text(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar_one())


def _refuse_unless_empty(conn: Connection) -> None:
    """A generated book goes into an empty database only: never mixed with other loans."""
    held = [t for t in TABLES
            if conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {t})")).scalar_one()]
    if held:
        raise Conflict(f"the database already holds {', '.join(held)}; portfolio generate fills "
                       "an empty database only (set LENDCORE_DATABASE_URL to a new one)")


def _claim(conn: Connection) -> None:
    """Take the database for this run (committed): locked, empty, marked, no business date.

    The rows an unfinished run left (its marker still there) are removed first.
    """
    with conn.begin():
        if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                            {"k": LOCK_KEY}).scalar_one():
            raise Conflict("another portfolio generate is running on this database")
        marker = conn.execute(text("SELECT value FROM system_state WHERE key = :k"),
                              {"k": MARKER_KEY}).scalar_one_or_none()
        if marker is not None:
            _clean_unfinished(conn)
        _refuse_unless_empty(conn)
        conn.execute(text("DELETE FROM system_state WHERE key IN (:d, :m)"),
                     {"d": clock.BUSINESS_DATE_KEY, "m": MARKER_KEY})
        started = f"unfinished, started {datetime.now():%Y-%m-%d %H:%M:%S}"
        conn.execute(text("INSERT INTO system_state (key, value) VALUES (:k, :v)"),
                     {"k": MARKER_KEY, "v": started})


def _clean_unfinished(conn: Connection) -> None:
    """Empty the generated tables an unfinished run left.

    Refused if a table citing them holds rows (someone used the unfinished book); otherwise
    those tables (and what cites them) are empty, and CASCADE only names them.
    """
    citing = conn.execute(text(
        "SELECT DISTINCT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f' "
        "AND conparentid = 0 AND confrelid::regclass::text = ANY(:tables) "
        "AND NOT conrelid::regclass::text = ANY(:tables)"), {"tables": list(TABLES)}).scalars()
    for table in sorted(citing):
        if conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {table})")).scalar_one():
            raise Conflict(f"an unfinished generated book is here and {table} refers to it; "
                           "recreate the database")
    # The ledger refuses TRUNCATE by trigger; these entries are the unfinished run's own.
    conn.execute(text("SET LOCAL session_replication_role = replica"))
    conn.execute(text(f"TRUNCATE {', '.join(TABLES)} CASCADE"))
    conn.execute(text("SET LOCAL session_replication_role = origin"))


def _load_table(engine: Engine, table: str, rows: Rows, seconds: dict[str, float]) -> None:
    """One table in one transaction: indexes dropped, COPY, indexes rebuilt, checked, analysed.
    ``seconds`` receives ``copy <table>`` and ``indexes <table>`` (with checks and ANALYZE)."""
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        rebuild = _drop_indexes(conn, table)
        started = time.perf_counter()
        copy_rows(conn, table, rows.keys, rows.parts, rows.part)
        copied = time.perf_counter()
        for statement in rebuild:
            conn.exec_driver_sql(statement)
        if table == "postings":
            _check_balanced(conn)
        conn.exec_driver_sql(f"ANALYZE {table}")
        seconds[f"copy {table}"] = round(copied - started, 3)
        seconds[f"indexes {table}"] = round(time.perf_counter() - copied, 3)


def _drop_indexes(conn: Connection, table: str) -> list[str]:
    """Drop the table's indexes no foreign key depends on (plain, primary keys, unique
    constraints); return the statements that rebuild them. Building an index once is much
    cheaper than a b-tree insert per row, and a re-added key checks uniqueness again.
    SQLite: the indexes declared apart from the table (its keys are part of the table)."""
    if not is_postgres(conn):
        declared = conn.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
            "AND sql IS NOT NULL"), {"t": table}).all()
        for name, _sql in declared:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        return [str(sql) for _name, sql in declared]
    rows = conn.execute(text(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), c.conname, "
        "pg_get_constraintdef(c.oid) FROM pg_index i LEFT JOIN pg_constraint c "
        "ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u') "
        "WHERE i.indrelid = CAST(:t AS regclass) AND NOT EXISTS (SELECT 1 FROM pg_constraint f "
        "WHERE f.contype = 'f' AND f.conindid = i.indexrelid)"), {"t": table}).all()
    rebuild = []
    for index, definition, constraint, constraint_definition in rows:
        if constraint is None:
            conn.exec_driver_sql(f"DROP INDEX {index}")
            rebuild.append(definition)
        else:
            conn.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
            rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" '
                           f"{constraint_definition}")
    return rebuild


def _check_balanced(conn: Connection) -> None:
    """What the bypassed per-row ledger triggers check, set-wise: every entry balances."""
    bad = conn.execute(text(
        "SELECT entry_id FROM postings GROUP BY entry_id "
        "HAVING sum(debit_fen - credit_fen) <> 0 LIMIT 1")).first()
    if bad is not None:
        raise RuntimeError(f"generated entry {bad[0]} is unbalanced")


# --- one transaction (SQLite; PostgreSQL without the right to bypass triggers) ----------------

def _load_serial(engine: Engine, book: Book, totals: dict[str, dict[str, int]],
                 business_date: date, timer: _Timer) -> dict[str, int]:
    counts: dict[str, int] = {}
    with UnitOfWork(engine) as uow:
        conn = uow.conn
        _refuse_unless_empty(conn)
        rebuild = [s for t in TABLES if not _defers_triggers(conn, t)
                   for s in _drop_indexes(conn, t)]
        for table in TABLES:
            rows = book.rows(table)
            counts[table] = len(rows)
            if is_postgres(conn):
                copy_rows(conn, table, rows.keys, rows.parts, rows.part)
            else:
                _insert_sqlite(conn, table, rows.frame())
        for statement in rebuild:
            conn.exec_driver_sql(statement)
        timer.lap("tables")
        _opening(conn, book, totals, business_date)
        uow.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "ANALYZE " + ", ".join(TABLES))
    timer.lap("opening")
    return counts


def _defers_triggers(conn: Connection, table: str) -> bool:
    """PostgreSQL: the table has deferred triggers (the ledger's balance checks). Rows copied
    with them on leave events pending until commit, and no index may be added meanwhile."""
    return is_postgres(conn) and bool(conn.execute(text(
        "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) "
        "AND tgdeferrable)"), {"t": table}).scalar_one())


def _insert_sqlite(conn: Connection, table: str, frame: pl.DataFrame) -> None:
    if frame.is_empty():
        return
    names = frame.columns
    casts = [pl.col(c).cast(pl.Utf8) if frame.schema[c] == pl.Date else
             (pl.col(c).cast(pl.Int64) if frame.schema[c] == pl.Boolean else pl.col(c))
             for c in names]
    rows = frame.select(casts).rows()
    sql = (f"INSERT INTO {table} ({', '.join(names)}) "
           f"VALUES ({', '.join('?' for _ in names)})")
    conn.connection.driver_connection.cursor().executemany(sql, rows)  # type: ignore[union-attr]


def _fix_sequences(conn: Connection) -> None:
    if not is_postgres(conn):
        return
    for table in ("customers", "credit_lines", "loan_events", "journal_entries"):
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                          f"(SELECT max(id) FROM {table}))"))


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


def describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{t} {n}" for t, n in counts.items())


def sample_ids(a: Assignment, k: int, seed: int) -> list[Any]:
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(a.loan_id, size=min(k, len(a.loan_id)), replace=False).tolist())
