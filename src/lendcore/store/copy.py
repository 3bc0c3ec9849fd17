"""Bulk helpers every owner's set-based writers share (PostgreSQL COPY of a Polars frame)."""

from __future__ import annotations

import io

import polars as pl
from sqlalchemy import Connection


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def copy_frame(conn: Connection, table: str, frame: pl.DataFrame) -> None:
    """COPY a frame into (temporary) ``table``, columns in the frame's order; PostgreSQL only."""
    buf = io.BytesIO()
    frame.write_csv(buf, include_header=False, null_value="", date_format="%Y-%m-%d")
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    names = ", ".join(frame.columns)
    with cur.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(buf.getvalue())
