"""The one MetaData every table hangs off, with a naming convention for stable migration names."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, MetaData
from sqlalchemy.dialects import sqlite

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BIGINT on PostgreSQL; INTEGER on SQLite so an integer primary key is the rowid (autoincrement).
IdType = BigInteger().with_variant(Integer(), "sqlite")
Fen = BigInteger  # money in fen
sqlite_dialect = sqlite.dialect
