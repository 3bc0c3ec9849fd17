"""Origination services: decide an application, explain a decision, human review.

Each function takes a :class:`UnitOfWork` and never commits: the entry point (API route, CLI
command) commits once. The API, the CLI and the tests call these same functions.

``decide_application``: looks up the applicant's history by the keyed ID-number hash (never the
raw number), decides in pure Python (``ladder.decide``), records the decision, and on approval
opens or updates the customer (masked identity only) and the cash line. On PostgreSQL two
applications of one person are serialised by an advisory lock on the hash; SQLite's
``BEGIN IMMEDIATE`` already serialises writers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, func, select, text, update
from sqlalchemy.exc import IntegrityError

from lendcore.errors import Conflict, InvalidInput, NotFound, RuleViolation
from lendcore.money import format_yuan
from lendcore.origination import kyc, policy
from lendcore.origination.config import id_hash_key
from lendcore.origination.ladder import Assessment, assess, decide
from lendcore.origination.model import Application, Decision, Kyc, Outcome, Prior
from lendcore.origination.scorecard import Scorecard, load_scorecard
from lendcore.rates import ppb_to_rate, rate_to_ppb
from lendcore.store.core_tables import credit_lines, customers
from lendcore.store.origination_tables import decisions, reviews
from lendcore.store.prepared import Prepared
from lendcore.store.uow import UnitOfWork

REVIEW_OUTCOMES = ("approve", "decline")


@dataclass(frozen=True, slots=True)
class Decided:
    decision_id: int
    decision: Decision
    customer_id: int | None

    def as_dict(self) -> dict[str, object]:
        return {"decision_id": self.decision_id, **self.decision.as_dict()}


# The applicant's history in one round trip, and the writes of a decision: prepared once and
# run on the driver's cursor (``store.prepared``): through ``Connection.execute`` these five
# statements cost more Python than the decision itself.
_CUSTOMER = (select(customers.c.id).where(customers.c.id_number_hash == bindparam("h"))
             .limit(1).scalar_subquery())
_LINE = and_(credit_lines.c.customer_id == _CUSTOMER,
             credit_lines.c.product_code == policy.PRODUCT_CODE)
_PRIOR = Prepared(select(
    select(func.max(decisions.c.reapply_after)).where(
        decisions.c.id_number_hash == bindparam("h"), decisions.c.outcome == "decline",
        decisions.c.reapply_after > bindparam("on")).scalar_subquery().label("wait"),
    _CUSTOMER.label("customer_id"),
    select(credit_lines.c.frozen).where(_LINE).scalar_subquery().label("frozen"),
    select(credit_lines.c.limit_fen).where(_LINE).scalar_subquery().label("limit_fen"),
))
_LOCK_APPLICANT = Prepared(text("SELECT pg_advisory_xact_lock(hashtextextended(:h, 0))"))
_INSERT_DECISION = Prepared(decisions.insert().returning(decisions.c.id))
_INSERT_CUSTOMER = Prepared(customers.insert().returning(customers.c.id))
_UPDATE_CUSTOMER = Prepared(update(customers).where(customers.c.id == bindparam("customer_id"))
                            .values(version=customers.c.version + 1))
_LINE_ID = Prepared(select(credit_lines.c.id).where(
    credit_lines.c.customer_id == bindparam("owner"),
    credit_lines.c.product_code == policy.PRODUCT_CODE))
_INSERT_LINE = Prepared(credit_lines.insert())
_UPDATE_LINE = Prepared(update(credit_lines).where(
    credit_lines.c.customer_id == bindparam("owner"),
    credit_lines.c.product_code == policy.PRODUCT_CODE).values(
        status="open", version=credit_lines.c.version + 1))


def _prior(uow: UnitOfWork, id_hash: str, on: date) -> tuple[Prior, int | None]:
    wait, customer_id, frozen, limit_fen = _PRIOR.one(uow.conn, {"h": id_hash, "on": on})
    return Prior(reapply_after=wait, existing_customer=customer_id is not None,
                 line_frozen=bool(frozen), current_limit_fen=limit_fen), customer_id


@dataclass(frozen=True, slots=True)
class Checked:
    """An application's own part of the decision, which needs no database: consents, KYC,
    score, the keyed ID-number hash (when the number is usable) and the masked inputs kept
    for a reviewer (when consented). The API computes it before taking SQLite's writer lock,
    so the lock covers only the applicant's history, the ladder's remaining rules and the
    writes."""

    card: Scorecard
    assessed: Assessment
    id_hash: str | None
    masked_inputs: str | None


def check(app: Application, *, key: bytes | None = None,
          card: Scorecard | None = None) -> Checked:
    card = card or load_scorecard()
    assessed = assess(app, card)
    k = assessed.kyc
    id_hash = (kyc.id_number_hash(app.identity.id_number, key or id_hash_key())
               if k is not None and k.valid else None)
    masked = None if k is None else _masked_inputs(app, k, id_hash)
    return Checked(card, assessed, id_hash, masked)


def decide_application(uow: UnitOfWork, app: Application, *, key: bytes | None = None,
                       card: Scorecard | None = None, checked: Checked | None = None) -> Decided:
    c = checked or check(app, key=key, card=card)
    card, id_hash = c.card, c.id_hash
    prior, customer_id = Prior(), None
    if id_hash is not None:
        if uow.is_postgres:
            _LOCK_APPLICANT.execute(uow.conn, {"h": id_hash})
        prior, customer_id = _prior(uow, id_hash, app.application_date)
    decision = decide(app, prior, card, c.assessed)
    if decision.outcome is Outcome.APPROVE:
        assert id_hash is not None and decision.limit_fen is not None
        customer_id = _open_line(uow, app, decision, id_hash, customer_id)
    elif decision.outcome is Outcome.DECLINE:
        customer_id = customer_id if id_hash else None
    (decision_id,) = _INSERT_DECISION.one(uow.conn, dict(
        decided_on=app.application_date,
        product_code=app.product,
        outcome=decision.outcome.value,
        reasons_json=json.dumps([r.as_dict() for r in decision.reasons], ensure_ascii=False),
        score=decision.score,
        scorecard_version=card.version if decision.score is not None else None,
        limit_fen=decision.limit_fen,
        daily_rate_ppb=None if decision.daily_rate is None else rate_to_ppb(decision.daily_rate),
        reapply_after=decision.reapply_after,
        id_number_hash=id_hash,
        customer_id=customer_id,
        inputs_masked_json=c.masked_inputs,
    ))
    return Decided(int(decision_id), decision, customer_id)


def _masked_inputs(app: Application, k: Kyc, id_hash: str | None) -> str:
    ident, eco = app.identity, app.ecosystem
    body = {
        "name": kyc.mask_name(ident.name),
        "id_number": kyc.mask_id_number(ident.id_number),
        "mobile": kyc.mask_mobile(ident.mobile),
        "id_expiry": "long-term" if ident.id_expiry is None else ident.id_expiry.isoformat(),
        "birth_date": None if k.birth_date is None else k.birth_date.isoformat(),
        "gender": k.gender, "age": k.age,
        "product": app.product, "amount": format_yuan(app.amount_fen),
        "installments": app.installments,
        "monthly_income": format_yuan(app.monthly_income_fen),
        "monthly_debt_payments": format_yuan(app.monthly_debt_payments_fen),
        "occupation": app.occupation,
        "ecosystem": {"device_user": eco.device_user, "consumption_months": eco.consumption_months,
                      "spend_12m": format_yuan(eco.spend_12m_fen)},
        "profile": {n: str(v) if isinstance(v, Decimal) else v for n, v in app.profile.items()},
        "identity_verified": id_hash is not None,
    }
    return json.dumps(body, ensure_ascii=False)


def _open_line(uow: UnitOfWork, app: Application, decision: Decision, id_hash: str,
               customer_id: int | None) -> int:
    ident, k = app.identity, decision.kyc
    masked = {"name_masked": kyc.mask_name(ident.name),
              "id_number_masked": kyc.mask_id_number(ident.id_number),
              "mobile_masked": kyc.mask_mobile(ident.mobile),
              "birth_date": k.birth_date, "gender": k.gender, "timezone": app.timezone}
    rate_ppb = rate_to_ppb(decision.daily_rate) if decision.daily_rate is not None else None
    return upsert_line(uow, customer_id, id_hash, masked, decision.limit_fen or 0, rate_ppb,
                       app.application_date)


def upsert_line(uow: UnitOfWork, customer_id: int | None, id_hash: str, masked: dict[str, Any],
                limit_fen: int, daily_rate_ppb: int | None, on: date) -> int:
    """Open or update the customer (masked identity) and the cash line at the priced rate."""
    conn = uow.conn
    new_customer = customer_id is None  # so without a line yet
    if customer_id is None:
        (customer_id,) = _INSERT_CUSTOMER.one(conn, dict(
            id_number_hash=id_hash, created_on=on, **masked))
    else:
        _UPDATE_CUSTOMER.execute(conn, dict(customer_id=customer_id, **masked))
    if new_customer or _LINE_ID.first(conn, {"owner": customer_id}) is None:
        _INSERT_LINE.execute(conn, dict(
            customer_id=customer_id, product_code=policy.PRODUCT_CODE, limit_fen=limit_fen,
            daily_rate_ppb=daily_rate_ppb, opened_on=on))
    else:
        _UPDATE_LINE.execute(conn, dict(owner=customer_id, limit_fen=limit_fen,
                                        daily_rate_ppb=daily_rate_ppb))
    return int(customer_id)


def _decision_row(uow: UnitOfWork, decision_id: int) -> Any:
    row = uow.conn.execute(select(decisions).where(decisions.c.id == decision_id)).first()
    if row is None:
        raise NotFound(f"no decision {decision_id}", field="decision_id")
    return row


def _decision_view(row: Any) -> dict[str, Any]:
    rate = None if row.daily_rate_ppb is None else ppb_to_rate(row.daily_rate_ppb)
    return {
        "decision_id": row.id,
        "decided_on": row.decided_on.isoformat(),
        "product": row.product_code,
        "decision": row.outcome,
        "reasons": json.loads(row.reasons_json),
        "score": row.score,
        "scorecard_version": row.scorecard_version,
        "limit": None if row.limit_fen is None else format_yuan(row.limit_fen),
        "daily_rate": None if rate is None else format(rate, "f"),
        "annual_rate": None if rate is None else format(
            (rate * policy.DAYS_PER_YEAR).normalize(), "f"),
        "reapply_after": None if row.reapply_after is None else row.reapply_after.isoformat(),
        "inputs": None if row.inputs_masked_json is None else json.loads(row.inputs_masked_json),
    }


def explain(uow: UnitOfWork, decision_id: int) -> dict[str, Any]:
    """The explanation of a decision (PIPL Art. 24): outcome, reasons in order, score, terms,
    masked inputs and every human review of it."""
    view = _decision_view(_decision_row(uow, decision_id))
    rows = uow.conn.execute(select(reviews).where(reviews.c.decision_id == decision_id)
                            .order_by(reviews.c.id)).all()
    view["reviews"] = [_review_view(r) for r in rows]
    return view


def _review_view(r: Any) -> dict[str, Any]:
    return {"review_id": r.id, "decision_id": r.decision_id,
            "requested_on": r.requested_on.isoformat(), "request_reason": r.request_reason,
            "status": r.status, "outcome": r.outcome, "reviewer": r.reviewer,
            "outcome_reason": r.outcome_reason,
            "decided_on": None if r.decided_on is None else r.decided_on.isoformat()}


def request_review(uow: UnitOfWork, decision_id: int, requested_on: date,
                   reason: str = "") -> dict[str, Any]:
    row = _decision_row(uow, decision_id)
    if requested_on < row.decided_on:
        raise InvalidInput("a review cannot be requested before the decision date",
                           field="requested_on")
    open_id = uow.conn.execute(select(reviews.c.id).where(
        reviews.c.decision_id == decision_id, reviews.c.status == "open")).scalar()
    if open_id is not None:
        raise Conflict(f"review {open_id} of this decision is already open", field="decision_id")
    try:
        with uow.conn.begin_nested():  # a savepoint: a lost race leaves the command usable
            review_id = uow.conn.execute(reviews.insert().values(
                decision_id=decision_id, requested_on=requested_on, request_reason=reason,
                status="open")).inserted_primary_key[0]  # type: ignore[index]
    except IntegrityError as exc:  # another request opened one after the check above
        raise Conflict("a review of this decision is already open", field="decision_id") from exc
    return {"review_id": int(review_id), "decision_id": decision_id, "status": "open"}


def review_queue(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Open reviews, oldest first, each with the decision's masked inputs, reasons and score."""
    rows = uow.conn.execute(select(reviews).where(reviews.c.status == "open")
                            .order_by(reviews.c.requested_on, reviews.c.id).limit(500)).all()
    out = []
    for r in rows:
        item = _review_view(r)
        item["decision"] = _decision_view(_decision_row(uow, r.decision_id))
        out.append(item)
    return out


