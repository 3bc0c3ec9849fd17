"""SQL adapters for collections: read loans and cases into domain values, write rows.

Collections writes only ``collection_*`` tables; ``loans``, ``loan_events`` and ``customers``
are read here, never written (a signed plan changes the loan through servicing). Helpers never
commit; the caller's unit of work does. Contact times are stored in UTC; SQLite hands
``DateTime`` back without an offset, so ``as_utc`` re-attaches UTC.

The nightly case sync reads one partition at a time by **range** (customers ``first..last``,
whose loans are the ids ``first * 1_000_000 .. last * 1_000_000 + 999_999``): the set of
borrowers to look at is a subquery, never a list of ids sent as parameters, so a statement has
the same handful of parameters for a book of ten loans or ten million.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    CompoundSelect,
    Connection,
    RowMapping,
    bindparam,
    func,
    insert,
    select,
    union,
    update,
)

from lendcore.collections.cases import COLLECTIBLE_STATUSES, CaseFigures, LoanSnapshot
from lendcore.collections.config import Channel
from lendcore.collections.guard import Outcome, PastContact, Target
from lendcore.collections.legal import LegalStep, RecordedStep
from lendcore.errors import InvalidInput, NotFound
from lendcore.ids import LOANS_PER_CUSTOMER
from lendcore.store.collections_tables import (
    collection_agencies,
    collection_case_history,
    collection_cases,
    collection_contacts,
    collection_legal_steps,
    collection_plans,
    collection_promises,
)
from lendcore.store.core_tables import customers
from lendcore.store.servicing_tables import loan_events, loans

REPAYMENT_EVENT_KINDS = ("repayment",)  # loan_events kinds that pay a promise
# The case columns the sync may change (all but id and customer_id).
CASE_COLUMNS = ("status", "bucket", "max_dpd", "overdue_principal_fen", "overdue_interest_fen",
                "overdue_fee_fen", "penalty_fen", "assignee_kind", "agency_id", "next_action",
                "borrower_unreachable", "outsourcing_notice_on", "broken_promises", "opened_on",
                "closed_on", "updated_on", "version")
MAX_ID = 2**63 - 1
AMOUNT_COLUMNS = ("overdue_principal_fen", "overdue_interest_fen", "overdue_fee_fen",
                  "penalty_fen")


def insert_id(conn: Connection, statement: Any) -> int:
    """Execute an INSERT and return the new row's id."""
    key = conn.execute(statement).inserted_primary_key
    if key is None:
        raise RuntimeError("insert returned no primary key")
    return int(key[0])


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {name!r}", field="timezone") from None


def snapshot(row: Mapping[Any, Any]) -> LoanSnapshot:
    return LoanSnapshot(
        loan_id=int(row["id"]), status=str(row["status"]), dpd=int(row["dpd"]),
        grace_days=int(row["grace_days"]), bucket=str(row["bucket"]),
        overdue_principal_fen=int(row["overdue_principal_fen"]),
        overdue_interest_fen=int(row["overdue_interest_fen"]),
        overdue_fee_fen=int(row["overdue_fee_fen"]),
        penalty_fen=int(row["penalty_receivable_fen"]),
    )


# --- the nightly sync, by range ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SignedPlan:
    plan_id: int
    loan_dpd: int
    loan_grace_days: int
    loan_status: str


@dataclass(frozen=True, slots=True)
class OpenPromise:
    promise_id: int
    promised_on: date
    amount_fen: int
    paid_fen: int  # repaid on the borrower's loans from the day it was made to its date


@dataclass(slots=True)
class Borrower:
    """What the sync knows of one borrower: loans, case (a mutable copy), plans, promises."""

    customer_id: int
    loans: list[LoanSnapshot] = field(default_factory=list)
    case: dict[str, Any] | None = None
    signed_plans: list[SignedPlan] = field(default_factory=list)
    open_promises: list[OpenPromise] = field(default_factory=list)


def loan_id_range(first_customer: int, last_customer: int) -> tuple[int, int]:
    """The loan ids of customers ``first..last`` (both included; ids are BIGINT)."""
    return (first_customer * LOANS_PER_CUSTOMER,
            min(last_customer * LOANS_PER_CUSTOMER + LOANS_PER_CUSTOMER - 1, MAX_ID))


