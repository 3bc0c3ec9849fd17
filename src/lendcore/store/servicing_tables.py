"""Loans, their installments and their money events.

``loans`` is the loan's *state row*: terms, balances and the delinquency fields the nightly run
maintains in bulk. Installments hold the schedule and what was paid on each. ``loan_events`` is
the loan's append-only history (disbursement, repayment, refund, ...); replaying it from the terms
reproduces the state row, which is how back-dated repayments and the audit work.

Rates are BIGINT parts per billion (0.1825 -> 182_500_000); money BIGINT fen.
risk_class codes: normal 正常, special_mention 关注, substandard 次级, doubtful 可疑, loss 损失.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from lendcore.store.base import Fen, IdType, metadata

# The contract text version new loans open under (documents.render keeps its templates). Here,
# below both servicing and documents, so servicing can name it without importing documents.
CONTRACT_VERSION = "contract-2026.12"

loans = Table(
    "loans",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),  # ids.loan_id(customer, n)
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False, index=True),
    Column("credit_line_id", BigInteger, ForeignKey("credit_lines.id")),
    Column("product_code", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # draw | checkout
    Column("method", String(32), nullable=False),  # schedules.Method value or pay-any-time
    Column("purpose", String(64)),
    Column("payee", String(128)),
    Column("merchant_id", String(64)),
    Column("order_id", String(64)),
    Column("principal_fen", Fen, nullable=False),
    Column("installments_count", Integer, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("maturity_date", Date, nullable=False),
    Column("annual_rate_ppb", BigInteger, nullable=False),
    Column("penalty_rate_ppb", BigInteger, nullable=False),  # already capped (all-in <= 24%)
    Column("fee_rate_ppb", BigInteger, nullable=False, server_default="0"),
    Column("day_count", String(8), nullable=False),
    Column("interest_mode", String(16), nullable=False),
    Column("rounding", String(16), nullable=False),
    Column("installment_multiple_fen", Integer, nullable=False, server_default="1"),
    Column("grace_days", Integer, nullable=False),
    Column("charge_off_dpd", Integer, nullable=False),
    Column("ladder", String(32), nullable=False),
    Column("prepayment_mode", String(16), nullable=False, server_default="shorten"),
    Column("allocation_order", Text, nullable=False),  # JSON list of "<class>.<component>"
    Column("penalty_on_interest", Boolean, nullable=False, server_default="0"),
    Column("apr_nominal_ppb", BigInteger, nullable=False, server_default="0"),  # as disclosed
    # The one-year LPR in force on the start date (domain.md s3); NULL: none recorded then.
    Column("lpr_one_year_ppb", BigInteger),
    # The text version of the loan's contract and key facts (documents.render; migration 0019).
    Column("contract_version", String(32), nullable=False, server_default=CONTRACT_VERSION),
    Column("status", String(16), nullable=False, index=True),  # active | closed | charged_off
    # Balances (sub-ledger): what the borrower owes now, by component.
    Column("principal_outstanding_fen", Fen, nullable=False),
    Column("interest_receivable_fen", Fen, nullable=False, server_default="0"),
    Column("penalty_receivable_fen", Fen, nullable=False, server_default="0"),
    Column("fee_receivable_fen", Fen, nullable=False, server_default="0"),
    Column("overpayment_fen", Fen, nullable=False, server_default="0"),
    # Past-due amounts (for collections, statements and the bureau).
    Column("overdue_principal_fen", Fen, nullable=False, server_default="0"),
    Column("overdue_interest_fen", Fen, nullable=False, server_default="0"),
    Column("overdue_fee_fen", Fen, nullable=False, server_default="0"),
    # Nightly-run state.
    Column("accrued_through", Date),  # last business date closed for this loan
    # Linear recognition of the current period's scheduled interest (servicing/accrual.py).
    Column("accr_start", Date),
    Column("accr_days", Integer, nullable=False, server_default="0"),
    Column("accr_total_fen", Fen, nullable=False, server_default="0"),
    Column("accr_done_fen", Fen, nullable=False, server_default="0"),
    Column("interest_carry", BigInteger, nullable=False, server_default="0"),
    Column("penalty_carry", BigInteger, nullable=False, server_default="0"),
    Column("penalty_grace_fen", Fen, nullable=False, server_default="0"),
    Column("dpd", Integer, nullable=False, server_default="0"),
    Column("bucket", String(4), nullable=False, server_default="M0"),
    Column("risk_class", String(20), nullable=False, server_default="normal"),
    Column("class_floor_until", Date),  # restructured: at least special_mention until then
    Column("next_due_date", Date),
    Column("oldest_unpaid_due", Date),
    Column("charged_off_on", Date),
    Column("closed_on", Date),
    Column("restructured", Boolean, nullable=False, server_default="0"),
    Column("version", Integer, nullable=False, server_default="1"),
)

installments = Table(
    "installments",
    metadata,
    Column("loan_id", BigInteger, ForeignKey("loans.id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("due_date", Date, nullable=False),
    Column("period_start", Date, nullable=False),
    Column("principal_fen", Fen, nullable=False),
    Column("interest_fen", Fen, nullable=False),
    Column("fee_fen", Fen, nullable=False),
    Column("paid_principal_fen", Fen, nullable=False, server_default="0"),
    Column("paid_interest_fen", Fen, nullable=False, server_default="0"),
    Column("paid_fee_fen", Fen, nullable=False, server_default="0"),
    Column("status", String(16), nullable=False, server_default="open"),  # open|paid|superseded
    Column("paid_on", Date),
    Index("ix_installments_due_open", "due_date", "status"),
)

loan_events = Table(
    "loan_events",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("loan_id", BigInteger, ForeignKey("loans.id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("amount_fen", Fen, nullable=False),
    Column("detail_json", Text, nullable=False, server_default="{}"),
    Column("idempotency_key", String(128)),
    Column("reversed", Boolean, nullable=False, server_default="0"),
    # The business date the event was entered on; a back-dated repayment has
    # effective_date < booked_on (migration 0009).
    Column("booked_on", Date),
)
