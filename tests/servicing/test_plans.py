"""Negotiated repayment end to end: a collections plan signed through the servicing hook."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, select

from lendcore.collections.plans import Waiver
from lendcore.collections.service import offer_plan, sign_plan, sync_book
from lendcore.errors import RuleViolation
from lendcore.servicing.service import apply_plan
from lendcore.store.collections_tables import collection_cases
from lendcore.store.servicing_tables import installments, loans
from lendcore.store.uow import UnitOfWork
from tests.servicing.helpers import advance, audit_problems, new_draw, start_book

DAY0 = date(2026, 1, 5)


def _overdue_loan(engine: Engine, days: int = 75) -> tuple[int, int, date]:
    start_book(engine, DAY0)
    loan_id = new_draw(engine, 1_000_000, 12)
    bd = advance(engine, days)
    with UnitOfWork(engine) as uow:
        sync_book(uow, bd)
        case_id = uow.conn.execute(select(collection_cases.c.id)).scalar_one()
        uow.commit()
    return loan_id, case_id, bd


def test_a_signed_plan_restructures_the_loan_exactly_as_offered_and_keeps_the_ledger(
        engine: Engine) -> None:
    loan_id, case_id, _ = _overdue_loan(engine)
    with UnitOfWork(engine) as uow:
        penalty = uow.conn.execute(select(loans.c.penalty_receivable_fen)
                                   .where(loans.c.id == loan_id)).scalar_one()
        waiver = Waiver(penalty_fen=penalty, reason="hardship: job loss")
        offered = offer_plan(uow, case_id, loan_id, installments=24, proposed_by="C-7",
                             waiver=waiver)
        offer = offered.offer
        # the waiver's checker is named when the plan is signed (four eyes)
        sign_plan(uow, offered.plan_id, signed_by="borrower", approved_by="SUP-1",
                  apply_restructure=apply_plan)
        uow.commit()
    with UnitOfWork(engine, read_only=True) as uow:
        loan = uow.conn.execute(select(loans).where(loans.c.id == loan_id)).one()
        live = uow.conn.execute(select(installments).where(
            (installments.c.loan_id == loan_id) & (installments.c.status == "open"))).all()
    assert (loan.dpd, loan.penalty_receivable_fen, loan.restructured) == (0, 0, True)
    assert loan.class_floor_until == date(2027, 3, 21)
    assert len(live) == 24
    assert sum(r.principal_fen for r in live) == offer.principal_fen + offer.arrears_fen
    assert sum(r.interest_fen for r in live) == sum(i.interest_fen for i in offer.schedule)
    assert audit_problems(engine) == []
    advance(engine, 40)  # the plan's first installment falls due and is missed
    assert audit_problems(engine) == []


def test_a_plan_offered_before_the_balances_moved_is_refused_on_signing(engine: Engine) -> None:
    loan_id, case_id, _ = _overdue_loan(engine)
    with UnitOfWork(engine) as uow:
        plan_id = offer_plan(uow, case_id, loan_id, installments=12, proposed_by="C-7").plan_id
        uow.commit()
    advance(engine, 2)  # interest and penalty accrue: the offer is stale
    with UnitOfWork(engine) as uow, pytest.raises(RuleViolation) as err:
        sign_plan(uow, plan_id, signed_by="borrower", apply_restructure=apply_plan)
    assert err.value.code == "plan_out_of_date"


def test_a_plan_is_offered_and_signed_through_the_api(engine: Engine) -> None:
    from fastapi.testclient import TestClient

    from lendcore.api.app import create_app
    from tests.auth import signed_in

    loan_id, case_id, _ = _overdue_loan(engine)
    with TestClient(create_app(engine), raise_server_exceptions=False) as client:
        signed_in(client, engine)  # the signed-in user proposes the plan
        too_long = client.post(f"/collections/cases/{case_id}/plans",
                               json={"loan_id": loan_id, "installments": 61})
        assert too_long.status_code == 422 and too_long.json()["field"] == "installments"
        offer = client.post(f"/collections/cases/{case_id}/plans",
                            json={"loan_id": loan_id, "installments": 12})
        assert offer.status_code == 201, offer.text
        assert offer.json()["special_transaction"] == "negotiated_repayment"
        signed = client.post(f"/collections/plans/{offer.json()['plan_id']}/sign",
                             json={"signed_by": "borrower"})
        assert signed.status_code == 200, signed.text
        loan = client.get(f"/loans/{loan_id}").json()
    assert loan["dpd"] == 0 and loan["risk_class"] == "special_mention"
    assert audit_problems(engine) == []
