"""PostgreSQL: the book partitioned by customer range, the audit by month (migration 0020).

A generated book whose customers straddle the bound of two blocks (customers 99,900 onwards:
block 0 ends at customer 100,000) lands each loan, installment and event in its customer's
block; the nightly plan never spans two blocks; a block detached leaves the night running over
the rest and comes back whole; the migration goes down to plain tables and up again with every
row kept.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, select, text

from lendcore.audit import log as audit_log
from lendcore.audit.chain import Entry
from lendcore.eod import store as eod_store
from lendcore.eod.run import run_through
from lendcore.ids import LOANS_PER_CUSTOMER
from lendcore.store.core_tables import customers
from lendcore.store.db import alembic_config
from lendcore.store.servicing_tables import installments, loans
from lendcore_tools.portfolio.generate import build_prototypes, prototype_count
from lendcore_tools.portfolio.load import assign, load_book
from tests.conftest import fresh_database

pytestmark = pytest.mark.postgres

BUSINESS_DATE = date(2026, 3, 1)
BLOCK = 100_000  # customers per partition (migration 0020)
WIDTH = BLOCK * LOANS_PER_CUSTOMER  # loan ids per partition
FIRST_CUSTOMER = 99_900
BOOK_TABLES = ("loans", "installments", "loan_events")
KEYS = {"loans": "id", "installments": "loan_id", "loan_events": "loan_id"}


@pytest.fixture()
def pg(pg_url: str, tmp_path: object) -> Iterator[Engine]:
    with fresh_database("postgres", tmp_path, pg_url, prefix="lcpart") as eng:
        yield eng


@pytest.fixture()
def book(pg: Engine) -> Engine:
    """300 loans of customers 99,900 to about 100,090: blocks 0 and 1."""
    protos = build_prototypes(5, prototype_count(300), BUSINESS_DATE, workers=1, engine=pg)
    load_book(pg, protos, assign(300, len(protos), 5, first_customer=FIRST_CUSTOMER),
              BUSINESS_DATE)
    return pg


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _partitions(conn: Connection, table: str) -> dict[str, str]:
    """Partition name -> bound expression, as pg_catalog has them."""
    rows = conn.execute(text(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = CAST(:t AS regclass)"),
        {"t": table})
    return {str(name): str(bound) for name, bound in rows}


def _where(conn: Connection, table: str) -> dict[int, str]:
    """Row key -> the partition it is stored in."""
    key = KEYS[table]
    return {int(k): str(p) for k, p in conn.execute(text(
        f"SELECT {key}, tableoid::regclass::text FROM {table}"))}


def _fingerprint(conn: Connection) -> dict[str, tuple[int, str]]:
    """Each table's row count and a digest of every row, in key order."""
    order = {"loans": "id", "installments": "loan_id, number", "loan_events": "id",
             "audit_log": "seq", "journal_entries": "id", "postings": "entry_id, line"}
    out = {}
    for table, key in order.items():
        out[table] = tuple(conn.execute(text(
            f"SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY {key})), '') "
            f"FROM {table} t")).one())
    return out


def _append_audit(engine: Engine, at: datetime, n: int) -> None:
    with engine.begin() as conn:
        for i in range(n):
            audit_log.append_now(conn, Entry(at=at + timedelta(minutes=i), actor="tester",
                                             role=None, origin="test", command="Probe",
                                             payload=f'{{"i": {i}}}', outcome="ok", key=None))


