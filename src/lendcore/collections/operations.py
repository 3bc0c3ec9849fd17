"""Collections' commands: one value per state-changing operation, built alike by the API, the
CLI and the demo, and run by ``runner.execute`` in one unit of work.

No command carries a date or a time. A contact happens at the command's ``ctx.now`` (the
server's clock); a notice, an assignment, a review, a complaint's receipt and resolution, a
plan's offer and signature happen on the business date (``clock.business_date``). The dated
fields are facts from before, refused after the business date: :class:`AddAgency`'s
``last_reviewed_on`` and ``legal_operations.RecordLegalStep``'s ``taken_on``::

    execute(engine, RecordContact(Contact(7, Channel.CALL, recorded=True),
                                  Outcome.ANSWERED, recording_ref="rec-1"),
            ctx=Context(now=clock.now(), actor="li.wei"))

No command names the operator acting either: who contacted, marked a borrower unreachable,
offered a plan, approved a waiver or a complaint's extension is ``ctx.actor`` (the signed-in
principal, the CLI's local operator), and an agency collector's agency is their principal's.
Each command declares its permission (``access.policy``) and, when it acts on a case, its
subject (``("case", id)``): a collector reaches only the cases assigned to them, an agency
collector only its agency's (``queries.case_in_scope``). Signing a plan that waives penalty or
interest needs a second person (:meth:`SignPlan.needs_checker`, four eyes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import Connection

from lendcore import scope
from lendcore.clock import business_date
from lendcore.collections import (
    complaint_service,
    contacts,
    outsourcing,
    plan_service,
    sync,
    views,
)
from lendcore.collections.config import Channel
from lendcore.collections.guard import GuardResult, Outcome, ProposedContact, Target
from lendcore.collections.plans import Waiver
from lendcore.errors import Forbidden
from lendcore.principal import Principal
from lendcore.runner import Command, Context
from lendcore.schedules import Method
from lendcore.store.uow import UnitOfWork

# --- contacts ----------------------------------------------------------------------------------
CASE = "case"


@dataclass(frozen=True, slots=True)
class Contact:
    """A contact a collector proposes, without its time (it happens when it is recorded) and
    without its collector (the operator who records it: ``ctx.actor``)."""

    case_id: int
    channel: Channel
    target: Target = Target.BORROWER
    number: str | None = None  # which number; the target's own when None
    # In-house when None. Only code in this process (the demo) names an agency here; a
    # principal's contact is its own agency's (an agency collector's) or in-house.
    agency_code: str | None = None
    template: str | None = None  # message text or call script
    collectors: tuple[str, ...] = ()  # visit staff besides the collector
    recorded: bool = False

    def at(self, now: datetime, collector_id: str,
           agency_code: str | None) -> ProposedContact:
        return ProposedContact(self.channel, self.target, now, self.number, collector_id,
                               agency_code, self.template, self.collectors, self.recorded)

    def by(self, ctx: Context) -> ProposedContact:
        """The contact as ``ctx``'s operator makes it now."""
        return self.at(ctx.now, ctx.actor, _agency_of(ctx, self.agency_code))


def _agency_of(ctx: Context, named: str | None) -> str | None:
    if ctx.principal is None:
        return named
    own = ctx.principal.agency_code
    if named is not None and named != own:
        raise Forbidden(f"{ctx.actor} does not act for agency {named}", field="agency_code")
    return own


def check_contact(conn: Connection, contact: Contact, ctx: Context) -> GuardResult:
    """A read: would the guard allow ``contact`` by ``ctx``'s operator now? A case outside
    their scope is a 403 (``runner.query``)."""
    scope.check(conn, ctx.principal, (CASE, contact.case_id))
    return contacts.check_contact_for_case(conn, contact.case_id, contact.by(ctx))


@dataclass(frozen=True, slots=True)
class RecordContact(Command):
    """Check a contact now and log it; a refusal is logged too (``allowed`` false)."""

    name: ClassVar[str] = "collections.record_contact"
    permission: ClassVar[str] = "contact.record"
    contact: Contact
    outcome: Outcome
    recording_ref: str | None = None
    promise_amount_fen: int | None = None
    promise_date: date | None = None

    def subject(self) -> scope.Subject:
        return (CASE, self.contact.case_id)

    def run(self, uow: UnitOfWork, ctx: Context) -> contacts.RecordedContact:
        result = contacts.ContactOutcome(self.outcome, self.recording_ref,
                                         self.promise_amount_fen, self.promise_date)
        return contacts.record_contact(uow, self.contact.case_id, self.contact.by(ctx), result)

    def present(self, value: contacts.RecordedContact) -> dict[str, Any]:
        return views.recorded_contact(value)


# --- cases and agencies ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SendNotice(Command):
    """The borrower was told today that the case may go to an agency."""

    name: ClassVar[str] = "collections.send_notice"
    permission: ClassVar[str] = "case.notify"
    case_id: int
    channel: str
    reference: str | None = None

    def subject(self) -> scope.Subject:
        return (CASE, self.case_id)

    def run(self, uow: UnitOfWork, ctx: Context) -> outsourcing.Notice:
        return outsourcing.record_outsourcing_notice(uow, self.case_id, channel=self.channel,
                                                     reference=self.reference)

    def present(self, value: outsourcing.Notice) -> dict[str, Any]:
        return views.notice(value)


