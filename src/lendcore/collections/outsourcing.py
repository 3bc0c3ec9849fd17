"""Outsourcing and reachability: agencies with their yearly review, the notice a borrower gets
before a case goes to an agency, assigning a case, and marking a borrower (un)reachable (the only
state in which an emergency contact may be asked to pass on a request to get in touch).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select, update

from lendcore.collections import store
from lendcore.collections.config import AssigneeKind, Channel, CollectionsConfig, default_config
from lendcore.collections.strategy import (
    agency_accepts_new_cases,
)
from lendcore.errors import Conflict, InvalidInput, RuleViolation
from lendcore.store.collections_tables import (
    collection_agencies,
    collection_cases,
    collection_notices,
)
from lendcore.store.uow import UnitOfWork


def mark_unreachable(uow: UnitOfWork, case_id: int, unreachable: bool, business_date: date,
                     by: str) -> None:
    """Emergency contacts may be called only while the borrower is marked unreachable."""
    case = store.case_row(uow.conn, case_id, lock=True)
    uow.conn.execute(update(collection_cases).where(collection_cases.c.id == case_id).values(
        borrower_unreachable=unreachable, updated_on=business_date,
        version=int(case["version"]) + 1))
    store.add_history(uow.conn, store.case_row(uow.conn, case_id), business_date,
                      "marked_unreachable" if unreachable else "marked_reachable", {"by": by})


def record_outsourcing_notice(uow: UnitOfWork, case_id: int, *, channel: str, sent_on: date,
                              reference: str | None = None) -> int:
    """Record that the borrower was told the case may go to an agency (needed before it does)."""
    if channel not in {c.value for c in Channel} | {"letter", "email"}:
        raise InvalidInput("accepted: sms, app, call, visit, letter, email", field="channel")
    case = store.case_row(uow.conn, case_id, lock=True)
    notice_id = store.insert_id(uow.conn, insert(collection_notices).values(
        case_id=case_id, kind="outsourcing", channel=channel, sent_on=sent_on,
        reference=reference))
    uow.conn.execute(update(collection_cases).where(collection_cases.c.id == case_id).values(
        outsourcing_notice_on=sent_on, version=int(case["version"]) + 1))
    store.add_history(uow.conn, store.case_row(uow.conn, case_id), sent_on,
                      "outsourcing_notice", {"notice_id": notice_id, "channel": channel})
    return notice_id


def add_agency(uow: UnitOfWork, code: str, name: str, last_reviewed_on: date) -> int:
    if not code.strip() or not name.strip():
        raise InvalidInput("an agency needs a code and a name", field="code")
    if uow.conn.execute(select(collection_agencies.c.id)
                        .where(collection_agencies.c.code == code.strip())).first():
        raise Conflict(f"agency {code.strip()!r} already exists", field="code",
                       code="duplicate_agency")
    return store.insert_id(uow.conn, insert(collection_agencies).values(
        code=code.strip(), name=name.strip(), last_reviewed_on=last_reviewed_on)
    )


def review_agency(uow: UnitOfWork, code: str, reviewed_on: date) -> None:
    agency = store.agency_by_code(uow.conn, code)
    uow.conn.execute(update(collection_agencies).where(collection_agencies.c.id == agency["id"])
                     .values(last_reviewed_on=reviewed_on))


def assign_agency(uow: UnitOfWork, case_id: int, agency_code: str, business_date: date, *,
                  config: CollectionsConfig | None = None) -> None:
    """Outsource a case: only in an agency bucket (M4+), only after the outsourcing notice,
    only to an agency whose yearly review is current."""
    cfg = config or default_config()
    conn = uow.conn
    case = store.case_row(conn, case_id, lock=True)
    agency = store.agency_by_code(conn, agency_code)
    strategy = cfg.strategy_for(str(case["bucket"]))
    if case["status"] != "open":
        raise RuleViolation("the case is closed", field="case_id", code="case_closed")
    if strategy is None or strategy.assignee is not AssigneeKind.AGENCY:
        raise RuleViolation(f"{case['bucket']} is worked in-house", field="case_id",
                            code="bucket_not_outsourced")
    notice_on = case["outsourcing_notice_on"]
    if notice_on is None or notice_on > business_date:
        raise RuleViolation("the borrower has not been notified of the outsourcing",
                            field="case_id", code="outsourcing_notice_missing")
    if not agency_accepts_new_cases(agency["last_reviewed_on"], bool(agency["active"]),
                                    business_date):
        raise RuleViolation(f"agency {agency_code} is past its yearly review "
                            f"(last {agency['last_reviewed_on']}) or inactive",
                            field="agency", code="agency_review_overdue")
    conn.execute(update(collection_cases).where(collection_cases.c.id == case_id).values(
        assignee_kind=AssigneeKind.AGENCY.value, agency_id=agency["id"],
        next_action="agency_collection", updated_on=business_date,
        version=int(case["version"]) + 1))
    store.add_history(conn, store.case_row(conn, case_id), business_date, "assigned",
                      {"agency": agency_code})
