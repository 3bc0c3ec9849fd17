"""Read models for cases: lists and details as domain values (amounts in fen), and whose cases
a collector may see.

How much of an amount a reader sees (a band or the exact figure) is the view's business
(``views.case``); these functions read everything and return it whole.

The case scope (``lendcore.scope``): a collector sees only the cases assigned to them
(``collection_cases.collector``), an agency collector only its agency's (``agency_id``). Both
the per-case check (:func:`case_in_scope`, registered in ``scope.CASE_SCOPE`` when this module is
imported) and the list's filter (:func:`scope_filter`) read the same two rules.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, false, or_, select

from lendcore import scope
from lendcore.collections import store
from lendcore.collections.config import BUCKETS
from lendcore.collections.legal_service import LegalStepRecord, legal_steps_of
from lendcore.collections.plan_service import PlanRecord, plan_record
from lendcore.errors import InvalidInput
from lendcore.principal import Principal
from lendcore.reasons import Reason
from lendcore.store.collections_tables import (
    collection_agencies,
    collection_case_history,
    collection_cases,
    collection_contacts,
    collection_plans,
    collection_promises,
)

DEFAULT_PAGE = 100
MAX_PAGE = 1_000


@dataclass(frozen=True, slots=True)
class CaseSummary:
    case_id: int
    customer_id: int
    status: str
    bucket: str
    max_dpd: int
    overdue_principal_fen: int
    overdue_interest_fen: int
    overdue_fee_fen: int
    penalty_fen: int
    assignee_kind: str
    agency_code: str | None
    collector: str | None
    next_action: str
    borrower_unreachable: bool
    outsourcing_notice_on: date | None
    broken_promises: int
    opened_on: date
    closed_on: date | None

    @property
    def overdue_total_fen(self) -> int:
        return (self.overdue_principal_fen + self.overdue_interest_fen + self.overdue_fee_fen
                + self.penalty_fen)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    business_date: date
    event: str
    status: str
    bucket: str
    next_action: str
    overdue_total_fen: int
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ContactEntry:
    contact_id: int
    allowed: bool
    reasons: tuple[Reason, ...]
    channel: str
    target: str
    at: datetime
    local_date: date
    collector_id: str | None
    outcome: str | None
    recording_ref: str | None
    retain_until: date


@dataclass(frozen=True, slots=True)
class PromiseEntry:
    promise_id: int
    promised_on: date
    status: str
    amount_fen: int


@dataclass(frozen=True, slots=True)
class CaseDetail:
    case: CaseSummary
    history: tuple[HistoryEntry, ...]
    contacts: tuple[ContactEntry, ...]
    promises: tuple[PromiseEntry, ...]
    plans: tuple[PlanRecord, ...]
    legal_steps: tuple[LegalStepRecord, ...] = ()


def _summary(row: RowMapping, agencies: dict[int, str]) -> CaseSummary:
    agency_id = row["agency_id"]
    return CaseSummary(
        case_id=int(row["id"]), customer_id=int(row["customer_id"]), status=str(row["status"]),
        bucket=str(row["bucket"]), max_dpd=int(row["max_dpd"]),
        overdue_principal_fen=int(row["overdue_principal_fen"]),
        overdue_interest_fen=int(row["overdue_interest_fen"]),
        overdue_fee_fen=int(row["overdue_fee_fen"]), penalty_fen=int(row["penalty_fen"]),
        assignee_kind=str(row["assignee_kind"]),
        agency_code=None if agency_id is None else agencies.get(int(agency_id)),
        collector=row["collector"],
        next_action=str(row["next_action"]),
        borrower_unreachable=bool(row["borrower_unreachable"]),
        outsourcing_notice_on=row["outsourcing_notice_on"],
        broken_promises=int(row["broken_promises"]), opened_on=row["opened_on"],
        closed_on=row["closed_on"])


# --- the case scope --------------------------------------------------------------------------
def scope_filter(principal: Principal) -> ColumnElement[bool]:
    """The cases a case-limited principal may see: a collector's assigned ones, an agency
    collector's agency's (a principal with both roles: either)."""
    c = collection_cases.c
    mine: list[ColumnElement[bool]] = []
    if "collector" in principal.roles:
        mine.append(c.collector == principal.actor)
    if "agency_collector" in principal.roles and principal.agency_code is not None:
        mine.append(c.agency_id == select(collection_agencies.c.id).where(
            collection_agencies.c.code == principal.agency_code).scalar_subquery())
    return or_(*mine) if mine else false()


def case_in_scope(conn: Connection, principal: Principal, case_id: int) -> bool:
    """``scope.CASE_SCOPE``'s hook: is case ``case_id`` this collector's (or agency's)?"""
    found = conn.execute(select(collection_cases.c.id).where(
        collection_cases.c.id == case_id, scope_filter(principal))).first()
    return found is not None


if case_in_scope not in scope.CASE_SCOPE:
    scope.CASE_SCOPE.append(case_in_scope)


# --- cases -------------------------------------------------------------------------------------
def list_cases(conn: Connection, *, bucket: str | None = None, status: str | None = "open",
               after_id: int = 0, limit: int = DEFAULT_PAGE,
               principal: Principal | None = None) -> list[CaseSummary]:
    """Cases by id, ``limit`` at a time after ``after_id`` (the last id of the page before);
    for a collector or an agency collector (``principal``), only theirs."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"must be from 1 to {MAX_PAGE}", field="limit")
    query = (select(collection_cases).where(collection_cases.c.id > after_id)
             .order_by(collection_cases.c.id).limit(limit))
    if principal is not None and scope.is_case_limited(principal):
        query = query.where(scope_filter(principal))
    if bucket is not None:
        if bucket not in BUCKETS:
            raise InvalidInput(f"unknown bucket {bucket!r}; accepted M0..M7", field="bucket")
        query = query.where(collection_cases.c.bucket == bucket)
    if status is not None:
        if status not in ("open", "closed"):
            raise InvalidInput("accepted: open, closed", field="status")
        query = query.where(collection_cases.c.status == status)
    agencies = store.agency_codes(conn)
    return [_summary(row, agencies) for row in conn.execute(query).mappings()]


def case_detail_for(conn: Connection, principal: Principal | None,
                    case_id: int) -> CaseDetail:
    """One case, if it is in ``principal``'s scope (else 403, whether or not it exists)."""
    scope.check(conn, principal, ("case", case_id))
    return case_detail(conn, case_id)


def case_detail(conn: Connection, case_id: int) -> CaseDetail:
    row = store.case_row(conn, case_id)
    history = tuple(
        HistoryEntry(h["business_date"], str(h["event"]), str(h["status"]), str(h["bucket"]),
                     str(h["next_action"]), int(h["overdue_total_fen"]),
                     json.loads(h["detail_json"]))
        for h in conn.execute(select(collection_case_history).where(
            collection_case_history.c.case_id == case_id)
            .order_by(collection_case_history.c.id)).mappings())
    contacts = tuple(
        ContactEntry(int(c["id"]), bool(c["allowed"]),
                     tuple(Reason(r["code"], r["detail"]) for r in json.loads(c["reasons_json"])),
                     str(c["channel"]), str(c["target"]), store.as_utc(c["at_utc"]),
                     c["local_date"], c["collector_id"], c["outcome"], c["recording_ref"],
                     c["retain_until"])
        for c in conn.execute(select(collection_contacts).where(
            collection_contacts.c.case_id == case_id).order_by(collection_contacts.c.id))
        .mappings())
    promises = tuple(
        PromiseEntry(int(p["id"]), p["promised_on"], str(p["status"]), int(p["amount_fen"]))
        for p in conn.execute(select(collection_promises).where(
            collection_promises.c.case_id == case_id).order_by(collection_promises.c.id))
        .mappings())
    plans = tuple(plan_record(p) for p in conn.execute(select(collection_plans).where(
        collection_plans.c.case_id == case_id).order_by(collection_plans.c.id)).mappings())
    return CaseDetail(_summary(row, store.agency_codes(conn)), history, contacts, promises,
                      plans, legal_steps_of(conn, case_id))