def _to_sync(first: int, last: int) -> CompoundSelect[Any]:
    """Borrowers of the range whose case can change tonight: a loan past its grace period (a
    case opens, or stays open), an open case, a signed plan (negotiated on a case or early,
    without one), or anything overdue with a case (a closed one holds promises and an action).

    Every other borrower has nothing past grace, no case and no signed plan:
    ``cases.decide_case`` opens nothing for them and there is nothing to settle, so the sync
    would change nothing and they are never read (inside grace, the most common overdue
    borrower of a night)."""
    lo, hi = loan_id_range(first, last)
    collectible = loans.c.status.in_(sorted(COLLECTIBLE_STATUSES))
    overdue = (loans.c.dpd > 0) | (loans.c.overdue_principal_fen > 0) | (
        loans.c.overdue_interest_fen > 0) | (loans.c.overdue_fee_fen > 0)
    cases = collection_cases.c
    in_range = cases.customer_id.between(first, last)
    with_case = loans.c.customer_id.in_(select(cases.customer_id).where(in_range))
    return union(
        select(loans.c.customer_id).where(loans.c.id.between(lo, hi), collectible,
                                          (loans.c.dpd > loans.c.grace_days)
                                          | (overdue & with_case)),
        select(cases.customer_id).where(in_range, cases.status == "open"),
        select(loans.c.customer_id).join(collection_plans, collection_plans.c.loan_id == loans.c.id)
        .where(loans.c.id.between(lo, hi), collection_plans.c.status == "signed"),
    )


_LOAN_COLUMNS = (loans.c.id, loans.c.customer_id, loans.c.status, loans.c.dpd,
                 loans.c.grace_days, loans.c.bucket, loans.c.overdue_principal_fen,
                 loans.c.overdue_interest_fen, loans.c.overdue_fee_fen,
                 loans.c.penalty_receivable_fen)


def borrowers_to_sync(conn: Connection, first: int, last: int) -> list[Borrower]:
    """Every borrower of customers ``first..last`` the sync must look at, with what it needs,
    in five statements whatever the size of the range. On PostgreSQL their cases stay locked
    until the caller commits, so a collector's command on one of them waits for the sync."""
    wanted = _to_sync(first, last)
    found: dict[int, Borrower] = {}

    def borrower(customer_id: Any) -> Borrower:
        cid = int(customer_id)
        if cid not in found:
            found[cid] = Borrower(cid)
        return found[cid]

    # The id bounds keep the read inside the range's partitions of a partitioned book (without
    # them every night partition read every table partition).
    lo, hi = loan_id_range(first, last)
    for row in conn.execute(select(*_LOAN_COLUMNS).where(loans.c.id.between(lo, hi),
                                                         loans.c.customer_id.in_(wanted))
                            .order_by(loans.c.id)).mappings():
        borrower(row["customer_id"]).loans.append(snapshot(row))
    case_query = select(collection_cases).where(
        collection_cases.c.customer_id.between(first, last),
        collection_cases.c.customer_id.in_(wanted))
    if conn.dialect.name == "postgresql":
        case_query = case_query.with_for_update()
    case_of: dict[int, Borrower] = {}
    for row in conn.execute(case_query).mappings():
        who = borrower(row["customer_id"])
        who.case = dict(row)
        case_of[int(row["id"])] = who
    for customer_id, plan in _signed_plans(conn, first, last):
        if customer_id in found:
            found[customer_id].signed_plans.append(plan)
    for case_id, promise in _open_promises(conn, first, last):
        if case_id in case_of:
            case_of[case_id].open_promises.append(promise)
    return [found[c] for c in sorted(found)]


def _signed_plans(conn: Connection, first: int, last: int) -> list[tuple[int, SignedPlan]]:
    """The signed plans of the range's loans, by customer (a case's and early ones alike)."""
    p = collection_plans.c
    lo, hi = loan_id_range(first, last)
    rows = conn.execute(
        select(loans.c.customer_id, p.id, loans.c.dpd, loans.c.grace_days, loans.c.status)
        .join(loans, loans.c.id == p.loan_id)
        .where(loans.c.id.between(lo, hi), p.status == "signed").order_by(p.id))
    return [(int(r[0]), SignedPlan(int(r[1]), int(r[2]), int(r[3]), str(r[4]))) for r in rows]