def record_outcome(uow: UnitOfWork, review_id: int, *, outcome: str, reviewer: str,
                   reason: str, decided_on: date) -> dict[str, Any]:
    """A reviewer's outcome, with who and why. ``approve`` of a decision that proposed terms
    (approve/refer) opens the cash line on those terms."""
    r = uow.conn.execute(select(reviews).where(reviews.c.id == review_id)).first()
    if r is None:
        raise NotFound(f"no review {review_id}", field="review_id")
    if r.status != "open":
        raise Conflict(f"review {review_id} is already decided", field="review_id")
    if outcome not in REVIEW_OUTCOMES:
        raise InvalidInput(f"accepted: {list(REVIEW_OUTCOMES)}", field="outcome")
    if not reviewer.strip() or not reason.strip():
        raise InvalidInput("the reviewer and the reason are both required",
                           field="reviewer" if not reviewer.strip() else "reason")
    if decided_on < r.requested_on:
        raise InvalidInput("before the review was requested", field="decided_on")
    d = _decision_row(uow, r.decision_id)
    if outcome == "approve":
        _approve_on_review(uow, d, decided_on)
    uow.conn.execute(update(reviews).where(reviews.c.id == review_id).values(
        status="decided", outcome=outcome, reviewer=reviewer.strip(),
        outcome_reason=reason.strip(), decided_on=decided_on))
    row = uow.conn.execute(select(reviews).where(reviews.c.id == review_id)).first()
    return _review_view(row)


def _approve_on_review(uow: UnitOfWork, d: Any, on: date) -> None:
    if d.limit_fen is None or d.id_number_hash is None or d.inputs_masked_json is None:
        raise RuleViolation("this decision proposed no terms (a decline); the applicant must "
                            "apply again to be priced", field="outcome")
    if d.outcome == "approve":
        return  # the line is already open
    inputs = json.loads(d.inputs_masked_json)
    masked = {"name_masked": inputs["name"], "id_number_masked": inputs["id_number"],
              "mobile_masked": inputs["mobile"], "birth_date": date.fromisoformat(
                  inputs["birth_date"]), "gender": inputs["gender"]}
    customer_id = uow.conn.execute(select(customers.c.id).where(
        customers.c.id_number_hash == d.id_number_hash).limit(1)).scalar()
    customer_id = upsert_line(uow, customer_id, d.id_number_hash, masked, d.limit_fen,
                              d.daily_rate_ppb, on)
    uow.conn.execute(update(decisions).where(decisions.c.id == d.id)
                     .values(customer_id=customer_id))
