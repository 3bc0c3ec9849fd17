"""Collections services: the one place the API, the CLI and the nightly run call.

Each function takes a :class:`UnitOfWork` and never commits; the caller commits once.

* ``sync_cases(uow, business_date)``: the nightly step. Opens, refreshes and closes the one case
  per borrower from ``loans``, settles promises to pay (kept/broken), marks broken plans, and
  writes a history row for every change. Idempotent per business date.
* ``check_contact_for_case`` / ``record_contact``: the compliance guard against the stored case
  and the day's contacts; ``record_contact`` appends the contact (or the refusal).
* Plans (``offer_plan``, ``sign_plan``) live in ``plan_service`` and complaints in
  ``complaint_service``; both are re-exported here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import RowMapping, insert, select, update

from lendcore.calendar import add_months
from lendcore.collections import store
from lendcore.collections.cases import CaseDecision, case_figures, decide_case
from lendcore.collections.config import AssigneeKind, Channel, CollectionsConfig, default_config
from lendcore.collections.guard import (
    CaseState,
    GuardResult,
    Outcome,
    ProposedContact,
    Target,
    check_contact,
    local_day,
)
from lendcore.collections.outsourcing import (
    add_agency,
    assign_agency,
    mark_unreachable,
    record_outsourcing_notice,
    review_agency,
)
from lendcore.collections.plan_service import RestructureHook, offer_plan, sign_plan
from lendcore.collections.strategy import (
    next_action,
    promise_broken,
    promise_kept,
)
from lendcore.errors import InvalidInput
from lendcore.store.collections_tables import (
    collection_cases,
    collection_contacts,
    collection_plans,
    collection_promises,
)
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork

__all__ = [
    "RestructureHook",
    "SyncReport",
    "add_agency",
    "assign_agency",
    "check_contact_for_case",
    "mark_unreachable",
    "offer_plan",
    "record_contact",
    "record_outsourcing_notice",
    "review_agency",
    "sign_plan",
    "sync_cases",
]


@dataclass
class SyncReport:
    opened: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    promises_broken: int = 0
    plans_broken: int = 0


def sync_cases(uow: UnitOfWork, business_date: date, *, config: CollectionsConfig | None = None,
               customer_id_range: tuple[int, int] | None = None) -> SyncReport:
    """Bring every borrower's case in line with ``loans`` as of ``business_date``.

    ``customer_id_range`` (start inclusive, end exclusive) limits the run to one partition of
    the nightly run; loan ids shard by customer, so a partition holds whole borrowers.
    """
    cfg = config or default_config()
    conn = uow.conn
    report = SyncReport()
    customer_ids = store.customers_to_sync(conn, customer_id_range)
    loans_by_customer = store.loans_of(conn, customer_ids)
    cases = store.cases_of(conn, customer_ids)
    for customer_id in customer_ids:
        _sync_one(uow, customer_id, loans_by_customer[customer_id], cases.get(customer_id),
                  business_date, cfg, report)
    return report


def _sync_one(uow: UnitOfWork, customer_id: int, borrower_loans: list[Any],
              case: RowMapping | None, business_date: date, cfg: CollectionsConfig,
              report: SyncReport) -> None:
    conn = uow.conn
    events: list[tuple[str, dict[str, Any]]] = []
    if case is not None:
        report.plans_broken += _settle_plans(uow, case, business_date, events)
        report.promises_broken += _settle_promises(uow, case, borrower_loans, business_date,
                                                   events)
    decision = decide_case(case is not None and case["status"] == "open", borrower_loans)
    if case is None and decision is not CaseDecision.OPEN:
        return
    figures = store.figures_values(case_figures(borrower_loans))
    reopen = dict(status="open", opened_on=business_date, closed_on=None,
                  assignee_kind=AssigneeKind.IN_HOUSE.value, agency_id=None,
                  borrower_unreachable=False, outsourcing_notice_on=None, broken_promises=0)
    if case is None:
        case_id = store.insert_id(conn, insert(collection_cases).values(
            customer_id=customer_id, next_action="none", updated_on=business_date,
            **figures, **reopen))
        report.opened.append(case_id)
        _refresh(uow, case_id, business_date, cfg, [("opened", {}), *events])
        return
    case_id = int(case["id"])
    values: dict[str, Any] = {}
    if decision is CaseDecision.OPEN:
        values = {**figures, **reopen}
        events.insert(0, ("reopened", {}))
        report.opened.append(case_id)
    elif decision in (CaseDecision.KEEP, CaseDecision.CLOSE):
        values = {k: v for k, v in figures.items() if case[k] != v}
        if decision is CaseDecision.CLOSE:
            values.update(status="closed", closed_on=business_date)
            events.append(("closed", {}))
            report.closed.append(case_id)
        elif values:
            events.append(("updated", {k: str(v) for k, v in values.items()}))
            report.updated.append(case_id)
    if values:
        conn.execute(update(collection_cases).where(collection_cases.c.id == case_id)
                     .values(**values))
    _refresh(uow, case_id, business_date, cfg, events)


def _refresh(uow: UnitOfWork, case_id: int, business_date: date, cfg: CollectionsConfig,
             events: list[tuple[str, dict[str, Any]]]) -> None:
    """Recompute next action and assignee after a change; one history row per event."""
    conn = uow.conn
    case = store.case_row(conn, case_id)
    values: dict[str, Any] = {}
    agency_code = store.agency_code_of(conn, case["agency_id"])
    strategy = cfg.strategy_for(str(case["bucket"]))
    if (agency_code is not None and strategy is not None
            and strategy.assignee is AssigneeKind.IN_HOUSE):
        values.update(assignee_kind=AssigneeKind.IN_HOUSE.value, agency_id=None)
        events.append(("recalled_from_agency", {"agency": agency_code}))
        agency_code = None
    action = next_action(
        case_open=case["status"] == "open", bucket=str(case["bucket"]),
        max_dpd=int(case["max_dpd"]), plan_in_force=store.plan_in_force(conn, case_id),
        broken_promises=int(case["broken_promises"]),
        notice_recorded=case["outsourcing_notice_on"] is not None,
        agency_code=agency_code, config=cfg)
    if action != case["next_action"]:
        values["next_action"] = action
        if not events:
            events.append(("next_action", {"next_action": action}))
    if not events:
        return
    values.update(updated_on=business_date, version=int(case["version"]) + 1)
    conn.execute(update(collection_cases).where(collection_cases.c.id == case_id).values(**values))
    fresh = store.case_row(conn, case_id)
    for event, detail in events:
        store.add_history(conn, fresh, business_date, event, detail)


def _settle_plans(uow: UnitOfWork, case: RowMapping, business_date: date,
                  events: list[tuple[str, dict[str, Any]]]) -> int:
    """A signed plan whose loan falls past grace again is broken: collection reopens."""
    conn = uow.conn
    rows = conn.execute(select(collection_plans.c.id, loans.c.dpd, loans.c.grace_days,
                               loans.c.status).join(loans, loans.c.id == collection_plans.c.loan_id)
                        .where(collection_plans.c.case_id == case["id"],
                               collection_plans.c.status == "signed")).all()
    broken = 0
    for plan_id, dpd, grace_days, loan_status in rows:
        if loan_status == "closed":
            status, event = "completed", "plan_completed"
        elif int(dpd) > int(grace_days):
            status, event = "broken", "plan_broken"
            broken += 1
        else:
            continue
        conn.execute(update(collection_plans).where(collection_plans.c.id == plan_id).values(
            status=status, broken_on=business_date if status == "broken" else None))
        events.append((event, {"plan_id": int(plan_id)}))
    return broken


def _settle_promises(uow: UnitOfWork, case: RowMapping, borrower_loans: list[Any],
                     business_date: date, events: list[tuple[str, dict[str, Any]]]) -> int:
    """Kept when paid in full by the promised date; broken once that date passes unpaid."""
    conn = uow.conn
    rows = conn.execute(select(collection_promises).where(
        collection_promises.c.case_id == case["id"], collection_promises.c.status == "open")
    ).mappings().all()
    loan_ids = [loan.loan_id for loan in borrower_loans]
    broken = 0
    for p in rows:
        paid = store.paid_between(conn, loan_ids, p["made_on"], p["promised_on"])
        if promise_kept(int(p["amount_fen"]), paid):
            status = "kept"
        elif promise_broken(p["promised_on"], int(p["amount_fen"]), paid, business_date):
            status = "broken"
            broken += 1
        else:
            continue
        conn.execute(update(collection_promises).where(collection_promises.c.id == p["id"])
                     .values(status=status, settled_on=business_date))
        events.append((f"promise_{status}", {"promise_id": int(p["id"]), "paid_fen": paid}))
    if broken:
        conn.execute(update(collection_cases).where(collection_cases.c.id == case["id"]).values(
            broken_promises=collection_cases.c.broken_promises + broken))
    return broken


# --- contacts -------------------------------------------------------------------------------


def case_state(uow: UnitOfWork, case: RowMapping) -> CaseState:
    conn = uow.conn
    return CaseState(
        is_open=case["status"] == "open", bucket=str(case["bucket"]),
        borrower_zone=store.borrower_zone(conn, int(case["customer_id"])),
        borrower_unreachable=bool(case["borrower_unreachable"]),
        plan_in_force=store.plan_in_force(conn, int(case["id"])),
        agency_code=store.agency_code_of(conn, case["agency_id"]),
    )


def check_contact_for_case(uow: UnitOfWork, case_id: int, proposal: ProposedContact, *,
                           config: CollectionsConfig | None = None) -> GuardResult:
    """The guard against the stored case and the borrower's contacts that day (no writes)."""
    case = store.case_row(uow.conn, case_id)
    state = case_state(uow, case)
    day = local_day(proposal.at, state.borrower_zone)
    history = store.contacts_around(uow.conn, int(case["customer_id"]), day)
    return check_contact(proposal, history, state, config or default_config())


