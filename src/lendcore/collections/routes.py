"""HTTP routes for collections: parse the body, build the command, run it.

No body or query parameter carries a date or a time (a contact happens at the server's time,
everything else on the business date); unknown fields are refused, every text field has a
maximum length, enumerations are closed sets (``fields``).

No body or query parameter names who acts or in which role either: the collector of a contact,
who marked a borrower unreachable, who offered a plan, who approved a waiver or an extension
are the signed-in principal (``ctx.actor``), and how much of a case's amounts a reader sees
follows their roles (``views.view_role``). A collector lists and reads only the cases assigned
to them, an agency collector only its agency's; another case is a 403. Each route declares its
one permission (``allow``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field, StrictBool

from lendcore.access.guard import allow
from lendcore.collections import complaint_service, operations, queries, views
from lendcore.collections.config import Channel
from lendcore.collections.fields import (
    VISIT_STAFF_MAX,
    AgencyName,
    BucketName,
    CaseStatus,
    ComplaintChannel,
    ContactChannel,
    ContactOutcomeName,
    ContactTarget,
    ExtensionDays,
    LegalStepName,
    NoticeChannel,
    NoticeRef,
    NumberRef,
    Person,
    PlanInstallments,
    PlanMethod,
    Reason,
    RecordingRef,
    Summary,
    Template,
)
from lendcore.collections.guard import Outcome, Target
from lendcore.collections.legal import LegalStep
from lendcore.collections.legal_operations import RecordLegalStep
from lendcore.edge import IDENTIFIER_PATTERN, Body, Identifier, Money, StrictDate, parse_money
from lendcore.errors import InvalidInput
from lendcore.principal import Principal
from lendcore.runner import query
from lendcore.schedules import Method
from lendcore.web import ContextDep, EngineDep, IdField, IdPath, KeyHeader, run

router = APIRouter(prefix="/collections", tags=["collections"])


def _only_query(*names: str) -> Any:
    """Refuse a query parameter the route does not take (``?date=2030-01-01`` is not quietly
    ignored: the date is the server's)."""
    accepted = ", ".join(names) or "none"

    async def check(request: Request) -> None:
        for name in request.query_params:
            if name not in names:
                raise InvalidInput(f"unknown query parameter; accepted: {accepted}",
                                   field=name[:64])

    return Depends(check)


NO_QUERY = [_only_query()]
AgencyCode = Path(pattern=IDENTIFIER_PATTERN, max_length=64, description="the agency's code")


class ContactIn(Body):
    case_id: IdField
    channel: ContactChannel
    to: ContactTarget = Field("borrower", description="borrower | contact (emergency contact)")
    number: NumberRef | None = Field(None, description="which number; the target's own if none")
    template: Template | None = Field(None, description="message text or call script; a "
                                      "message carries the collector's id (the username)")
    collectors: list[Identifier] = Field(default_factory=list, max_length=VISIT_STAFF_MAX,
                                         description="visit staff besides the collector")
    recorded: StrictBool = False

    def contact(self) -> operations.Contact:
        """The contact; its collector is the signed-in operator, its agency theirs."""
        return operations.Contact(
            case_id=self.case_id, channel=Channel(self.channel), target=Target(self.to),
            number=self.number, template=self.template, collectors=tuple(self.collectors),
            recorded=self.recorded)


class ContactRecordIn(ContactIn):
    outcome: ContactOutcomeName
    recording_ref: RecordingRef | None = None
    promise_amount: Money | None = Field(None, description="yuan, e.g. \"500.00\"")
    promise_date: StrictDate | None = None


class NoticeIn(Body):
    channel: NoticeChannel
    reference: NoticeRef | None = None


class AssignIn(Body):
    agency_code: Identifier


class CollectorIn(Body):
    collector: Identifier = Field(description="the collector's username")


class ReachabilityIn(Body):
    unreachable: StrictBool


class AgencyIn(Body):
    code: Identifier
    name: AgencyName
    last_reviewed_on: StrictDate = Field(description="its last yearly review, on or before the "
                                                     "business date")


class NoBody(Body):
    """A route that takes nothing: a body with any field is refused (e.g. a date)."""


class ComplaintIn(Body):
    customer_id: IdField
    channel: ComplaintChannel
    summary: Summary
    complex: StrictBool = False


class ExtensionIn(Body):
    days: ExtensionDays
    reason: Reason


class ResolutionIn(Body):
    resolution: Summary


_WAIVER = "yuan; needs a reason, and signing the plan then needs a checker (plan.sign:check)"


class PlanOfferIn(Body):
    loan_id: IdField
    installments: PlanInstallments
    method: PlanMethod = "equal-installment"
    waive_penalty: Money = Field("0", description=_WAIVER)
    waive_interest: Money = Field("0", description=_WAIVER)
    reason: Reason | None = Field(None, description="why the waiver")


class PlanSignIn(Body):
    signed_by: Person = Field(description="the borrower's side: who signed, or how (e.g. "
                                          "\"borrower (e-signature)\")")


class LegalStepIn(Body):
    step: LegalStepName
    reference: NoticeRef = Field(description="the letter's number or the court's case number "
                                             "(案号), at least 4 characters: a message naming "
                                             "the step must cite it")
    taken_on: StrictDate | None = Field(None, description="when the step was taken, on or "
                                                          "before the business date (default: "
                                                          "the business date)")


# --- cases -------------------------------------------------------------------------------------
@router.get("/cases", dependencies=[_only_query("bucket", "status", "after", "limit")])
def list_cases(who: Annotated[Principal, allow("case.read")], engine: EngineDep,
               bucket: BucketName | None = None, status: CaseStatus = "open",
               after: int = Query(0, ge=0, le=2**63 - 1, description="the last id seen"),
               limit: int = Query(queries.DEFAULT_PAGE, ge=1, le=queries.MAX_PAGE),
               ) -> list[dict[str, Any]]:
    """Cases by id (a collector: the ones assigned to them; an agency collector: its
    agency's). Amounts are exact for a supervisor, bands for a collector or an agency."""
    rows = query(engine, lambda conn: queries.list_cases(
        conn, bucket=bucket, status=status, after_id=after, limit=limit, principal=who))
    return views.cases(rows, views.view_role(who))


@router.get("/cases/{case_id}", dependencies=[_only_query()])
def get_case(case_id: IdPath, who: Annotated[Principal, allow("case.read")],
             engine: EngineDep) -> dict[str, Any]:
    """One case with its history, contacts, promises and plans (another collector's: 403)."""
    return views.case_detail(query(engine, queries.case_detail_for, who, case_id),
                             views.view_role(who))


# --- contacts ----------------------------------------------------------------------------------
@router.post("/contacts/check", dependencies=[allow("contact.check"), *NO_QUERY])
def check_contact(body: ContactIn, engine: EngineDep, ctx: ContextDep) -> dict[str, Any]:
    """Would the guard allow this contact now (the server's time)? Records nothing."""
    return views.verdict(query(engine, operations.check_contact, body.contact(), ctx))


@router.post("/contacts", response_model=None, dependencies=[allow("contact.record"), *NO_QUERY])
def record_contact(body: ContactRecordIn, engine: EngineDep, ctx: ContextDep,
                   key: KeyHeader = None) -> dict[str, Any] | JSONResponse:
    """Check, then record the contact as happening now. A refusal is recorded too and
    answered 422 with every reason."""
    promise = (parse_money(body.promise_amount, "promise_amount")
               if body.promise_amount is not None else None)
    result: dict[str, Any] = run(engine, ctx, operations.RecordContact(
        body.contact(), Outcome(body.outcome), body.recording_ref, promise, body.promise_date),
        key)
    if result["allowed"]:
        return result
    return JSONResponse({"error": "contact_refused", "field": None,
                         "detail": "; ".join(r["code"] for r in result["reasons"]), **result},
                        status_code=422)


# --- outsourcing -------------------------------------------------------------------------------
@router.post("/cases/{case_id}/outsourcing-notice", dependencies=[allow("case.notify"), *NO_QUERY])
def outsourcing_notice(case_id: IdPath, body: NoticeIn, engine: EngineDep, ctx: ContextDep,
                       key: KeyHeader = None) -> dict[str, Any]:
    """The borrower was told today that the case may go to an agency."""
    result: dict[str, Any] = run(engine, ctx, operations.SendNotice(
        case_id, body.channel, body.reference), key)
    return result


@router.post("/cases/{case_id}/assign", dependencies=[allow("case.assign"), *NO_QUERY])
def assign(case_id: IdPath, body: AssignIn, engine: EngineDep, ctx: ContextDep,
           key: KeyHeader = None) -> dict[str, Any]:
    result: dict[str, Any] = run(engine, ctx, operations.AssignAgency(case_id, body.agency_code),
                                 key)
    return result


@router.post("/cases/{case_id}/collector", dependencies=[allow("case.assign"), *NO_QUERY])
def assign_collector(case_id: IdPath, body: CollectorIn, engine: EngineDep, ctx: ContextDep,
                     key: KeyHeader = None) -> dict[str, Any]:
    """Assign the case to an in-house collector (a user with the collector role): of the
    collectors, only they see it from now on."""
    result: dict[str, Any] = run(engine, ctx, operations.AssignCollector(
        case_id, body.collector), key)
    return result


@router.post("/cases/{case_id}/reachability", dependencies=[allow("case.reachability"), *NO_QUERY])
def set_reachability(case_id: IdPath, body: ReachabilityIn, engine: EngineDep,
                     ctx: ContextDep, key: KeyHeader = None) -> dict[str, Any]:
    """Mark the borrower unreachable (emergency contacts may then be asked to pass on a
    request to get in touch, never told about the debt) or reachable again, as established by
    the signed-in operator."""
    result: dict[str, Any] = run(engine, ctx, operations.MarkUnreachable(
        case_id, body.unreachable), key)
    return result


@router.post("/agencies", status_code=201, dependencies=[allow("agency.manage"), *NO_QUERY])
def add_agency(body: AgencyIn, engine: EngineDep, ctx: ContextDep,
               key: KeyHeader = None) -> dict[str, Any]:
    """Add an outsourced collection agency with the date of its last (yearly) review."""
    result: dict[str, Any] = run(engine, ctx, operations.AddAgency(
        body.code, body.name, body.last_reviewed_on), key)
    return result


@router.post("/agencies/{code}/review", dependencies=[allow("agency.manage"), *NO_QUERY])
def review_agency(engine: EngineDep, ctx: ContextDep, code: str = AgencyCode,
                  body: NoBody | None = None, key: KeyHeader = None) -> dict[str, Any]:
    """The agency's yearly review happened today: only a reviewed agency receives new cases."""
    result: dict[str, Any] = run(engine, ctx, operations.ReviewAgency(code), key)
    return result


# --- plans -------------------------------------------------------------------------------------
@router.post("/cases/{case_id}/plans", status_code=201,
             dependencies=[allow("plan.offer"), *NO_QUERY])
def offer_plan(case_id: IdPath, body: PlanOfferIn, engine: EngineDep, ctx: ContextDep,
               key: KeyHeader = None) -> dict[str, Any]:
    """Offer a negotiated repayment plan (协商还款) for one of the case's loans, today, as the
    signed-in operator."""
    result: dict[str, Any] = run(engine, ctx, operations.OfferPlan(
        case_id, body.loan_id, body.installments, Method.parse(body.method),
        parse_money(body.waive_penalty, "waive_penalty", allow_zero=True),
        parse_money(body.waive_interest, "waive_interest", allow_zero=True),
        body.reason), key)
    return result


@router.post("/plans/{plan_id}/sign", response_model=None,
             dependencies=[allow("plan.sign"), *NO_QUERY])
def sign_plan(plan_id: IdPath, body: PlanSignIn, engine: EngineDep, ctx: ContextDep,
              key: KeyHeader = None) -> dict[str, Any] | JSONResponse:
    """Sign an offered plan today: the loan is restructured exactly as offered, collection
    stops. A plan that waives penalty or interest is not signed yet: 202 with a pending id,
    for a collections supervisor to approve (``POST /pending/{id}/approve``)."""
    query(engine, operations.check_plan_scope, ctx.principal, plan_id)
    result: dict[str, Any] | JSONResponse = run(
        engine, ctx, operations.SignPlan(plan_id, body.signed_by), key)
    return result


# --- legal steps -------------------------------------------------------------------------------
@router.post("/cases/{case_id}/legal-steps", status_code=201, response_model=None,
             dependencies=[allow("legal.record"), *NO_QUERY])
def record_legal_step(case_id: IdPath, body: LegalStepIn, engine: EngineDep, ctx: ContextDep,
                      key: KeyHeader = None) -> dict[str, Any] | JSONResponse:
    """Record a legal step the lender has taken on the case (a lawyer's letter sent, a suit
    filed, enforcement applied for): from then on a message to the borrower may name it,
    citing its reference. Four eyes: 202 with a pending id, for another collections supervisor
    to approve (``POST /pending/{id}/approve``)."""
    result: dict[str, Any] | JSONResponse = run(engine, ctx, RecordLegalStep(
        case_id, LegalStep(body.step), body.reference, body.taken_on), key)
    return result


# --- complaints --------------------------------------------------------------------------------
@router.get("/complaints", dependencies=[allow("complaint.read"), _only_query("limit")])
def list_complaints(engine: EngineDep,
                    limit: int = Query(queries.DEFAULT_PAGE, ge=1, le=queries.MAX_PAGE),
                    ) -> list[dict[str, Any]]:
    """Open complaints as of the business date, overdue first, then by deadline."""
    return views.complaints(query(engine, lambda conn: complaint_service.list_complaints(
        conn, limit=limit)))


@router.post("/complaints", dependencies=[allow("complaint.receive"), *NO_QUERY])
def open_complaint(body: ComplaintIn, engine: EngineDep, ctx: ContextDep,
                   key: KeyHeader = None) -> dict[str, Any]:
    """A complaint received today, from any channel."""
    result: dict[str, Any] = run(engine, ctx, operations.ReceiveComplaint(
        body.customer_id, body.channel, body.summary, body.complex), key)
    return result


@router.post("/complaints/{complaint_id}/complex",
             dependencies=[allow("complaint.handle"), *NO_QUERY])
def mark_complaint_complex(complaint_id: IdPath, engine: EngineDep, ctx: ContextDep,
                           body: NoBody | None = None,
                           key: KeyHeader = None) -> dict[str, Any]:
    """A complex complaint is decided within 30 days of receipt instead of 15."""
    result: dict[str, Any] = run(engine, ctx, operations.MarkComplaintComplex(complaint_id),
                                 key)
    return result


@router.post("/complaints/{complaint_id}/extend",
             dependencies=[allow("complaint.handle"), *NO_QUERY])
def extend_complaint(complaint_id: IdPath, body: ExtensionIn, engine: EngineDep,
                     ctx: ContextDep, key: KeyHeader = None) -> dict[str, Any]:
    """Extend the complaint's deadline with a reason, approved by the signed-in operator."""
    result: dict[str, Any] = run(engine, ctx, operations.ExtendComplaint(
        complaint_id, body.days, body.reason), key)
    return result


@router.post("/complaints/{complaint_id}/resolve",
             dependencies=[allow("complaint.handle"), *NO_QUERY])
def resolve_complaint(complaint_id: IdPath, body: ResolutionIn, engine: EngineDep,
                      ctx: ContextDep, key: KeyHeader = None) -> dict[str, Any]:
    """The complaint is decided today."""
    result: dict[str, Any] = run(engine, ctx, operations.ResolveComplaint(
        complaint_id, body.resolution), key)
    return result
