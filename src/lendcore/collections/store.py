"""SQL adapters for collections: read loans and cases into domain values, write rows.

Helpers never commit; the caller's unit of work does. Contact times are stored in UTC; SQLite
hands ``DateTime`` back without an offset, so ``as_utc`` re-attaches UTC.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, RowMapping, and_, func, insert, select

from lendcore.collections.cases import COLLECTIBLE_STATUSES, CaseFigures, LoanSnapshot
from lendcore.collections.config import Channel
from lendcore.collections.guard import Outcome, PastContact, Target
from lendcore.errors import InvalidInput, NotFound
from lendcore.store.collections_tables import (
    collection_agencies,
    collection_case_history,
    collection_cases,
    collection_contacts,
    collection_plans,
)
from lendcore.store.core_tables import customers
from lendcore.store.servicing_tables import loan_events, loans

REPAYMENT_EVENT_KINDS = ("repayment",)  # loan_events kinds that pay a promise


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


def customers_to_sync(conn: Connection, id_range: tuple[int, int] | None) -> list[int]:
    """Borrowers with anything overdue, an open case or a signed plan (within the range)."""
    overdue = (loans.c.dpd > 0) | (loans.c.overdue_principal_fen > 0) | (
        loans.c.overdue_interest_fen > 0) | (loans.c.overdue_fee_fen > 0)
    q1 = select(loans.c.customer_id).where(loans.c.status.in_(COLLECTIBLE_STATUSES), overdue)
    q2 = select(collection_cases.c.customer_id).where(collection_cases.c.status == "open")
    q3 = select(collection_cases.c.customer_id).join(
        collection_plans, collection_plans.c.case_id == collection_cases.c.id
    ).where(collection_plans.c.status == "signed")
    ids: set[int] = set()
    for query in (q1, q2, q3):
        if id_range is not None:
            col = query.selected_columns[0]
            query = query.where(col >= id_range[0], col < id_range[1])
        ids.update(int(v) for v in conn.execute(query).scalars())
    return sorted(ids)


def snapshot(row: RowMapping) -> LoanSnapshot:
    return LoanSnapshot(
        loan_id=int(row["id"]), status=str(row["status"]), dpd=int(row["dpd"]),
        grace_days=int(row["grace_days"]), bucket=str(row["bucket"]),
        overdue_principal_fen=int(row["overdue_principal_fen"]),
        overdue_interest_fen=int(row["overdue_interest_fen"]),
        overdue_fee_fen=int(row["overdue_fee_fen"]),
        penalty_fen=int(row["penalty_receivable_fen"]),
    )


def loans_of(conn: Connection, customer_ids: Sequence[int]) -> dict[int, list[LoanSnapshot]]:
    result: dict[int, list[LoanSnapshot]] = {cid: [] for cid in customer_ids}
    if not customer_ids:
        return result
    rows = conn.execute(select(loans).where(loans.c.customer_id.in_(customer_ids))
                        .order_by(loans.c.id)).mappings()
    for row in rows:
        result[int(row["customer_id"])].append(snapshot(row))
    return result


def cases_of(conn: Connection, customer_ids: Sequence[int]) -> dict[int, RowMapping]:
    if not customer_ids:
        return {}
    rows = conn.execute(select(collection_cases)
                        .where(collection_cases.c.customer_id.in_(customer_ids))).mappings()
    return {int(r["customer_id"]): r for r in rows}


def case_row(conn: Connection, case_id: int, *, lock: bool = False) -> RowMapping:
    query = select(collection_cases).where(collection_cases.c.id == case_id)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"no collection case {case_id}", field="case_id")
    return row


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


def plan_in_force(conn: Connection, case_id: int) -> bool:
    count = conn.execute(select(func.count()).select_from(collection_plans).where(
        collection_plans.c.case_id == case_id, collection_plans.c.status == "signed")).scalar_one()
    return int(count) > 0


def contacts_around(conn: Connection, customer_id: int, day: date) -> list[PastContact]:
    """Contacts that happened on the borrower-local days around ``day`` (the guard filters)."""
    rows = conn.execute(select(collection_contacts).where(
        collection_contacts.c.customer_id == customer_id,
        collection_contacts.c.allowed.is_(True),
        collection_contacts.c.local_date.between(date.fromordinal(day.toordinal() - 1),
                                                 date.fromordinal(day.toordinal() + 1)),
    ).order_by(collection_contacts.c.id)).mappings()
    return [
        PastContact(
            channel=Channel(r["channel"]), target=Target(r["target"]), at=as_utc(r["at_utc"]),
            outcome=Outcome(r["outcome"]) if r["outcome"] else None, number=r["number_ref"],
        )
        for r in rows
    ]


def paid_between(conn: Connection, loan_ids: Iterable[int], start: date, end: date) -> int:
    total = conn.execute(select(func.coalesce(func.sum(loan_events.c.amount_fen), 0)).where(
        loan_events.c.loan_id.in_(list(loan_ids)),
        loan_events.c.kind.in_(REPAYMENT_EVENT_KINDS),
        loan_events.c.reversed.is_(False),
        and_(loan_events.c.effective_date >= start, loan_events.c.effective_date <= end),
    )).scalar_one()
    return int(total)


def add_history(conn: Connection, case: RowMapping, business_date: date, event: str,
                detail: Mapping[str, Any] | None = None) -> None:
    total = (int(case["overdue_principal_fen"]) + int(case["overdue_interest_fen"])
             + int(case["overdue_fee_fen"]) + int(case["penalty_fen"]))
    conn.execute(insert(collection_case_history).values(
        case_id=case["id"], business_date=business_date, event=event, status=case["status"],
        bucket=case["bucket"], max_dpd=case["max_dpd"], overdue_total_fen=total,
        next_action=case["next_action"], detail_json=json.dumps(dict(detail or {}),
                                                                ensure_ascii=False,
                                                                sort_keys=True)))


def figures_values(figures: CaseFigures) -> dict[str, Any]:
    return {
        "bucket": figures.bucket, "max_dpd": figures.max_dpd,
        "overdue_principal_fen": figures.overdue_principal_fen,
        "overdue_interest_fen": figures.overdue_interest_fen,
        "overdue_fee_fen": figures.overdue_fee_fen, "penalty_fen": figures.penalty_fen,
    }
