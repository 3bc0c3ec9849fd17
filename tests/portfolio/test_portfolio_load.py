"""``portfolio generate``'s load: the rows written are the book's rows on both databases, the
binary COPY writes every type exactly, and an unfinished parallel load is refused by the
servicing side and cleaned by the next run."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import numpy as np
import polars as pl
import pytest
from sqlalchemy import Engine, create_engine, select, text

import lendcore.store.tables  # noqa: F401  (every table in the metadata)
from lendcore.clock import business_date
from lendcore.eod.sqlio import copy_rows
from lendcore.errors import Conflict, InvalidInput
from lendcore.ledger.store import audit
from lendcore.store.base import metadata
from lendcore.store.db import make_engine
from lendcore.store.servicing_tables import CONTRACT_VERSION
from lendcore_tools.portfolio import load
from lendcore_tools.portfolio.generate import generate
from tests.conftest import fresh_database

BUSINESS_DATE = date(2026, 3, 1)
LOANS = 1500
ORDER = {"installments": ("loan_id", "number"), "postings": ("entry_id", "line")}


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _table(engine: Engine, name: str) -> list[tuple[Any, ...]]:
    table = metadata.tables[name]
    key = [table.c[c] for c in ORDER.get(name, ("id",))]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(table).order_by(*key))]


def _expected(frame: pl.DataFrame, name: str) -> list[tuple[Any, ...]]:
    """The frame's rows in the table's column order, defaults where the frame has none."""
    table = metadata.tables[name]
    order = list(ORDER.get(name, ("id",)))
    rows = frame.sort(order).to_dicts()
    return [tuple(r.get(c.name, _default(c.name)) for c in table.columns) for r in rows]


def _default(column: str) -> Any:
    return {"version": 1, "timezone": "Asia/Shanghai", "status": "open", "reversed": False,
            "detail_json": "{}", "apr_nominal_ppb": 0,
            "contract_version": CONTRACT_VERSION}.get(column)


@pytest.fixture()
def pg_engine(pg_url: str, tmp_path: object) -> Iterator[Engine]:
    with fresh_database("postgres", tmp_path, pg_url, prefix="lc_gen") as eng:
        yield eng


@pytest.mark.postgres
def test_portfolio_binary_copy_writes_every_type_exactly(pg_engine: Engine) -> None:
    keys = pl.DataFrame({"id": [1, 2, 3, 4], "n": [7, -7, 0, 2**31 - 1],
                         "day": [date(1969, 12, 31), date(2000, 1, 1), date(2000, 1, 2),
                                 date(2026, 2, 28)]})
    parts = pl.DataFrame({"amount": [-(2**63), None, 2**63 - 1], "small": [1, -1, None],
                          "flag": [True, False, None],
                          "paid_on": [date(1999, 12, 31), None, date(2024, 2, 29)],
                          "name": ["张**", "", None], "note": ['{"a": 1}', None, "x" * 300]})
    part = np.array([0, 1, 2, 0])
    with pg_engine.begin() as conn:
        conn.execute(text(
            "CREATE TEMP TABLE t (id bigint, n integer, day date, amount bigint, "
            "small smallint, flag boolean, paid_on date, name varchar(8), note text)"))
        copy_rows(conn, "t", keys, parts, part)
        got = [tuple(r) for r in conn.execute(text("SELECT * FROM t ORDER BY id"))]
    want = pl.concat([keys, parts[part]], how="horizontal").rows()
    assert got == want


@pytest.mark.postgres
def test_portfolio_binary_copy_refuses_a_key_its_column_cannot_hold(pg_engine: Engine) -> None:
    with pg_engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE t (id bigint, n integer, name text)"))
        with pytest.raises(ValueError, match="does not fit"):
            copy_rows(conn, "t", pl.DataFrame({"id": [1], "n": [2**31]}),
                      pl.DataFrame({"name": ["x"]}), np.array([0]))


@pytest.mark.postgres
def test_portfolio_generate_on_postgres_writes_the_books_rows_and_keys(
        pg_engine: Engine, tmp_path: object, pg_url: str) -> None:
    _counts, seconds, a, protos = generate(_url(pg_engine), LOANS, 5, BUSINESS_DATE, workers=1)
    book = load.Book(protos, a, BUSINESS_DATE)
    for name in load.TABLES:
        want = _expected(book.rows(name).frame(), name)
        got = _table(pg_engine, name)
        assert got[:len(want)] == want, name
        if name != "journal_entries":  # then the book-wide opening entries, without a loan
            assert len(got) == len(want) or name == "postings", name
    assert {f"copy {t}" for t in load.TABLES} <= set(seconds)
    with pg_engine.connect() as conn:
        assert business_date(conn) == BUSINESS_DATE
        assert conn.execute(text("SELECT value FROM system_state WHERE key = :k"),
                            {"k": load.MARKER_KEY}).first() is None
        assert audit(conn) == []
        indexes = _indexes(conn)
    with fresh_database("postgres", tmp_path, pg_url, prefix="lc_schema") as empty, \
            empty.connect() as conn:
        assert indexes == _indexes(conn)  # every key and index is back, as migrated


def _indexes(conn: Any) -> set[tuple[str, str]]:
    return {(r[0], r[1]) for r in conn.execute(text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"))}


def test_portfolio_generate_writes_the_same_book_on_sqlite_and_postgres(
        tmp_path: object, pg_url: str) -> None:
    with fresh_database("sqlite", tmp_path) as lite, \
            fresh_database("postgres", tmp_path, pg_url, prefix="lc_gen") as pg:
        for engine in (lite, pg):
            generate(_url(engine), 600, 3, BUSINESS_DATE, workers=1)
        for name in (*load.TABLES, "eod_provisions", "system_state"):
            table = metadata.tables[name]
            with lite.connect() as a, pg.connect() as b:
                rows = [[tuple(r) for r in c.execute(select(table).order_by(*table.primary_key))]
                        for c in (a, b)]
            assert rows[0] == rows[1], name


@pytest.mark.postgres
def test_an_unfinished_generate_leaves_no_business_date_and_the_next_cleans_it(
        pg_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    real = load._load_table

    def dies_on_postings(engine: Engine, table: str, rows: load.Rows,
                         seconds: dict[str, float]) -> None:
        if table == "postings":
            raise RuntimeError("killed")
        real(engine, table, rows, seconds)

    monkeypatch.setattr(load, "_load_table", dies_on_postings)
    with pytest.raises(RuntimeError, match="killed"):
        generate(_url(pg_engine), LOANS, 5, BUSINESS_DATE, workers=1)
    with pg_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM installments")).scalar_one() > 0
        assert conn.execute(text("SELECT value FROM system_state WHERE key = :k"),
                            {"k": load.MARKER_KEY}).scalar_one().startswith("unfinished")
        with pytest.raises(InvalidInput):
            business_date(conn)  # eod run and servicing refuse the half book
    monkeypatch.setattr(load, "_load_table", real)
    counts, *_ = generate(_url(pg_engine), LOANS, 5, BUSINESS_DATE, workers=1)
    with pg_engine.connect() as conn:
        for table in ("loans", "installments", "loan_events"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == \
                counts[table]
        assert business_date(conn) == BUSINESS_DATE
        assert audit(conn) == []


@pytest.mark.postgres
def test_generate_refuses_a_book_and_a_second_generator(pg_engine: Engine) -> None:
    with pg_engine.connect() as holder:
        holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": load.LOCK_KEY})
        with pytest.raises(Conflict, match="another portfolio generate"):
            generate(_url(pg_engine), 300, 1, BUSINESS_DATE, workers=1)
        holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": load.LOCK_KEY})
        holder.commit()
    generate(_url(pg_engine), 300, 1, BUSINESS_DATE, workers=1)
    with pytest.raises(Conflict, match="already holds"):
        generate(_url(pg_engine), 300, 1, BUSINESS_DATE, workers=1)


@pytest.mark.postgres
def test_portfolio_generate_without_the_right_to_bypass_triggers_loads_in_one_transaction(
        pg_url: str) -> None:
    """A role that is not a superuser: the ledger's triggers and foreign keys stay on."""
    server = pg_url.rsplit("/", 1)[0]
    admin = create_engine(server + "/postgres", isolation_level="AUTOCOMMIT")
    name = f"lc_gen_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{name}" LOGIN'))
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER "{name}"'))
    url = server.replace("//postgres@", f"//{name}@") + f"/{name}"
    try:
        _counts, seconds, *_ = generate(url, 600, 3, BUSINESS_DATE, workers=1)
        assert "claim" not in seconds  # the parallel load was not taken
        engine = make_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM loans")).scalar_one() == 600
            assert business_date(conn) == BUSINESS_DATE
            assert audit(conn) == []
            assert _indexes(conn)  # rebuilt
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
        admin.dispose()
