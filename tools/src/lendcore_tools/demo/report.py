"""The demo's findings as plain data: one ``Report`` the terminal summary and the page both use.

Everything is read after the run: the decisions the simulation saw, the tracker's daily book,
and the database (journal by month and account, collection contacts and their refusal reasons,
the trial balance). Money stays integer fen here; the page formats it as yuan.

Score bands follow the decision policy: under 460 declined on score, 460-479 referred to a
person, then the price bands E (480-499) to A (600+); ``no score`` are applicants stopped before
scoring (consent, ID, age, student).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from lendcore.calendar import add_months
from lendcore.delinquency.ladder import BUCKETS
from lendcore.ledger.accounts import Account
from lendcore.ledger.store import counts, trial_balance
from lendcore.products.listing import catalogue_rows
from lendcore.store.collections_tables import collection_contacts, collection_plans
from lendcore.store.ledger_tables import journal_entries, postings
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork
from lendcore_tools.demo.metrics import PAID_OFF, Tracker
from lendcore_tools.demo.simulate import DemoResult

BANDS = (("no score", None, None), ("< 460", 0, 459), ("460-479 refer", 460, 479),
         ("480-499 E", 480, 499), ("500-519 D", 500, 519), ("520-549 C", 520, 549),
         ("550-599 B", 550, 599), ("600+ A", 600, 10_000))
INCOME = {Account.INTEREST_INCOME.code: "interest", Account.PENALTY_INCOME.code: "penalty",
          Account.FEE_INCOME.code: "fee", Account.RECOVERY_INCOME.code: "recovery"}
EXPENSE = {Account.PROVISION_EXPENSE.code: "provisions", Account.CHARGE_OFF_EXPENSE.code:
           "charge-offs", Account.WAIVER_EXPENSE.code: "waivers"}
ROLL_FROM = BUCKETS[:-1]
ROLL_TO = (*BUCKETS, PAID_OFF)


@dataclass
class Report:
    headline: dict[str, Any]
    bands: list[dict[str, Any]]
    decline_reasons: list[tuple[str, int]]
    book_days: list[date]
    book: list[dict[str, int]]
    reached: list[str]
    roll: dict[str, dict[str, int]]
    vintages: dict[str, list[tuple[int, float]]]
    money_months: list[str]
    money: dict[str, list[int]]
    money_totals: dict[str, int]
    contacts: dict[str, Any]
    products: list[dict[str, Any]]
    audit: list[dict[str, Any]]
    trial_balance: list[dict[str, Any]]
    events: dict[str, int] = field(default_factory=dict)


def build_report(result: DemoResult) -> Report:
    from lendcore.store.db import make_engine

    engine = make_engine(result.config.url)
    try:
        with UnitOfWork(engine, read_only=True) as uow:
            return _build(result, uow.conn)
    finally:
        engine.dispose()


def _build(result: DemoResult, conn: Connection) -> Report:
    tracker = result.tracker
    months, money = _money_by_month(conn)
    return Report(
        headline=_headline(result, conn), bands=_bands(result), decline_reasons=_declines(result),
        book_days=tracker.days, book=tracker.book,
        reached=[b for b in BUCKETS if b in tracker.reached], roll=_roll(tracker),
        vintages=_vintages(tracker), money_months=months, money=money,
        money_totals={k: sum(v) for k, v in money.items()}, contacts=_contacts(conn),
        products=catalogue_rows(), audit=[vars(p) for p in result.audit_problems],
        trial_balance=_trial_balance(conn), events=_events(result, conn),
    )


def _headline(result: DemoResult, conn: Connection) -> dict[str, Any]:
    entries, loan_count = counts(conn)
    disbursed = conn.execute(select(func.coalesce(func.sum(loans.c.principal_fen), 0))).scalar()
    cfg = result.config
    return {"customers": cfg.customers, "days": cfg.days, "seed": cfg.seed,
            "first_day": result.tracker.days[0] if result.tracker.days else None,
            "last_day": result.tracker.days[-1] if result.tracker.days else None,
            "approved": len(result.world.customers), "loans": loan_count,
            "disbursed_fen": int(disbursed or 0), "journal_entries": entries,
            "seconds": round(result.seconds, 1), "nightly_seconds":
            round(result.nightly_seconds, 1), "nightly": "lendcore.eod.run",
            "database": cfg.url.split("://")[0]}


def band_of(score: int | None) -> str:
    if score is None:
        return BANDS[0][0]
    for name, low, high in BANDS[1:]:
        if low is not None and high is not None and low <= score <= high:
            return name
    return BANDS[-1][0]


def _bands(result: DemoResult) -> list[dict[str, Any]]:
    rows = {name: Counter[str]() for name, _, _ in BANDS}
    for d in result.world.decisions:
        rows[band_of(d.score)][d.outcome] += 1
        if d.review == "approve":  # referred, then approved by a person
            rows[band_of(d.score)]["approve"] += 1
            rows[band_of(d.score)]["refer"] -= 1
    out = []
    for name, c in rows.items():
        total = sum(c.values())
        out.append({"band": name, "applications": total, "approve": c["approve"],
                    "refer": c["refer"], "decline": c["decline"],
                    "approval_rate": (c["approve"] / total) if total else 0.0})
    return out


def _declines(result: DemoResult) -> list[tuple[str, int]]:
    first = Counter(d.reasons[0] for d in result.world.decisions
                    if d.outcome == "decline" and d.reasons)
    return first.most_common(10)


def _roll(tracker: Tracker) -> dict[str, dict[str, int]]:
    """Loans moving from each bucket to each bucket (or paid off) over 30 days."""
    roll = {b: dict.fromkeys(ROLL_TO, 0) for b in ROLL_FROM}
    for before, after in zip(tracker.snapshots, tracker.snapshots[1:], strict=False):
        for loan_id, bucket in before.items():
            if bucket in roll and loan_id in after:
                roll[bucket][after[loan_id]] += 1
    return roll


def _vintages(tracker: Tracker) -> dict[str, list[tuple[int, float]]]:
    """Per disbursement month: share of its loans ever 30+ DPD by months on book."""
    if not tracker.days:
        return {}
    end = tracker.days[-1]
    by_month: dict[str, list[int]] = {}
    for loan_id, (start, _) in tracker.starts.items():
        by_month.setdefault(f"{start:%Y-%m}", []).append(loan_id)
    out = {}
    for month, ids in sorted(by_month.items()):
        first = date.fromisoformat(f"{month}-01")
        horizon = _months_between(first, end)
        curve = []
        for mob in range(1, horizon + 1):
            bad = sum(1 for i in ids if i in tracker.first30
                      and tracker.first30[i] <= add_months(tracker.starts[i][0], mob))
            curve.append((mob, bad / len(ids)))
        if curve and len(ids) >= 5:
            out[month] = curve
    return out


def _months_between(first: date, end: date) -> int:
    n = 0
    while add_months(first, n + 1) <= end and n < 240:
        n += 1
    return n


def _money_by_month(conn: Connection) -> tuple[list[str], dict[str, list[int]]]:
    je, pt = journal_entries.c, postings.c
    rows = conn.execute(select(je.effective_date, pt.account_code, func.sum(pt.debit_fen),
                               func.sum(pt.credit_fen))
                        .join(postings, pt.entry_id == je.id)
                        .where(pt.account_code.in_([*INCOME, *EXPENSE]))
                        .group_by(je.effective_date, pt.account_code)).all()
    by: dict[str, Counter[str]] = {}
    for day, code, debit, credit in rows:
        month = f"{day:%Y-%m}" if isinstance(day, date) else str(day)[:7]
        name = INCOME.get(code) or EXPENSE[code]
        net = int(credit) - int(debit) if code in INCOME else int(debit) - int(credit)
        by.setdefault(month, Counter())[name] += net
    months = sorted(by)
    names = [*INCOME.values(), *EXPENSE.values()]
    return months, {n: [by[m][n] for m in months] for n in names}


def _contacts(conn: Connection) -> dict[str, Any]:
    c = collection_contacts.c
    rows = conn.execute(select(c.allowed, c.channel, c.reasons_json)).all()
    allowed = Counter(str(r.channel) for r in rows if r.allowed)
    refused: Counter[str] = Counter()
    for r in rows:
        if not r.allowed:
            refused.update(x["code"] for x in json.loads(r.reasons_json))
    return {"allowed": sum(allowed.values()), "allowed_by_channel": dict(allowed),
            "refused": sum(1 for r in rows if not r.allowed),
            "refused_by_reason": refused.most_common()}


def _trial_balance(conn: Connection) -> list[dict[str, Any]]:
    out = []
    for line in trial_balance(conn):
        account = Account.from_code(line.account_code)
        out.append({"code": line.account_code,
                    "name": account.label.replace("_", " ") if account else "",
                    "debit_fen": line.debit_fen, "credit_fen": line.credit_fen})
    return out


def _events(result: DemoResult, conn: Connection) -> dict[str, int]:
    je = journal_entries.c
    reasons: dict[str, int] = {str(r): int(n) for r, n in conn.execute(
        select(je.reason, func.count()).group_by(je.reason)).all()}
    plans = conn.execute(select(func.count()).select_from(collection_plans)
                         .where(collection_plans.c.status != "offered")).scalar()
    counts_ = result.world.counts
    return {"checkout loans": counts_["checkout"], "cash draws": counts_["draw"],
            "repayments": counts_["repayment"], "prepayments (paid off early)":
            counts_["prepayment"], "refunds of returned goods": int(reasons.get("refund", 0)),
            "negotiated plans signed": int(plans or 0),
            "charge-offs": len(result.tracker.charged_off),
            "recoveries": int(reasons.get("recovery", 0)),
            "human reviews": counts_["review approve"] + counts_["review decline"],
            "commands refused by a rule": sum(result.world.refused.values())}
