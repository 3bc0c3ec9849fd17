"""A partition's loans as columns: read with COPY (PostgreSQL) or SELECT (SQLite), bulk-written.

Reads give the kernel's :class:`Book` (dates as days since 1970-01-01, codes as small ints, all
converted in SQL) plus ids, customer ids, versions and product codes. Writes go back in bulk
through servicing, the owner of ``loans`` (:func:`lendcore.servicing.bulk.update_loans`): the
changed columns as one frame, each row written only if its ``version`` is still the one read (a
repayment committed meanwhile makes the partition retry).

:func:`copy_rows` writes rows in bulk with binary COPY (the synthetic book's load).
"""

from __future__ import annotations

import io
import json
import struct
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

import numpy as np
import polars as pl
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Connection, text

from lendcore.delinquency.ladder import BUCKETS, CLASSES
from lendcore.eod.facts import InstallmentRows
from lendcore.eod.kernel import I64, NO_DATE, Book
from lendcore.servicing import bulk
from lendcore.store.copy import is_postgres

DATE_FIELDS = ("class_floor_until", "accrued_through", "accr_start", "oldest_unpaid_due",
               "next_due_date", "charged_off_on")
_CASES = {
    "pay_any_time": "CASE WHEN method = 'pay-any-time' THEN 1 ELSE 0 END",
    "divisor": "CASE WHEN day_count = 'ACT/365' THEN 365000000000 ELSE 360000000000 END",
    "penalty_on_interest": "CASE WHEN penalty_on_interest THEN 1 ELSE 0 END",
    "ladder": "CASE WHEN ladder = 'card-style' THEN 1 ELSE 0 END",
    "status": "CASE status WHEN 'active' THEN 0 WHEN 'charged_off' THEN 1 ELSE 2 END",
    "bucket": "CAST(substr(bucket, 2, 1) AS INTEGER)",
    "risk_class": "CASE risk_class " + " ".join(
        f"WHEN '{name}' THEN {i}" for i, name in enumerate(CLASSES)) + " END",
}
# Columns the kernel changes, written back.
WRITTEN = ("status", "interest_receivable_fen", "penalty_receivable_fen", "fee_receivable_fen",
           "overdue_principal_fen", "overdue_interest_fen", "overdue_fee_fen", "accrued_through",
           "accr_start", "accr_days", "accr_total_fen", "accr_done_fen", "interest_carry",
           "penalty_carry", "penalty_grace_fen", "dpd", "oldest_unpaid_due", "next_due_date",
           "charged_off_on", "bucket", "risk_class")
