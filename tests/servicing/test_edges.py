"""Servicing's edges: strict bodies, the repayment's value date, one command from API and CLI.

- Money is ``^[0-9]{1,15}(\\.[0-9]{1,2})?$`` in ASCII digits: the issue's "1,5" (once booked as
  15.00), "1_000", "1e3", "+10", ".5", " 10", full-width and Arabic-Indic digits are refused with
  a 422 naming the field, on every money field.
- Identifiers, text and counts have bounds: a 200,000-character merchant_id is refused.
- A repayment's ``effective_date`` is at most the business date and at least the loan's start
  (both sides of both boundaries), and an earlier one is booked as back-dated.
- A repayment sent to the API with ``Idempotency-Key: K`` and retried as ``lendcore repay --key
  K`` with the same loan and amount is one command: the first result, applied once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from lendcore.api.app import create_app
from lendcore.clock import SimulatedClock
from lendcore.store.servicing_tables import loan_events
from lendcore.store.uow import UnitOfWork
from tests.auth import approve, signed_in
from tests.servicing.helpers import advance, audit_problems, make_cli, start_book

DAY0 = date(2026, 1, 5)
BAD_MONEY = ["1,5", "1_000", "1e3", "+10", ".5", " 10", "10 ", "１０", "١٠", "٫5", "1.001",
             "-1", "", 10, 10.5, None]


@pytest.fixture()
def client(engine: Engine) -> Iterator[TestClient]:
    start_book(engine, DAY0)
    app = create_app(engine, clock=SimulatedClock(datetime(2026, 1, 5, 2, 0, tzinfo=UTC)))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield signed_in(c, engine)


def _customer_with_lines(client: TestClient, engine: Engine) -> tuple[int, int]:
    """A customer with a cash line and a checkout line, each opened by the signed-in
    administrator and approved by a second one (four eyes)."""
    cid = client.post("/customers", json={}).json()["customer_id"]
    line = approve(client, engine, client.post("/credit-lines", json={
        "customer_id": cid, "product": "cash-line", "limit": "20000"}))
    assert line.status_code == 200, line.text
    r = approve(client, engine, client.post("/credit-lines", json={
        "customer_id": cid, "product": "checkout-installment", "limit": "20000"}))
    assert r.status_code == 200, r.text
    return cid, int(line.json()["result"]["line_id"])


def _draw_body(**changes: Any) -> dict[str, Any]:
    return {"amount": "5000", "installments": 6, "purpose": "travel", "payee": "mi-mall",
            **changes}


def _checkout_body(customer_id: int, **order: Any) -> dict[str, Any]:
    item = {"name": "Xiaomi 14", "category": "electronics", "quantity": 1, "unit_price": "3999"}
    return {"customer_id": customer_id, "installments": 12,
            "order": {"order_id": "O-1", "merchant_id": "mi-mall", "amount": "3999",
                      "items": [item], **order}}


def _refused(r: Any, field: str) -> None:
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_input" and r.json()["field"] == field, r.json()


# -- money --------------------------------------------------------------------------------------
@pytest.mark.parametrize("amount", BAD_MONEY)
def test_a_draw_amount_that_is_not_plain_yuan_is_refused_naming_the_field(
        client: TestClient, engine: Engine, amount: Any) -> None:
    _, line_id = _customer_with_lines(client, engine)
    r = client.post(f"/credit-lines/{line_id}/draws", json=_draw_body(amount=amount),
                    headers={"Idempotency-Key": "d"})
    _refused(r, "amount")
    assert client.get(f"/credit-lines/{line_id}").json()["used"] == "0.00"


@pytest.mark.parametrize("amount", ["1,5", "1e3", "+10", "１０", "١٠"])
def test_every_money_field_refuses_what_is_not_plain_yuan(client: TestClient, engine: Engine,
                                                          amount: str) -> None:
    cid, _ = _customer_with_lines(client, engine)
    headers = {"Idempotency-Key": "k"}
    _refused(client.post("/checkout-loans", json=_checkout_body(cid, amount=amount),
                         headers=headers), "order.amount")
    item = {"name": "phone", "category": "phone", "quantity": 1, "unit_price": amount}
    _refused(client.post("/checkout-loans", json=_checkout_body(cid, items=[item]),
                         headers=headers), "order.items.0.unit_price")
    for path in ("repayments", "refunds", "overpayment-refunds"):
        _refused(client.post(f"/loans/1000001/{path}", json={"amount": amount},
                             headers=headers), "amount")


def test_plain_yuan_is_booked_exactly(client: TestClient, engine: Engine) -> None:
    _, line_id = _customer_with_lines(client, engine)
    r = client.post(f"/credit-lines/{line_id}/draws", json=_draw_body(amount="1234.5"),
                    headers={"Idempotency-Key": "d"})
    assert r.status_code == 201 and r.json()["principal"] == "1234.50"


# -- identifiers, text, counts, items ----------------------------------------------------------
@pytest.mark.parametrize("order, field", [
    ({"merchant_id": "m" * 200_000}, "order.merchant_id"),
    ({"merchant_id": "m" * 65}, "order.merchant_id"),
    ({"merchant_id": "mi mall"}, "order.merchant_id"),
    ({"order_id": ""}, "order.order_id"),
    ({"order_id": "订单1"}, "order.order_id"),
    ({"items": [{"name": "phone", "category": "phone", "quantity": 1,
                 "unit_price": "1"}] * 101}, "order.items"),
    ({"items": [{"name": "p" * 129, "category": "phone", "quantity": 1,
                 "unit_price": "1"}]}, "order.items.0.name"),
    ({"items": [{"name": "phone", "category": "Phone", "quantity": 1,
                 "unit_price": "1"}]}, "order.items.0.category"),
    ({"items": [{"name": "phone", "category": "p" * 33, "quantity": 1,
                 "unit_price": "1"}]}, "order.items.0.category"),
    ({"items": [{"name": "phone", "category": "phone", "quantity": 0,
                 "unit_price": "1"}]}, "order.items.0.quantity"),
    ({"items": [{"name": "phone", "category": "phone", "quantity": 1000,
                 "unit_price": "1"}]}, "order.items.0.quantity"),
    ({"items": [{"name": "phone", "category": "phone", "quantity": "1",
                 "unit_price": "1"}]}, "order.items.0.quantity"),
    ({"items": [{"name": "phone", "category": "phone", "quantity": 1, "unit_price": "1",
                 "sku": "x"}]}, "order.items.0.sku"),
    ({"note": "x"}, "order.note"),
])
def test_a_checkout_order_outside_the_edge_rules_is_refused(
        client: TestClient, engine: Engine, order: dict[str, Any], field: str) -> None:
    cid, _ = _customer_with_lines(client, engine)
    r = client.post("/checkout-loans", json=_checkout_body(cid, **order),
                    headers={"Idempotency-Key": "c"})
    _refused(r, field)


def test_a_checkout_takes_up_to_100_items_at_the_bounds(client: TestClient,
                                                        engine: Engine) -> None:
    cid, _ = _customer_with_lines(client, engine)
    items = [{"name": "p" * 128, "category": "p" + "0" * 31, "quantity": 999,
              "unit_price": "0"}] + [{"name": "case", "category": "phone_case", "quantity": 1,
                                      "unit_price": "39.90"}] * 99
    r = client.post("/checkout-loans", json=_checkout_body(cid, items=items, amount="3950.10"),
                    headers={"Idempotency-Key": "c"})
    assert r.status_code == 201, r.text
    assert r.json()["merchant_id"] == "mi-mall" and r.json()["principal"] == "3950.10"


@pytest.mark.parametrize("changes, field", [
    ({"purpose": "t" * 33}, "purpose"),
    ({"purpose": ""}, "purpose"),
    ({"payee": "p" * 101}, "payee"),
    ({"payee": " 小米商城"}, "payee"),
    ({"payee": "小米\x00商城"}, "payee"),
    ({"installments": "6"}, "installments"),
    ({"installments": 6.0}, "installments"),
    ({"installments": 0}, "installments"),
    ({"installments": 361}, "installments"),
    ({"installments": 2**70}, "installments"),
    ({"method": "m" * 33}, "method"),
    ({"payee_kind": "k" * 33}, "payee_kind"),
    ({"extra": 1}, "extra"),
])
def test_a_draw_body_outside_the_edge_rules_is_refused(
        client: TestClient, engine: Engine, changes: dict[str, Any], field: str) -> None:
    _, line_id = _customer_with_lines(client, engine)
    r = client.post(f"/credit-lines/{line_id}/draws", json=_draw_body(**changes),
                    headers={"Idempotency-Key": "d"})
    _refused(r, field)


def test_interest_free_is_a_json_boolean(client: TestClient, engine: Engine) -> None:
    cid, _ = _customer_with_lines(client, engine)
    body = {**_checkout_body(cid), "interest_free": "yes"}
    _refused(client.post("/checkout-loans", json=body, headers={"Idempotency-Key": "c"}),
             "interest_free")


# -- the repayment's value date --------------------------------------------------------------------
def _drawn_loan(client: TestClient, engine: Engine) -> int:
    _, line_id = _customer_with_lines(client, engine)
    r = client.post(f"/credit-lines/{line_id}/draws", json=_draw_body(),
                    headers={"Idempotency-Key": "draw"})
    assert r.status_code == 201, r.text
    return int(r.json()["loan_id"])


def _repay(client: TestClient, loan_id: int, key: str, effective: Any = None,
           amount: str = "100") -> Any:
    body: dict[str, Any] = {"amount": amount}
    if effective is not None:
        body["effective_date"] = effective
    return client.post(f"/loans/{loan_id}/repayments", json=body,
                       headers={"Idempotency-Key": key})


def test_a_value_date_is_at_most_the_business_date_and_at_least_the_loans_start(
        client: TestClient, engine: Engine) -> None:
    loan_id = _drawn_loan(client, engine)
    bd = advance(engine, 10)
    start = DAY0
    for day in (start - timedelta(days=1), bd + timedelta(days=1)):
        r = _repay(client, loan_id, f"bad-{day}", day.isoformat())
        assert r.status_code == 422 and r.json()["field"] == "effective_date", r.text
    on_start = _repay(client, loan_id, "on-start", start.isoformat())
    assert on_start.status_code == 201, on_start.text
    assert (on_start.json()["back_dated"], on_start.json()["effective_date"],
            on_start.json()["booked_on"]) == (True, "2026-01-05", "2026-01-15")
    today = _repay(client, loan_id, "today", bd.isoformat())
    assert today.status_code == 201
    assert (today.json()["back_dated"], today.json()["booked_on"]) == (False, "2026-01-15")
    assert today.json()["allocation"]["amount"] == "100.00"
    with UnitOfWork(engine, read_only=True) as uow:
        events = uow.conn.execute(select(loan_events.c.kind, loan_events.c.effective_date,
                                         loan_events.c.booked_on)
                                  .order_by(loan_events.c.id)).all()
    assert [tuple(e) for e in events] == [("disbursement", DAY0, DAY0),
                                          ("repayment", DAY0, bd), ("repayment", bd, bd)]
    assert audit_problems(engine) == []


@pytest.mark.parametrize("effective", ["2026-1-5", "20260105", "2026-01-05T00:00", "05/01/2026",
                                       "2026-02-30", 1767571200, ""])
def test_a_value_date_is_written_yyyy_mm_dd(client: TestClient, engine: Engine,
                                            effective: Any) -> None:
    loan_id = _drawn_loan(client, engine)
    _refused(_repay(client, loan_id, "k", effective), "effective_date")


def test_a_refund_takes_no_value_date(client: TestClient, engine: Engine) -> None:
    loan_id = _drawn_loan(client, engine)
    r = client.post(f"/loans/{loan_id}/refunds",
                    json={"amount": "1", "effective_date": "2026-01-05"},
                    headers={"Idempotency-Key": "r"})
    _refused(r, "effective_date")


# -- one command from the API and the CLI ----------------------------------------------------
def _repayments(engine: Engine) -> int:
    with UnitOfWork(engine, read_only=True) as uow:
        return int(uow.conn.execute(select(func.count()).select_from(loan_events)
                                    .where(loan_events.c.kind == "repayment")).scalar_one())


def test_the_same_key_from_the_api_then_the_cli_is_one_repayment(
        client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    loan_id = _drawn_loan(client, engine)
    advance(engine, 3)
    first = _repay(client, loan_id, "pay-42", amount="917.99")
    assert first.status_code == 201, first.text
    cli = make_cli(engine, monkeypatch)
    code, out = cli("repay", "--loan", str(loan_id), "--amount", "917.99", "--key", "pay-42")
    assert code == 0, out
    assert json.loads(out) == first.json()
    assert _repayments(engine) == 1
    code, out = cli("repay", "--loan", str(loan_id), "--amount", "918", "--key", "pay-42")
    assert code == 2 and "pay-42" in out and "different repay" in out
    code, out = cli("repay", "--loan", str(loan_id), "--amount", "1", "--key", "bad key")
    assert code == 2 and out.startswith("error: --key: ")
    assert _repayments(engine) == 1


def test_the_same_key_from_the_cli_then_the_api_is_one_back_dated_repayment(
        client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    loan_id = _drawn_loan(client, engine)
    advance(engine, 3)
    cli = make_cli(engine, monkeypatch)
    code, out = cli("repay", "--loan", str(loan_id), "--amount", "100", "--on", "2026-01-06",
                    "--key", "late-1")
    assert code == 0, out
    assert json.loads(out)["back_dated"] is True
    again = _repay(client, loan_id, "late-1", "2026-01-06")
    assert again.status_code == 201 and again.json() == json.loads(out)
    assert _repayments(engine) == 1


@pytest.mark.parametrize("args, field", [
    (("--amount", "1,5"), "--amount"),
    (("--amount", "１０"), "--amount"),
    (("--amount", "10", "--on", "2026-1-6"), "--on"),
    (("--amount", "10", "--on", "2026-01-04"), "effective_date"),
    (("--amount", "10", "--on", "2026-01-09"), "effective_date"),
])
def test_the_cli_refuses_a_bad_repayment_in_one_line(
        client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch,
        args: tuple[str, ...], field: str) -> None:
    loan_id = _drawn_loan(client, engine)
    advance(engine, 3)
    cli = make_cli(engine, monkeypatch)
    code, out = cli("repay", "--loan", str(loan_id), *args)
    assert code == 2 and out.startswith(f"error: {field}: "), out
    assert _repayments(engine) == 0


def test_the_cli_refuses_a_long_merchant_id_in_one_line(
        client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    cid, _ = _customer_with_lines(client, engine)
    cli = make_cli(engine, monkeypatch)
    code, out = cli("checkout", "--customer", str(cid), "--order-id", "O1", "--merchant",
                    "m" * 200_000, "--amount", "3999", "--installments", "12")
    assert code == 2 and out.startswith("error: --merchant: ")
    code, out = cli("checkout", "--customer", str(cid), "--order-id", "O1", "--merchant",
                    "mi-mall", "--amount", "3999", "--installments", "12", "--item",
                    "electronics:1:3999:Xiaomi 14", "--key", "co-1")
    assert code == 0 and json.loads(out)["payee"] == "merchant:mi-mall"
