"""Consents: a customer's separate, versioned consents, one append-only history per customer.

Owned by ``lendcore/customers/consents.py`` (the only writer). Each row is one act: a consent
given (``granted`` true) or withdrawn (false) for one purpose, under one version of its text,
through one channel, at the server's time, recorded by an actor. Rows are never changed (the
migration adds triggers refusing UPDATE and DELETE); the current state of a purpose is its
latest row (highest ``id``).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
)

from lendcore.store.audit_tables import UtcDateTime
from lendcore.store.base import IdType, metadata

# The closed sets (``customers.consents`` names them for the edges).
CONSENT_PURPOSES = ("credit_query", "bureau_reporting", "personal_data", "collection_sharing",
                    "marketing")
CONSENT_CHANNELS = ("app", "web", "phone", "branch", "paper")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


consents = Table(
    "consents",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("version", String(64), nullable=False),  # the consent text's version, "2026-01"
    Column("granted", Boolean, nullable=False),  # true: given; false: withdrawn
    Column("channel", String(16), nullable=False),
    Column("at", UtcDateTime(), nullable=False),  # the server's time (ctx.now)
    Column("actor", Text, nullable=False),
    CheckConstraint(_one_of("purpose", CONSENT_PURPOSES), name="purpose"),
    CheckConstraint(_one_of("channel", CONSENT_CHANNELS), name="channel"),
    # A purpose's latest row, found by one index range scan.
    Index("ix_consents_customer_purpose", "customer_id", "purpose", "id"),
)
