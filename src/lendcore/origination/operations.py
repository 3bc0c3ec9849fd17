"""Origination's commands: decide an application, request a review, record its outcome.

Each is a value the API, the CLI and the demo build the same way from their inputs and run
through ``runner.execute`` (one unit of work; the same idempotency key from the API and the CLI
is the same command)::

    Decide(parse_application(payload))                    # POST /applications, lendcore apply
    RequestReview(decision_id=7, reason="I graduated")     # POST /decisions/7/review-request
    RecordReviewOutcome(review_id=3, outcome="approve", reviewer="li.wei", reason="...")

None carries a date: the decision and the review are dated by the server's business date and
stamped with the server's time (``ctx.now``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import Connection

from lendcore.origination import reviews, service, views
from lendcore.origination.model import Application
from lendcore.runner import Command, Context
from lendcore.scope import Subject
from lendcore.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Decide(Command):
    """Decide one application on the business date; an approval opens the cash line.

    ``checked`` is a cache, not part of the command: the application's own part of the decision
    computed before the unit of work (:meth:`prepared`), on the business date this process last
    saw. The service redoes it under the lock when the server's date differs."""

    name: ClassVar[str] = "decide_application"
    permission: ClassVar[str] = "application.decide"
    requires_key: ClassVar[bool] = False
    application: Application
    checked: service.Checked | None = field(default=None, compare=False, repr=False)

    def prepared(self) -> Decide:
        """This command with the application checked before the lock (when this process has
        seen a business date; otherwise the check is made inside the unit of work)."""
        on = service.expected_business_date()
        if on is None or self.checked is not None:
            return self
        return dataclasses.replace(self, checked=service.check(self.application, on))

    def canonical(self) -> dict[str, Any]:
        """The application's fields as plain JSON values: what ``Command.canonical`` gives
        (a test holds them equal), written out because the generic walk of the nested
        dataclasses cost a tenth of a decision. ``checked`` is left out."""
        a = self.application
        i, e, c = a.identity, a.ecosystem, a.consents
        return {"application": {
            "identity": {"name": i.name, "id_number": i.id_number, "mobile": i.mobile,
                         "id_expiry": None if i.id_expiry is None else i.id_expiry.isoformat()},
            "product": a.product, "amount_fen": a.amount_fen, "installments": a.installments,
            "monthly_income_fen": a.monthly_income_fen,
            "monthly_debt_payments_fen": a.monthly_debt_payments_fen,
            "occupation": a.occupation,
            "ecosystem": {"device_user": e.device_user,
                          "consumption_months": e.consumption_months,
                          "spend_12m_fen": e.spend_12m_fen},
            "consents": {"credit_query": c.credit_query, "sensitive_data": c.sensitive_data},
            "profile": {k: str(v) if isinstance(v, Decimal) else v
                        for k, v in a.profile.items()},
            "timezone": a.timezone,
        }}

    def run(self, uow: UnitOfWork, ctx: Context) -> service.Decided:
        return service.decide_application(uow, self.application, now=ctx.now, actor=ctx.actor,
                                          checked=self.checked)

    def present(self, value: Any) -> dict[str, Any]:
        return views.decided(value)


@dataclass(frozen=True, slots=True)
class RequestReview(Command):
    """The applicant asks a person to review the decision (PIPL Art. 24)."""

    name: ClassVar[str] = "request_review"
    permission: ClassVar[str] = "review.request"
    decision_id: int
    reason: str = ""

    def subject(self) -> Subject:
        return ("decision", self.decision_id)

    def run(self, uow: UnitOfWork, ctx: Context) -> reviews.ReviewRecord:
        return reviews.request_review(uow, self.decision_id, self.reason, now=ctx.now)

    def present(self, value: Any) -> dict[str, Any]:
        return views.review(value)


@dataclass(frozen=True, slots=True)
class RecordReviewOutcome(Command):
    """A reviewer's outcome (approve | decline) with who and why."""

    name: ClassVar[str] = "record_review_outcome"
    permission: ClassVar[str] = "review.decide"
    review_id: int
    outcome: str
    reviewer: str
    reason: str

    def needs_checker(self, conn: Connection) -> str | None:
        if self.outcome.strip().lower() == "approve":
            return "approving a referral (a second reviewer confirms)"
        return None

    def run(self, uow: UnitOfWork, ctx: Context) -> reviews.ReviewRecord:
        return reviews.record_outcome(uow, self.review_id, outcome=self.outcome,
                                      reviewer=self.reviewer, reason=self.reason, now=ctx.now,
                                      actor=ctx.actor)

    def present(self, value: Any) -> dict[str, Any]:
        return views.review(value)
