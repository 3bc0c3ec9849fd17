"""The servicing API: one error shape, money as strings, idempotency over HTTP, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lendcore.api.app import create_app
from tests.auth import approve, signed_in
from tests.servicing.helpers import advance, start_book


@pytest.fixture()
def client(engine: Engine) -> Iterator[TestClient]:
    start_book(engine, date(2026, 1, 5))
    with TestClient(create_app(engine), raise_server_exceptions=False) as c:
        yield signed_in(c, engine)


def _line(client: TestClient, engine: Engine) -> int:
    """A cash line, opened by the signed-in administrator and approved by another (four eyes)."""
    customer = client.post("/customers", json={}).json()["customer_id"]
    line = approve(client, engine, client.post("/credit-lines", json={
        "customer_id": customer, "product": "cash-line", "limit": "20000"}))
    assert line.status_code == 200, line.text
    return int(line.json()["result"]["line_id"])


def _draw(client: TestClient, line_id: int, key: str = "d1") -> dict:  # type: ignore[type-arg]
    body = {"amount": "5000", "installments": 6, "purpose": "travel", "payee": "mi-mall"}
    r = client.post(f"/credit-lines/{line_id}/draws", json=body,
                    headers={"Idempotency-Key": key})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_openapi_describes_the_servicing_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/loans/{loan_id}/repayments" in paths and "/credit-lines/{line_id}/draws" in paths


def test_a_json_number_for_money_is_refused_naming_the_field(
        client: TestClient, engine: Engine) -> None:
    line_id = _line(client, engine)
    r = client.post(f"/credit-lines/{line_id}/draws", headers={"Idempotency-Key": "n"},
                    json={"amount": 5000, "installments": 6, "purpose": "travel", "payee": "x"})
    assert r.status_code == 422
    assert r.json()["error"] == "invalid_input" and r.json()["field"] == "amount"


def test_money_with_three_decimals_is_refused_with_what_is_accepted(
        client: TestClient, engine: Engine) -> None:
    line_id = _line(client, engine)
    r = client.post(f"/credit-lines/{line_id}/draws", headers={"Idempotency-Key": "n"},
                    json={"amount": "1.001", "installments": 6, "purpose": "t", "payee": "x"})
    assert r.status_code == 422 and r.json()["field"] == "amount"
    assert "2 decimals" in r.json()["detail"]


def test_a_money_moving_command_without_an_idempotency_key_is_refused(
        client: TestClient, engine: Engine) -> None:
    line_id = _line(client, engine)
    r = client.post(f"/credit-lines/{line_id}/draws",
                    json={"amount": "100", "installments": 3, "purpose": "t", "payee": "x"})
    assert r.status_code == 422 and r.json()["field"] == "Idempotency-Key"


def test_repeating_a_draw_returns_the_first_loan_and_reusing_the_key_is_a_409(
        client: TestClient, engine: Engine) -> None:
    line_id = _line(client, engine)
    first = _draw(client, line_id, "k")
    assert _draw(client, line_id, "k") == first
    body = {"amount": "6000", "installments": 6, "purpose": "travel", "payee": "x"}
    r = client.post(f"/credit-lines/{line_id}/draws", json=body, headers={"Idempotency-Key": "k"})
    assert r.status_code == 409 and r.json()["error"] == "idempotency_conflict"
    line = client.get(f"/credit-lines/{line_id}").json()
    assert line["used"] == "5000.00"


def test_repayment_statement_and_payoff_through_the_api(client: TestClient,
                                                         engine: Engine) -> None:
    loan = _draw(client, _line(client, engine))
    advance(engine, 31)
    loan_id = loan["loan_id"]
    statement = client.get(f"/loans/{loan_id}/statement").json()
    apr_percent = statement["rates"]["apr_nominal"]["annual"]  # the statement shows percent
    assert Decimal(apr_percent.rstrip("%")) / 100 == Decimal(loan["apr_nominal"])
    assert statement["due_now"]["total"] != "0.00"
    r = client.post(f"/loans/{loan_id}/repayments",
                    json={"amount": statement["due_now"]["total"]},
                    headers={"Idempotency-Key": "r1"})
    assert r.status_code == 201, r.text
    assert client.get(f"/loans/{loan_id}/statement").json()["due_now"]["total"] == "0.00"
    payoff = client.get(f"/loans/{loan_id}/payoff", params={"on": "2026-03-01"}).json()
    assert payoff["total"] != "0.00"


def test_unknown_loans_and_bad_dates_are_4xx_in_one_shape(client: TestClient) -> None:
    r = client.get("/loans/999/statement")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = client.get("/loans/999/payoff", params={"on": "2026-13-01"})
    assert r.status_code == 422 and r.json()["field"] == "on"
    r = client.post("/loans/abc/repayments", json={"amount": "1"})
    assert r.status_code == 422 and set(r.json()) == {"error", "detail", "field"}


def test_a_prohibited_purpose_is_a_422_with_the_reason(client: TestClient, engine: Engine) -> None:
    line_id = _line(client, engine)
    r = client.post(f"/credit-lines/{line_id}/draws", headers={"Idempotency-Key": "p"},
                    json={"amount": "100", "installments": 3, "purpose": "property",
                          "payee": "mi-mall"})
    assert r.status_code == 422 and r.json()["error"] == "purpose_not_accepted"
    assert r.json()["field"] == "purpose" and "travel (旅游, travel)" in r.json()["detail"]
