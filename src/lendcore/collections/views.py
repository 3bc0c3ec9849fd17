"""Presenters: collections' domain values as the API and the CLI show them.

Amounts are yuan strings (``money.format_yuan``), dates ISO strings. Case amounts are shown by
role (least privilege, domain.md section 10): a collector or an agency sees a band
(``"1000-5000"``), a supervisor the exact figure (``"1146.00"``). The view's role is the
signed-in principal's (:func:`view_role`), never a parameter of the request.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from lendcore.collections.cases import Role, show_amount
from lendcore.collections.complaint_service import Complaint
from lendcore.collections.contacts import RecordedContact
from lendcore.collections.early_plans import PlanRequest
from lendcore.collections.guard import GuardResult
from lendcore.collections.legal_service import LegalStepRecord
from lendcore.collections.outsourcing import (
    Agency,
    Assignment,
    CollectorAssignment,
    Notice,
    Reachability,
)
from lendcore.collections.plan_service import OfferedPlan, PlanRecord, SignedPlan
from lendcore.collections.plans import PlanOffer
from lendcore.collections.queries import CaseDetail, CaseSummary
from lendcore.collections.sync import SyncReport
from lendcore.money import format_yuan
from lendcore.principal import Principal

View = dict[str, Any]
# Roles that see a case's exact amounts; an agency collector sees bands as an agency.
EXACT_AMOUNT_ROLES = frozenset({"collections_supervisor", "administrator", "compliance_auditor"})


def view_role(principal: Principal | None) -> Role:
    """How much of a case's amounts ``principal`` sees: a collections supervisor, an
    administrator or a compliance auditor the exact figures, an agency collector an agency's
    bands, anyone else a collector's bands. No principal: code in this process holding the
    database's credentials (the demo, a test), which sees everything."""
    if principal is None or EXACT_AMOUNT_ROLES & set(principal.roles):
        return Role.SUPERVISOR
    if "agency_collector" in principal.roles:
        return Role.AGENCY
    return Role.COLLECTOR


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- cases -------------------------------------------------------------------------------------
def case(summary: CaseSummary, role: Role) -> View:
    amounts = {
        "overdue_principal": show_amount(summary.overdue_principal_fen, role),
        "overdue_interest": show_amount(summary.overdue_interest_fen, role),
        "overdue_fee": show_amount(summary.overdue_fee_fen, role),
        "penalty": show_amount(summary.penalty_fen, role),
        "overdue_total": show_amount(summary.overdue_total_fen, role),
    }
    return {
        "id": summary.case_id, "customer_id": summary.customer_id, "status": summary.status,
        "bucket": summary.bucket, "max_dpd": summary.max_dpd,
        "amounts": amounts, "amounts_shown_as": "exact" if role is Role.SUPERVISOR else "band",
        "assignee": {"kind": summary.assignee_kind, "agency": summary.agency_code,
                     "collector": summary.collector},
        "next_action": summary.next_action,
        "borrower_unreachable": summary.borrower_unreachable,
        "outsourcing_notice_on": _iso(summary.outsourcing_notice_on),
        "broken_promises": summary.broken_promises,
        "opened_on": _iso(summary.opened_on), "closed_on": _iso(summary.closed_on),
    }


def cases(summaries: list[CaseSummary], role: Role) -> list[View]:
    return [case(s, role) for s in summaries]


def case_detail(detail: CaseDetail, role: Role) -> View:
    out = case(detail.case, role)
    exact = role is Role.SUPERVISOR
    out["history"] = [
        {"business_date": h.business_date.isoformat(), "event": h.event, "status": h.status,
         "bucket": h.bucket, "next_action": h.next_action,
         "overdue_total": show_amount(h.overdue_total_fen, role), "detail": h.detail}
        for h in detail.history]
    out["contacts"] = [
        {"id": c.contact_id, "allowed": c.allowed, "reasons": [r.as_dict() for r in c.reasons],
         "channel": c.channel, "to": c.target, "at": c.at.isoformat(),
         "local_date": c.local_date.isoformat(), "collector_id": c.collector_id,
         "outcome": c.outcome, "recording_ref": c.recording_ref,
         "retain_until": c.retain_until.isoformat()}
        for c in detail.contacts]
    out["promises"] = [
        {"id": p.promise_id, "promised_on": p.promised_on.isoformat(), "status": p.status,
         "amount": show_amount(p.amount_fen, role)}
        for p in detail.promises]
    out["plans"] = [plan(p) if exact else {"id": p.plan_id, "status": p.status,
                                           "loan_id": p.loan_id}
                    for p in detail.plans]
    out["legal_steps"] = [legal_step(s) for s in detail.legal_steps]
    return out


def legal_step(value: LegalStepRecord) -> View:
    return {"id": value.step_id, "case_id": value.case_id, "step": value.step.value,
            "reference": value.reference, "taken_on": value.taken_on.isoformat(),
            "recorded_on": value.recorded_on.isoformat(), "recorded_by": value.recorded_by,
            "approved_by": value.approved_by}


# --- contacts ----------------------------------------------------------------------------------
def verdict(result: GuardResult) -> View:
    return result.as_dict()


def recorded_contact(recorded: RecordedContact) -> View:
    return {**recorded.verdict.as_dict(), "contact_id": recorded.contact_id}