def test_book_tables_are_partitioned_by_customer_block_with_a_default(pg: Engine) -> None:
    with pg.connect() as conn:
        for table in BOOK_TABLES:
            parts = _partitions(conn, table)
            assert parts[f"{table}_default"] == "DEFAULT"
            for b in range(16):
                assert parts[f"{table}_c{b:04d}"] == (
                    f"FOR VALUES FROM ('{b * WIDTH}') TO ('{(b + 1) * WIDTH}')")
            assert len(parts) == 17
        assert eod_store.table_bounds(conn) == [b * WIDTH for b in range(17)]
        months = _partitions(conn, "audit_log")
        assert months.pop("audit_log_default") == "DEFAULT"
        now = datetime.now(UTC)
        assert f"audit_log_y{now.year:04d}m{now.month:02d}" in months
        assert len(months) == 13  # this month and twelve ahead
        kinds: dict[str, str] = dict(conn.execute(text(
            "SELECT relname, relkind FROM pg_class WHERE relname = ANY(:t) "
            "AND relnamespace = 'public'::regnamespace"),
            {"t": [*BOOK_TABLES, "audit_log", "journal_entries", "postings"]}).all())
        assert kinds == {**dict.fromkeys([*BOOK_TABLES, "audit_log"], "p"),
                         "journal_entries": "r", "postings": "r"}
        keys: dict[str, str] = dict(conn.execute(text(
            "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'p' AND conrelid::regclass::text = ANY(:t)"),
            {"t": [*BOOK_TABLES, "audit_log"]}).all())
        assert keys == {"loans": "PRIMARY KEY (id)",
                        "installments": "PRIMARY KEY (loan_id, number)",
                        "loan_events": "PRIMARY KEY (id, loan_id)",
                        "audit_log": "PRIMARY KEY (seq, at)"}


def test_every_row_of_a_customer_lands_in_its_customers_block(book: Engine) -> None:
    with book.connect() as conn:
        for table in BOOK_TABLES:
            where = _where(conn, table)
            assert where
            assert {p for p in where.values()} == {f"lendcore_partitions.{table}_c0000",
                                                   f"lendcore_partitions.{table}_c0001"}
            for key, part in where.items():
                block = key // LOANS_PER_CUSTOMER // BLOCK
                assert part == f"lendcore_partitions.{table}_c{block:04d}", (table, key)


def test_a_loan_beyond_the_blocks_made_waits_in_default_until_its_block_is_made(
        book: Engine) -> None:
    far = 2_345_678  # block 23: none made yet
    with book.begin() as conn:
        row = conn.execute(select(customers).where(customers.c.id == FIRST_CUSTOMER)).one()
        conn.execute(customers.insert().values(
            {**row._asdict(), "id": far, "external_ref": None}))
        loan = conn.execute(select(loans).where(loans.c.customer_id == FIRST_CUSTOMER)
                            .order_by(loans.c.id).limit(1)).one()
        new_id = far * LOANS_PER_CUSTOMER + 1
        conn.execute(loans.insert().values({**loan._asdict(), "id": new_id, "customer_id": far}))
        conn.execute(installments.insert(), [
            {**r._asdict(), "loan_id": new_id} for r in
            conn.execute(select(installments).where(installments.c.loan_id == loan.id))])
    with book.connect() as conn:
        assert _where(conn, "loans")[new_id] == "lendcore_partitions.loans_default"
        before = _fingerprint(conn)
    with book.begin() as conn:
        made = eod_store.add_customer_partitions(conn, far)
    assert made == 3 * (far // BLOCK - 15)  # blocks 16..23 of three tables
    with book.connect() as conn:
        assert _where(conn, "loans")[new_id] == "lendcore_partitions.loans_c0023"
        assert set(_where(conn, "installments")[k] for k in [new_id]) == {
            "lendcore_partitions.installments_c0023"}
        assert conn.execute(text(
            "SELECT count(*) FROM lendcore_partitions.loans_default")).scalar_one() == 0
        assert _fingerprint(conn) == before
    with book.begin() as conn:
        assert eod_store.add_customer_partitions(conn, far) == 0


def test_the_night_plan_never_spans_two_table_partitions(book: Engine) -> None:
    with book.begin() as conn:
        for count in (None, 2, 3, 7):
            day = BUSINESS_DATE + timedelta(days=100 + (count or 0))
            ranges = eod_store.plan_partitions(conn, day, count)
            bounds = eod_store.table_bounds(conn)
            highest = conn.execute(text("SELECT max(id) FROM loans")).scalar_one()
            assert ranges[0][0] == 0 and ranges[-1][1] == eod_store.FAR_ID
            assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(ranges))
            for lo, hi in ranges:
                assert all(b > highest for b in bounds if lo < b <= hi), (count, lo, hi)
                assert conn.execute(text(
                    "SELECT count(DISTINCT tableoid) FROM loans WHERE id BETWEEN :lo AND :hi "
                    "AND status <> 'closed'"), {"lo": lo, "hi": hi}).scalar_one() <= 1
            # the block bound 100,000 falls inside the book: a range ends right before it
            assert any(hi == WIDTH - 1 for _lo, hi in ranges)
        conn.rollback()


