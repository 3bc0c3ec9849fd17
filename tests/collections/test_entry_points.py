"""The guard, cases and complaints through the HTTP API and the CLI (SQLite)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest
import typer
from collections_helpers import add_customer, add_loan
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from lendcore.collections import commands, routes, service
from lendcore.store.db import make_engine, upgrade
from lendcore.store.uow import UnitOfWork


@pytest.fixture()
def db(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, int]]:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    monkeypatch.setenv("LENDCORE_DATABASE_URL", sqlite_url)
    with UnitOfWork(engine) as uow:
        cid = add_customer(uow.conn, "Asia/Tokyo")
        add_loan(uow.conn, cid, 1, dpd=40, overdue_principal_fen=123_456)
        (case_id,) = service.sync_cases(uow, date(2026, 3, 1)).opened
        uow.commit()
    yield engine, case_id
    engine.dispose()


def client(engine: Engine) -> TestClient:
    # The real app with only this area's router mounted (others are built in the same tree).
    from lendcore.api import app as api_app

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(api_app, "ROUTER_MODULES", [routes.__name__])
        app: FastAPI = api_app.create_app(engine)
    return TestClient(app)


def test_the_api_checks_then_records_and_answers_a_refusal_with_every_reason(
        db: tuple[Engine, int]) -> None:
    engine, case_id = db
    api = client(engine)
    body = {"case_id": case_id, "channel": "call", "to": "borrower",
            "at": "2026-03-01T21:30+08:00", "collector_id": "C042", "recorded": True}
    check = api.post("/collections/contacts/check", json=body)
    assert check.status_code == 200
    assert check.json()["allowed"] is False
    assert [r["code"] for r in check.json()["reasons"]] == ["quiet_hours",
                                                             "outside_internal_window"]
    refused = api.post("/collections/contacts", json={**body, "outcome": "answered"})
    assert refused.status_code == 422 and refused.json()["error"] == "contact_refused"
    ok = api.post("/collections/contacts", json={**body, "at": "2026-03-02T10:00+08:00",
                                                 "outcome": "answered",
                                                 "recording_ref": "rec-9"})
    assert ok.status_code == 200 and ok.json()["allowed"] is True
    detail = api.get(f"/collections/cases/{case_id}", params={"role": "supervisor"}).json()
    assert [c["allowed"] for c in detail["contacts"]] == [False, True]
    bad = api.post("/collections/contacts/check", json={**body, "at": "2026-03-01T21:30"})
    assert bad.status_code == 422 and bad.json()["field"] == "at"


def test_the_api_lists_complaints_overdue_first(db: tuple[Engine, int]) -> None:
    engine, _ = db
    api = client(engine)
    for received in ("2026-03-10", "2026-02-01"):
        assert api.post("/collections/complaints", json={
            "customer_id": 1, "channel": "app", "received_on": received,
            "summary": "电话太多"}).status_code == 200
    rows = api.get("/collections/complaints", params={"date": "2026-03-12"}).json()
    assert [r["received_on"] for r in rows] == ["2026-02-01", "2026-03-10"]
    assert rows[0]["overdue"] is True


def cli() -> typer.Typer:
    app = typer.Typer()
    commands.register(app)
    return app


def test_the_cli_check_prints_allowed_and_reasons_as_json(db: tuple[Engine, int]) -> None:
    _, case_id = db
    runner = CliRunner()
    args = ["collections", "check", "--case", str(case_id), "--channel", "call", "--to",
            "borrower", "--collector", "C042", "--json"]
    refused = runner.invoke(cli(), [*args, "--at", "2026-03-01T21:30+08:00"])
    assert refused.exit_code == 1
    out = json.loads(refused.stdout)
    assert out["allowed"] is False and out["reasons"][0]["code"] == "quiet_hours"
    allowed = runner.invoke(cli(), [*args, "--at", "2026-03-02T09:00+08:00"])
    assert allowed.exit_code == 0 and json.loads(allowed.stdout) == {"allowed": True,
                                                                     "reasons": []}


def test_the_cli_lists_cases_by_bucket_with_ids_and_banded_amounts(
        db: tuple[Engine, int]) -> None:
    _, case_id = db
    runner = CliRunner()
    m2 = runner.invoke(cli(), ["collections", "cases", "--bucket", "M2", "--json"])
    assert m2.exit_code == 0
    (row,) = json.loads(m2.stdout)
    assert row["id"] == case_id and row["amounts"]["overdue_principal"] == "1000-5000"
    m3 = runner.invoke(cli(), ["collections", "cases", "--bucket", "M3", "--json"])
    assert json.loads(m3.stdout) == []
