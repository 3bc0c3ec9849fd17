"""Explanation and human review of an automated decision (PIPL Art. 24).

- :func:`explain`: the decision as recorded (outcome, reasons in order, score, terms, masked
  inputs) and every human review of it.
- :func:`request_review`: the applicant asks a person to look again; one open review per
  decision (a second is a 409, also when two requests race: a unique index on open reviews).
- :func:`record_outcome`: a reviewer's outcome with who and why. ``approve`` of a decision that
  proposed terms (a ``refer``) opens the line of the decision's product (cash line or checkout
  line) on those terms, through the line's owner (``customers.store``); a decline proposed no
  terms, so approving it is refused.

Dates are the server's: a review is requested and decided on the business date
(``clock.business_date``) at the server's time (``requested_at``, ``decided_at``); no caller
chooses them. Functions return domain values; ``views.py`` presents them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from lendcore import clock, pii
from lendcore.customers import consents
from lendcore.customers import store as customers_store
from lendcore.errors import Conflict, InvalidInput, NotFound, RuleViolation
from lendcore.origination import sealed
from lendcore.origination.service import open_customer_line, set_line_limit
from lendcore.rates import ppb_to_rate
from lendcore.reasons import Reason
from lendcore.store.origination_tables import decisions, reviews
from lendcore.store.uow import UnitOfWork

REVIEW_OUTCOMES = ("approve", "decline")
QUEUE_MAX = 500
# The masked inputs a decision's explanation shows, and nothing else: never a birth date, a
# gender or an exact age (decisions recorded before sealing kept them; they are left out and
# the age shown as a band). Beside ``110101********0011`` a birth date is the hidden digits.
SHOWN_INPUTS = ("name", "id_number", "mobile", "id_expiry", "age_band", "product", "amount",
                "installments", "monthly_income", "monthly_debt_payments", "occupation",
                "ecosystem", "profile", "timezone", "identity_verified")


def shown_inputs(stored: str | None) -> dict[str, Any] | None:
    """A decision's stored masked inputs as an explanation shows them (:data:`SHOWN_INPUTS`)."""
    if stored is None:
        return None
    inputs = json.loads(stored)
    if "age_band" not in inputs and isinstance(inputs.get("age"), int):
        inputs["age_band"] = pii.age_band(inputs["age"])
    return {k: inputs[k] for k in SHOWN_INPUTS if k in inputs}


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A recorded decision (money in fen, the rate a fraction)."""

    decision_id: int
    decided_on: date
    decided_at: datetime | None
    product: str
    outcome: str
    reasons: tuple[Reason, ...]
    score: int | None
    scorecard_version: str | None
    limit_fen: int | None
    daily_rate: Decimal | None
    reapply_after: date | None
    inputs: dict[str, Any] | None
    customer_id: int | None


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    review_id: int
    decision_id: int
    requested_on: date
    requested_at: datetime | None
    request_reason: str
    status: str  # open | decided
    outcome: str | None
    reviewer: str | None
    outcome_reason: str | None
    decided_on: date | None
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class Explanation:
    decision: DecisionRecord
    reviews: tuple[ReviewRecord, ...]


@dataclass(frozen=True, slots=True)
class QueuedReview:
    review: ReviewRecord
    decision: DecisionRecord


def utc(value: datetime | None) -> datetime | None:
    """A stored server time, aware: SQLite keeps no offset, and we store UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _decision_record(row: Any) -> DecisionRecord:
    return DecisionRecord(
        decision_id=int(row.id), decided_on=row.decided_on, decided_at=utc(row.decided_at),
        product=row.product_code, outcome=row.outcome,
        reasons=tuple(Reason(r["code"], r["detail"]) for r in json.loads(row.reasons_json)),
        score=row.score, scorecard_version=row.scorecard_version, limit_fen=row.limit_fen,
        daily_rate=None if row.daily_rate_ppb is None else ppb_to_rate(row.daily_rate_ppb),
        reapply_after=row.reapply_after,
        inputs=shown_inputs(row.inputs_masked_json),
        customer_id=row.customer_id)


def _review_record(r: Any) -> ReviewRecord:
    return ReviewRecord(
        review_id=int(r.id), decision_id=int(r.decision_id), requested_on=r.requested_on,
        requested_at=utc(r.requested_at), request_reason=r.request_reason, status=r.status,
        outcome=r.outcome, reviewer=r.reviewer, outcome_reason=r.outcome_reason,
        decided_on=r.decided_on, decided_at=utc(r.decided_at))


def _decision_row(conn: Connection, decision_id: int) -> Any:
    row = conn.execute(select(decisions).where(decisions.c.id == decision_id)).first()
    if row is None:
        raise NotFound(f"no decision {decision_id}", field="decision_id")
    return row


def _review_row(conn: Connection, review_id: int) -> Any:
    row = conn.execute(select(reviews).where(reviews.c.id == review_id)).first()
    if row is None:
        raise NotFound(f"no review {review_id}", field="review_id")
    return row


def explain(conn: Connection, decision_id: int) -> Explanation:
    """The explanation of a decision: the record and every human review of it, oldest first."""
    record = _decision_record(_decision_row(conn, decision_id))
    rows = conn.execute(select(reviews).where(reviews.c.decision_id == decision_id)
                        .order_by(reviews.c.id)).all()
    return Explanation(record, tuple(_review_record(r) for r in rows))