def test_a_block_detached_leaves_the_night_to_the_rest_and_comes_back_whole(
        book: Engine) -> None:
    with book.connect() as conn:
        before = _fingerprint(conn)
        in_block_1 = conn.execute(text(
            "SELECT count(*) FROM loans WHERE id >= :w"), {"w": WIDTH}).scalar_one()
        assert in_block_1 > 0
    with book.begin() as conn:
        conn.execute(text("SELECT lendcore_detach_customer_block(1)"))
    with book.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM loans WHERE id >= :w"),
                            {"w": WIDTH}).scalar_one() == 0
        detached = conn.execute(text(
            "SELECT md5(string_agg(t::text, '|' ORDER BY id)) "
            "FROM lendcore_partitions.loans_c0001 t")).scalar_one()
    [report] = run_through(_url(book), BUSINESS_DATE, workers=1, steps=())
    assert report.loans > 0 and not report.problems
    with book.connect() as conn:
        assert conn.execute(text(
            "SELECT count(*) FROM loans WHERE status <> 'closed' AND accrued_through <> :d"),
            {"d": BUSINESS_DATE}).scalar_one() == 0
        assert conn.execute(text(
            "SELECT md5(string_agg(t::text, '|' ORDER BY id)) "
            "FROM lendcore_partitions.loans_c0001 t")).scalar_one() == detached
    with book.begin() as conn:
        conn.execute(text("SELECT lendcore_attach_customer_block(1)"))
    with book.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM loans WHERE id >= :w"),
                            {"w": WIDTH}).scalar_one() == in_block_1
        after = _fingerprint(conn)
        assert after["installments"][0] == before["installments"][0]
        assert after["loan_events"] == before["loan_events"]
        assert _partitions(conn, "installments")["installments_c0001"] == (
            f"FOR VALUES FROM ('{WIDTH}') TO ('{2 * WIDTH}')")
        assert conn.execute(text(  # the foreign key to loans is back on the block
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = "
            "'lendcore_partitions.installments_c0001'::regclass")).scalar_one() >= 1


def test_the_migration_goes_down_to_plain_tables_and_up_again_with_every_row(
        book: Engine) -> None:
    _append_audit(book, datetime(2025, 11, 30, 23, 0, tzinfo=UTC), 90)  # two past months
    _append_audit(book, datetime.now(UTC), 3)
    cfg = alembic_config(book)
    with book.connect() as conn:
        before = _fingerprint(conn)
        assert _where(conn, "loans")
    command.downgrade(cfg, "0019_contract_version")  # one of 0020's down revisions: 0020 alone
    with book.connect() as conn:
        assert _kinds(conn) == dict.fromkeys([*BOOK_TABLES, "audit_log"], "r")
        assert conn.execute(text("SELECT to_regnamespace('lendcore_partitions')")).scalar() \
            is None
        assert _fingerprint(conn) == before
        assert _primary_key(conn, "loan_events") == "PRIMARY KEY (id)"
    command.upgrade(cfg, "heads")
    with book.connect() as conn:
        assert _kinds(conn) == dict.fromkeys([*BOOK_TABLES, "audit_log"], "p")
        assert _fingerprint(conn) == before
        months = _partitions(conn, "audit_log")
        assert {"audit_log_y2025m11", "audit_log_y2025m12"} <= set(months)
        assert conn.execute(text(
            "SELECT count(*) FROM lendcore_partitions.audit_log_default")).scalar_one() == 0
    assert audit_log.verify(book).intact
    _append_audit(book, datetime.now(UTC), 1)  # the chain goes on
    verdict = audit_log.verify(book)
    assert verdict.intact and verdict.records == 94
    [report] = run_through(_url(book), BUSINESS_DATE, workers=1, steps=())
    assert not report.problems


def _kinds(conn: Connection) -> dict[str, Any]:
    return dict(conn.execute(text(
        "SELECT relname, relkind FROM pg_class WHERE relname = ANY(:t) "
        "AND relnamespace = 'public'::regnamespace"),
        {"t": [*BOOK_TABLES, "audit_log"]}).all())


def _primary_key(conn: Connection, table: str) -> str:
    return str(conn.execute(text(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'p' "
        "AND conrelid = CAST(:t AS regclass)"), {"t": table}).scalar_one())
