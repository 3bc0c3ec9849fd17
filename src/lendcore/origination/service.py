"""Origination service: decide an application on the server's business date.

Each function takes a :class:`UnitOfWork` and never commits: the command runner
(``lendcore.runner.execute``) commits once. The API, the CLI and the demo build the same
:class:`~lendcore.origination.operations.Decide` command, which calls :func:`decide_application`.

A decision is taken on the **business date** (``clock.business_date``), read inside the unit of
work, and stamped with the server's time ``now`` (``decided_at``); an application carries no
date. The applicant's history is looked up by the keyed ID-number hash (the blind index, never
the raw number) in one round trip that also reads the business date; the decision is pure Python
(``ladder.decide``); it is recorded, and an approval opens the customer (identity masked for
display and sealed, ``pii``) and the line of the product applied for (the cash line, or the
checkout line that checkout installments need) through their owner,
:mod:`lendcore.customers.store`. The history is per product: the running 180-day wait of the
product (every assessed application starts one, whatever its outcome), the customer's line of
it and its limit, and whether any line of the customer's is frozen. A decision that names a
customer records with them the consents given with the application (credit query, personal
data: :mod:`lendcore.customers.consents`). A referral keeps the identity sealed on the decision
(:mod:`lendcore.origination.sealed`) for the reviewer's approval; a decline keeps only the
hash. On PostgreSQL two applications of one person are serialised by an advisory lock on the
hash; SQLite's ``BEGIN IMMEDIATE`` already serialises writers.

**Round trips (PostgreSQL).** Each statement sent alone waits for the server once; a decision
keeps those waits few (held by ``tests/origination/test_decision_round_trips.py``). The lock and
the history read go down one pipeline (``store.prepared.pipeline``; the read is a statement of
its own, after the lock, so it sees what the lock's previous holder committed), and the same
read takes the decision's id from its sequence, so the decision's insert needs no answer: it is
a closing write on the unit of work's batch, sent with the audit record before the commit. The
two consents go down one pipeline. A new applicant's approval is then: BEGIN; lock and history;
the customer; the line; the consents; the decision with the audit record; COMMIT.

**Before the lock.** KYC, the score, the ID hash and the masked inputs need no database, only the
date (age, ID expiry): :func:`check` computes them. A server checks an application before its
unit of work takes SQLite's writer lock, on the business date this process last read
(:func:`expected_business_date`), so that the lock covers only the history, the ladder's
remaining rules and the writes. That date is a guess and is never trusted: the decision reads the
business date with the history and, when the nightly run has moved it since (or the process has
not read it yet), checks the application again on the server's date, under the lock. Worked
example: the process last saw 2026-03-01; the night opens 2026-03-02; the next application is
checked on 03-01 before the lock, the history query answers 03-02, and the check is redone on
03-02: an applicant whose 18th birthday is 03-02 is assessed as 18, never as 17.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, func, select, text

from lendcore import clock, pii
from lendcore.customers import consents
from lendcore.customers import store as customers_store
from lendcore.money import format_yuan
from lendcore.origination import kyc, policy, sealed
from lendcore.origination.config import id_hash_key
from lendcore.origination.ladder import Assessment, assess, decide
from lendcore.origination.model import Application, Decision, Kyc, Outcome, Prior
from lendcore.origination.scorecard import Scorecard, load_scorecard
from lendcore.rates import rate_to_ppb
from lendcore.reasons import Reason
from lendcore.store.core_tables import credit_lines, customers
from lendcore.store.origination_tables import decisions
from lendcore.store.prepared import Prepared, pipeline
from lendcore.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Checked:
    """An application's own part of the decision on the date ``assessed.on``, which needs no
    database: consents, KYC, score, the keyed ID-number hash (when the number is usable) and
    the masked inputs kept for a reviewer (when consented)."""

    card: Scorecard
    assessed: Assessment
    id_hash: str | None
    masked_inputs: str | None

    @property
    def on(self) -> date:
        return self.assessed.on


@dataclass(frozen=True, slots=True)
class Decided:
    """A recorded decision: its id, the decision, the business date and server time it was
    taken on, the customer (when known) and on approval the line of ``product``."""

    decision_id: int
    decision: Decision
    decided_on: date
    decided_at: datetime
    customer_id: int | None = None
    line_id: int | None = None
    product: str = policy.PRODUCT_CODE


# The business date and the applicant's history in one statement, and the decision's insert:
# prepared once and run on the driver's cursor (``store.prepared``).
_CUSTOMER = (select(customers.c.id).where(customers.c.id_number_hash == bindparam("h"))
             .limit(1).scalar_subquery())
_LINE = and_(credit_lines.c.customer_id == _CUSTOMER,
             credit_lines.c.product_code == bindparam("p"))
_HISTORY_COLUMNS = (
    clock.BUSINESS_DATE_QUERY.scalar_subquery().label("business_date"),
    # The latest end of a 180-day wait for the product, whatever the outcome that started it:
    # compared with the business date in Python (the latest wait is after the date exactly
    # when any is).
    select(func.max(decisions.c.reapply_after)).where(
        decisions.c.id_number_hash == bindparam("h"), decisions.c.product_code == bindparam("p"),
    ).scalar_subquery().label("wait"),
    _CUSTOMER.label("customer_id"),
    select(credit_lines.c.id).where(_LINE).scalar_subquery().label("line_id"),
    # Any frozen line of the customer's refuses a new line of any product (delinquency).
    select(func.count()).select_from(credit_lines).where(
        credit_lines.c.customer_id == _CUSTOMER, credit_lines.c.frozen.is_(True),
    ).scalar_subquery().label("frozen"),
    select(credit_lines.c.limit_fen).where(_LINE).scalar_subquery().label("limit_fen"),
)
_HISTORY = Prepared(select(*_HISTORY_COLUMNS))
# PostgreSQL: the same, and the id the decision will have, taken from its sequence now (every
# decision inserts exactly one row: the sequence advances as the insert would have advanced it),
# so that the decision's insert needs no answer and goes down the commit's pipeline.
_HISTORY_AND_ID = Prepared(select(*_HISTORY_COLUMNS, func.nextval(
    func.pg_get_serial_sequence(decisions.name, decisions.c.id.name)).label("decision_id")))
_LOCK_APPLICANT = Prepared(text("SELECT pg_advisory_xact_lock(hashtextextended(:h, 0))"))
_INSERT_DECISION = Prepared(decisions.insert().returning(decisions.c.id))
_ADD_DECISION = decisions.insert()  # PostgreSQL: with its id, on the unit of work's write batch

# The business date this process last read with a decision: the date an application is checked
# on before the lock. A guess only (see the module's docstring).
_LAST_SEEN: list[date] = []


def expected_business_date() -> date | None:
    return _LAST_SEEN[0] if _LAST_SEEN else None


def _saw(on: date) -> None:
    if not _LAST_SEEN:
        _LAST_SEEN.append(on)
    else:
        _LAST_SEEN[0] = on


def check(app: Application, on: date, *, key: bytes | None = None,
          card: Scorecard | None = None) -> Checked:
    """The application's own part of the decision on ``on`` (no database)."""
    card = card or load_scorecard()
    assessed = assess(app, card, on)
    k = assessed.kyc
    id_hash = (kyc.id_number_hash(app.identity.id_number, key or id_hash_key())
               if k is not None and k.valid else None)
    masked = None if k is None else _masked_inputs(app, k, id_hash)
    return Checked(card, assessed, id_hash, masked)


