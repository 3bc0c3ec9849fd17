"""The decision API and CLI: strict edges naming the field, the server's date and time, the review
workflow end to end, one request pipeline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from origination_helpers import ON, body, make_id
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from lendcore.api.app import create_app
from lendcore.clock import LENDER_ZONE, SimulatedClock
from lendcore.origination import commands, routes
from lendcore.store.core_tables import credit_lines, customers
from lendcore.store.origination_tables import decisions, reviews
from tests.auth import signed_in

NOW = datetime(2025, 6, 2, 21, 30, tzinfo=LENDER_ZONE)


@pytest.fixture()
def client(engine: Engine) -> Iterator[TestClient]:
    app: FastAPI = create_app(engine, clock=SimulatedClock(NOW))
    with TestClient(app) as c:
        yield signed_in(c, engine)


def rows(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_an_application_is_decided_with_money_as_strings(client: TestClient) -> None:
    r = client.post("/applications", json=body())
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["decision"] == "approve" and out["limit"] == "20000.00"
    assert (out["daily_rate"], out["annual_rate"]) == ("0.0002", "0.073")
    assert set(out) >= {"decision", "reasons", "score", "limit", "daily_rate", "annual_rate",
                        "reapply_after", "decision_id", "customer_id", "line_id"}


def test_a_decision_carries_the_servers_business_date_and_time(client: TestClient) -> None:
    out = client.post("/applications", json=body()).json()
    assert out["decided_on"] == ON.isoformat()
    assert datetime.fromisoformat(out["decided_at"]) == NOW


def test_an_application_date_in_the_body_is_refused_and_nothing_is_written(
        client: TestClient, engine: Engine) -> None:
    """The issue's attack: a 16-year-old sent application_date 2030-01-01 to be 20 on paper."""
    sixteen = make_id(ON.replace(year=ON.year - 16))
    r = client.post("/applications", json=body(id_number=sixteen,
                                               application_date="2030-01-01"))
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "application_date" and r.json()["error"] == "invalid_input"
    assert rows(engine, decisions) == rows(engine, customers) == rows(engine, credit_lines) == 0
    honest = client.post("/applications", json=body(id_number=sixteen)).json()
    assert honest["decision"] == "decline" and honest["reasons"][0]["code"] == "age_under_18"
    assert honest["decided_on"] == ON.isoformat()


def test_a_declines_wait_runs_from_the_servers_business_date(client: TestClient) -> None:
    out = client.post("/applications", json=body(occupation="student")).json()
    assert out["decision"] == "decline" and out["reapply_after"] == "2025-11-29"  # ON + 180