# --- outsourcing -------------------------------------------------------------------------------
def notice(value: Notice) -> View:
    return {"notice_id": value.notice_id, "case_id": value.case_id, "channel": value.channel,
            "sent_on": value.sent_on.isoformat()}


def assignment(value: Assignment) -> View:
    return {"status": "assigned", "case_id": value.case_id, "agency": value.agency_code,
            "assigned_on": value.assigned_on.isoformat()}


def collector_assignment(value: CollectorAssignment) -> View:
    return {"case_id": value.case_id, "collector": value.collector,
            "previous": value.previous, "assigned_on": value.assigned_on.isoformat()}


def reachability(value: Reachability) -> View:
    return {"case_id": value.case_id, "unreachable": value.unreachable,
            "marked_on": value.marked_on.isoformat()}


def agency(value: Agency) -> View:
    return {"agency_id": value.agency_id, "code": value.code, "name": value.name,
            "last_reviewed_on": value.last_reviewed_on.isoformat(),
            "review_due": value.review_due.isoformat()}


# --- plans -------------------------------------------------------------------------------------
def offer(plan_id: int, value: PlanOffer) -> View:
    return {
        "plan_id": plan_id, "loan_id": value.loan_id, "installments": value.installments_count,
        "method": value.method.value,
        "principal": format_yuan(value.principal_fen), "arrears": format_yuan(value.arrears_fen),
        "waived_penalty": format_yuan(value.waived_penalty_fen),
        "waived_interest": format_yuan(value.waived_interest_fen),
        "total": format_yuan(value.total_fen),
        "special_transaction": value.special_transaction,
        "bureau_trigger_event": value.bureau_trigger_event,
        "schedule": [{"number": i.number, "due_date": i.due_date.isoformat(),
                      "principal": format_yuan(i.principal_fen),
                      "interest": format_yuan(i.interest_fen),
                      "arrears": format_yuan(i.arrears_fen), "total": format_yuan(i.total_fen)}
                     for i in value.schedule],
    }


def offered_plan(value: OfferedPlan) -> View:
    return {**offer(value.plan_id, value.offer), "status": "offered", "case_id": value.case_id,
            "origin": value.origin, "offered_on": value.offered_on.isoformat()}


def signed_plan(value: SignedPlan) -> View:
    return {**offer(value.plan_id, value.offer), "status": "signed", "case_id": value.case_id,
            "origin": value.origin,
            "signed_on": value.signed_on.isoformat(), "signed_by": value.signed_by,
            "approved_by": value.approved_by,
            "class_floor_until": value.class_floor_until.isoformat()}


def plan(record: PlanRecord) -> View:
    o = record.offer
    return {
        "id": record.plan_id, "loan_id": record.loan_id, "status": record.status,
        "case_id": record.case_id, "origin": record.origin,
        "installments_count": o.installments_count, "method": o.method.value,
        "principal": format_yuan(o.principal_fen), "arrears": format_yuan(o.arrears_fen),
        "waived_penalty": format_yuan(o.waived_penalty_fen),
        "waived_interest": format_yuan(o.waived_interest_fen),
        "waiver_reason": o.waiver_reason, "proposed_by": o.proposed_by,
        "approved_by": o.approved_by, "special_transaction": o.special_transaction,
        "bureau_trigger_event": o.bureau_trigger_event,
        "offered_on": _iso(record.offered_on), "signed_on": _iso(record.signed_on),
        "signed_by": record.signed_by, "class_floor_until": _iso(record.class_floor_until),
        "broken_on": _iso(record.broken_on), "start_date": _iso(o.start),
        "schedule": offer(record.plan_id, o)["schedule"],
    }


def plan_request(value: PlanRequest) -> View:
    return {"request_id": value.request_id, "loan_id": value.loan_id,
            "customer_id": value.customer_id, "requested_on": value.requested_on.isoformat(),
            "installments": value.installments, "reason": value.reason,
            "requested_by": value.requested_by, "status": value.status,
            "plan_id": value.plan_id}


def plan_requests(values: list[PlanRequest]) -> list[View]:
    return [plan_request(v) for v in values]


# --- complaints --------------------------------------------------------------------------------
def complaint(value: Complaint) -> View:
    return {
        "id": value.complaint_id, "complaint_id": value.complaint_id,
        "customer_id": value.customer_id, "case_id": value.case_id, "channel": value.channel,
        "summary": value.summary, "complex": value.complex,
        "received_on": value.received_on.isoformat(), "deadline": value.deadline.isoformat(),
        "extended_days": value.extended_days,
        "extension_approved_by": value.extension_approved_by,
        "extension_reason": value.extension_reason, "status": value.status,
        "resolved_on": _iso(value.resolved_on), "resolution": value.resolution,
        "overdue": value.overdue,
    }


def complaints(values: list[Complaint]) -> list[View]:
    return [complaint(v) for v in values]


# --- the sync ----------------------------------------------------------------------------------
def sync_report(report: SyncReport) -> View:
    return {"opened": len(report.opened), "updated": len(report.updated),
            "closed": len(report.closed), "promises_broken": report.promises_broken,
            "plans_broken": report.plans_broken}
