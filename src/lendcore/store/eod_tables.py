"""End-of-day tables: runs, their partitions, the notification outbox, provisions.

``eod_runs`` has one row per business date closed (``business_date`` is the day *closed*; the
business date in ``system_state`` is the day after once the run is ``closed``). ``eod_partitions``
holds the run's plan, one row per loan-id range; a partition's row turns ``done`` in the same
transaction as that partition's loan writes, ledger entries and notifications, so a killed run
resumes with exactly the partitions that did not commit. ``stats_json`` carries what the
finishing step sums (accruals per product, exposures per product and class, bucket moves,
problems).

``notification_outbox`` is written once per ``event_key`` (e.g. ``reminder_t3:42000001:2026-04-01``)
whatever the number of re-runs; amounts in it are masked (``¥1***.56``), never raw.
``eod_provisions`` keeps the allowance per business date, product and class: the ledger receives
each day's *change* of the allowance.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, Index, Integer, String, Table, Text

from lendcore.store.base import Fen, IdType, metadata

eod_runs = Table(
    "eod_runs",
    metadata,
    Column("business_date", Date, primary_key=True),  # the day closed
    Column("status", String(16), nullable=False),  # running | closed | done
    Column("partitions", Integer, nullable=False),
    Column("report_json", Text, nullable=False, server_default="{}"),
)

eod_partitions = Table(
    "eod_partitions",
    metadata,
    Column("business_date", Date, primary_key=True),
    Column("lo_id", BigInteger, primary_key=True),  # loan ids lo_id..hi_id inclusive
    Column("hi_id", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),  # pending | done
    Column("loans", Integer, nullable=False, server_default="0"),
    Column("stats_json", Text, nullable=False, server_default="{}"),
)

notification_outbox = Table(
    "notification_outbox",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("event_key", String(128), nullable=False, unique=True),
    Column("business_date", Date, nullable=False),
    Column("customer_id", BigInteger, nullable=False),
    Column("loan_id", BigInteger, nullable=False),
    Column("channel", String(16), nullable=False),  # sms | app
    Column("template", String(32), nullable=False),
    Column("due_date", Date),
    Column("amount_masked", String(32), nullable=False),
    Index("ix_notification_outbox_date", "business_date"),
)

eod_provisions = Table(
    "eod_provisions",
    metadata,
    Column("business_date", Date, primary_key=True),  # the day closed
    Column("product_code", String(64), primary_key=True),
    Column("risk_class", String(20), primary_key=True),
    Column("exposure_fen", Fen, nullable=False),
    Column("rate_bp", Integer, nullable=False),
    Column("allowance_fen", Fen, nullable=False),
)
