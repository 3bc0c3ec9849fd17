"""The decision API and CLI: one error shape naming the field, the review workflow end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from origination_helpers import body
from sqlalchemy import Engine
from typer.testing import CliRunner

from lendcore.api.app import MAX_DIRECT_BODY, create_app
from lendcore.origination import commands, routes


@pytest.fixture()
def client(engine: Engine) -> Iterator[TestClient]:
    app: FastAPI = create_app(engine)
    if not any(getattr(r, "path", "") == "/applications" for r in app.routes):
        app.include_router(routes.router)
    with TestClient(app) as c:
        yield c


def test_an_application_is_decided_with_money_as_strings(client: TestClient) -> None:
    r = client.post("/applications", json=body())
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["decision"] == "approve" and out["limit"] == "20000.00"
    assert (out["daily_rate"], out["annual_rate"]) == ("0.0002", "0.073")
    assert set(out) >= {"decision", "reasons", "score", "limit", "daily_rate", "annual_rate",
                        "reapply_after", "decision_id"}


def test_a_missing_key_is_a_422_naming_the_field(client: TestClient) -> None:
    payload = body()
    del payload["monthly_income"]
    r = client.post("/applications", json=payload)
    assert r.status_code == 422
    assert r.json()["field"] == "monthly_income" and r.json()["error"] == "invalid_input"


def test_the_direct_route_answers_bad_bodies_in_the_one_error_shape(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """POST /applications is served from the ASGI call (LendcoreAPI.direct_routes), not by
    FastAPI's router: the same shapes for broken JSON, an oversized body and a failure."""
    r = client.post("/applications", content=b"{not json",
                    headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_input"
    r = client.post("/applications", content=b" " * (MAX_DIRECT_BODY + 1),
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "too_large"

    def broken(*_args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(routes.service, "decide_application", broken)
    r = client.post("/applications", json=body())
    assert r.status_code == 500
    assert r.json() == {"error": "internal", "detail": "internal error", "field": None}
    # Still documented: the router's declaration of the route feeds OpenAPI.
    spec = client.get("/openapi.json").json()
    assert "requestBody" in spec["paths"]["/applications"]["post"]


def test_a_json_number_for_money_is_refused_naming_the_field(client: TestClient) -> None:
    r = client.post("/applications", json=body(amount=5000))
    assert r.status_code == 422
    assert r.json()["field"] == "amount" and "string" in r.json()["detail"]
    r = client.post("/applications", json=body(ecosystem={"device_user": True,
                                                           "consumption_months": 30,
                                                           "spend_12m": 20000.5}))
    assert r.json()["field"] == "ecosystem.spend_12m"


@pytest.mark.parametrize(("overrides", "field"), [
    ({"consents": {"credit_query": "yes", "sensitive_data": True}}, "consents.credit_query"),
    ({"installments": "12"}, "installments"),
    ({"mobile": "12345"}, "mobile"),
    ({"application_date": "2025-13-01"}, "application_date"),
    ({"product": "gold-card"}, "product"),
    ({"amount": "499.99"}, "amount"),
    ({"occupation": "astronaut"}, "occupation"),
])
def test_ill_typed_or_out_of_range_inputs_name_their_field(
        client: TestClient, overrides: dict[str, object], field: str) -> None:
    r = client.post("/applications", json=body(**overrides))
    assert r.status_code == 422 and r.json()["field"] == field, r.text


def test_a_profile_value_outside_the_codes_names_the_attribute(client: TestClient) -> None:
    payload = body()
    payload["profile"]["housing"] = "castle"
    r = client.post("/applications", json=payload)
    assert r.status_code == 422 and r.json()["field"] == "profile.housing"


def test_explanation_review_request_queue_and_outcome(client: TestClient) -> None:
    decided = client.post("/applications", json=body(occupation="student")).json()
    did = decided["decision_id"]
    explained = client.get(f"/decisions/{did}").json()
    assert explained["reasons"][0]["code"] == "student_not_targeted"
    assert explained["inputs"]["name"] == "张*"
    req = client.post(f"/decisions/{did}/review-request",
                      json={"requested_on": "2025-06-03", "reason": "please check"})
    assert req.status_code == 201
    queue = client.get("/reviews").json()
    assert queue[0]["decision"]["score"] == decided["score"]
    rid = req.json()["review_id"]
    bad = client.post(f"/reviews/{rid}/outcome", json={"outcome": "decline", "reason": "x",
                                                       "decided_on": "2025-06-04"})
    assert bad.status_code == 422 and bad.json()["field"] == "reviewer"
    ok = client.post(f"/reviews/{rid}/outcome", json={
        "outcome": "decline", "reviewer": "li.wei", "reason": "student",
        "decided_on": "2025-06-04"})
    assert ok.status_code == 200 and ok.json()["reviewer"] == "li.wei"
    assert client.get("/reviews").json() == []
    assert client.get("/decisions/999999").status_code == 404


def test_the_cli_prints_a_template_that_decides_as_an_approval(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENDCORE_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    app = typer.Typer()
    commands.register(app)
    runner = CliRunner()
    template = runner.invoke(app, ["apply", "--template"])
    assert template.exit_code == 0
    path = tmp_path / "application.json"
    path.write_text(template.output, encoding="utf-8")
    out = runner.invoke(app, ["apply", "--file", str(path), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["decision"] == "approve"


def test_the_borrowers_time_zone_is_kept_for_collections_and_a_bad_one_is_refused(
        client: TestClient, engine: Engine) -> None:
    from sqlalchemy import select

    from lendcore.store.core_tables import customers
    from lendcore.store.uow import UnitOfWork

    bad = client.post("/applications", json=body(timezone="Mars/Olympus"))
    assert bad.status_code == 422 and bad.json()["field"] == "timezone"
    ok = client.post("/applications", json=body(timezone="Asia/Urumqi"))
    assert ok.status_code == 201 and ok.json()["decision"] == "approve"
    with UnitOfWork(engine, read_only=True) as uow:
        zones = uow.conn.execute(select(customers.c.timezone)).scalars().all()
    assert zones == ["Asia/Urumqi"]
