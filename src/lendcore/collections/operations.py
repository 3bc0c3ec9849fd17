"""Collections' commands: one value per state-changing operation, built alike by the API, the
CLI and the demo, and run by ``runner.execute`` in one unit of work.

No command carries a date or a time. A contact happens at the command's ``ctx.now`` (the
server's clock); a notice, an assignment, a review, a complaint's receipt and resolution, a
plan's offer and signature happen on the business date (``clock.business_date``). The one dated
field is :class:`AddAgency`'s ``last_reviewed_on``, a fact from before the agency came to us,
refused after the business date::

    execute(engine, RecordContact(Contact(7, Channel.CALL, collector_id="C042", recorded=True),
                                  Outcome.ANSWERED, recording_ref="rec-1"),
            ctx=Context(now=clock.now()))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import Connection

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
from lendcore.runner import Command, Context
from lendcore.schedules import Method
from lendcore.store.uow import UnitOfWork


# --- contacts ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Contact:
    """A contact a collector proposes, without its time: it happens when it is recorded."""

    case_id: int
    channel: Channel
    target: Target = Target.BORROWER
    number: str | None = None  # which number; the target's own when None
    collector_id: str | None = None
    agency_code: str | None = None  # None: in-house
    template: str | None = None  # message text or call script
    collectors: tuple[str, ...] = ()  # visit staff
    recorded: bool = False

    def at(self, now: datetime) -> ProposedContact:
        return ProposedContact(self.channel, self.target, now, self.number, self.collector_id,
                               self.agency_code, self.template, self.collectors, self.recorded)


def check_contact(conn: Connection, contact: Contact, now: datetime) -> GuardResult:
    """A read: would the guard allow ``contact`` now? (``runner.query``)."""
    return contacts.check_contact_for_case(conn, contact.case_id, contact.at(now))


@dataclass(frozen=True, slots=True)
class RecordContact(Command):
    """Check a contact now and log it; a refusal is logged too (``allowed`` false)."""

    name: ClassVar[str] = "collections.record_contact"
    contact: Contact
    outcome: Outcome
    recording_ref: str | None = None
    promise_amount_fen: int | None = None
    promise_date: date | None = None

    def run(self, uow: UnitOfWork, ctx: Context) -> contacts.RecordedContact:
        result = contacts.ContactOutcome(self.outcome, self.recording_ref,
                                         self.promise_amount_fen, self.promise_date)
        return contacts.record_contact(uow, self.contact.case_id, self.contact.at(ctx.now),
                                       result)

    def present(self, value: contacts.RecordedContact) -> dict[str, Any]:
        return views.recorded_contact(value)


# --- cases and agencies ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SendNotice(Command):
    """The borrower was told today that the case may go to an agency."""

    name: ClassVar[str] = "collections.send_notice"
    case_id: int
    channel: str
    reference: str | None = None

    def run(self, uow: UnitOfWork, ctx: Context) -> outsourcing.Notice:
        return outsourcing.record_outsourcing_notice(uow, self.case_id, channel=self.channel,
                                                     reference=self.reference)

    def present(self, value: outsourcing.Notice) -> dict[str, Any]:
        return views.notice(value)


@dataclass(frozen=True, slots=True)
class AssignAgency(Command):
    name: ClassVar[str] = "collections.assign_agency"
    case_id: int
    agency_code: str

    def run(self, uow: UnitOfWork, ctx: Context) -> outsourcing.Assignment:
        return outsourcing.assign_agency(uow, self.case_id, self.agency_code)

    def present(self, value: outsourcing.Assignment) -> dict[str, Any]:
        return views.assignment(value)


@dataclass(frozen=True, slots=True)
class MarkUnreachable(Command):
    """Mark the borrower unreachable (``unreachable=False``: reachable again)."""

    name: ClassVar[str] = "collections.mark_unreachable"
    case_id: int
    unreachable: bool
    by: str

    def run(self, uow: UnitOfWork, ctx: Context) -> outsourcing.Reachability:
        return outsourcing.mark_unreachable(uow, self.case_id, self.unreachable, self.by)

    def present(self, value: outsourcing.Reachability) -> dict[str, Any]:
        return views.reachability(value)


@dataclass(frozen=True, slots=True)
class AddAgency(Command):
    name: ClassVar[str] = "collections.add_agency"
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
    code: str

    def run(self, uow: UnitOfWork, ctx: Context) -> outsourcing.Agency:
        return outsourcing.review_agency(uow, self.code)

    def present(self, value: outsourcing.Agency) -> dict[str, Any]:
        return views.agency(value)


@dataclass(frozen=True, slots=True)
class SyncCases(Command):
    """The whole book's case sync on the business date (the night runs it per partition)."""

    name: ClassVar[str] = "collections.sync_cases"

    def run(self, uow: UnitOfWork, ctx: Context) -> sync.SyncReport:
        return sync.sync_book(uow, business_date(uow.conn))

    def present(self, value: sync.SyncReport) -> dict[str, Any]:
        return views.sync_report(value)


