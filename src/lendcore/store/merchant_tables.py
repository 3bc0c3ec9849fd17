"""Merchants and the orders checkout loans pay for.

``merchants`` is the seed of the merchant registry (domain.md s9): a merchant id (the
identifier callers send, e.g. ``mi-mall``), its name, its status (``active`` or ``suspended``: a
suspended merchant is paid by no new loan) and its goods category. Settlement terms (T+N) and
subsidy terms come with the full registry. Owner: ``lendcore.merchants``.

``checkout_orders`` binds a checkout loan to its order, one loan per (merchant, order): the
unique constraint refuses a second loan for the same order even under a race.
``checkout_order_items`` keeps what was bought; the items' quantity x unit price sum to the
order's amount (checked before the write). ``subsidy_fen`` is the interest-free (贴息) subsidy
booked when the loan opened (0 without one). Owner: ``lendcore.servicing``.

Money is BIGINT fen.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from lendcore.store.base import Fen, metadata

MERCHANT_STATUSES = ("active", "suspended")

merchants = Table(
    "merchants",
    metadata,
    Column("id", String(64), primary_key=True),  # the merchant id (edge.Identifier)
    Column("name", String(128), nullable=False),
    Column("status", String(16), nullable=False),  # active | suspended
    Column("category", String(32), nullable=False),  # goods category, e.g. electronics
    Column("registered_on", Date, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    CheckConstraint("status IN ('active', 'suspended')", name="status"),
)

checkout_orders = Table(
    "checkout_orders",
    metadata,
    Column("loan_id", BigInteger, ForeignKey("loans.id"), primary_key=True),
    Column("merchant_id", String(64), ForeignKey("merchants.id"), nullable=False),
    Column("order_id", String(64), nullable=False),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False, index=True),
    Column("amount_fen", Fen, nullable=False),
    Column("interest_free", Boolean, nullable=False, server_default="0"),
    Column("subsidy_fen", Fen, nullable=False, server_default="0"),
    Column("ordered_on", Date, nullable=False),
    UniqueConstraint("merchant_id", "order_id"),  # one loan per (merchant, order)
    CheckConstraint("amount_fen > 0", name="amount"),
)

checkout_order_items = Table(
    "checkout_order_items",
    metadata,
    Column("loan_id", BigInteger, ForeignKey("checkout_orders.loan_id"), primary_key=True),
    Column("line", Integer, primary_key=True),  # 1, 2, ... in the order's order
    Column("name", String(128), nullable=False),
    Column("category", String(32), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_fen", Fen, nullable=False),
    CheckConstraint("quantity >= 1", name="quantity"),
    CheckConstraint("unit_price_fen >= 0", name="unit_price"),
)