@dataclass(frozen=True, slots=True)
class AssignAgency(Command):
    name: ClassVar[str] = "collections.assign_agency"
    permission: ClassVar[str] = "case.assign"
    case_id: int
    agency_code: str

    def subject(self) -> scope.Subject:
        return (CASE, self.case_id)

    def run(self, uow: UnitOfWork, ctx: Context) -> outsourcing.Assignment:
        return outsourcing.assign_agency(uow, self.case_id, self.agency_code)

    def present(self, value: outsourcing.Assignment) -> dict[str, Any]:
        return views.assignment(value)


@dataclass(frozen=True, slots=True)
class AssignCollector(Command):
    """Assign a case to an in-house collector (a username): only they (of the collectors) see
    it from now on."""

    name: ClassVar[str] = "collections.assign_collector"
    permission: ClassVar[str] = "case.assign"
    case_id: int
    collector: str

    def subject(self) -> scope.Subject:
        return (CASE, self.case_id)

    def run(self, uow: UnitOfWork, ctx: Context) -> outsourcing.CollectorAssignment:
        return outsourcing.assign_collector(uow, self.case_id, self.collector)

    def present(self, value: outsourcing.CollectorAssignment) -> dict[str, Any]:
        return views.collector_assignment(value)


@dataclass(frozen=True, slots=True)
class MarkUnreachable(Command):
    """Mark the borrower unreachable (``unreachable=False``: reachable again), as established
    by the operator running it."""

    name: ClassVar[str] = "collections.mark_unreachable"
    permission: ClassVar[str] = "case.reachability"
    case_id: int
    unreachable: bool

    def subject(self) -> scope.Subject:
        return (CASE, self.case_id)

    def run(self, uow: UnitOfWork, ctx: Context) -> outsourcing.Reachability:
        return outsourcing.mark_unreachable(uow, self.case_id, self.unreachable, ctx.actor)

    def present(self, value: outsourcing.Reachability) -> dict[str, Any]:
        return views.reachability(value)


@dataclass(frozen=True, slots=True)
class AddAgency(Command):
    name: ClassVar[str] = "collections.add_agency"
    permission: ClassVar[str] = "agency.manage"
    code: str
    agency_name: str
    last_reviewed_on: date  # back-dated fact: on or before the business date

    def run(self, uow: UnitOfWork, ctx: Context) -> outsourcing.Agency:
        return outsourcing.add_agency(uow, self.code, self.agency_name, self.last_reviewed_on)

    def present(self, value: outsourcing.Agency) -> dict[str, Any]:
        return views.agency(value)


@dataclass(frozen=True, slots=True)
class ReviewAgency(Command):
    """The agency's yearly review happened today."""

    name: ClassVar[str] = "collections.review_agency"
    permission: ClassVar[str] = "agency.manage"
    code: str

    def run(self, uow: UnitOfWork, ctx: Context) -> outsourcing.Agency:
        return outsourcing.review_agency(uow, self.code)

    def present(self, value: outsourcing.Agency) -> dict[str, Any]:
        return views.agency(value)


@dataclass(frozen=True, slots=True)
class SyncCases(Command):
    """The whole book's case sync on the business date (the night runs it per partition)."""

    name: ClassVar[str] = "collections.sync_cases"
    permission: ClassVar[str] = "night.run"

    def run(self, uow: UnitOfWork, ctx: Context) -> sync.SyncReport:
        return sync.sync_book(uow, business_date(uow.conn))

    def present(self, value: sync.SyncReport) -> dict[str, Any]:
        return views.sync_report(value)


# --- plans -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OfferPlan(Command):
    """Offer a negotiated repayment plan (协商还款) for one of the case's loans, today, as the
    operator running it. A waiver needs a reason here, and a checker when the plan is signed."""

    name: ClassVar[str] = "collections.offer_plan"
    permission: ClassVar[str] = "plan.offer"
    case_id: int
    loan_id: int
    installments: int
    method: Method = Method.EQUAL_INSTALLMENT
    waive_penalty_fen: int = 0
    waive_interest_fen: int = 0
    waiver_reason: str | None = None

    def subject(self) -> scope.Subject:
        return (CASE, self.case_id)

    def run(self, uow: UnitOfWork, ctx: Context) -> plan_service.OfferedPlan:
        waiver = Waiver(self.waive_penalty_fen, self.waive_interest_fen, self.waiver_reason)
        return plan_service.offer_plan(uow, self.case_id, self.loan_id,
                                       installments=self.installments,
                                       proposed_by=ctx.actor, method=self.method,
                                       waiver=waiver)

    def present(self, value: plan_service.OfferedPlan) -> dict[str, Any]:
        return views.offered_plan(value)


def check_plan_scope(conn: Connection, principal: Principal | None, plan_id: int) -> None:
    """A read: refuse (403) a plan whose case is outside ``principal``'s scope (a plan that
    does not exist is left to the command's 404)."""
    head = plan_service.plan_head(conn, plan_id)
    if head is not None:
        scope.check(conn, principal, head.subject())