# --- plans -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OfferPlan(Command):
    """Offer a negotiated repayment plan (协商还款) for one of the case's loans, today."""

    name: ClassVar[str] = "collections.offer_plan"
    case_id: int
    loan_id: int
    installments: int
    proposed_by: str
    method: Method = Method.EQUAL_INSTALLMENT
    waive_penalty_fen: int = 0
    waive_interest_fen: int = 0
    approved_by: str | None = None
    waiver_reason: str | None = None

    def run(self, uow: UnitOfWork, ctx: Context) -> plan_service.OfferedPlan:
        waiver = Waiver(self.waive_penalty_fen, self.waive_interest_fen, self.approved_by,
                        self.waiver_reason)
        return plan_service.offer_plan(uow, self.case_id, self.loan_id,
                                       installments=self.installments,
                                       proposed_by=self.proposed_by, method=self.method,
                                       waiver=waiver)

    def present(self, value: plan_service.OfferedPlan) -> dict[str, Any]:
        return views.offered_plan(value)


@dataclass(frozen=True, slots=True)
class SignPlan(Command):
    """The borrower signs an offered plan today; servicing restructures the loan as offered."""

    name: ClassVar[str] = "collections.sign_plan"
    plan_id: int
    signed_by: str

    def run(self, uow: UnitOfWork, ctx: Context) -> plan_service.SignedPlan:
        return plan_service.sign_plan(uow, self.plan_id, signed_by=self.signed_by)

    def present(self, value: plan_service.SignedPlan) -> dict[str, Any]:
        return views.signed_plan(value)


# --- complaints --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReceiveComplaint(Command):
    name: ClassVar[str] = "collections.receive_complaint"
    customer_id: int
    channel: str
    summary: str
    complex: bool = False

    def run(self, uow: UnitOfWork, ctx: Context) -> complaint_service.Complaint:
        return complaint_service.open_complaint(uow, self.customer_id, channel=self.channel,
                                                summary=self.summary, complex_=self.complex)

    def present(self, value: complaint_service.Complaint) -> dict[str, Any]:
        return views.complaint(value)


@dataclass(frozen=True, slots=True)
class MarkComplaintComplex(Command):
    """A complex complaint is decided within 30 days of receipt instead of 15."""

    name: ClassVar[str] = "collections.mark_complaint_complex"
    complaint_id: int

    def run(self, uow: UnitOfWork, ctx: Context) -> complaint_service.Complaint:
        return complaint_service.mark_complex(uow, self.complaint_id)

    def present(self, value: complaint_service.Complaint) -> dict[str, Any]:
        return views.complaint(value)


@dataclass(frozen=True, slots=True)
class ExtendComplaint(Command):
    name: ClassVar[str] = "collections.extend_complaint"
    complaint_id: int
    days: int
    approved_by: str
    reason: str

    def run(self, uow: UnitOfWork, ctx: Context) -> complaint_service.Complaint:
        return complaint_service.extend_complaint(uow, self.complaint_id, days=self.days,
                                                  approved_by=self.approved_by,
                                                  reason=self.reason)

    def present(self, value: complaint_service.Complaint) -> dict[str, Any]:
        return views.complaint(value)


@dataclass(frozen=True, slots=True)
class ResolveComplaint(Command):
    """The complaint is decided today."""

    name: ClassVar[str] = "collections.resolve_complaint"
    complaint_id: int
    resolution: str

    def run(self, uow: UnitOfWork, ctx: Context) -> complaint_service.Complaint:
        return complaint_service.resolve_complaint(uow, self.complaint_id,
                                                   resolution=self.resolution)

    def present(self, value: complaint_service.Complaint) -> dict[str, Any]:
        return views.complaint(value)
