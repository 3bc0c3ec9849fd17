"""Origination: decision records, human reviews, limit changes.

``decisions`` keeps every automated decision (PIPL Art. 24: explanation and human review on
request). Identity is never raw: ``id_number_hash`` is the keyed hash (blind index) that
finds a re-application; ``inputs_masked_json`` holds the masked identity (an age band, never a
birth date) and the non-identifying inputs a reviewer needs; a referral keeps the identity
sealed (``*_sealed``) until a reviewer decides. A decline for missing consent keeps only the
outcome and its reasons (both columns NULL). Rates are BIGINT parts per billion, money BIGINT fen.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from lendcore.store.base import Fen, IdType, metadata

decisions = Table(
    "decisions",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("decided_on", Date, nullable=False),  # the application date (business date)
    Column("product_code", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),  # approve | decline | refer
    Column("reasons_json", Text, nullable=False),
    Column("score", Integer),
    Column("scorecard_version", String(16)),
    Column("limit_fen", Fen),
    Column("daily_rate_ppb", BigInteger),
    Column("reapply_after", Date),
    Column("id_number_hash", String(64)),
    Column("customer_id", BigInteger, ForeignKey("customers.id")),
    Column("inputs_masked_json", Text),
    Column("decided_at", DateTime(timezone=True)),  # the server's time of the decision
    # A referral's identity, sealed (``pii.sealing``) for the reviewer's approval to open the
    # customer with; NULL on approvals (the customer holds it) and declines (only the hash).
    Column("name_sealed", Text),
    Column("id_number_sealed", Text),
    Column("mobile_sealed", Text),
    Index("ix_decisions_hash_reapply", "id_number_hash", "reapply_after"),
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("decision_id", BigInteger, ForeignKey("decisions.id"), nullable=False, index=True),
    Column("requested_on", Date, nullable=False),
    Column("request_reason", Text, nullable=False, server_default=""),
    Column("status", String(16), nullable=False, index=True),  # open | decided
    Column("outcome", String(16)),  # approve | decline
    Column("reviewer", String(64)),
    Column("outcome_reason", Text),
    Column("decided_on", Date),
    Column("requested_at", DateTime(timezone=True)),  # the server's time
    Column("decided_at", DateTime(timezone=True)),
    # One open review per decision, also when two requests arrive at once (migration 0007).
    Index("uq_reviews_open_decision", "decision_id", unique=True,
          postgresql_where=text("status = 'open'"), sqlite_where=text("status = 'open'")),
)

limit_changes = Table(
    "limit_changes",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("credit_line_id", BigInteger, ForeignKey("credit_lines.id"), nullable=False,
           index=True),
    Column("business_date", Date, nullable=False),
    Column("action", String(16), nullable=False),  # raise | cut | freeze | unfreeze
    Column("old_limit_fen", Fen, nullable=False),
    Column("new_limit_fen", Fen, nullable=False),
    Column("reasons_json", Text, nullable=False),
    # What the change rests on and who made it (a decision, a review, the nightly limit job).
    Column("decision_id", BigInteger),
    Column("review_id", BigInteger),
    Column("actor", String(64)),
    Index("ix_limit_changes_date", "business_date"),
)
