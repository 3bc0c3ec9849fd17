"""Customers and credit lines through the API and the CLI (SQLite and PostgreSQL).

The worked case of issue 12: a customer's cash line was approved at 20,000; "opening" it again
with 50,000 used to overwrite the limit silently, with no decision and no ``limit_changes`` row.
Now a second open is a 409 ``line_exists`` that changes nothing, and a limit changes only by a
limit change that names its reason, the decision or review it rests on, and who made it.

Opening a line, raising a limit and a limit with no decision or review behind it need four eyes
(issue 13): the signed-in maker's request is answered 202 and runs when another administrator
(``checker``) approves it; ``_decided`` stands for the command's answer once that is done.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from lendcore.api.app import create_app
from lendcore.clock import SimulatedClock
from lendcore.store.origination_tables import decisions, limit_changes, reviews
from lendcore.store.uow import UnitOfWork
from tests.auth import add_staff, approve, signed_in
from tests.servicing.helpers import make_cli, start_book

DAY0 = date(2026, 1, 5)
Cli = Any


@pytest.fixture()
def client(engine: Engine) -> Iterator[TestClient]:
    start_book(engine, DAY0)
    app = create_app(engine, clock=SimulatedClock(datetime(2026, 1, 5, 2, 0, tzinfo=UTC)))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield signed_in(c, engine)


@pytest.fixture()
def cli(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return make_cli(engine, monkeypatch, operator="ops.wang")


@pytest.fixture()
def checker_cli(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """``approve(pending answer printed by the CLI) -> (exit code, stdout)``: ``lendcore pending
    approve N`` run by a second local operator, ``ops.li`` (an administrator)."""
    import typer
    from typer.testing import CliRunner

    from lendcore.access import commands as access_cli
    from lendcore.errors import LendcoreError

    add_staff(engine, "ops.li", "administrator")
    app = typer.Typer()
    app.add_typer(access_cli.pending_app, name="pending")

    def approve_printed(printed: str) -> tuple[int, str]:
        pending_id = json.loads(printed)["pending_id"]
        with monkeypatch.context() as m:
            m.setenv("LENDCORE_OPERATOR", "ops.li")
            result = CliRunner().invoke(app, ["pending", "approve", str(pending_id),
                                              "--reason", "checked in a test"])
        if isinstance(result.exception, LendcoreError):
            return 2, f"error: {result.exception}"
        return result.exit_code, result.stdout

    return approve_printed


class _Decided:
    """The answer of a command once four eyes are done: a 202 (pending) answer is approved by
    a second administrator and stands for what the command answered when it ran (its result,
    or its refusal); any other answer is itself."""

    def __init__(self, client: TestClient, engine: Engine, response: Any) -> None:
        if response.status_code == 202:
            response = approve(client, engine, response)
        body = response.json()
        if response.status_code == 200 and isinstance(body, dict) and "result" in body:
            self.approval: dict[str, Any] | None = body
            body = body["result"]
        else:
            self.approval = None
        self.status_code = response.status_code
        self.text = response.text
        self._body = body

    def json(self) -> Any:
        return self._body


def _customer(client: TestClient, **body: Any) -> int:
    r = client.post("/customers", json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["customer_id"])


def _open(client: TestClient, engine: Engine, customer_id: int, limit: Any,
          product: str = "cash-line") -> _Decided:
    return _Decided(client, engine, client.post("/credit-lines", json={
        "customer_id": customer_id, "product": product, "limit": limit}))


def _set_limit(client: TestClient, engine: Engine, line_id: int, body: dict[str, Any]) -> _Decided:
    return _Decided(client, engine, client.post(f"/credit-lines/{line_id}/limit", json=body))


def _changes(engine: Engine, line_id: int) -> list[Any]:
    with UnitOfWork(engine, read_only=True) as uow:
        return list(uow.conn.execute(select(limit_changes).where(
            limit_changes.c.credit_line_id == line_id).order_by(limit_changes.c.id)).all())


def _decision(engine: Engine, customer_id: int, *, review: bool = False) -> tuple[int, int | None]:
    """An approval of ``customer_id`` on record (and a decided review of it)."""
    with UnitOfWork(engine) as uow:
        decision_id = uow.conn.execute(decisions.insert().values(
            decided_on=DAY0, product_code="cash-line", outcome="refer", reasons_json="[]",
            customer_id=customer_id)).inserted_primary_key[0]
        review_id = None
        if review:
            review_id = uow.conn.execute(reviews.insert().values(
                decision_id=decision_id, requested_on=DAY0, status="decided",
                outcome="approve", reviewer="li.wei", decided_on=DAY0)).inserted_primary_key[0]
        uow.commit()
    return int(decision_id), None if review_id is None else int(review_id)


# -- the worked case: opening an existing line ----------------------------------------------------
def test_opening_an_existing_line_with_another_limit_is_a_409_and_the_limit_stays(
        client: TestClient, engine: Engine) -> None:
    cid = _customer(client)
    first = _open(client, engine, cid, "20000")
    assert first.status_code == 200, first.text
    line_id = first.json()["line_id"]
    again = _open(client, engine, cid, "50000")
    assert again.status_code == 409
    assert again.json()["error"] == "line_exists" and again.json()["field"] == "customer_id"
    line = client.get(f"/credit-lines/{line_id}").json()
    assert (line["limit"], line["available"], line["status"]) == ("20000.00", "20000.00", "open")
    assert [(c.action, c.new_limit_fen) for c in _changes(engine, line_id)] == [
        ("open", 2_000_000)]


def test_the_cli_refuses_to_open_an_existing_line_again_and_the_limit_stays(
        client: TestClient, engine: Engine, cli: Cli, checker_cli: Cli) -> None:
    code, out = cli("customer", "create", "--name", "张**")
    assert code == 0, out
    cid = json.loads(out)["customer_id"]
    code, out = cli("line", "open", "--customer", str(cid), "--limit", "20000")
    assert code == 0 and json.loads(out)["status"] == "pending_approval", out
    code, out = checker_cli(out)
    assert code == 0, out
    approved = json.loads(out)
    assert (approved["maker"], approved["checker"]) == ("ops.wang", "ops.li")
    line_id = approved["result"]["line_id"]
    code, out = cli("line", "open", "--customer", str(cid), "--limit", "50000")
    assert code == 2  # refused to its maker at once: a proposal that could never run
    assert out.startswith("error: customer_id: ") and "already has a cash-line line" in out
    code, out = cli("line", "show", str(line_id))
    assert code == 0 and json.loads(out)["limit"] == "20000.00"
    assert [c.actor for c in _changes(engine, line_id)] == ["ops.li"]  # who ran it: the checker


# -- limit changes ------------------------------------------------------------------------------
def test_a_limit_change_is_logged_with_its_reason_actor_and_basis(
        client: TestClient, engine: Engine) -> None:
    cid = _customer(client)
    line_id = _open(client, engine, cid, "20000").json()["line_id"]
    decision_id, review_id = _decision(engine, cid, review=True)
    r = _set_limit(client, engine, line_id, {
        "limit": "50000", "reason": "income verified by hand", "decision_id": decision_id,
        "review_id": review_id})
    assert r.status_code == 200, r.text
    # a raise: proposed by the signed-in admin, run when the checker approved it
    assert r.approval is not None
    assert (r.approval["maker"], r.approval["checker"]) == ("admin", "checker")
    assert r.json()["line"]["limit"] == "50000.00"
    assert r.json()["change"] == {
        "action": "raise", "old_limit": "20000.00", "new_limit": "50000.00",
        "reason": "income verified by hand", "decision_id": decision_id,
        "review_id": review_id, "actor": "checker", "business_date": "2026-01-05"}
    logged = _changes(engine, line_id)[-1]
    assert (logged.action, logged.old_limit_fen, logged.new_limit_fen) == (
        "raise", 2_000_000, 5_000_000)
    assert (logged.decision_id, logged.review_id, logged.actor) == (
        decision_id, review_id, "checker")
    assert json.loads(logged.reasons_json) == [
        {"code": "operator", "detail": "income verified by hand"}]
    assert logged.business_date == DAY0


def test_the_cli_sets_a_limit_as_the_operator_with_its_basis(
        client: TestClient, engine: Engine, cli: Cli) -> None:
    cid = _customer(client)
    line_id = _open(client, engine, cid, "20000").json()["line_id"]
    decision_id, _ = _decision(engine, cid)
    # a cut resting on a decision needs no checker: it runs as the operator
    code, out = cli("line", "set-limit", str(line_id), "--limit", "8000", "--reason",
                    "two missed payments elsewhere", "--decision", str(decision_id))
    assert code == 0, out
    assert json.loads(out)["change"]["action"] == "cut"
    logged = _changes(engine, line_id)[-1]
    assert (logged.action, logged.new_limit_fen, logged.actor, logged.decision_id,
            logged.review_id) == ("cut", 800_000, "ops.wang", decision_id, None)
    code, out = cli("line", "set-limit", str(line_id), "--limit", "9000", "--reason", " ")
    assert code == 2 and out.startswith("error: --reason: ")


@pytest.mark.parametrize("body, field", [
    ({"limit": "50000"}, "reason"),
    ({"limit": "50000", "reason": ""}, "reason"),
    ({"limit": "50000", "reason": "x" * 256}, "reason"),
    ({"limit": "50000", "reason": "ok", "decision_id": 0}, "decision_id"),
    ({"limit": "50000", "reason": "ok", "unknown": 1}, "unknown"),
])
def test_a_limit_change_without_a_proper_reason_or_basis_is_refused(
        client: TestClient, engine: Engine, body: dict[str, Any], field: str) -> None:
    line_id = _open(client, engine, _customer(client), "20000").json()["line_id"]
    r = _set_limit(client, engine, line_id, body)
    assert r.status_code == 422 and r.json()["field"] == field
    assert len(_changes(engine, line_id)) == 1


def test_a_basis_of_another_customer_or_none_at_all_is_refused_and_changes_nothing(
        client: TestClient, engine: Engine) -> None:
    cid = _customer(client)
    line_id = _open(client, engine, cid, "20000").json()["line_id"]
    other_decision, other_review = _decision(engine, _customer(client), review=True)
    own_decision, _ = _decision(engine, cid)
    for extra, field in (({"decision_id": other_decision}, "decision_id"),
                         ({"review_id": other_review}, "review_id"),
                         ({"decision_id": 999_999}, "decision_id"),
                         ({"review_id": 999_999}, "review_id")):
        r = _set_limit(client, engine, line_id, {"limit": "30000", "reason": "r", **extra})
        assert r.status_code == 422 and r.json()["field"] == field, r.text
    ok = _set_limit(client, engine, line_id,
                    {"limit": "30000", "reason": "r", "decision_id": own_decision})
    assert ok.status_code == 200
    assert client.get(f"/credit-lines/{line_id}").json()["limit"] == "30000.00"
    assert [c.action for c in _changes(engine, line_id)] == ["open", "raise"]


def test_a_limit_is_500_to_50000_yuan_on_a_cash_line_both_ends_included(
        client: TestClient, engine: Engine) -> None:
    cid = _customer(client)
    assert _open(client, engine, cid, "499.99").json()["field"] == "limit"
    line_id = _open(client, engine, cid, "500").json()["line_id"]
    top = _set_limit(client, engine, line_id, {"limit": "50000", "reason": "r"})
    assert top.status_code == 200, top.text
    too_high = _set_limit(client, engine, line_id, {"limit": "50000.01", "reason": "r"})
    assert too_high.status_code == 422 and too_high.json()["field"] == "limit"
    same = _set_limit(client, engine, line_id, {"limit": "50000", "reason": "r"})
    assert same.status_code == 422 and same.json()["error"] == "limit_unchanged"


# -- freeze, unfreeze, close --------------------------------------------------------------------
def _draw(client: TestClient, line_id: int, key: str) -> Any:
    return client.post(f"/credit-lines/{line_id}/draws", headers={"Idempotency-Key": key},
                       json={"amount": "1000", "installments": 3, "purpose": "travel",
                             "payee": "mi-mall"})


def test_a_frozen_line_refuses_draws_until_unfrozen_and_a_closed_one_for_good(
        client: TestClient, engine: Engine) -> None:
    line_id = _open(client, engine, _customer(client), "20000").json()["line_id"]
    frozen = client.post(f"/credit-lines/{line_id}/freeze", json={"reason": "fraud alert"})
    assert frozen.status_code == 200 and frozen.json()["line"]["frozen_reason"] == "fraud alert"
    assert _draw(client, line_id, "d1").json()["error"] == "line_frozen"
    twice = client.post(f"/credit-lines/{line_id}/freeze", json={"reason": "again"})
    assert twice.status_code == 422 and twice.json()["error"] == "line_frozen"
    assert client.post(f"/credit-lines/{line_id}/unfreeze",
                       json={"reason": "cleared"}).status_code == 200
    assert _draw(client, line_id, "d2").status_code == 201
    not_frozen = client.post(f"/credit-lines/{line_id}/unfreeze", json={"reason": "x"})
    assert not_frozen.json()["error"] == "line_not_frozen"
    closed = client.post(f"/credit-lines/{line_id}/close", json={"reason": "customer asked"})
    assert closed.status_code == 200 and closed.json()["line"]["status"] == "closed"
    assert _draw(client, line_id, "d3").json()["error"] == "line_closed"
    for path, body in (("close", {"reason": "x"}), ("freeze", {"reason": "x"}),
                       ("limit", {"limit": "1000", "reason": "x"})):
        r = _Decided(client, engine, client.post(f"/credit-lines/{line_id}/{path}", json=body))
        assert r.status_code == 422 and r.json()["error"] == "line_closed"
    assert [c.action for c in _changes(engine, line_id)] == [
        "open", "freeze", "unfreeze", "close"]
    line = client.get(f"/credit-lines/{line_id}").json()
    assert (line["used"], line["limit"]) == ("1000.00", "20000.00")


def test_the_cli_freezes_unfreezes_and_closes_a_line(client: TestClient, engine: Engine,
                                                     cli: Cli) -> None:
    line_id = _open(client, engine, _customer(client), "20000").json()["line_id"]
    code, out = cli("line", "freeze", str(line_id), "--reason", "fraud alert")
    assert code == 0 and json.loads(out)["line"]["frozen"] is True
    code, out = cli("line", "unfreeze", str(line_id), "--reason", "cleared")
    assert code == 0 and json.loads(out)["line"]["frozen"] is False
    code, out = cli("line", "close", str(line_id), "--reason", "customer asked")
    assert code == 0 and json.loads(out)["line"]["status"] == "closed"
    code, out = cli("line", "close", str(line_id), "--reason", "again")
    assert code == 2 and out.startswith("error: line_id: ")


# -- customers ----------------------------------------------------------------------------------
def test_a_customer_shows_with_their_lines(client: TestClient, engine: Engine) -> None:
    cid = _customer(client, name_masked="张**", timezone="Asia/Urumqi", external_ref="crm:42")
    assert _open(client, engine, cid, "20000").status_code == 200
    assert _open(client, engine, cid, "8000", product="checkout-installment").status_code == 200
    shown = client.get(f"/customers/{cid}").json()
    assert (shown["name_masked"], shown["timezone"], shown["external_ref"],
            shown["created_on"]) == ("张**", "Asia/Urumqi", "crm:42", "2026-01-05")
    assert [(x["product"], x["limit"]) for x in shown["lines"]] == [
        ("cash-line", "20000.00"), ("checkout-installment", "8000.00")]
    assert client.get("/customers/999999").status_code == 404
    again = client.post("/customers", json={"external_ref": "crm:42"})
    assert again.status_code == 409 and again.json()["error"] == "duplicate_external_ref"


@pytest.mark.parametrize("body, field", [
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": "Europe/Paris"}, "timezone"),  # a real zone, not one this lender serves
    ({"external_ref": "x" * 200_000}, "external_ref"),
    ({"external_ref": "crm 42"}, "external_ref"),
    ({"name_masked": "张" * 65}, "name_masked"),
    ({"name_masked": "张\u202e**"}, "name_masked"),  # a bidirectional override
    ({"nickname": "x"}, "nickname"),
])
def test_a_customer_body_outside_the_edge_rules_is_refused_naming_the_field(
        client: TestClient, body: dict[str, Any], field: str) -> None:
    r = client.post("/customers", json=body)
    assert r.status_code == 422 and r.json()["field"] == field, r.text


def test_the_cli_refuses_a_time_zone_outside_the_served_set_in_one_line(cli: Cli,
                                                                       engine: Engine) -> None:
    start_book(engine, DAY0)
    code, out = cli("customer", "create", "--timezone", "Mars/Olympus")
    assert code == 2 and out.startswith("error: --timezone: ") and "\n" not in out
    code, out = cli("customer", "create", "--external-ref", "x" * 200_000)
    assert code == 2 and out.startswith("error: --external-ref: ")
    code, out = cli("line", "open", "--customer", "1", "--limit", "1,5")
    assert code == 2 and out.startswith("error: --limit: ")
    code, out = cli("customer", "show", "0")
    assert code == 2 and out.startswith("error: customer_id: ")


@pytest.mark.parametrize("limit", ["1,5", "1_000", "1e3", "+10", ".5", " 10", "１０", "١٠",
                                   "10.001", 2000])
def test_a_limit_that_is_not_plain_yuan_is_refused(client: TestClient, engine: Engine,
                                                   limit: Any) -> None:
    r = _open(client, engine, _customer(client), limit)
    assert r.status_code == 422 and r.json()["field"] == "limit"
