"""Core tables: system state (business date), customers, credit lines, idempotency records."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from lendcore.store.base import Fen, IdType, metadata

system_state = Table(
    "system_state",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(255), nullable=False),
)

customers = Table(
    "customers",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("external_ref", String(64), unique=True),
    # Identity (domain rule 10): masks for display; the full name, ID number and mobile sealed
    # (``pii.sealing``: AES-GCM, key id in the value, bound to its column), written by
    # ``customers.store`` only; exact look-ups by the blind indexes (``pii.index``: keyed
    # HMAC), never the plain value. No birth date or gender: they are the eight digits the ID
    # mask hides (and the 17th it shows).
    Column("name_masked", String(64), nullable=False, server_default=""),
    Column("id_number_hash", String(64), index=True),
    Column("id_number_masked", String(32)),
    Column("mobile_masked", String(32)),
    Column("name_sealed", Text),
    Column("id_number_sealed", Text),
    Column("mobile_sealed", Text),
    Column("mobile_index", String(64), index=True),
    Column("timezone", String(64), nullable=False, server_default="Asia/Shanghai"),
    Column("created_on", Date, nullable=False),
    Column("loan_counter", Integer, nullable=False, server_default="0"),
    Column("version", Integer, nullable=False, server_default="1"),
)

credit_lines = Table(
    "credit_lines",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False, index=True),
    Column("product_code", String(64), nullable=False),
    Column("limit_fen", Fen, nullable=False),
    Column("used_fen", Fen, nullable=False, server_default="0"),
    # The daily rate priced at approval (ppb); draws take it, capped by the product's tiers.
    Column("daily_rate_ppb", BigInteger),
    Column("frozen", Boolean, nullable=False, server_default="0"),
    Column("frozen_reason", String(255)),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("opened_on", Date, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    UniqueConstraint("customer_id", "product_code", name="uq_credit_lines_customer_product"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("command", String(64), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response_json", Text, nullable=False),
)
