"""Collections tables: cases, history, agencies, notices, contacts, promises, plans, plan
requests, legal steps, complaints.

``collection_contacts``, ``collection_case_history``, ``collection_notices`` and
``collection_legal_steps`` are append-only:
the migration adds triggers (PostgreSQL and SQLite) that reject UPDATE and DELETE, and every
contact row carries ``retain_until`` = its borrower-local date + 5 years (rule: collection
records kept at least 5 years). Contact times are stored in UTC (``at_utc``) beside the
borrower-local date they count against (``local_date``).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from lendcore.store.base import Fen, IdType, metadata

collection_agencies = Table(
    "collection_agencies",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("last_reviewed_on", Date, nullable=False),  # yearly review (rule)
    Column("active", Boolean, nullable=False, server_default="1"),
)

collection_cases = Table(
    "collection_cases",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    # One case per borrower across their loans; it closes and reopens with their arrears.
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False, unique=True),
    Column("status", String(16), nullable=False, index=True),  # open | closed
    Column("bucket", String(4), nullable=False),
    Column("max_dpd", Integer, nullable=False),
    Column("overdue_principal_fen", Fen, nullable=False),
    Column("overdue_interest_fen", Fen, nullable=False),
    Column("overdue_fee_fen", Fen, nullable=False),
    Column("penalty_fen", Fen, nullable=False),
    Column("assignee_kind", String(16), nullable=False),  # in_house | agency
    Column("agency_id", BigInteger, ForeignKey("collection_agencies.id")),
    # The in-house collector (a username) the case is assigned to: a collector sees only theirs.
    Column("collector", String(64), index=True),
    Column("next_action", String(32), nullable=False),
    Column("borrower_unreachable", Boolean, nullable=False, server_default="0"),
    Column("outsourcing_notice_on", Date),
    Column("broken_promises", Integer, nullable=False, server_default="0"),
    Column("opened_on", Date, nullable=False),
    Column("closed_on", Date),
    Column("updated_on", Date, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
)

collection_case_history = Table(
    "collection_case_history",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("case_id", BigInteger, ForeignKey("collection_cases.id"), nullable=False, index=True),
    Column("business_date", Date, nullable=False),
    Column("event", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("bucket", String(4), nullable=False),
    Column("max_dpd", Integer, nullable=False),
    Column("overdue_total_fen", Fen, nullable=False),
    Column("next_action", String(32), nullable=False),
    Column("detail_json", Text, nullable=False, server_default="{}"),
)

collection_notices = Table(
    "collection_notices",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("case_id", BigInteger, ForeignKey("collection_cases.id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),  # outsourcing
    Column("channel", String(16), nullable=False),
    Column("sent_on", Date, nullable=False),
    Column("reference", String(128)),
)

collection_contacts = Table(
    "collection_contacts",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("case_id", BigInteger, ForeignKey("collection_cases.id"), nullable=False),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False),
    Column("allowed", Boolean, nullable=False),  # false: the guard refused; nothing happened
    Column("reasons_json", Text, nullable=False, server_default="[]"),
    Column("channel", String(16), nullable=False),
    Column("target", String(16), nullable=False),  # borrower | contact
    Column("number_ref", String(64), nullable=False),
    Column("at_utc", DateTime(timezone=True), nullable=False),
    Column("local_date", Date, nullable=False),
    Column("collector_id", String(64)),
    Column("agency_id", BigInteger, ForeignKey("collection_agencies.id")),
    Column("collectors_json", Text, nullable=False, server_default="[]"),
    Column("template", Text),
    Column("outcome", String(16)),
    Column("recording_ref", String(255)),
    Column("promise_amount_fen", Fen),
    Column("promise_date", Date),
    Column("retain_until", Date, nullable=False),
    Index("ix_collection_contacts_customer_day", "customer_id", "local_date"),
)

collection_promises = Table(
    "collection_promises",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("case_id", BigInteger, ForeignKey("collection_cases.id"), nullable=False, index=True),
    Column("contact_id", BigInteger, ForeignKey("collection_contacts.id"), nullable=False),
    Column("made_on", Date, nullable=False),
    Column("promised_on", Date, nullable=False),
    Column("amount_fen", Fen, nullable=False),
    Column("status", String(16), nullable=False),  # open | kept | broken
    Column("settled_on", Date),
)

collection_plans = Table(
    "collection_plans",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    # NULL for an early plan (offered before the loan went into collection: no case).
    Column("case_id", BigInteger, ForeignKey("collection_cases.id"), index=True),
    Column("loan_id", BigInteger, ForeignKey("loans.id"), nullable=False, index=True),
    # collections (negotiated on a case) | early (customer service, before overdue)
    Column("origin", String(16), nullable=False, server_default="collections"),
    Column("status", String(16), nullable=False),  # offered | signed | broken | completed
    Column("installments_count", Integer, nullable=False),
    Column("method", String(32), nullable=False),
    Column("annual_rate_ppb", BigInteger, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("principal_fen", Fen, nullable=False),
    Column("arrears_fen", Fen, nullable=False),
    Column("waived_penalty_fen", Fen, nullable=False),
    Column("waived_interest_fen", Fen, nullable=False),
    Column("waiver_reason", Text),
    Column("proposed_by", String(64), nullable=False),
    Column("approved_by", String(64)),
    Column("offered_on", Date, nullable=False),
    Column("signed_on", Date),
    Column("signed_by", String(64)),
    Column("special_transaction", String(32), nullable=False),
    Column("bureau_trigger_event", Integer, nullable=False),
    Column("class_floor_until", Date),
    Column("broken_on", Date),
    Column("schedule_json", Text, nullable=False),
)

collection_complaints = Table(
    "collection_complaints",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False, index=True),
    Column("case_id", BigInteger, ForeignKey("collection_cases.id")),
    Column("channel", String(16), nullable=False),
    Column("received_on", Date, nullable=False),
    Column("summary", Text, nullable=False),
    Column("complex", Boolean, nullable=False, server_default="0"),
    Column("extended_days", Integer),
    Column("extension_approved_by", String(64)),
    Column("extension_reason", Text),
    Column("deadline", Date, nullable=False),
    Column("status", String(16), nullable=False),  # open | resolved
    Column("resolved_on", Date),
    Column("resolution", Text),
)

collection_plan_requests = Table(
    "collection_plan_requests",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    # A borrower who expects trouble asks for a plan before missing a payment (seed 002).
    Column("loan_id", BigInteger, ForeignKey("loans.id"), nullable=False),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False, index=True),
    Column("requested_on", Date, nullable=False),
    Column("installments", Integer, nullable=False),  # what the borrower asks for
    Column("reason", Text, nullable=False),
    Column("requested_by", String(64), nullable=False),  # the borrower's token or the agent
    Column("status", String(16), nullable=False),  # open | offered
    Column("plan_id", BigInteger, ForeignKey("collection_plans.id")),
)

collection_legal_steps = Table(
    "collection_legal_steps",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    # A legal step the lender has taken on the case: only these may be mentioned to the borrower.
    Column("case_id", BigInteger, ForeignKey("collection_cases.id"), nullable=False, index=True),
    Column("step", String(32), nullable=False),  # lawyer_letter | suit_filed | enforcement_applied
    Column("reference", String(128), nullable=False),  # the letter's number, the court's 案号
    Column("taken_on", Date, nullable=False),
    Column("recorded_on", Date, nullable=False),
    Column("recorded_by", String(64), nullable=False),  # the maker
    Column("approved_by", String(64)),  # the checker (four eyes); NULL: code in the process
    UniqueConstraint("case_id", "step", "reference"),
)
