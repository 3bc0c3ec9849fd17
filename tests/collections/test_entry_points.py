"""Collections through the HTTP API and the CLI (SQLite): the server's clock, the commands.

A contact happens at the server's time: tests that need a particular time set the clock
(``app.state.clock``; the CLI: ``LENDCORE_MODE=development`` and ``LENDCORE_CLOCK``), never a
field of the request.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
import typer
from collections_helpers import client, open_day, set_clock
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from lendcore import cli_support
from lendcore.collections import commands
from lendcore.errors import Forbidden, LendcoreError
from lendcore.store.collections_tables import collection_contacts
from lendcore.store.uow import UnitOfWork
from tests.auth import add_staff

D1 = date(2026, 3, 1)


def call(case_id: int, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"case_id": case_id, "channel": "call", "to": "borrower",
                            "recorded": True}
    body.update(kw)
    return body


def codes(response: Any) -> list[str]:
    return [r["code"] for r in response.json()["reasons"]]


# --- the API: contacts at the server's time ------------------------------------------------------
def test_the_api_checks_then_records_at_the_servers_time_and_answers_a_refusal_with_reasons(
        db: tuple[Engine, int]) -> None:
    engine, case_id = db
    api = client(engine, "2026-03-01T21:30+08:00")  # 22:30 in Tokyo
    check = api.post("/collections/contacts/check", json=call(case_id))
    assert check.status_code == 200
    assert codes(check) == ["quiet_hours", "outside_internal_window"]
    refused = api.post("/collections/contacts", json=call(case_id, outcome="answered"))
    assert refused.status_code == 422 and refused.json()["error"] == "contact_refused"
    set_clock(api, "2026-03-02T10:00+08:00")
    ok = api.post("/collections/contacts", json=call(case_id, outcome="answered",
                                                     recording_ref="rec-9"))
    assert ok.status_code == 200 and ok.json()["allowed"] is True
    detail = api.get(f"/collections/cases/{case_id}").json()
    assert [c["allowed"] for c in detail["contacts"]] == [False, True]
    assert {c["collector_id"] for c in detail["contacts"]} == {"admin"}  # the signed-in one
    assert [c["at"] for c in detail["contacts"]] == ["2026-03-01T13:30:00+00:00",
                                                     "2026-03-02T02:00:00+00:00"]


def test_a_request_cannot_choose_when_a_contact_happens(db: tuple[Engine, int]) -> None:
    engine, case_id = db
    api = client(engine)
    for path, extra in (("/collections/contacts/check", {}),
                        ("/collections/contacts", {"outcome": "answered"})):
        r = api.post(path, json=call(case_id, at="2026-03-02T10:00+08:00", **extra))
        assert r.status_code == 422 and r.json()["field"] == "at"
    with UnitOfWork(engine) as uow:
        assert uow.conn.execute(select(func.count()).select_from(collection_contacts)
                                ).scalar_one() == 0


@pytest.mark.parametrize(("server_time", "expected"), [
    ("2026-03-02T20:59+08:00", ["outside_internal_window"]),  # 21:59 in Tokyo
    ("2026-03-02T21:00+08:00", ["quiet_hours", "outside_internal_window"]),  # 22:00 in Tokyo
    ("2026-03-02T06:59+08:00", ["quiet_hours", "outside_internal_window"]),  # 07:59 in Tokyo
    ("2026-03-02T07:00+08:00", []),  # 08:00 in Tokyo
])
def test_the_quiet_hours_boundary_at_the_servers_clock(
        db: tuple[Engine, int], server_time: str, expected: list[str]) -> None:
    engine, case_id = db
    api = client(engine, server_time)
    assert codes(api.post("/collections/contacts/check", json=call(case_id))) == expected


def test_the_third_answered_call_is_logged_and_the_fourth_is_refused(
        db: tuple[Engine, int]) -> None:
    engine, case_id = db
    api = client(engine)
    for hour in (9, 10, 11):
        set_clock(api, f"2026-03-02T{hour:02d}:00+09:00")
        r = api.post("/collections/contacts", json=call(case_id, outcome="answered",
                                                        recording_ref=f"rec-{hour}"))
        assert r.status_code == 200, r.text
    set_clock(api, "2026-03-02T12:00+09:00")
    fourth = api.post("/collections/contacts", json=call(case_id, outcome="answered",
                                                         recording_ref="rec-12"))
    assert fourth.status_code == 422 and codes(fourth) == ["answered_call_limit"]


def test_the_same_key_records_a_contact_once(db: tuple[Engine, int]) -> None:
    engine, case_id = db
    api = client(engine)
    body = call(case_id, outcome="answered", recording_ref="rec-1")
    first = api.post("/collections/contacts", json=body, headers={"Idempotency-Key": "c-1"})
    again = api.post("/collections/contacts", json=body, headers={"Idempotency-Key": "c-1"})
    assert first.json() == again.json()
    other = api.post("/collections/contacts", json={**body, "recording_ref": "rec-2"},
                     headers={"Idempotency-Key": "c-1"})
    assert other.status_code == 409


# --- the API: every date is the server's ----------------------------------------------------------
def test_notices_assignments_reviews_and_complaints_take_the_business_date(
        db: tuple[Engine, int]) -> None:
    engine, case_id = db
    api = client(engine)
    notice = api.post(f"/collections/cases/{case_id}/outsourcing-notice",
                      json={"channel": "letter", "reference": "L-2026-0001"})
    assert notice.status_code == 200 and notice.json()["sent_on"] == "2026-03-01"
    agency = api.post("/collections/agencies", json={"code": "AG-1", "name": "East",
                                                     "last_reviewed_on": "2025-12-01"})
    assert agency.status_code == 201 and agency.json()["review_due"] == "2026-12-01"
    review = api.post("/collections/agencies/AG-1/review")
    assert review.json()["last_reviewed_on"] == "2026-03-01"
    complaint = api.post("/collections/complaints", json={
        "customer_id": 1, "channel": "app", "summary": "电话太多"}).json()
    assert (complaint["received_on"], complaint["deadline"]) == ("2026-03-01", "2026-03-16")
    done = api.post(f"/collections/complaints/{complaint['id']}/resolve",
                    json={"resolution": "calls reduced"})
    assert done.json()["resolved_on"] == "2026-03-01"
    with UnitOfWork(engine) as uow:
        open_day(uow.conn, date(2026, 3, 20))
        uow.commit()
    api.post("/collections/complaints", json={"customer_id": 1, "channel": "call",
                                              "summary": "second"})
    rows = api.get("/collections/complaints").json()
    assert [(r["summary"], r["overdue"]) for r in rows] == [("second", False)]


@pytest.mark.parametrize(("path", "body"), [
    ("/collections/cases/{case}/outsourcing-notice", {"channel": "sms", "sent_on": "2026-03-01"}),
    ("/collections/cases/{case}/assign", {"agency_code": "AG-1",
                                          "business_date": "2026-03-01"}),
    ("/collections/agencies/AG-1/review", {"reviewed_on": "2026-03-01"}),
    ("/collections/complaints", {"customer_id": 1, "channel": "app", "summary": "x",
                                 "received_on": "2026-03-01"}),
    ("/collections/complaints/1/resolve", {"resolution": "x", "resolved_on": "2026-03-01"}),
    ("/collections/complaints/1/complex", {"on": "2026-03-01"}),
])
def test_a_date_in_a_body_is_refused_naming_it(db: tuple[Engine, int], path: str,
                                               body: dict[str, Any]) -> None:
    engine, case_id = db
    r = client(engine).post(path.format(case=case_id), json=body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] in body and r.json()["field"] not in ("channel", "summary")


def test_the_complaints_worklist_refuses_a_date_query(db: tuple[Engine, int]) -> None:
    engine, _ = db
    r = client(engine).get("/collections/complaints", params={"date": "2030-01-01"})
    assert r.status_code == 422 and r.json()["field"] == "date"


@pytest.mark.parametrize(("reviewed", "status"), [("2026-03-01", 201), ("2026-03-02", 422)])
def test_an_agencys_last_review_is_not_after_the_business_date(
        db: tuple[Engine, int], reviewed: str, status: int) -> None:
    engine, _ = db
    r = client(engine).post("/collections/agencies", json={
        "code": "AG-7", "name": "South", "last_reviewed_on": reviewed})
    assert r.status_code == status, r.text
    if status == 422:
        assert r.json()["field"] == "last_reviewed_on"


# --- the CLI --------------------------------------------------------------------------------------
def cli() -> typer.Typer:
    app = typer.Typer()
    commands.register(app)
    return app


def invoke(monkeypatch: pytest.MonkeyPatch, args: list[str], now: str | None = None,
           operator: str = "admin") -> Any:
    """Run the CLI in process at the clock ``now`` (development mode) as the local operator
    ``operator`` (on a database without users, its first administrator)."""
    import lendcore.access.commands  # noqa: F401 (wires who the local operator is)

    monkeypatch.setattr(cli_support, "_CLOCK", None)
    monkeypatch.setattr(cli_support, "_PRINCIPALS", {}, raising=False)
    monkeypatch.setenv("LENDCORE_OPERATOR", operator)
    if now is not None:
        monkeypatch.setenv("LENDCORE_MODE", "development")
        monkeypatch.setenv("LENDCORE_CLOCK", now)
    return CliRunner().invoke(cli(), ["collections", *args])


def test_the_cli_checks_a_contact_at_the_servers_clock(
        db: tuple[Engine, int], monkeypatch: pytest.MonkeyPatch) -> None:
    _, case_id = db
    args = ["check", "--case", str(case_id), "--channel", "call", "--to", "borrower",
            "--json"]
    refused = invoke(monkeypatch, args, "2026-03-01T21:30+08:00")
    assert refused.exit_code == 1, (refused.exception, refused.output)
    out = json.loads(refused.stdout)
    assert out["allowed"] is False and out["reasons"][0]["code"] == "quiet_hours"
    allowed = invoke(monkeypatch, args, "2026-03-02T09:00+08:00")
    assert allowed.exit_code == 0 and json.loads(allowed.stdout) == {"allowed": True,
                                                                     "reasons": []}
    chosen = invoke(monkeypatch, [*args, "--at", "2026-03-02T09:00+08:00"])
    assert chosen.exit_code == 2  # no such option: the time is the server's


def test_the_same_key_from_the_api_and_the_cli_is_the_same_contact(
        db: tuple[Engine, int], monkeypatch: pytest.MonkeyPatch) -> None:
    engine, case_id = db
    api = client(engine, "2026-03-02T10:00+08:00")
    first = api.post("/collections/contacts", headers={"Idempotency-Key": "k-1"},
                     json=call(case_id, outcome="answered", recording_ref="rec-1"))
    assert first.status_code == 200
    again = invoke(monkeypatch, [
        "contact", "--case", str(case_id), "--channel", "call",
        "--outcome", "answered", "--recording-ref", "rec-1", "--key", "k-1", "--json"],
        "2026-03-02T11:00+08:00")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == first.json()


def test_the_cli_lists_cases_by_bucket_with_ids_and_amounts_by_the_operators_roles(
        db: tuple[Engine, int], monkeypatch: pytest.MonkeyPatch) -> None:
    engine, case_id = db
    add_staff(engine, "admin")
    add_staff(engine, "li.wei", "collector")
    m2 = invoke(monkeypatch, ["cases", "--bucket", "M2", "--json"])
    assert m2.exit_code == 0, m2.output
    (row,) = json.loads(m2.stdout)
    assert row["id"] == case_id and row["amounts"]["overdue_principal"] == "1234.56"
    m3 = invoke(monkeypatch, ["cases", "--bucket", "M3", "--json"])
    assert json.loads(m3.stdout) == []
    mine = invoke(monkeypatch, ["cases", "--json"], operator="li.wei")
    assert mine.exit_code == 0 and json.loads(mine.stdout) == []  # nothing assigned yet
    other = invoke(monkeypatch, ["case", "--case", str(case_id)], operator="li.wei")
    assert isinstance(other.exception, Forbidden)
    given = invoke(monkeypatch, ["assign-collector", "--case", str(case_id),
                                 "--collector", "li.wei"])
    assert given.exit_code == 0 and json.loads(given.stdout)["collector"] == "li.wei"
    (row,) = json.loads(invoke(monkeypatch, ["cases", "--json"], operator="li.wei").stdout)
    assert row["amounts"]["overdue_principal"] == "1000-5000"  # a collector: bands
    detail = invoke(monkeypatch, ["case", "--case", str(case_id)], operator="li.wei")
    assert json.loads(detail.stdout)["assignee"]["collector"] == "li.wei"
    assert invoke(monkeypatch, ["cases", "--role", "supervisor"]).exit_code == 2  # no option


@pytest.mark.parametrize(("args", "field"), [
    (["cases", "--bucket", "M9"], "--bucket"),
    (["cases", "--limit", "1001"], "--limit"),
    (["check", "--case", "abc", "--channel", "call"], "--case"),
    (["check", "--case", "1", "--channel", "fax"], "--channel"),
    (["check", "--case", "1", "--channel", "call", "--number", "138-0000"], "--number"),
    (["check", "--case", "1", "--channel", "sms", "--template", "x" * 1001], "--template"),
    (["agency-add", "--code", "AG 1", "--name", "x", "--reviewed-on", "2026-01-10"], "--code"),
    (["agency-add", "--code", "AG-1", "--name", "x", "--reviewed-on", "10/01/2026"],
     "--reviewed-on"),
    (["complaint-open", "--customer", "1", "--channel", "app", "--summary", "x" * 2001],
     "--summary"),
    (["plan-offer", "--case", "1", "--loan", "1", "--installments", "61"], "--installments"),
    (["plan-offer", "--case", "1", "--loan", "1", "--installments", "6",
      "--waive-penalty", "1,5"], "--waive-penalty"),
    (["assign-collector", "--case", "1", "--collector", "li wei"], "--collector"),
])
def test_the_cli_refuses_a_bad_option_naming_it(
        db: tuple[Engine, int], monkeypatch: pytest.MonkeyPatch, args: list[str],
        field: str) -> None:
    result = invoke(monkeypatch, args)
    assert isinstance(result.exception, LendcoreError), result.output
    assert result.exception.field == field


def test_the_cli_refuses_a_future_review_and_takes_todays(
        db: tuple[Engine, int], monkeypatch: pytest.MonkeyPatch) -> None:
    base = ["agency-add", "--code", "AG-9", "--name", "West", "--reviewed-on"]
    future = invoke(monkeypatch, [*base, "2026-03-02"])
    assert isinstance(future.exception, LendcoreError)
    assert future.exception.field == "last_reviewed_on"
    today = invoke(monkeypatch, [*base, "2026-03-01"])
    assert today.exit_code == 0 and json.loads(today.stdout)["last_reviewed_on"] == "2026-03-01"


def test_the_cli_has_no_date_options_any_more_nor_options_naming_who_acts(
        db: tuple[Engine, int], monkeypatch: pytest.MonkeyPatch) -> None:
    for args in (["complaints", "--date", "2026-03-20"], ["sync", "--date", "2026-03-01"],
                 ["check", "--case", "1", "--channel", "call", "--collector", "C042"],
                 ["contact", "--case", "1", "--channel", "call", "--outcome", "answered",
                  "--agency", "AG-1"],
                 ["reachability", "--case", "1", "--unreachable", "--by", "C042"],
                 ["plan-offer", "--case", "1", "--loan", "1", "--installments", "6",
                  "--proposed-by", "C-7"],
                 ["complaint-extend", "--complaint", "1", "--days", "10", "--reason", "x",
                  "--approved-by", "S1"],
                 ["case", "--case", "1", "--role", "supervisor"],
                 ["agency-review", "--code", "AG-1", "--reviewed-on", "2026-03-01"],
                 ["complaint-resolve", "--complaint", "1", "--resolution", "x",
                  "--resolved-on", "2026-03-01"]):
        assert invoke(monkeypatch, args).exit_code == 2, args


def test_the_cli_sync_runs_on_the_business_date(
        db: tuple[Engine, int], monkeypatch: pytest.MonkeyPatch) -> None:
    result = invoke(monkeypatch, ["sync"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("opened 0  updated 0  closed 0")
