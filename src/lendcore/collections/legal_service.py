"""Legal steps in storage: what the lender has taken on a case, recorded once, never rewritten.

``record_legal_step(uow, case_id, step, reference, ...)`` appends a step to
``collection_legal_steps`` (append-only, like the contact log) and a ``legal_step`` row to the
case's history, on the business date. The step may have been taken before it is recorded
(``taken_on``: a lawyer's letter posted on Friday, recorded on Monday), never after the
business date. The reference is what a message to the borrower must cite to name the step
(``legal``): the letter's number, the court's case number (案号), at least 4 characters. The
same step with the same reference on a case is recorded once (409 ``duplicate_legal_step``).

Who: ``recorded_by`` is the operator who asked to record it (the maker), ``approved_by`` the
second person who confirmed it (four eyes, ``operations.RecordLegalStep``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, insert, select

from lendcore.clock import business_date
from lendcore.collections import store
from lendcore.collections.legal import MIN_REFERENCE_LENGTH, LegalStep
from lendcore.errors import Conflict, InvalidInput
from lendcore.store.collections_tables import collection_legal_steps
from lendcore.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class LegalStepRecord:
    step_id: int
    case_id: int
    step: LegalStep
    reference: str
    taken_on: date
    recorded_on: date
    recorded_by: str
    approved_by: str | None


def record_legal_step(uow: UnitOfWork, case_id: int, step: LegalStep, reference: str, *,
                      taken_on: date | None, recorded_by: str,
                      approved_by: str | None) -> LegalStepRecord:
    """Record a legal step taken on the case (on ``taken_on``, the business date if None)."""
    conn = uow.conn
    today = business_date(conn)
    case = store.case_row(conn, case_id, lock=True)
    ref = reference.strip()
    if len(ref) < MIN_REFERENCE_LENGTH:
        raise InvalidInput(f"at least {MIN_REFERENCE_LENGTH} characters: the letter's number or "
                           "the court's case number, which a message must cite", field="reference")
    taken = today if taken_on is None else taken_on
    if taken > today:
        raise InvalidInput(f"a step already taken: on or before the business date {today} "
                           f"(got {taken})", field="taken_on")
    c = collection_legal_steps.c
    if conn.execute(select(c.id).where(c.case_id == case_id, c.step == step.value,
                                       c.reference == ref)).first():
        raise Conflict(f"{step.value} {ref} is already recorded on case {case_id}",
                       field="reference", code="duplicate_legal_step")
    step_id = store.insert_id(conn, insert(collection_legal_steps).values(
        case_id=case_id, step=step.value, reference=ref, taken_on=taken, recorded_on=today,
        recorded_by=recorded_by, approved_by=approved_by))
    store.add_history(conn, case, today, "legal_step", {
        "legal_step_id": step_id, "step": step.value, "reference": ref,
        "taken_on": taken.isoformat(), "recorded_by": recorded_by, "approved_by": approved_by})
    return LegalStepRecord(step_id, case_id, step, ref, taken, today, recorded_by, approved_by)


def legal_steps_of(conn: Connection, case_id: int) -> tuple[LegalStepRecord, ...]:
    """The case's legal steps, oldest record first."""
    c = collection_legal_steps.c
    return tuple(
        LegalStepRecord(int(r.id), int(r.case_id), LegalStep(r.step), str(r.reference),
                        r.taken_on, r.recorded_on, str(r.recorded_by), r.approved_by)
        for r in conn.execute(select(collection_legal_steps).where(c.case_id == case_id)
                              .order_by(c.id)))