OUTCOMES_BY_CHANNEL = {
    Channel.CALL: {Outcome.ANSWERED, Outcome.NO_ANSWER, Outcome.BUSY},
    Channel.SMS: {Outcome.DELIVERED, Outcome.FAILED},
    Channel.APP: {Outcome.DELIVERED, Outcome.FAILED},
    Channel.VISIT: {Outcome.MET, Outcome.NOT_MET},
}


@dataclass(frozen=True)
class ContactOutcome:
    outcome: Outcome
    recording_ref: str | None = None
    promise_amount_fen: int | None = None
    promise_date: date | None = None


def record_contact(uow: UnitOfWork, case_id: int, proposal: ProposedContact,
                   result: ContactOutcome, *, config: CollectionsConfig | None = None,
                   ) -> tuple[GuardResult, int]:
    """Check the contact, then append it; a refusal is appended too (``allowed`` false).

    The case row is locked first so two collectors cannot both pass the daily limits.
    """
    cfg = config or default_config()
    conn = uow.conn
    case = store.case_row(conn, case_id, lock=True)
    _check_outcome(proposal, result)
    if result.recording_ref and not proposal.recorded:
        proposal = _with_recorded(proposal)
    verdict = check_contact_for_case(uow, case_id, proposal, config=cfg)
    state_zone = store.borrower_zone(conn, int(case["customer_id"]))
    day = local_day(proposal.at, state_zone)
    agency_id = (int(store.agency_by_code(conn, proposal.agency_code)["id"])
                 if proposal.agency_code else None)
    contact_id = store.insert_id(conn, insert(collection_contacts).values(
        case_id=case_id, customer_id=case["customer_id"], allowed=verdict.allowed,
        reasons_json=json.dumps([r.as_dict() for r in verdict.reasons], ensure_ascii=False),
        channel=proposal.channel.value, target=proposal.target.value,
        number_ref=proposal.number_key, at_utc=store.as_utc(proposal.at), local_date=day,
        collector_id=proposal.collector_id, agency_id=agency_id,
        collectors_json=json.dumps(list(proposal.collectors), ensure_ascii=False),
        template=proposal.template,
        outcome=result.outcome.value if verdict.allowed else None,
        recording_ref=result.recording_ref,
        promise_amount_fen=result.promise_amount_fen if verdict.allowed else None,
        promise_date=result.promise_date if verdict.allowed else None,
        retain_until=add_months(day, 12 * cfg.retention_years),
    ))
    if verdict.allowed and result.promise_amount_fen and result.promise_date:
        conn.execute(insert(collection_promises).values(
            case_id=case_id, contact_id=contact_id, made_on=day,
            promised_on=result.promise_date, amount_fen=result.promise_amount_fen,
            status="open"))
    return verdict, contact_id