STATUS_NAMES = ("active", "charged_off", "closed")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A partition's live loans as read: keys beside the kernel's columns."""

    ids: I64
    customer_ids: I64
    versions: I64
    product_index: I64  # into ``products``
    products: tuple[str, ...]
    book: Book


def _date_sql(conn: Connection, col: str) -> str:
    if is_postgres(conn):
        return f"COALESCE({col} - DATE '1970-01-01', {NO_DATE})"
    return f"COALESCE(CAST(julianday({col}) - 2440587.5 AS INTEGER), {NO_DATE})"


def _loan_select(conn: Connection, lo: int, hi: int) -> str:
    exprs = ["id", "customer_id", "version"]
    for f in fields(Book):
        name = f.name
        if name in DATE_FIELDS:
            exprs.append(_date_sql(conn, name))
        else:
            exprs.append(_CASES.get(name, name))
    exprs.append("product_code")
    return (f"SELECT {', '.join(exprs)} FROM loans WHERE id BETWEEN {int(lo)} AND {int(hi)} "
            "AND status <> 'closed' ORDER BY id")


LOAN_NAMES = ["id", "customer_id", "version", *(f.name for f in fields(Book)), "product_code"]


def _frame(conn: Connection, sql: str, names: list[str], text: set[str]) -> pl.DataFrame:
    schema = {n: (pl.Utf8 if n in text else pl.Int64) for n in names}
    if is_postgres(conn):
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        buf = io.BytesIO()
        with cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
            for block in copy:
                buf.write(block)
        if buf.tell() == 0:
            return pl.DataFrame(schema=schema)
        buf.seek(0)
        return pl.read_csv(buf, has_header=False, new_columns=names, schema=schema)
    rows = conn.exec_driver_sql(sql).fetchall()
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def read_loans(conn: Connection, lo: int, hi: int) -> Snapshot:
    df = _frame(conn, _loan_select(conn, lo, hi), LOAN_NAMES, {"product_code"})
    products = tuple(sorted(df["product_code"].unique().to_list()))
    codes = df["product_code"].cast(pl.Enum(products))
    col = {n: df[n].to_numpy().astype(np.int64) for n in LOAN_NAMES if n != "product_code"}
    book = Book(**{f.name: col[f.name] for f in fields(Book)})
    return Snapshot(col["id"], col["customer_id"], col["version"],
                    codes.to_physical().to_numpy().astype(np.int64), products, book)


INSTALLMENT_NAMES = ["loan_id", "due_date", "period_start", "principal_fen", "interest_fen",
                     "fee_fen", "paid_principal_fen", "paid_interest_fen", "paid_fee_fen"]


def read_installments(conn: Connection, loan_ids: I64, ids: I64, day: int,
                      extra_dues: tuple[int, ...]) -> InstallmentRows:
    """Open installments of ``loan_ids`` starting by day+1 or due on one of ``extra_dues``."""
    if len(loan_ids) == 0:
        return InstallmentRows.empty()
    due, start = _date_sql(conn, "due_date"), _date_sql(conn, "period_start")
    dues = ", ".join(str(d) for d in extra_dues)
    if is_postgres(conn):
        which = "loan_id = ANY('{" + ",".join(map(str, loan_ids.tolist())) + "}'::bigint[])"
    else:
        which = "loan_id IN (SELECT value FROM json_each('" + json.dumps(loan_ids.tolist()) + "'))"
    # The bounds let the planner walk the primary key (loan_id, number) over the partition's
    # range: a list alone of many ids reads as "most of the table" and, at 10M loans, each
    # partition scanned all 75M installments.
    sql = (f"SELECT loan_id, {due}, {start}, principal_fen, interest_fen, fee_fen, "
           "paid_principal_fen, paid_interest_fen, paid_fee_fen FROM installments "
           f"WHERE loan_id BETWEEN {int(loan_ids.min())} AND {int(loan_ids.max())} "
           f"AND {which} AND status = 'open' AND ({start} <= {day + 1} OR {due} IN ({dues}))")
    df = _frame(conn, sql, INSTALLMENT_NAMES, set())
    cols = [df[n].to_numpy().astype(np.int64) for n in INSTALLMENT_NAMES]
    index = np.searchsorted(ids, cols[0])
    return InstallmentRows(index, *cols[1:])


def _date_series(values: I64, name: str) -> pl.Series:
    days = pl.Series(name, values.astype(np.int32)).to_frame()
    col = pl.col(name)
    return days.select(pl.when(col == NO_DATE).then(None).otherwise(col).cast(pl.Date)
                       .alias(name)).to_series()


def _changed_frame(snap: Snapshot, book: Book, rows: I64) -> pl.DataFrame:
    data: dict[str, Any] = {"id": snap.ids[rows], "version": snap.versions[rows]}
    for name in WRITTEN:
        values = getattr(book, name)[rows]
        if name in DATE_FIELDS:
            data[name] = _date_series(values, name)
        elif name == "status":
            data[name] = np.array(STATUS_NAMES, dtype=object)[values]
        elif name == "bucket":
            data[name] = np.array(BUCKETS, dtype=object)[values]
        elif name == "risk_class":
            data[name] = np.array(CLASSES, dtype=object)[values]
        else:
            data[name] = values
    return pl.DataFrame(data)


def write_loans(conn: Connection, snap: Snapshot, book: Book, rows: I64) -> int:
    """Write the kernel's columns for ``rows`` (indexes into the snapshot); rows updated."""
    if len(rows) == 0:
        return 0
    return bulk.update_loans(conn, _changed_frame(snap, book, rows))


# COPY ... (FORMAT BINARY): every value travels as its own bytes, so the server parses no text.
# A row is a 16-bit field count, then per field a 32-bit length (-1 for NULL) and the value,
# big-endian: bigint 8 bytes, integer 4, smallint 2, boolean 1, date 4 (days since 2000-01-01),
# text its UTF-8 bytes.
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, no header extension
_BINARY_TRAILER = b"\xff\xff"
_PG_EPOCH = date(2000, 1, 1)
_PG_EPOCH_DAYS = 10_957  # 1970-01-01 (Polars' day 0) to 2000-01-01 (PostgreSQL's)
# Fixed-width types: the value's numpy dtype, and the field (length, value) as a struct.
_FIXED: dict[str, tuple[np.dtype[Any], struct.Struct]] = {
    "bigint": (np.dtype(">i8"), struct.Struct(">iq")),
    "integer": (np.dtype(">i4"), struct.Struct(">ii")),
    "smallint": (np.dtype(">i2"), struct.Struct(">ih")),
    "boolean": (np.dtype("?"), struct.Struct(">i?")),
    "date": (np.dtype(">i4"), struct.Struct(">ii"))}