@dataclass(frozen=True, slots=True)
class _History:
    on: date
    prior: Prior
    customer_id: int | None
    line_id: int | None
    decision_id: int | None  # PostgreSQL: the id taken for the decision (None: not taken)


def _history(uow: UnitOfWork, id_hash: str | None, product: str, *,
             take_id: bool = True) -> _History:
    """The business date and the applicant's history under the applicant's lock: one round
    trip on PostgreSQL (the lock and the read down one pipeline, the read after the lock),
    which also takes the decision's id when ``take_id``."""
    conn = uow.conn
    query = _HISTORY_AND_ID if take_id and uow.is_postgres else _HISTORY
    with pipeline(conn):
        if id_hash is not None and uow.is_postgres:
            _LOCK_APPLICANT.execute(conn, {"h": id_hash})
        sent = query.send(conn, {"h": id_hash, "p": product})
    today, wait, customer_id, line_id, frozen, limit_fen, *taken = sent.one()
    if today is None:
        clock.business_date(conn)  # raises the one "no business date yet" refusal
    on = date.fromisoformat(today)
    prior = Prior(reapply_after=wait if wait is not None and wait > on else None,
                  existing_customer=customer_id is not None, line_frozen=bool(frozen),
                  current_limit_fen=limit_fen)
    return _History(on, prior, customer_id, line_id, int(taken[0]) if taken else None)


