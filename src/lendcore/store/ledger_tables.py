"""The general ledger: journal entries and their postings, append-only.

``journal_entries.id`` is the entry's ordinal, assigned by storage in insertion order.
``source_key`` is the poster's idempotency key (unique when given); ``reversal_of`` points a
reversal at the entry it cancels (unique: an entry is reversed at most once). ``loan_id`` has no
foreign key: the ledger branch does not depend on the servicing tables, aggregated accruals carry
none, and the audit reports a loan id the loans table does not know.

Beyond these constraints the migration adds triggers (see ``0005_ledger``): UPDATE and DELETE are
refused on both tables, and on PostgreSQL a deferred constraint trigger refuses at commit any
entry whose debits differ from its credits.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, Date, ForeignKey, Integer, String, Table

from lendcore.store.base import Fen, IdType, metadata

journal_entries = Table(
    "journal_entries",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("reason", String(32), nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("loan_id", BigInteger, index=True),
    Column("product_code", String(64)),
    Column("source_key", String(128), unique=True),
    Column("reversal_of", BigInteger, ForeignKey("journal_entries.id"), unique=True),
)

postings = Table(
    "postings",
    metadata,
    Column("entry_id", BigInteger, ForeignKey("journal_entries.id"), primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("account_code", String(8), nullable=False),
    Column("debit_fen", Fen, nullable=False),
    Column("credit_fen", Fen, nullable=False),
    CheckConstraint(
        "(debit_fen > 0 AND credit_fen = 0) OR (debit_fen = 0 AND credit_fen > 0)",
        name="one_side",
    ),
)