def _open_promises(conn: Connection, first: int, last: int) -> list[tuple[int, OpenPromise]]:
    """Open promises of the range, each with what the borrower repaid in its window."""
    p, c, e = collection_promises.c, collection_cases.c, loan_events.c
    paid = (select(func.coalesce(func.sum(e.amount_fen), 0))
            .select_from(loan_events.join(loans, loans.c.id == e.loan_id))
            .where(loans.c.customer_id == c.customer_id,
                   e.kind.in_(REPAYMENT_EVENT_KINDS), e.reversed.is_(False),
                   e.effective_date >= p.made_on, e.effective_date <= p.promised_on)
            .scalar_subquery())
    rows = conn.execute(
        select(p.case_id, p.id, p.promised_on, p.amount_fen, paid.label("paid_fen"))
        .join(collection_cases, c.id == p.case_id)
        .where(c.customer_id.between(first, last), p.status == "open").order_by(p.id))
    return [(int(r[0]), OpenPromise(int(r[1]), r[2], int(r[3]), int(r[4]))) for r in rows]


@dataclass(slots=True)
class SyncWrites:
    """A range's changes, written with one statement per kind (``write_sync``)."""

    cases: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)
    promises: list[dict[str, Any]] = field(default_factory=list)


_UPDATE_CASE = update(collection_cases).where(collection_cases.c.id == bindparam("b_id")).values(
    {name: bindparam(f"b_{name}") for name in CASE_COLUMNS})
_SETTLE_PLAN = update(collection_plans).where(collection_plans.c.id == bindparam("b_id")).values(
    status=bindparam("b_status"), broken_on=bindparam("b_broken_on"))
_SETTLE_PROMISE = update(collection_promises).where(
    collection_promises.c.id == bindparam("b_id")).values(
    status=bindparam("b_status"), settled_on=bindparam("b_settled_on"))


def insert_cases(conn: Connection, first: int, last: int,
                 cases: list[dict[str, Any]]) -> dict[int, int]:
    """Insert new cases of customers ``first..last`` in one statement; their ids by customer.

    Only the sync creates cases, one partition per customer range: the cases of the range
    with an id above the largest before the insert are these."""
    c = collection_cases.c
    before = conn.execute(select(func.coalesce(func.max(c.id), 0))).scalar_one()
    conn.execute(insert(collection_cases), [
        {"customer_id": case["customer_id"], **{k: case[k] for k in CASE_COLUMNS}}
        for case in cases])
    ids = {int(customer): int(case_id) for case_id, customer in conn.execute(
        select(c.id, c.customer_id).where(c.customer_id.between(first, last), c.id > before))}
    if len(ids) != len(cases):
        raise RuntimeError(f"inserted {len(cases)} cases, found {len(ids)}")
    return ids


def case_update(case: Mapping[Any, Any]) -> dict[str, Any]:
    return {"b_id": case["id"], **{f"b_{k}": case[k] for k in CASE_COLUMNS}}


def write_sync(conn: Connection, writes: SyncWrites) -> None:
    for statement, rows in ((_SETTLE_PLAN, writes.plans), (_SETTLE_PROMISE, writes.promises),
                            (_UPDATE_CASE, writes.cases),
                            (insert(collection_case_history), writes.history)):
        if rows:
            conn.execute(statement, rows)


def agency_codes(conn: Connection) -> dict[int, str]:
    """Every agency's code by id (a short list: the lender's contracted agencies)."""
    return {int(i): str(c) for i, c in conn.execute(
        select(collection_agencies.c.id, collection_agencies.c.code))}


# --- one case ----------------------------------------------------------------------------------
def case_row(conn: Connection, case_id: int, *, lock: bool = False) -> RowMapping:
    query = select(collection_cases).where(collection_cases.c.id == case_id)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"no collection case {case_id}", field="case_id")
    return row