def decide_application(uow: UnitOfWork, app: Application, *, now: datetime,
                       actor: str = "local", checked: Checked | None = None,
                       key: bytes | None = None, card: Scorecard | None = None) -> Decided:
    """Decide ``app`` on the business date and record it; ``checked`` is :func:`check` of it
    made before the unit of work (on the date this process expected), redone when the server's
    date differs."""
    c = checked or check(app, clock.business_date(uow.conn), key=key, card=card)
    h = _history(uow, c.id_hash, app.product)
    if h.on != c.on:  # the night moved the date since the check: the server's date decides
        hash_before = c.id_hash
        c = check(app, h.on, key=key, card=c.card)
        if c.id_hash != hash_before:  # the decision keeps the id it has taken
            h = dataclasses.replace(_history(uow, c.id_hash, app.product, take_id=False),
                                    decision_id=h.decision_id)
    _saw(h.on)
    on, at = h.on, now.astimezone(UTC)  # server time, kept in UTC (SQLite keeps no offset)
    decision = decide(app, h.prior, c.card, on, c.assessed)
    customer_id = h.customer_id if c.id_hash is not None else None
    line_id: int | None = None
    existing_limit: int | None = None
    if decision.outcome is Outcome.APPROVE:
        assert c.id_hash is not None and decision.limit_fen is not None
        customer_id, line_id, existing_limit = _open_line(uow, app, decision, c.id_hash, h, on)
    kept = (sealed.decision_identity(app.identity) if decision.outcome is Outcome.REFER
            and c.masked_inputs is not None else sealed.NO_IDENTITY)
    decision_id = _record(uow, h.decision_id, dict(
        decided_on=on,
        decided_at=at,
        product_code=app.product,
        outcome=decision.outcome.value,
        reasons_json=json.dumps([r.as_dict() for r in decision.reasons], ensure_ascii=False),
        score=decision.score,
        scorecard_version=c.card.version if decision.score is not None else None,
        limit_fen=decision.limit_fen,
        daily_rate_ppb=None if decision.daily_rate is None else rate_to_ppb(decision.daily_rate),
        reapply_after=decision.reapply_after,
        id_number_hash=c.id_hash,
        customer_id=customer_id,
        inputs_masked_json=c.masked_inputs,
        **kept,
    ))
    if line_id is not None and existing_limit is not None:
        set_line_limit(uow, line_id, existing_limit, decision.limit_fen, decision.reasons,
                        on, actor, decision_id=decision_id)
    if customer_id is not None:  # the consents given with the application, kept with the customer
        with pipeline(uow.conn):  # their rows in one round trip (their owner's prepared inserts)
            consents.record_application(uow, customer_id, credit_query=app.consents.credit_query,
                                        personal_data=app.consents.sensitive_data, actor=actor,
                                        at=at)
    return Decided(decision_id, decision, on, at, customer_id, line_id, app.product)


def _record(uow: UnitOfWork, decision_id: int | None, values: dict[str, Any]) -> int:
    """Insert the decision; its id. With its id taken already (PostgreSQL), the insert is a
    closing write: nothing reads the row before the commit (``limit_changes`` keeps the id
    without a foreign key), so it goes down the commit's pipeline with the audit record."""
    if decision_id is None:
        (new_id,) = _INSERT_DECISION.one(uow.conn, values)
        return int(new_id)
    uow.batch.add(_ADD_DECISION, {"id": decision_id, **values}, expect_rows=1)
    return decision_id