def check_own_waiver(head: plan_service.PlanHead, ctx: Context) -> str | None:
    """The approver of a plan's waiver (the one running the signature), never its offerer."""
    if not head.waives:
        return None
    if ctx.principal is not None and not ctx.rehearsal and ctx.actor == head.proposed_by:
        raise Forbidden(f"{ctx.actor} offered plan {head.plan_id}'s waiver and cannot approve "
                        "it: four eyes need another person", field="plan_id", code="own_waiver")
    return ctx.actor


@dataclass(frozen=True, slots=True)
class SignPlan(Command):
    """The borrower signs an offered plan today; servicing restructures the loan as offered.

    ``signed_by`` is the borrower's side of the signature (who signed, or how: "borrower
    (e-signature)"), not the operator recording it (``ctx.actor``, in the audit trail). A plan
    that waives penalty or interest is four eyes: run by a principal, it is stored for a
    checker (``plan.sign:check``), who may be neither the operator who asked to sign it
    (``runner``) nor the one who offered the waiver (here); the checker is recorded as the
    plan's ``approved_by``."""

    name: ClassVar[str] = "collections.sign_plan"
    permission: ClassVar[str] = "plan.sign"
    origin: ClassVar[str] = plan_service.COLLECTIONS  # the plans this command signs
    plan_id: int
    signed_by: str

    def needs_checker(self, conn: Connection) -> str | None:
        head = plan_service.plan_head(conn, self.plan_id)
        if (head is None or head.status != "offered" or not head.waives
                or head.origin != self.origin):
            return None  # nothing to check: it signs as it is, or is refused as it is
        return head.waiver_text()

    def check_offered(self, conn: Connection, head: plan_service.PlanHead) -> None:
        """What an offered plan of this origin must still meet when it is signed."""

    def run(self, uow: UnitOfWork, ctx: Context) -> plan_service.SignedPlan:
        head = plan_service.plan_head(uow.conn, self.plan_id)
        approver = None
        if head is not None:
            scope.check(uow.conn, ctx.principal, head.subject())
            head.refuse_other_origin(self.origin)
            if head.status == "offered":  # (otherwise sign_plan refuses it as it is)
                self.check_offered(uow.conn, head)
            approver = check_own_waiver(head, ctx)
        return plan_service.sign_plan(uow, self.plan_id, signed_by=self.signed_by,
                                      approved_by=approver)

    def present(self, value: plan_service.SignedPlan) -> dict[str, Any]:
        return views.signed_plan(value)


# --- complaints --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReceiveComplaint(Command):
    name: ClassVar[str] = "collections.receive_complaint"
    permission: ClassVar[str] = "complaint.receive"
    customer_id: int
    channel: str
    summary: str
    complex: bool = False

    def subject(self) -> scope.Subject:
        return ("customer", self.customer_id)  # a borrower: only their own

    def run(self, uow: UnitOfWork, ctx: Context) -> complaint_service.Complaint:
        return complaint_service.open_complaint(uow, self.customer_id, channel=self.channel,
                                                summary=self.summary, complex_=self.complex)

    def present(self, value: complaint_service.Complaint) -> dict[str, Any]:
        return views.complaint(value)


@dataclass(frozen=True, slots=True)
class MarkComplaintComplex(Command):
    """A complex complaint is decided within 30 days of receipt instead of 15."""

    name: ClassVar[str] = "collections.mark_complaint_complex"
    permission: ClassVar[str] = "complaint.handle"
    complaint_id: int

    def run(self, uow: UnitOfWork, ctx: Context) -> complaint_service.Complaint:
        return complaint_service.mark_complex(uow, self.complaint_id)

    def present(self, value: complaint_service.Complaint) -> dict[str, Any]:
        return views.complaint(value)


@dataclass(frozen=True, slots=True)
class ExtendComplaint(Command):
    """Extend a complaint's deadline with a reason, approved by the operator running it."""

    name: ClassVar[str] = "collections.extend_complaint"
    permission: ClassVar[str] = "complaint.handle"
    complaint_id: int
    days: int
    reason: str

    def run(self, uow: UnitOfWork, ctx: Context) -> complaint_service.Complaint:
        return complaint_service.extend_complaint(uow, self.complaint_id, days=self.days,
                                                  approved_by=ctx.actor, reason=self.reason)

    def present(self, value: complaint_service.Complaint) -> dict[str, Any]:
        return views.complaint(value)


@dataclass(frozen=True, slots=True)
class ResolveComplaint(Command):
    """The complaint is decided today."""

    name: ClassVar[str] = "collections.resolve_complaint"
    permission: ClassVar[str] = "complaint.handle"
    complaint_id: int
    resolution: str

    def run(self, uow: UnitOfWork, ctx: Context) -> complaint_service.Complaint:
        return complaint_service.resolve_complaint(uow, self.complaint_id,
                                                   resolution=self.resolution)

    def present(self, value: complaint_service.Complaint) -> dict[str, Any]:
        return views.complaint(value)
