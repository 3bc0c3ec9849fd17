"""Closing one day on one partition (a loan-id range): one transaction, over its own connection.

    read live loans (bulk) -> check -> read the event loans' installments -> kernel
    -> write loans (bulk, version-checked) -> pay-any-time billing -> ledger aggregates and
    charge-offs -> notifications -> partition row 'done' -> commit

Each table is written through its owner: loans and installments through
:mod:`lendcore.servicing.bulk`, the ledger through :mod:`lendcore.ledger.store`; the outbox and
the partition row are eod's own. Credit lines are not the core's: the night step "limit review"
(``origination.limits_job``) freezes a borrower's lines past grace and unfreezes them when the
borrower is current, from the DPD the core has just written.

Everything a partition writes commits together with its status row, so a partition is either
wholly done or not at all; the run resumes with the pending ones. Partitions touch disjoint
loan-id (hence customer) ranges, so two never wait for each other. A loan whose
``accrued_through`` is not the day before is listed as a problem and left alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from lendcore.delinquency.ladder import BUCKETS, CLASSES
from lendcore.eod import accounting, notify, sqlio
from lendcore.eod import store as eod_store
from lendcore.eod.convert import epoch_day, from_epoch
from lendcore.eod.facts import amount_due_on, day_facts
from lendcore.eod.kernel import ACTIVE, I64, Book, DayOutput, close_day_columns
from lendcore.ledger.store import post_many
from lendcore.servicing import bulk
from lendcore.store.db import make_engine
from lendcore.store.uow import UnitOfWork

MAX_PROBLEMS = 50
RETRIES = 3
_ENGINES: dict[str, Engine] = {}


class VersionConflict(Exception):
    """A loan row changed between read and write: the partition is retried."""


@dataclass(slots=True)
class PartitionResult:
    lo_id: int
    loans: int = 0
    skipped: bool = False
    stats: dict[str, Any] = field(default_factory=dict)


def engine_for(url: str) -> Engine:
    if url not in _ENGINES:
        _ENGINES[url] = make_engine(url, pool_size=2, max_overflow=2) if "postgres" in url \
            else make_engine(url)
    return _ENGINES[url]


def close_partition(url: str, day: date, lo_id: int, hi_id: int) -> PartitionResult:
    """Close ``day`` on loans lo_id..hi_id; retried on a version conflict or a deadlock."""
    for attempt in range(RETRIES):
        try:
            return _close_once(engine_for(url), day, lo_id, hi_id)
        except (VersionConflict, DBAPIError) as exc:
            if attempt == RETRIES - 1 or not _retryable(exc):
                raise
    raise AssertionError("unreachable")


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, VersionConflict):
        return True
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return code in ("40001", "40P01")


def _close_once(engine: Engine, day: date, lo_id: int, hi_id: int) -> PartitionResult:
    with UnitOfWork(engine) as uow:
        conn = uow.conn
        if not eod_store.claim_partition(conn, day, lo_id):
            return PartitionResult(lo_id, skipped=True)
        stats = close_loans(conn, day, lo_id, hi_id)
        eod_store.finish_partition(conn, day, lo_id, stats["loans"], stats)
        uow.commit()
        return PartitionResult(lo_id, stats["loans"], stats=stats)


def close_loans(conn: Connection, day: date, lo_id: int, hi_id: int) -> dict[str, Any]:
    """The partition's work inside the caller's transaction; returns its statistics."""
    clock = _Clock()
    x = epoch_day(day)
    snap = sqlio.read_loans(conn, lo_id, hi_id)
    ok, problems = _check(snap, x)
    snap = _subset(snap, ok)
    book = snap.book
    want = (book.next_due_date <= x + 1) | np.isin(book.next_due_date, (x + 2, x + 4))
    rows = sqlio.read_installments(conn, snap.ids[want], snap.ids, x, (x + 2, x + 4))
    clock.lap("read")
    facts = day_facts(len(snap.ids), x, rows)
    after, out = close_day_columns(book, facts, x)
    clock.lap("compute")
    written = sqlio.write_loans(conn, snap, after, np.arange(len(snap.ids)))
    if written != len(snap.ids):
        raise VersionConflict(f"{len(snap.ids) - written} loan rows changed during the run")
    clock.lap("write_loans")
    _billed_interest(conn, snap, out, day)
    entries = _ledger(conn, snap, after, out, day, lo_id)
    notices = _notifications(conn, snap, after, out, rows, x)
    clock.lap("ledger_notify")
    return _stats(snap, book, after, out, problems, clock, entries, notices)


def _check(snap: sqlio.Snapshot, x: int) -> tuple[I64, list[str]]:
    """Rows the run may close today, and every problem found (listed, never fatal)."""
    at = snap.book.accrued_through
    ok = at == x - 1
    problems = []
    for k in np.nonzero(~ok)[0][:MAX_PROBLEMS].tolist():
        problems.append(f"loan {int(snap.ids[k])}: accrued_through {from_epoch(int(at[k]))}, "
                        f"expected {from_epoch(x - 1)}; not closed")
    bad = ok & (snap.book.overdue_principal_fen > snap.book.principal_outstanding_fen)
    for k in np.nonzero(bad)[0][:MAX_PROBLEMS].tolist():
        problems.append(f"loan {int(snap.ids[k])}: overdue principal exceeds principal "
                        "outstanding")
    skipped = int((~ok).sum())
    if skipped > MAX_PROBLEMS:
        problems.append(f"... and {skipped - MAX_PROBLEMS} more loans not closed")
    return np.nonzero(ok)[0], problems


def _subset(snap: sqlio.Snapshot, rows: I64) -> sqlio.Snapshot:
    if len(rows) == len(snap.ids):
        return snap
    book = Book(**{name: getattr(snap.book, name)[rows] for name in Book.__dataclass_fields__})
    return replace(snap, ids=snap.ids[rows], customer_ids=snap.customer_ids[rows],
                   versions=snap.versions[rows], product_index=snap.product_index[rows],
                   book=book)


def _billed_interest(conn: Connection, snap: sqlio.Snapshot, out: DayOutput, day: date) -> None:
    due = from_epoch(epoch_day(day) + 1)
    assert due is not None
    hit = np.nonzero(out.billed_interest_fen >= 0)[0].tolist()
    bulk.set_billed_interest(
        conn, [(int(snap.ids[k]), due, int(out.billed_interest_fen[k])) for k in hit])


def _per_product(snap: sqlio.Snapshot, values: I64) -> dict[str, int]:
    sums = np.zeros(len(snap.products), np.int64)
    np.add.at(sums, snap.product_index, values)
    return {p: int(v) for p, v in zip(snap.products, sums.tolist(), strict=True) if v}


def _ledger(conn: Connection, snap: sqlio.Snapshot, after: Book, out: DayOutput, day: date,
            lo_id: int) -> int:
    sums = {"interest_accrual": _per_product(snap, out.interest_fen),
            "penalty_accrual": _per_product(snap, out.penalty_fen),
            "fee_billing": _per_product(snap, out.fee_billed_fen)}
    entries = accounting.accrual_entries(day, lo_id, sums)
    for k in np.nonzero(out.charged_off)[0].tolist():
        entries.append(accounting.charge_off_entry(
            day, int(snap.ids[k]), snap.products[int(snap.product_index[k])],
            principal=int(after.principal_outstanding_fen[k]),
            interest=int(after.interest_receivable_fen[k]),
            penalty=int(after.penalty_receivable_fen[k]), fee=int(after.fee_receivable_fen[k])))
    entries = [e for e in entries if any(p.debit_fen for p in e.postings)]
    post_many(conn, entries)
    return len(entries)


def _notifications(conn: Connection, snap: sqlio.Snapshot, after: Book, out: DayOutput,
                   rows: Any, x: int) -> int:
    # Amount due on the (new) next due date; pay-any-time adds the interest accrued so far.
    due = amount_due_on(len(snap.ids), after.next_due_date, rows)
    due = due + np.where(after.pay_any_time == 1, after.interest_receivable_fen, 0)
    notices = (notify.reminders(after, x, due)
               + notify.overdue_notices(after, x, out.became_overdue)
               + notify.credit_report_notices(after))
    business_date = notify.business_date_after(x)
    records = [{
        "event_key": n.event_key.replace("{loan}", str(int(snap.ids[n.loan_index]))),
        "business_date": business_date, "customer_id": int(snap.customer_ids[n.loan_index]),
        "loan_id": int(snap.ids[n.loan_index]), "channel": n.channel, "template": n.template,
        "due_date": n.due_date, "amount_masked": notify.mask_amount(n.amount_fen),
    } for n in notices]
    eod_store.insert_notifications(conn, records)
    return len(records)


class _Clock:
    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(self.laps.get(name, 0.0) + now - self.last, 4)
        self.last = now


def _stats(snap: sqlio.Snapshot, before: Book, after: Book, out: DayOutput,
           problems: list[str], clock: _Clock, entries: int, notices: int) -> dict[str, Any]:
    moves: dict[str, int] = {}
    changed = before.bucket != after.bucket
    for a, b in zip(before.bucket[changed].tolist(), after.bucket[changed].tolist(), strict=True):
        key = f"{BUCKETS[a]}>{BUCKETS[b]}"
        moves[key] = moves.get(key, 0) + 1
    active = after.status == ACTIVE
    exposure: dict[str, dict[str, int]] = {}
    for c, cls in enumerate(CLASSES):
        mask = active & (after.risk_class == c)
        for product, fen in _per_product(snap, np.where(mask, after.principal_outstanding_fen,
                                                        0)).items():
            exposure.setdefault(product, {})[cls] = fen
    return {
        "loans": len(snap.ids), "problems": problems,
        "interest": _per_product(snap, out.interest_fen),
        "penalty": _per_product(snap, out.penalty_fen),
        "fee": _per_product(snap, out.fee_billed_fen),
        "charge_offs": int(out.charged_off.sum()),
        "charge_off_principal": int(after.principal_outstanding_fen[out.charged_off].sum()),
        "became_overdue": int(out.became_overdue.sum()),
        "bucket_moves": moves, "exposure": exposure, "entries": entries,
        "notifications": notices, "seconds": clock.laps,
    }