def _masked_inputs(app: Application, k: Kyc, id_hash: str | None) -> str:
    ident, eco = app.identity, app.ecosystem
    body = {
        "name": pii.mask_name(ident.name),
        "id_number": pii.mask_id_number(ident.id_number),
        "mobile": pii.mask_mobile(ident.mobile),
        "id_expiry": "long-term" if ident.id_expiry is None else ident.id_expiry.isoformat(),
        # An age band, never the birth date, the gender or the exact age: beside the masked ID
        # they give back its hidden digits (domain rule 10; ``pii.masking``).
        "age_band": pii.age_band(k.age),
        "product": app.product, "amount": format_yuan(app.amount_fen),
        "installments": app.installments,
        "monthly_income": format_yuan(app.monthly_income_fen),
        "monthly_debt_payments": format_yuan(app.monthly_debt_payments_fen),
        "occupation": app.occupation,
        "ecosystem": {"device_user": eco.device_user, "consumption_months": eco.consumption_months,
                      "spend_12m": format_yuan(eco.spend_12m_fen)},
        "profile": {n: str(v) if isinstance(v, Decimal) else v for n, v in app.profile.items()},
        "timezone": app.timezone,
        "identity_verified": id_hash is not None,
    }
    return json.dumps(body, ensure_ascii=False)


def customer_identity(app: Application) -> dict[str, Any]:
    """The applicant's identity as the customer's owner stores it: masked and sealed."""
    ident = app.identity
    return customers_store.identity_columns(name=ident.name, id_number=ident.id_number,
                                            mobile=ident.mobile, timezone=app.timezone)


def _open_line(uow: UnitOfWork, app: Application, decision: Decision, id_hash: str,
               h: _History, on: date) -> tuple[int, int, int | None]:
    """An approval's customer and line of the product applied for: (customer id, line id, the
    limit the line had when it existed already)."""
    rate_ppb = rate_to_ppb(decision.daily_rate) if decision.daily_rate is not None else None
    return open_customer_line(uow, h.customer_id, id_hash, customer_identity(app),
                              decision.limit_fen or 0, rate_ppb, on, product_code=app.product,
                              line_id=h.line_id, line_limit_fen=h.prior.current_limit_fen)


def open_customer_line(uow: UnitOfWork, customer_id: int | None, id_hash: str,
                       identity: dict[str, Any], limit_fen: int, daily_rate_ppb: int | None,
                       on: date, *, product_code: str, line_id: int | None = None,
                       line_limit_fen: int | None = None) -> tuple[int, int, int | None]:
    """Open (or refresh) the customer and open (or reopen) their line of ``product_code``,
    through their owner. ``line_id``/``line_limit_fen``: the customer's line of the product as
    the caller read it, if any. A tier-priced product's line has no daily rate (None)."""
    conn = uow.conn
    if customer_id is None:
        customer_id = customers_store.insert_customer(
            conn, created_on=on, id_number_hash=id_hash, **identity)
        new_customer = True
    else:
        customers_store.refresh_identity(conn, customer_id, identity)
        new_customer = False
    # The caller read the customer's line under the applicant's lock: with none, the owner
    # inserts without looking again (``new_customer`` skips its existence check).
    opened = customers_store.open_or_reopen_line(
        conn, customer_id=customer_id, new_customer=new_customer or line_id is None,
        product_code=product_code, limit_fen=limit_fen, daily_rate_ppb=daily_rate_ppb,
        opened_on=on)
    if opened is not None:
        return customer_id, opened, None
    assert line_id is not None  # reopened: the caller read it
    return customer_id, line_id, line_limit_fen


def set_line_limit(uow: UnitOfWork, line_id: int, old_limit_fen: int, new_limit_fen: int | None,
                    reasons: tuple[Reason, ...], on: date, actor: str, *,
                    decision_id: int | None = None, review_id: int | None = None) -> None:
    """A returning customer's approval sets the line's limit to the decision's, logged in
    ``limit_changes`` with the decision (or review) it rests on."""
    if new_limit_fen is None or new_limit_fen == old_limit_fen:
        return
    why = tuple(r for r in reasons if r.code.startswith("limit_")) or (
        Reason("decision", "the limit of the approved decision"),)
    customers_store.set_limit(uow.conn, customers_store.LimitChange(
        line_id=line_id, action="set", new_limit_fen=new_limit_fen, reasons=why, on=on,
        actor=actor, decision_id=decision_id, review_id=review_id))

