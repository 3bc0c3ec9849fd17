"""HTTP routes for collections: thin; every behaviour is a service call in one unit of work."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from lendcore.api.deps import IdField, IdPath, get_engine
from lendcore.collections import complaint_service, queries, service
from lendcore.collections.cases import Role
from lendcore.collections.guard import Outcome
from lendcore.errors import InvalidInput
from lendcore.money import parse_yuan
from lendcore.store.uow import UnitOfWork

router = APIRouter(prefix="/collections", tags=["collections"])


class ContactIn(BaseModel):
    case_id: IdField
    channel: str = Field(description="call | sms | app | visit")
    to: str = Field("borrower", description="borrower | contact (emergency contact)")
    at: str = Field(description="ISO time with offset, e.g. 2026-03-01T21:30+08:00")
    number: str | None = None
    collector_id: str | None = None
    agency_code: str | None = None
    template: str | None = None
    collectors: list[str] = Field(default_factory=list)
    recorded: bool = False


class ContactRecordIn(ContactIn):
    outcome: str
    recording_ref: str | None = None
    promise_amount: str | None = Field(None, description="yuan as a decimal string")
    promise_date: date | None = None


class NoticeIn(BaseModel):
    channel: str
    sent_on: date
    reference: str | None = None


class AssignIn(BaseModel):
    agency_code: str
    business_date: date


class ComplaintIn(BaseModel):
    customer_id: IdField
    channel: str
    received_on: date
    summary: str
    complex: bool = False


class ExtensionIn(BaseModel):
    days: int
    approved_by: str
    reason: str


def _role(role: str) -> Role:
    return Role.parse(role)


@router.get("/cases")
def list_cases(bucket: str | None = None, status: str = "open", role: str = "collector",
               engine: Engine = Depends(get_engine)) -> list[dict[str, Any]]:
    with UnitOfWork(engine) as uow:
        return queries.list_cases(uow, bucket=bucket, status=status, role=_role(role))


@router.get("/cases/{case_id}")
def get_case(case_id: IdPath, role: str = "collector",
             engine: Engine = Depends(get_engine)) -> dict[str, Any]:
    with UnitOfWork(engine) as uow:
        return queries.case_detail(uow, case_id, _role(role))


@router.post("/contacts/check")
def check_contact(body: ContactIn, engine: Engine = Depends(get_engine)) -> dict[str, object]:
    proposal = service.proposal_from(body.model_dump())
    with UnitOfWork(engine) as uow:
        return service.check_contact_for_case(uow, body.case_id, proposal).as_dict()


@router.post("/contacts", response_model=None)
def record_contact(body: ContactRecordIn,
                   engine: Engine = Depends(get_engine)) -> dict[str, object] | JSONResponse:
    """Check, then record. A refusal is recorded too and answered 422 with every reason."""
    proposal = service.proposal_from(body.model_dump())
    try:
        outcome = Outcome(body.outcome)
    except ValueError:
        raise InvalidInput("accepted: " + ", ".join(o.value for o in Outcome),
                           field="outcome") from None
    promise_fen = parse_yuan(body.promise_amount, "promise_amount") if body.promise_amount else None
    result = service.ContactOutcome(outcome, body.recording_ref, promise_fen, body.promise_date)
    with UnitOfWork(engine) as uow:
        verdict, contact_id = service.record_contact(uow, body.case_id, proposal, result)
        uow.commit()
    payload: dict[str, object] = {**verdict.as_dict(), "contact_id": contact_id}
    if verdict.allowed:
        return payload
    return JSONResponse({"error": "contact_refused", "field": None,
                         "detail": "; ".join(r.code for r in verdict.reasons), **payload},
                        status_code=422)


@router.post("/cases/{case_id}/outsourcing-notice")
def outsourcing_notice(case_id: IdPath, body: NoticeIn,
                       engine: Engine = Depends(get_engine)) -> dict[str, int]:
    with UnitOfWork(engine) as uow:
        notice_id = service.record_outsourcing_notice(uow, case_id, channel=body.channel,
                                                      sent_on=body.sent_on,
                                                      reference=body.reference)
        uow.commit()
    return {"notice_id": notice_id}


@router.post("/cases/{case_id}/assign")
def assign(case_id: IdPath, body: AssignIn, engine: Engine = Depends(get_engine)) -> dict[str, str]:
    with UnitOfWork(engine) as uow:
        service.assign_agency(uow, case_id, body.agency_code, body.business_date)
        uow.commit()
    return {"status": "assigned"}


@router.post("/complaints")
def open_complaint(body: ComplaintIn, engine: Engine = Depends(get_engine)) -> dict[str, int]:
    with UnitOfWork(engine) as uow:
        complaint_id = complaint_service.open_complaint(
            uow, body.customer_id, channel=body.channel, received_on=body.received_on,
            summary=body.summary, complex_=body.complex)
        uow.commit()
    return {"complaint_id": complaint_id}


@router.post("/complaints/{complaint_id}/extend")
def extend_complaint(complaint_id: IdPath, body: ExtensionIn,
                     engine: Engine = Depends(get_engine)) -> dict[str, str]:
    with UnitOfWork(engine) as uow:
        deadline = complaint_service.extend_complaint(
            uow, complaint_id, days=body.days, approved_by=body.approved_by, reason=body.reason)
        uow.commit()
    return {"deadline": deadline.isoformat()}


@router.get("/complaints")
def list_complaints(business_date: date = Query(alias="date"),
                    engine: Engine = Depends(get_engine)) -> list[dict[str, Any]]:
    """Open complaints, overdue first; ``date`` is the business date."""
    with UnitOfWork(engine) as uow:
        return complaint_service.list_complaints(uow, business_date)


class PlanOfferIn(BaseModel):
    loan_id: IdField
    installments: int = Field(description="at most 60")
    proposed_by: str
    method: str = "equal-installment"
    waive_penalty: str = Field("0", description="yuan; needs approved_by and reason")
    waive_interest: str = Field("0", description="yuan; needs approved_by and reason")
    approved_by: str | None = None
    reason: str | None = None


class PlanSignIn(BaseModel):
    signed_by: str


def _offer_view(plan_id: int, offer: Any) -> dict[str, Any]:
    from lendcore.money import format_yuan

    return {
        "plan_id": plan_id, "loan_id": offer.loan_id, "installments": offer.installments_count,
        "principal": format_yuan(offer.principal_fen), "arrears": format_yuan(offer.arrears_fen),
        "waived_penalty": format_yuan(offer.waived_penalty_fen),
        "waived_interest": format_yuan(offer.waived_interest_fen),
        "total": format_yuan(offer.total_fen),
        "special_transaction": offer.special_transaction,
        "bureau_trigger_event": offer.bureau_trigger_event,
        "schedule": [{"number": i.number, "due_date": i.due_date.isoformat(),
                      "principal": format_yuan(i.principal_fen),
                      "interest": format_yuan(i.interest_fen),
                      "arrears": format_yuan(i.arrears_fen), "total": format_yuan(i.total_fen)}
                     for i in offer.schedule],
    }


@router.post("/cases/{case_id}/plans", status_code=201)
def offer_plan(case_id: IdPath, body: PlanOfferIn,
               engine: Engine = Depends(get_engine)) -> dict[str, Any]:
    """Offer a negotiated repayment plan (协商还款) for one of the case's loans."""
    from lendcore.collections.plans import Waiver
    from lendcore.schedules.model import Method
    from lendcore.servicing.runner import business_date

    waiver = Waiver(penalty_fen=parse_yuan(body.waive_penalty, "waive_penalty", allow_zero=True),
                    interest_fen=parse_yuan(body.waive_interest, "waive_interest",
                                            allow_zero=True),
                    approved_by=body.approved_by, reason=body.reason)
    with UnitOfWork(engine) as uow:
        plan_id, offer = service.offer_plan(
            uow, case_id, body.loan_id, installments=body.installments,
            offered_on=business_date(uow.conn), proposed_by=body.proposed_by,
            method=Method.parse(body.method), waiver=waiver)
        uow.commit()
    return _offer_view(plan_id, offer)