def _with_recorded(p: ProposedContact) -> ProposedContact:
    return ProposedContact(p.channel, p.target, p.at, p.number, p.collector_id, p.agency_code,
                           p.template, p.collectors, recorded=True)


def _check_outcome(p: ProposedContact, result: ContactOutcome) -> None:
    if result.outcome not in OUTCOMES_BY_CHANNEL[p.channel]:
        accepted = ", ".join(sorted(o.value for o in OUTCOMES_BY_CHANNEL[p.channel]))
        raise InvalidInput(f"a {p.channel.value} ends {accepted}", field="outcome")
    if (result.promise_amount_fen is None) != (result.promise_date is None):
        raise InvalidInput("a promise to pay needs both an amount and a date", field="promise")
    if result.promise_date is not None and result.promise_date < p.at.date():
        raise InvalidInput("a promise to pay is for a future date", field="promise_date")
    if result.promise_amount_fen is not None and result.promise_amount_fen <= 0:
        raise InvalidInput("must be greater than 0", field="promise_amount")


# --- case administration --------------------------------------------------------------------


def parse_at(text: str, field_name: str = "at") -> datetime:
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{text!r} is not a time; use e.g. 2026-03-01T21:30+08:00",
                           field=field_name) from None
    if at.tzinfo is None:
        raise InvalidInput("must carry a UTC offset, e.g. 2026-03-01T21:30+08:00",
                           field=field_name)
    return at


def proposal_from(data: Mapping[str, Any]) -> ProposedContact:
    """A proposed contact from API/CLI input (strings), naming the field of any mistake."""
    try:
        channel = Channel(str(data.get("channel", "")).strip().lower())
    except ValueError:
        raise InvalidInput("accepted: call, sms, app, visit", field="channel") from None
    try:
        target = Target(str(data.get("to", "borrower")).strip().lower())
    except ValueError:
        raise InvalidInput("accepted: borrower, contact", field="to") from None
    at = data.get("at")
    at_value = at if isinstance(at, datetime) else parse_at(str(at or ""))
    return ProposedContact(
        channel=channel, target=target, at=at_value, number=data.get("number") or None,
        collector_id=data.get("collector_id") or None,
        agency_code=data.get("agency_code") or None, template=data.get("template") or None,
        collectors=tuple(data.get("collectors") or ()), recorded=bool(data.get("recorded")),
    )
