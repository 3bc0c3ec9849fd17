"""Operating collections through the API: reachability, agencies, complaint handling.

On a real book (servicing's draws, days closed one by one): every date is the server's business
date, whatever the request says.
"""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from lendcore.api.app import create_app
from lendcore.store.core_tables import customers
from lendcore.store.uow import UnitOfWork
from tests.auth import signed_in
from tests.servicing.helpers import start_book
from tests.servicing.test_plans import DAY0, _overdue_loan


def _reasons(client: TestClient, case_id: int) -> list[str]:
    r = client.post("/collections/contacts/check", json={
        "case_id": case_id, "channel": "call", "to": "contact", "number": "13800000000",
        "recorded": True})
    assert r.status_code == 200, r.text
    return [x["code"] for x in r.json()["reasons"]]


def test_an_emergency_contact_may_be_called_only_once_the_borrower_is_marked_unreachable(
        engine: Engine) -> None:
    _, case_id, _ = _overdue_loan(engine)
    with TestClient(create_app(engine), raise_server_exceptions=False) as client:
        signed_in(client, engine, "sup.one", "collections_supervisor")
        assert "third_party_not_allowed" in _reasons(client, case_id)
        r = client.post(f"/collections/cases/{case_id}/reachability",
                        json={"unreachable": True})
        assert r.status_code == 200, r.text
        assert "third_party_not_allowed" not in _reasons(client, case_id)
        history = client.get(f"/collections/cases/{case_id}").json()["history"]
        assert history[-1]["event"] == "marked_unreachable"
        assert history[-1]["detail"] == {"by": "sup.one"}  # the signed-in operator


def test_agencies_are_added_once_and_reviewed_by_code_on_the_business_date(
        engine: Engine) -> None:
    start_book(engine, DAY0)
    with TestClient(create_app(engine), raise_server_exceptions=False) as client:
        signed_in(client, engine)
        body = {"code": "AG-1", "name": "East Recoveries", "last_reviewed_on": "2025-12-01"}
        assert client.post("/collections/agencies", json=body).status_code == 201
        again = client.post("/collections/agencies", json=body)
        assert again.status_code == 409 and again.json()["field"] == "code"
        ok = client.post("/collections/agencies/AG-1/review")
        assert ok.status_code == 200 and ok.json()["last_reviewed_on"] == DAY0.isoformat()
        missing = client.post("/collections/agencies/NOPE/review")
        assert missing.status_code == 404
        bad_code = client.post("/collections/agencies/AG%201/review")
        assert bad_code.status_code == 422 and bad_code.json()["field"] == "code"


def test_a_complaint_marked_complex_gets_30_days_and_can_be_resolved(engine: Engine) -> None:
    _, _, today = _overdue_loan(engine, days=40)
    assert today == date(2026, 2, 14)
    with UnitOfWork(engine, read_only=True) as uow:
        customer_id = uow.conn.execute(select(customers.c.id)).scalar_one()
    with TestClient(create_app(engine), raise_server_exceptions=False) as client:
        signed_in(client, engine, "cs.one", "customer_service")
        opened = client.post("/collections/complaints", json={
            "customer_id": customer_id, "channel": "call", "summary": "disputes a penalty"})
        assert opened.status_code == 200, opened.text
        assert opened.json()["received_on"] == "2026-02-14"
        complaint_id = opened.json()["complaint_id"]
        complex_ = client.post(f"/collections/complaints/{complaint_id}/complex")
        assert complex_.json()["deadline"] == date(2026, 3, 16).isoformat()
        extended = client.post(f"/collections/complaints/{complaint_id}/extend",
                               json={"days": 40, "reason": "needs the bank's records"})
        assert extended.status_code == 200, extended.text
        assert extended.json()["extension_approved_by"] == "cs.one"
        done = client.post(f"/collections/complaints/{complaint_id}/resolve",
                           json={"resolution": "penalty explained"})
        assert done.status_code == 200 and done.json()["resolved_on"] == "2026-02-14"


def test_the_cli_adds_an_agency_once_and_refuses_a_duplicate_in_one_line(
        tmp_path: object, monkeypatch: object) -> None:
    import subprocess
    import sys

    env = {"LENDCORE_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db", "PATH": "/usr/bin:/bin",
           "LENDCORE_MODE": "development"}
    cmd = [sys.executable, "-m", "lendcore.cli", "collections", "agency-add", "--code", "AG-9",
           "--name", "West", "--reviewed-on", "2026-01-10"]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2
    assert again.stderr.strip() == "error: code: agency 'AG-9' already exists"
    assert "Traceback" not in again.stderr
    future = subprocess.run([*cmd[:-1], "2999-01-01"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert future.returncode == 2 and future.stderr.count("\n") == 1
    assert future.stderr.startswith("error: last_reviewed_on: a review that already happened")