@router.post("/plans/{plan_id}/sign")
def sign_plan(plan_id: IdPath, body: PlanSignIn,
              engine: Engine = Depends(get_engine)) -> dict[str, Any]:
    """Sign an offered plan: the loan is restructured exactly as offered, collection stops."""
    from lendcore.servicing.runner import business_date
    from lendcore.servicing.service import apply_plan

    with UnitOfWork(engine) as uow:
        offer = service.sign_plan(uow, plan_id, signed_on=business_date(uow.conn),
                                  signed_by=body.signed_by, apply_restructure=apply_plan)
        uow.commit()
    return {"status": "signed", **_offer_view(plan_id, offer)}


class ReachabilityIn(BaseModel):
    unreachable: bool
    by: str = Field(min_length=1, description="who established it (collector id)")


class AgencyIn(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=255)
    last_reviewed_on: date


class AgencyReviewIn(BaseModel):
    reviewed_on: date


class ResolutionIn(BaseModel):
    resolved_on: date
    resolution: str = Field(min_length=1)


@router.post("/cases/{case_id}/reachability")
def set_reachability(case_id: IdPath, body: ReachabilityIn,
                     engine: Engine = Depends(get_engine)) -> dict[str, Any]:
    """Mark the borrower unreachable (emergency contacts may then be asked to pass on a
    request to get in touch, never told about the debt) or reachable again."""
    from lendcore.servicing.runner import business_date

    with UnitOfWork(engine) as uow:
        service.mark_unreachable(uow, case_id, body.unreachable, business_date(uow.conn),
                                 body.by)
        uow.commit()
    return {"case_id": case_id, "unreachable": body.unreachable}