_TEXT = {"text", "character varying", "character"}
_NULL = struct.pack(">i", -1)
_LENGTH = struct.Struct(">i")
COPY_CHUNK_ROWS = 32_768


def column_types(conn: Connection, table: str) -> dict[str, str]:
    """The table's column names and type names (``format_type``, e.g. ``bigint``)."""
    rows = conn.execute(text(
        "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
        "WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 AND NOT attisdropped"),
        {"t": table}).all()
    return {str(name): str(kind) for name, kind in rows}


def binary_field(value: Any, pg_type: str) -> bytes:
    """One value as a field of a binary COPY row."""
    if value is None:
        return _NULL
    if pg_type in _TEXT:
        data = str(value).encode()
        return _LENGTH.pack(len(data)) + data
    if pg_type not in _FIXED:
        raise TypeError(f"binary COPY of {pg_type} is not supported")
    if pg_type == "date":
        value = (value - _PG_EPOCH).days
    dtype, field = _FIXED[pg_type]
    return field.pack(dtype.itemsize, value)


def _binary_heads(keys: pl.DataFrame, types: dict[str, str], fields_per_row: int) -> np.ndarray:
    """Each row's field count and key fields, as one fixed-width void record per row."""
    layout: list[tuple[str, Any]] = [("fields", ">i2")]
    for name in keys.columns:
        if types.get(name) not in _FIXED:
            raise TypeError(f"key column {name} must be of a fixed-width type")
        layout += [(f"{name} length", ">i4"), (name, _FIXED[types[name]][0])]
    heads = np.empty(keys.height, dtype=np.dtype(layout))
    heads["fields"] = fields_per_row
    for name in keys.columns:
        column = keys[name]
        if column.null_count():
            raise ValueError(f"key column {name} holds NULL")
        if (types[name] == "date") != (column.dtype == pl.Date):
            raise TypeError(f"key column {name} is {column.dtype}, the table's is {types[name]}")
        values = column.to_physical().to_numpy()
        if types[name] == "date":
            values = values - _PG_EPOCH_DAYS
        target = heads.dtype[name]
        if target.kind == "i" and len(values) and not (
                np.iinfo(target).min <= values.min() and values.max() <= np.iinfo(target).max):
            raise ValueError(f"key column {name} does not fit the table's {types[name]}")
        heads[f"{name} length"] = target.itemsize
        heads[name] = values
    return heads.view(np.dtype((np.void, heads.dtype.itemsize)))


def copy_rows(conn: Connection, table: str, keys: pl.DataFrame, parts: pl.DataFrame,
              part: np.ndarray) -> None:
    """COPY rows made of their own ``keys`` followed by row ``part[i]`` of ``parts`` (binary).

    ``keys`` holds fixed-width columns without NULLs (ids, amounts, dates); ``parts`` holds the
    rest of each row, shared between rows: a synthetic book's rows are copies of a few thousand
    prototype rows. Each part is encoded once; a row is its key record and its part's bytes,
    joined in chunks and queued to a writer thread while the next chunk is built.
    PostgreSQL only.
    """
    types = column_types(conn, table)
    names = [*keys.columns, *parts.columns]
    heads = _binary_heads(keys, types, len(names))
    pool = [b"".join(binary_field(v, types[c]) for v, c in zip(row, parts.columns, strict=True))
            for row in parts.iter_rows()]
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    sql = f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)"
    with cur.copy(sql, writer=QueuedLibpqWriter(cur)) as copy:
        copy.write(_BINARY_HEADER)
        for start in range(0, keys.height, COPY_CHUNK_ROWS):
            stop = min(start + COPY_CHUNK_ROWS, keys.height)
            pieces: list[bytes] = [b""] * (2 * (stop - start))
            pieces[0::2] = heads[start:stop].tolist()
            pieces[1::2] = [pool[i] for i in part[start:stop].tolist()]
            copy.write(memoryview(b"".join(pieces)))
        copy.write(_BINARY_TRAILER)