def review_queue(conn: Connection) -> list[QueuedReview]:
    """Open reviews, oldest first (at most 500), each with its decision."""
    rows = conn.execute(select(reviews).where(reviews.c.status == "open")
                        .order_by(reviews.c.requested_on, reviews.c.id).limit(QUEUE_MAX)).all()
    wanted = sorted({int(r.decision_id) for r in rows})
    found = {int(d.id): _decision_record(d) for d in conn.execute(
        select(decisions).where(decisions.c.id.in_(wanted)))} if wanted else {}
    return [QueuedReview(_review_record(r), found[int(r.decision_id)]) for r in rows]


def request_review(uow: UnitOfWork, decision_id: int, reason: str, *,
                   now: datetime) -> ReviewRecord:
    """Open a review of the decision on the business date."""
    conn = uow.conn
    _decision_row(conn, decision_id)
    open_id = conn.execute(select(reviews.c.id).where(
        reviews.c.decision_id == decision_id, reviews.c.status == "open")).scalar()
    if open_id is not None:
        raise Conflict(f"review {open_id} of this decision is already open", field="decision_id")
    on = clock.business_date(conn)
    try:
        with conn.begin_nested():  # a savepoint: a lost race leaves the command usable
            key = conn.execute(reviews.insert().values(
                decision_id=decision_id, requested_on=on, requested_at=now.astimezone(UTC),
                request_reason=reason, status="open")).inserted_primary_key
    except IntegrityError as exc:  # another request opened one after the check above
        raise Conflict("a review of this decision is already open", field="decision_id") from exc
    if key is None:
        raise RuntimeError("the database returned no primary key")
    return _review_record(_review_row(conn, int(key[0])))


def record_outcome(uow: UnitOfWork, review_id: int, *, outcome: str, reviewer: str,
                   reason: str, now: datetime, actor: str = "local") -> ReviewRecord:
    """A reviewer's outcome on the business date, with who and why. ``approve`` of a decision
    that proposed terms (approve/refer) opens its product's line on those terms."""
    conn = uow.conn
    r = _review_row(conn, review_id)
    if r.status != "open":
        raise Conflict(f"review {review_id} is already decided", field="review_id")
    if outcome not in REVIEW_OUTCOMES:
        raise InvalidInput(f"accepted: {list(REVIEW_OUTCOMES)}", field="outcome")
    if not reviewer.strip() or not reason.strip():
        raise InvalidInput("the reviewer and the reason are both required",
                           field="reviewer" if not reviewer.strip() else "reason")
    on = clock.business_date(conn)
    d = _decision_row(conn, r.decision_id)
    if outcome == "approve":
        _approve_on_review(uow, d, review_id, on, now, actor)
    conn.execute(update(reviews).where(reviews.c.id == review_id).values(
        status="decided", outcome=outcome, reviewer=reviewer.strip(),
        outcome_reason=reason.strip(), decided_on=on, decided_at=now.astimezone(UTC)))
    return _review_record(_review_row(conn, review_id))


def _approve_on_review(uow: UnitOfWork, d: Any, review_id: int, on: date, now: datetime,
                       actor: str) -> None:
    if d.limit_fen is None or d.id_number_hash is None or d.inputs_masked_json is None:
        raise RuleViolation("this decision proposed no terms (a decline); the applicant must "
                            "apply again to be priced", field="outcome")
    if d.outcome == "approve":
        return  # the line is already open
    conn = uow.conn
    inputs = json.loads(d.inputs_masked_json)
    name, id_number, mobile = sealed.open_identity(d)  # sealed again for the customer at once
    identity = customers_store.identity_columns(
        name=name, id_number=id_number, mobile=mobile,
        timezone=inputs.get("timezone", "Asia/Shanghai"),
        masks={k: inputs[k] for k in ("name", "id_number", "mobile") if k in inputs})
    customer_id = customers_store.customer_by_id_hash(conn, d.id_number_hash)
    line = (None if customer_id is None
            else customers_store.find_line(conn, customer_id, d.product_code))
    customer_id, line_id, old_limit = open_customer_line(
        uow, customer_id, d.id_number_hash, identity, int(d.limit_fen), d.daily_rate_ppb, on,
        product_code=d.product_code, line_id=None if line is None else int(line.id),
        line_limit_fen=None if line is None else int(line.limit_fen))
    if old_limit is not None:
        reasons = tuple(Reason(x["code"], x["detail"]) for x in json.loads(d.reasons_json))
        set_line_limit(uow, line_id, old_limit, int(d.limit_fen), reasons, on, actor,
                       decision_id=int(d.id), review_id=review_id)
    conn.execute(update(decisions).where(decisions.c.id == d.id)
                 .values(customer_id=customer_id))
    if d.customer_id is None:  # a new customer: the consents given with the application (a
        # referral is decided only with both; a returning customer's were kept at the decision)
        consents.record_application(uow, customer_id, credit_query=True, personal_data=True,
                                    actor=actor, at=now.astimezone(UTC))