@router.post("/agencies", status_code=201)
def add_agency(body: AgencyIn, engine: Engine = Depends(get_engine)) -> dict[str, Any]:
    """Add an outsourced collection agency with the date of its last (yearly) review."""
    with UnitOfWork(engine) as uow:
        agency_id = service.add_agency(uow, body.code, body.name, body.last_reviewed_on)
        uow.commit()
    return {"agency_id": agency_id, "code": body.code.strip()}


@router.post("/agencies/{code}/review")
def review_agency(code: str, body: AgencyReviewIn,
                  engine: Engine = Depends(get_engine)) -> dict[str, str]:
    """Record an agency's yearly review: only a reviewed agency receives new cases."""
    with UnitOfWork(engine) as uow:
        service.review_agency(uow, code, body.reviewed_on)
        uow.commit()
    return {"code": code, "last_reviewed_on": body.reviewed_on.isoformat()}


@router.post("/complaints/{complaint_id}/complex")
def mark_complaint_complex(complaint_id: IdPath,
                           engine: Engine = Depends(get_engine)) -> dict[str, str]:
    """A complex complaint is decided within 30 days instead of 15."""
    with UnitOfWork(engine) as uow:
        deadline = complaint_service.mark_complex(uow, complaint_id)
        uow.commit()
    return {"deadline": deadline.isoformat()}


@router.post("/complaints/{complaint_id}/resolve")
def resolve_complaint(complaint_id: IdPath, body: ResolutionIn,
                      engine: Engine = Depends(get_engine)) -> dict[str, str]:
    with UnitOfWork(engine) as uow:
        complaint_service.resolve_complaint(uow, complaint_id, resolved_on=body.resolved_on,
                                            resolution=body.resolution)
        uow.commit()
    return {"status": "resolved"}
