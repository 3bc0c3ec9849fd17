"""A checkout line is granted by a credit decision: an application names the product
``checkout-installment``; the same consents, KYC, ladder and score decide it; its limit range,
installment counts and price are that product's (catalogue); an approval opens the customer's
checkout line through its owner (``customers.store``), the line servicing's checkout reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from origination_helpers import ON, body
from origination_helpers import application as cash_application
from sqlalchemy import Engine, select

from lendcore.api.app import create_app
from lendcore.clock import LENDER_ZONE, SimulatedClock
from lendcore.customers import store as customers_store
from lendcore.origination import reviews, service
from lendcore.origination.model import Application, Outcome
from lendcore.reasons import Reason
from lendcore.store.core_tables import credit_lines, customers
from lendcore.store.db import make_engine
from lendcore.store.origination_tables import decisions
from lendcore.store.uow import UnitOfWork
from tests.auth import signed_in

KEY = b"test-key"
NOW = datetime(2025, 6, 2, 2, 30, tzinfo=UTC)
CHECKOUT = "checkout-installment"


def application(**overrides: object) -> Application:
    return cash_application(**{"product": CHECKOUT, **overrides})


def decide(engine: Engine, app: Application) -> service.Decided:
    with UnitOfWork(engine) as uow:
        out = service.decide_application(uow, app, now=NOW, key=KEY)
        uow.commit()
    return out


def lines(engine: Engine) -> list[tuple[str, int, int | None]]:
    with engine.connect() as conn:
        return [(r.product_code, r.limit_fen, r.daily_rate_ppb) for r in conn.execute(
            select(credit_lines).order_by(credit_lines.c.id))]


def test_an_approved_checkout_application_opens_the_checkout_line(engine: Engine) -> None:
    decided = decide(engine, application())
    d = decided.decision
    assert d.outcome is Outcome.APPROVE and decided.product == CHECKOUT
    assert d.limit_fen == 20_000_00 and d.daily_rate is None  # priced by the product's tiers
    price = next(r for r in d.reasons if r.code.startswith("price_"))
    assert price.code == "price_product_tier"
    assert "12 installments: 13% a year or a 0.6% fee per installment" in price.detail
    assert lines(engine) == [(CHECKOUT, 20_000_00, None)]
    with engine.connect() as conn:
        rec = conn.execute(select(decisions)).one()
        found = customers_store.find_line(conn, decided.customer_id or 0, CHECKOUT)
    assert (rec.product_code, rec.outcome, rec.customer_id) == (CHECKOUT, "approve",
                                                                decided.customer_id)
    assert found is not None and int(found.id) == decided.line_id  # what checkout reads


def test_the_same_ladder_decides_a_checkout_application(engine: Engine) -> None:
    student = decide(engine, application(occupation="student"))
    assert student.decision.outcome is Outcome.DECLINE
    assert student.decision.reasons[0].code == "student_not_targeted"
    no_consent = decide(engine, application(consents={"credit_query": True,
                                                      "sensitive_data": False}))
    assert [r.code for r in no_consent.decision.reasons] == ["consent_sensitive_data_missing"]
    assert lines(engine) == []


def test_a_customer_with_a_cash_line_gets_the_checkout_line_by_a_second_decision(
        engine: Engine) -> None:
    cash = decide(engine, cash_application())
    checkout = decide(engine, application(installments=24))
    assert cash.decision.outcome is checkout.decision.outcome is Outcome.APPROVE
    assert checkout.customer_id == cash.customer_id and checkout.line_id != cash.line_id
    assert [(p, limit) for p, limit, _ in lines(engine)] == [
        ("cash-line", 20_000_00), (CHECKOUT, 20_000_00)]
    with engine.connect() as conn:
        assert len(conn.execute(select(customers)).all()) == 1


@pytest.mark.parametrize("frozen", [True, False])
def test_a_frozen_cash_line_refuses_a_checkout_line(engine: Engine, frozen: bool) -> None:
    cash = decide(engine, cash_application())
    assert cash.line_id is not None
    if frozen:
        with UnitOfWork(engine) as uow:
            customers_store.set_limit(uow.conn, customers_store.LimitChange(
                cash.line_id, "freeze", 20_000_00, (Reason("overdue", "past grace"),), ON,
                "limit-job", frozen=True, frozen_reason="overdue"))
            uow.commit()
    checkout = decide(engine, application()).decision
    codes = [r.code for r in checkout.reasons]
    assert ("credit_line_frozen" in codes) is frozen
    assert checkout.outcome is (Outcome.DECLINE if frozen else Outcome.APPROVE)


# Template applicant, band A (4 x income x 1.2 uplift), no debt: the limit is 4.8 x income in
# whole hundreds. Income 25 -> 120 -> 100 CNY: the checkout minimum (100) but under the cash
# line's (500). Income 20 -> 96 -> 0: under both.
@pytest.mark.parametrize(("income", "product", "outcome", "limit_fen"), [
    ("25", CHECKOUT, Outcome.APPROVE, 100_00),
    ("20", CHECKOUT, Outcome.DECLINE, None),
    ("25", "cash-line", Outcome.DECLINE, None),
    ("105", "cash-line", Outcome.APPROVE, 500_00),  # 504 -> 500
])
def test_the_minimum_limit_is_the_products(engine: Engine, income: str, product: str,
                                           outcome: Outcome, limit_fen: int | None) -> None:
    d = decide(engine, application(product=product, monthly_income=income,
                                   monthly_debt_payments="0")).decision
    assert (d.outcome, d.limit_fen) == (outcome, limit_fen), d.reasons
    if outcome is Outcome.DECLINE:
        assert d.reasons[0].code == "limit_below_minimum"


def test_approving_a_referred_checkout_application_opens_the_checkout_line(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from lendcore.origination import policy

    monkeypatch.setattr(policy, "SCORE_APPROVE_MIN", 10_000)  # everyone is referred
    referred = decide(engine, application())
    assert referred.decision.outcome is Outcome.REFER and lines(engine) == []
    with UnitOfWork(engine) as uow:
        review = reviews.request_review(uow, referred.decision_id, "", now=NOW)
        reviews.record_outcome(uow, review.review_id, outcome="approve", reviewer="li.wei",
                               reason="income checked by hand", now=NOW, actor="li.wei")
        uow.commit()
    assert lines(engine) == [(CHECKOUT, referred.decision.limit_fen, None)]


@pytest.fixture()
def client(engine: Engine) -> Iterator[TestClient]:
    app = create_app(engine, clock=SimulatedClock(datetime(2025, 6, 2, 10, 30,
                                                           tzinfo=LENDER_ZONE)))
    with TestClient(app) as c:
        yield signed_in(c, engine)


def test_the_api_takes_the_product_and_the_cash_line_is_the_default(client: TestClient) -> None:
    checkout = client.post("/applications", json=body(product=CHECKOUT, installments=24))
    assert checkout.status_code == 201, checkout.text
    out = checkout.json()
    assert (out["product"], out["decision"], out["limit"]) == (CHECKOUT, "approve", "20000.00")
    assert out["daily_rate"] is None and out["line_id"] >= 1
    assert out["reapply_after"] == "2025-11-29" and out["decided_on"] == ON.isoformat()
    default = body()
    del default["product"]
    cash = client.post("/applications", json=default).json()
    assert cash["product"] == "cash-line" and cash["line_id"] != out["line_id"]
    shown = client.get(f"/decisions/{out['decision_id']}").json()
    assert shown["product"] == CHECKOUT and shown["limit"] == "20000.00"


@pytest.mark.parametrize(("overrides", "field"), [
    ({"installments": 12}, None), ({"installments": 24}, None), ({"installments": 3}, None),
    ({"installments": 2}, "installments"), ({"installments": 7}, "installments"),
    ({"installments": 25}, "installments"),
    ({"amount": "100"}, None), ({"amount": "99.99"}, "amount"),
    ({"amount": "50000"}, None), ({"amount": "50000.01"}, "amount"),
])
def test_a_checkout_application_asks_for_what_the_checkout_product_offers(
        client: TestClient, overrides: dict[str, object], field: str | None) -> None:
    r = client.post("/applications", json=body(product=CHECKOUT, **overrides))
    if field is None:
        assert r.status_code == 201, r.text
    else:
        assert r.status_code == 422 and r.json()["field"] == field, r.text


def test_the_demo_opens_checkout_lines_only_through_checkout_decisions(tmp_path: Path) -> None:
    from lendcore_tools.demo.simulate import DemoConfig, run_demo

    url = f"sqlite:///{tmp_path}/demo.db"
    result = run_demo(DemoConfig(customers=20, days=2, seed=7, url=url))
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            opened = set(conn.execute(select(credit_lines.c.customer_id).where(
                credit_lines.c.product_code == CHECKOUT)).scalars())
            granted = set(conn.execute(select(decisions.c.customer_id).where(
                decisions.c.product_code == CHECKOUT,
                decisions.c.outcome.in_(("approve", "refer")))).scalars())
    finally:
        engine.dispose()
    assert opened and opened <= granted
    assert result.world.counts["checkout line approve"] == len(opened)
    assert not [k for k in result.world.refused if k.startswith("open_line")]