def bump_case(conn: Connection, case: Mapping[Any, Any], **values: Any) -> RowMapping:
    """Change a (locked) case, one version up; the case as written."""
    conn.execute(update(collection_cases).where(collection_cases.c.id == case["id"]).values(
        version=int(case["version"]) + 1, **values))
    return case_row(conn, int(case["id"]))


def borrower_zone(conn: Connection, customer_id: int) -> ZoneInfo:
    name = conn.execute(select(customers.c.timezone).where(customers.c.id == customer_id)
                        ).scalar_one()
    return zone_of(str(name))


def agency_code_of(conn: Connection, agency_id: int | None) -> str | None:
    if agency_id is None:
        return None
    code = conn.execute(select(collection_agencies.c.code)
                        .where(collection_agencies.c.id == agency_id)).scalar_one()
    return str(code)


def agency_by_code(conn: Connection, code: str) -> RowMapping:
    row = conn.execute(select(collection_agencies).where(collection_agencies.c.code == code)
                       ).mappings().first()
    if row is None:
        raise NotFound(f"no agency {code!r}", field="agency")
    return row


def plan_in_force(conn: Connection, case_id: int, customer_id: int) -> bool:
    """A signed plan is kept: the case's own, or an early plan on one of the borrower's loans."""
    p = collection_plans.c
    count = conn.execute(select(func.count()).select_from(
        collection_plans.join(loans, loans.c.id == p.loan_id)).where(
        p.status == "signed",
        (p.case_id == case_id) | (p.case_id.is_(None) & (loans.c.customer_id == customer_id)),
    )).scalar_one()
    return int(count) > 0


def legal_steps(conn: Connection, case_id: int) -> tuple[RecordedStep, ...]:
    """The legal steps recorded on the case (the guard lets a message name these)."""
    rows = conn.execute(select(collection_legal_steps.c.step, collection_legal_steps.c.reference)
                        .where(collection_legal_steps.c.case_id == case_id)
                        .order_by(collection_legal_steps.c.id))
    return tuple(RecordedStep(LegalStep(step), str(ref)) for step, ref in rows)


def contacts_around(conn: Connection, customer_id: int, day: date,
                    days_before: int = 1) -> list[PastContact]:
    """Contacts that happened on the borrower-local days from ``days_before`` before ``day`` to
    the day after it (the guard filters)."""
    rows = conn.execute(select(collection_contacts).where(
        collection_contacts.c.customer_id == customer_id,
        collection_contacts.c.allowed.is_(True),
        collection_contacts.c.local_date.between(
            date.fromordinal(day.toordinal() - days_before),
            date.fromordinal(day.toordinal() + 1)),
    ).order_by(collection_contacts.c.id)).mappings()
    return [
        PastContact(
            channel=Channel(r["channel"]), target=Target(r["target"]), at=as_utc(r["at_utc"]),
            outcome=Outcome(r["outcome"]) if r["outcome"] else None, number=r["number_ref"],
        )
        for r in rows
    ]


def history_row(case: Mapping[Any, Any], business_date: date, event: str,
                detail: Mapping[Any, Any] | None = None) -> dict[str, Any]:
    return {
        "case_id": case["id"], "business_date": business_date, "event": event,
        "status": case["status"], "bucket": case["bucket"], "max_dpd": case["max_dpd"],
        "overdue_total_fen": sum(int(case[k]) for k in AMOUNT_COLUMNS),
        "next_action": case["next_action"],
        "detail_json": json.dumps(dict(detail or {}), ensure_ascii=False, sort_keys=True)}


def add_history(conn: Connection, case: Mapping[Any, Any], business_date: date, event: str,
                detail: Mapping[Any, Any] | None = None) -> None:
    conn.execute(insert(collection_case_history).values(
        **history_row(case, business_date, event, detail)))


def figures_values(figures: CaseFigures) -> dict[str, Any]:
    return {
        "bucket": figures.bucket, "max_dpd": figures.max_dpd,
        "overdue_principal_fen": figures.overdue_principal_fen,
        "overdue_interest_fen": figures.overdue_interest_fen,
        "overdue_fee_fen": figures.overdue_fee_fen, "penalty_fen": figures.penalty_fen,
    }