def test_the_same_idempotency_key_decides_once_and_another_body_under_it_is_a_409(
        client: TestClient, engine: Engine) -> None:
    first = client.post("/applications", json=body(), headers={"Idempotency-Key": "app-1"})
    again = client.post("/applications", json=body(), headers={"Idempotency-Key": "app-1"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    other = client.post("/applications", json=body(amount="600"),
                        headers={"Idempotency-Key": "app-1"})
    assert other.status_code == 409 and other.json()["error"] == "idempotency_conflict"
    bad = client.post("/applications", json=body(), headers={"Idempotency-Key": "no spaces"})
    assert bad.status_code == 422 and bad.json()["field"] == "Idempotency-Key"
    assert rows(engine, decisions) == 1


def test_a_missing_key_is_a_422_naming_the_field(client: TestClient) -> None:
    payload = body()
    del payload["monthly_income"]
    r = client.post("/applications", json=payload)
    assert r.status_code == 422
    assert r.json()["field"] == "monthly_income" and r.json()["error"] == "invalid_input"


def test_the_decision_route_is_an_ordinary_route_of_the_one_pipeline(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Broken JSON, a wrong content type and a failure come back in the app's one shape."""
    client = signed_in(TestClient(create_app(engine, clock=SimulatedClock(NOW)),
                                  raise_server_exceptions=False), engine)
    r = client.post("/applications", content=b"{not json",
                    headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_json"
    r = client.post("/applications", content=b"name=x",
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415
    assert not hasattr(routes, "DIRECT_ROUTES")

    def broken(*_args: object, **_kw: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(routes.Decide, "run", broken)
    r = client.post("/applications", json=body())
    assert r.status_code == 500
    assert r.json() == {"error": "internal", "detail": "internal error", "field": None}
    spec = client.get("/openapi.json").json()
    assert "requestBody" in spec["paths"]["/applications"]["post"]


def test_a_json_number_for_money_is_refused_naming_the_field(client: TestClient) -> None:
    r = client.post("/applications", json=body(amount=5000))
    assert r.status_code == 422 and r.json()["field"] == "amount"
    r = client.post("/applications", json=body(ecosystem={"device_user": True,
                                                           "consumption_months": 30,
                                                           "spend_12m": 20000.5}))
    assert r.json()["field"] == "ecosystem.spend_12m"


GOOD_PROFILE = body()["profile"]


@pytest.mark.parametrize(("overrides", "field"), [
    # name: Text(64)
    ({"name": "张" * 65}, "name"),
    ({"name": ""}, "name"),
    ({"name": " 张三"}, "name"),
    ({"name": "张\u202e三"}, "name"),  # a bidirectional override
    # id_number: 17 ASCII digits then a digit or X
    ({"id_number": "11010119900307001"}, "id_number"),
    ({"id_number": "1101011990030700111"}, "id_number"),
    ({"id_number": "11010119900307001x"}, "id_number"),
    ({"id_number": "１１０１０１１９９００３０７００１１"}, "id_number"),
    ({"id_number": "110101199003070011\n"}, "id_number"),
    # mobile: 11 ASCII digits (and a mainland number)
    ({"mobile": "1381234567"}, "mobile"),
    ({"mobile": "138123456789"}, "mobile"),
    ({"mobile": "1381234567８"}, "mobile"),
    ({"mobile": "+8613812345678"}, "mobile"),
    ({"mobile": "12345678901"}, "mobile"),
    # id_expiry
    ({"id_expiry": "Long-Term"}, "id_expiry"),
    ({"id_expiry": "2025-13-01"}, "id_expiry"),
    # product, occupation, installments
    ({"product": "gold-card"}, "product"),
    ({"product": "x" * 65}, "product"),
    ({"occupation": "astronaut"}, "occupation"),
    ({"installments": "12"}, "installments"),
    ({"installments": 12.0}, "installments"),
    ({"installments": 0}, "installments"),
    ({"installments": 13}, "installments"),  # the cash line offers 1-12
    ({"installments": 25}, "installments"),
    # money
    ({"amount": "499.99"}, "amount"),
    ({"amount": "1,5"}, "amount"),
    ({"amount": "5000.001"}, "amount"),
    ({"monthly_income": "1e4"}, "monthly_income"),
    ({"monthly_debt_payments": " 10"}, "monthly_debt_payments"),
    ({"ecosystem": {"device_user": True, "consumption_months": 30, "spend_12m": "+1"}},
     "ecosystem.spend_12m"),
    ({"ecosystem": {"device_user": True, "consumption_months": 1201, "spend_12m": "1"}},
     "ecosystem.consumption_months"),
    ({"ecosystem": {"device_user": 1, "consumption_months": 30, "spend_12m": "1"}},
     "ecosystem.device_user"),
    ({"ecosystem": {"device_user": True, "consumption_months": 30, "spend_12m": "1",
                    "extra": 1}}, "ecosystem.extra"),
    # consents: JSON booleans only
    ({"consents": {"credit_query": "yes", "sensitive_data": True}}, "consents.credit_query"),
    ({"consents": {"credit_query": True, "sensitive_data": 1}}, "consents.sensitive_data"),
    # timezone
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": "Europe/Paris"}, "timezone"),
    # profile: exactly the attributes, each with its accepted values
    ({"profile": {**GOOD_PROFILE, "housing": "castle"}}, "profile.housing"),
    ({"profile": {**GOOD_PROFILE, "favourite_colour": "blue"}}, "profile.favourite_colour"),
    ({"profile": {k: v for k, v in GOOD_PROFILE.items() if k != "job"}}, "profile.job"),
    ({"profile": {**GOOD_PROFILE, "duration_in_month": 121}}, "profile.duration_in_month"),
    ({"profile": {**GOOD_PROFILE, "duration_in_month": "12"}}, "profile.duration_in_month"),
    ({"profile": {**GOOD_PROFILE, "credit_amount": 2500}}, "profile.credit_amount"),
    ({"profile": {**GOOD_PROFILE, "credit_amount": "2,500"}}, "profile.credit_amount"),
    # unknown fields, the date first
    ({"application_date": "2025-06-02"}, "application_date"),
    ({"decided_on": "2025-06-02"}, "decided_on"),
])
def test_ill_typed_or_out_of_range_inputs_name_their_field(
        client: TestClient, engine: Engine, overrides: dict[str, object], field: str) -> None:
    r = client.post("/applications", json=body(**overrides))
    assert r.status_code == 422 and r.json()["field"] == field, r.text
    assert rows(engine, decisions) == 0


@pytest.mark.parametrize("overrides", [
    {"name": "张" * 64},
    {"name": "Ab"},
    {"id_number": "11010519491231002X"},
    {"id_expiry": "2035-01-01"},
    {"installments": 1},
    {"installments": 12},
    {"amount": "500"},
    {"amount": "50000.00"},
    {"monthly_debt_payments": "0"},
    {"timezone": "Asia/Urumqi"},
    {"consents": {"credit_query": False, "sensitive_data": True}},
    {"profile": {**GOOD_PROFILE, "credit_amount": "999999999999999.99"}},
    {"profile": {**GOOD_PROFILE, "duration_in_month": 120}},
])
def test_inputs_at_the_edge_of_each_rule_are_accepted(
        client: TestClient, overrides: dict[str, object]) -> None:
    r = client.post("/applications", json=body(**overrides))
    assert r.status_code == 201, r.text


def test_explanation_review_request_queue_and_outcome(client: TestClient) -> None:
    decided = client.post("/applications", json=body(occupation="student")).json()
    did = decided["decision_id"]
    explained = client.get(f"/decisions/{did}").json()
    assert explained["reasons"][0]["code"] == "student_not_targeted"
    assert explained["inputs"]["name"] == "张**" and explained["decided_on"] == ON.isoformat()
    req = client.post(f"/decisions/{did}/review-request", json={"reason": "please check"})
    assert req.status_code == 201, req.text
    assert req.json()["requested_on"] == ON.isoformat()
    assert datetime.fromisoformat(req.json()["requested_at"]) == NOW
    queue = client.get("/reviews").json()
    assert queue[0]["decision"]["score"] == decided["score"]
    rid = req.json()["review_id"]
    # the reviewer is the signed-in user: a name typed in the body is refused
    bad = client.post(f"/reviews/{rid}/outcome", json={
        "outcome": "decline", "reviewer": "li.wei", "reason": "x"})
    assert bad.status_code == 422 and bad.json()["field"] == "reviewer"
    ok = client.post(f"/reviews/{rid}/outcome", json={"outcome": "decline", "reason": "student"})
    assert ok.status_code == 200 and ok.json()["reviewer"] == "admin"
    assert ok.json()["decided_on"] == ON.isoformat()
    assert client.get("/reviews").json() == []
    assert client.get("/decisions/999999").status_code == 404


@pytest.mark.parametrize(("path", "payload", "field"), [
    ("request", {"requested_on": "2025-06-03"}, "requested_on"),
    ("request", {"reason": "x" * 2001}, "reason"),
    ("request", {"reason": "bad\u0000byte"}, "reason"),
    ("request", {"reason": 5}, "reason"),
    ("outcome", {"outcome": "decline", "reason": "x", "decided_on": "2025-06-04"},
     "decided_on"),
    ("outcome", {"outcome": "maybe", "reason": "x"}, "outcome"),
    # the reviewer is the signed-in user: the body may not name one
    ("outcome", {"outcome": "decline", "reviewer": "li", "reason": "x"}, "reviewer"),
    ("outcome", {"outcome": "decline", "reason": "x" * 2001}, "reason"),
    ("outcome", {"outcome": "decline", "reason": ""}, "reason"),
])
def test_review_bodies_refuse_dates_and_unbounded_text_naming_the_field(
        client: TestClient, engine: Engine, path: str, payload: dict[str, object],
        field: str) -> None:
    did = client.post("/applications", json=body(occupation="student")).json()["decision_id"]
    if path == "request":
        r = client.post(f"/decisions/{did}/review-request", json=payload)
    else:
        rid = client.post(f"/decisions/{did}/review-request", json={}).json()["review_id"]
        r = client.post(f"/reviews/{rid}/outcome", json=payload)
    assert r.status_code == 422 and r.json()["field"] == field, r.text
    with engine.connect() as conn:
        assert conn.execute(select(reviews.c.status)).scalars().all() == (
            [] if path == "request" else ["open"])


def test_review_text_at_its_maximum_is_accepted(client: TestClient) -> None:
    did = client.post("/applications", json=body(occupation="student")).json()["decision_id"]
    req = client.post(f"/decisions/{did}/review-request", json={"reason": "x" * 2000})
    assert req.status_code == 201
    ok = client.post(f"/reviews/{req.json()['review_id']}/outcome", json={
        "outcome": "decline", "reason": "y" * 2000})
    assert ok.status_code == 200, ok.text


def _cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
         operator: str = "ops.wang") -> tuple[typer.Typer, CliRunner]:
    import lendcore.access.commands  # noqa: F401 (wires the CLI's local operator)

    monkeypatch.setenv("LENDCORE_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    # the first local operator of the fresh database becomes its administrator
    monkeypatch.setenv("LENDCORE_OPERATOR", operator)
    monkeypatch.setenv("LENDCORE_MODE", "development")
    monkeypatch.setenv("LENDCORE_CLOCK", "2026-03-01T21:30+08:00")
    app = typer.Typer()
    commands.register(app)
    return app, CliRunner()


def test_the_cli_prints_a_template_that_decides_as_an_approval(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, runner = _cli(tmp_path, monkeypatch)
    template = runner.invoke(app, ["apply", "--template"])
    assert template.exit_code == 0
    assert "application_date" not in json.loads(template.output)
    path = tmp_path / "application.json"
    path.write_text(template.output, encoding="utf-8")
    out = runner.invoke(app, ["apply", "--file", str(path), "--json"])
    assert out.exit_code == 0, out.output
    decided = json.loads(out.output)
    assert decided["decision"] == "approve"
    assert decided["decision_id"] >= 1 and decided["customer_id"] >= 1 and decided["line_id"] >= 1
    # The same applicant the same day: one application every 180 days, the date named.
    text = runner.invoke(app, ["apply", "--file", str(path)])
    assert text.exit_code == 0 and ": decline cash-line" in text.output, text.output
    assert f"apply again from {decided['reapply_after']}" in text.output
    assert "None" not in text.output


def test_the_cli_has_no_date_option_and_refuses_a_dated_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lendcore.errors import InvalidInput

    app, runner = _cli(tmp_path, monkeypatch)
    path = tmp_path / "dated.json"
    path.write_text(json.dumps(body(application_date="2030-01-01")), encoding="utf-8")
    out = runner.invoke(app, ["apply", "--file", str(path)])
    assert isinstance(out.exception, InvalidInput) and out.exception.field == "application_date"
    dated = runner.invoke(app, ["apply", "--file", str(path), "--date", "2030-01-01"])
    assert dated.exit_code == 2 and "No such option" in dated.output


def test_the_cli_review_commands_build_the_same_commands(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, runner = _cli(tmp_path, monkeypatch, operator="li.wei")  # the reviewer
    path = tmp_path / "student.json"
    path.write_text(json.dumps(body(occupation="student")), encoding="utf-8")
    decided = json.loads(runner.invoke(app, ["apply", "--file", str(path), "--json"]).output)
    req = runner.invoke(app, ["review", "request", str(decided["decision_id"]),
                              "--reason", "I graduated"])
    assert req.exit_code == 0, req.output
    review = json.loads(req.output)
    assert review["requested_on"] == decided["decided_on"]
    out = runner.invoke(app, ["review", "outcome", str(review["review_id"]), "--outcome",
                              "decline", "--reason", "enrolled"])
    assert out.exit_code == 0 and json.loads(out.output)["status"] == "decided", out.output
    shown = json.loads(runner.invoke(app, ["decision", str(decided["decision_id"])]).output)
    assert shown["reviews"][0]["reviewer"] == "li.wei"


def test_the_borrowers_time_zone_is_kept_for_collections_and_a_bad_one_is_refused(
        client: TestClient, engine: Engine) -> None:
    bad = client.post("/applications", json=body(timezone="Mars/Olympus"))
    assert bad.status_code == 422 and bad.json()["field"] == "timezone"
    ok = client.post("/applications", json=body(timezone="Asia/Urumqi"))
    assert ok.status_code == 201 and ok.json()["decision"] == "approve"
    with engine.connect() as conn:
        zones = conn.execute(select(customers.c.timezone)).scalars().all()
    assert zones == ["Asia/Urumqi"]
