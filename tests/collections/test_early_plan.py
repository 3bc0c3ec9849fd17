"""Help before overdue (seed 002): a borrower who expects trouble asks for a plan before missing a
payment; customer service offers one through the negotiated plan's rules, without a collections
case; it is a restructure like any other (the same special-transaction code)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest
import typer
from collections_helpers import D1, add_customer, add_loan, as_user, client, open_day, set_loan
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from test_service import restructure_for_test
from typer.testing import CliRunner

from lendcore import cli_support
from lendcore.collections import commands, early_plans, plan_service, queries, service
from lendcore.collections.config import Channel
from lendcore.collections.guard import ProposedContact, Target
from lendcore.collections.plans import Waiver
from lendcore.errors import Conflict, InvalidInput, RuleViolation
from lendcore.store.collections_tables import collection_cases, collection_plans
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork
from tests.servicing.helpers import advance, new_draw, start_book

DAY0 = date(2026, 1, 5)


def _current_loan(engine: Engine) -> tuple[int, int]:
    """A real loan drawn on DAY0, 10 days on: nothing due yet, 50.00 interest accrued."""
    loan_id = new_draw(engine, 1_000_000, 12)
    advance(engine, 10)
    with UnitOfWork(engine, read_only=True) as uow:
        row = uow.conn.execute(select(loans).where(loans.c.id == loan_id)).mappings().one()
    assert (row["dpd"], row["interest_receivable_fen"]) == (0, 5_000)
    return loan_id, int(row["customer_id"])


def _borrower(api: TestClient, customer_id: int) -> dict[str, str]:
    token = api.post("/auth/borrower-tokens", json={"customer_id": customer_id})
    assert token.status_code == 201, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def _book(engine: Engine) -> tuple[TestClient, int, int, dict[str, str], dict[str, str]]:
    start_book(engine, DAY0)
    loan_id, customer_id = _current_loan(engine)
    api = client(engine, "2026-01-15T10:00+08:00")  # an administrator issues tokens
    return (api, loan_id, customer_id, _borrower(api, customer_id),
            as_user(api, engine, "cs.li", "customer_service"))


def _cases(engine: Engine) -> int:
    with UnitOfWork(engine, read_only=True) as uow:
        return int(uow.conn.execute(select(func.count()).select_from(collection_cases))
                   .scalar_one())


# --- the whole flow, through the API -------------------------------------------------------------
def test_a_borrower_asks_customer_service_offers_and_the_borrower_signs(engine: Engine) -> None:
    api, loan_id, _, borrower, cs = _book(engine)
    asked = api.post("/collections/early-plan-requests", headers=borrower, json={
        "loan_id": loan_id, "installments": 12, "reason": "salary cut from February"})
    assert asked.status_code == 201, asked.text
    assert (asked.json()["status"], asked.json()["requested_on"]) == ("open", "2026-01-15")
    (queued,) = api.get("/collections/early-plan-requests", headers=cs).json()
    assert queued["loan_id"] == loan_id and queued["requested_by"].startswith("customer:")
    offered = api.post("/collections/early-plans", headers=cs,
                       json={"loan_id": loan_id, "installments": 12})
    assert offered.status_code == 201, offered.text
    plan = offered.json()
    assert (plan["case_id"], plan["origin"], plan["installments"]) == (None, "early", 12)
    assert (plan["special_transaction"], plan["bureau_trigger_event"]) == (
        "negotiated_repayment", 42)  # reported like any restructure
    (answered,) = api.get("/collections/early-plan-requests?status=offered", headers=cs).json()
    assert answered["plan_id"] == plan["plan_id"]
    seen = api.get(f"/collections/early-plans/{plan['plan_id']}", headers=borrower)
    assert seen.status_code == 200 and seen.json()["proposed_by"] == "cs.li"
    signed = api.post(f"/collections/early-plans/{plan['plan_id']}/sign", headers=borrower,
                      json={"signed_by": "borrower (in the app)"})
    assert signed.status_code == 200, signed.text
    assert (signed.json()["status"], signed.json()["class_floor_until"]) == (
        "signed", "2027-01-15")
    with UnitOfWork(engine, read_only=True) as uow:
        loan = uow.conn.execute(select(loans).where(loans.c.id == loan_id)).mappings().one()
    assert (loan["restructured"], loan["installments_count"]) == (True, 12)
    assert _cases(engine) == 0  # no collections case, before or after


def test_a_borrower_reaches_only_their_own_loans_plans(engine: Engine) -> None:
    api, loan_id, _, borrower, cs = _book(engine)
    other_loan, other_customer = _current_loan(engine)
    other = _borrower(api, other_customer)
    plan_id = api.post("/collections/early-plans", headers=cs, json={
        "loan_id": loan_id, "installments": 6}).json()["plan_id"]
    ask = {"loan_id": loan_id, "installments": 6, "reason": "x"}
    assert api.post("/collections/early-plan-requests", headers=other,
                    json=ask).status_code == 403
    assert api.get(f"/collections/early-plans/{plan_id}", headers=other).status_code == 403
    refused = api.post(f"/collections/early-plans/{plan_id}/sign", headers=other,
                       json={"signed_by": "borrower"})
    assert refused.status_code == 403
    # A borrower asks and signs, never offers.
    assert api.post("/collections/early-plans", headers=borrower, json={
        "loan_id": loan_id, "installments": 6}).status_code == 403
    mine = api.post("/collections/early-plan-requests", headers=other, json={
        "loan_id": other_loan, "installments": 6, "reason": "hours cut"})
    assert mine.status_code == 201
    assert [r["loan_id"] for r in api.get("/collections/early-plan-requests",
                                          headers=other).json()] == [other_loan]
    assert api.get("/collections/early-plan-requests", headers=borrower).json() == []
    with UnitOfWork(engine, read_only=True) as uow:
        status = uow.conn.execute(select(collection_plans.c.status)).scalar_one()
    assert status == "offered"


@pytest.mark.parametrize(("interest", "status"), [("0", 201), ("0.01", 422)])
def test_before_anything_is_billed_no_interest_is_waived(engine: Engine, interest: str,
                                                         status: int) -> None:
    api, loan_id, _, _, cs = _book(engine)  # 50.00 accrued, none of it due yet
    offered = api.post("/collections/early-plans", headers=cs, json={
        "loan_id": loan_id, "installments": 12, "waive_interest": interest,
        "reason": "hardship: hours cut"})
    assert offered.status_code == status, offered.text
    if status == 422:
        assert offered.json()["field"] == "waived_interest"
        assert "billed" in offered.json()["detail"]


@pytest.mark.parametrize(("interest", "status"), [("79.81", 202), ("79.82", 422)])
def test_an_early_plan_waives_under_the_plan_rules_and_a_waiver_is_four_eyes(
        engine: Engine, interest: str, status: int) -> None:
    start_book(engine, DAY0)
    loan_id = new_draw(engine, 1_000_000, 12)
    advance(engine, 32)  # 2026-02-06: the first installment 1 day late, within the grace
    with UnitOfWork(engine, read_only=True) as uow:
        row = uow.conn.execute(select(loans).where(loans.c.id == loan_id)).mappings().one()
    assert (row["dpd"], row["interest_receivable_fen"], row["overdue_interest_fen"]) == (
        1, 15_962, 15_500)
    api = client(engine, "2026-02-06T10:00+08:00")
    borrower = _borrower(api, int(row["customer_id"]))
    cs = as_user(api, engine, "cs.li", "customer_service")
    offered = api.post("/collections/early-plans", headers=cs, json={
        "loan_id": loan_id, "installments": 12, "waive_interest": interest,
        "reason": "hardship: hours cut"})
    if status == 422:  # at most half of the 159.62 interest owed
        assert offered.status_code == 422 and offered.json()["field"] == "waived_interest"
        return
    plan_id = offered.json()["plan_id"]
    asked = api.post(f"/collections/early-plans/{plan_id}/sign", headers=borrower,
                     json={"signed_by": "borrower (in the app)"})
    assert asked.status_code == status, asked.text
    assert asked.json()["why"] == "a plan that waives 79.81 yuan of interest"
    decision = {"reason": "hardship documented"}
    pending = f"/pending/{asked.json()['pending_id']}/approve"
    assert api.post(pending, json=decision, headers=cs).status_code == 403  # no pending.decide
    sup = as_user(api, engine, "sup.one", "collections_supervisor")
    done = api.post(pending, json=decision, headers=sup)
    assert done.status_code == 200, done.text
    assert (done.json()["result"]["status"], done.json()["result"]["approved_by"]) == (
        "signed", "sup.one")


def test_a_request_is_open_once_per_loan_and_within_60_installments(engine: Engine) -> None:
    api, loan_id, _, borrower, _ = _book(engine)
    path = "/collections/early-plan-requests"
    too_many = api.post(path, headers=borrower, json={"loan_id": loan_id, "installments": 61,
                                                      "reason": "x"})
    assert too_many.status_code == 422 and too_many.json()["field"] == "installments"
    sixty = api.post(path, headers=borrower, json={"loan_id": loan_id, "installments": 60,
                                                   "reason": "x"})
    assert sixty.status_code == 201, sixty.text
    again = api.post(path, headers=borrower, json={"loan_id": loan_id, "installments": 12,
                                                   "reason": "y"})
    assert again.status_code == 409 and again.json()["error"] == "request_open"


# --- who may have one ----------------------------------------------------------------------------
def _synthetic(engine: Engine, **loan: Any) -> tuple[int, int]:
    with UnitOfWork(engine) as uow:
        open_day(uow.conn, D1)
        cid = add_customer(uow.conn)
        lid = add_loan(uow.conn, cid, 1, interest_receivable_fen=15_000, **loan)
        uow.commit()
    return cid, lid


@pytest.mark.parametrize(("dpd", "code"), [(0, None), (3, None), (4, "loan_in_collection")])
def test_an_early_plan_is_for_a_loan_not_past_its_grace(engine: Engine, dpd: int,
                                                       code: str | None) -> None:
    _, lid = _synthetic(engine, dpd=dpd, overdue_principal_fen=10_000 if dpd else 0)
    with UnitOfWork(engine) as uow:
        if code is None:
            offered = early_plans.offer_early_plan(uow, lid, installments=60, proposed_by="cs")
            assert (offered.case_id, offered.offer.installments_count) == (None, 60)
        else:
            with pytest.raises(RuleViolation) as err:
                early_plans.offer_early_plan(uow, lid, installments=12, proposed_by="cs")
            assert (err.value.code, err.value.field) == (code, "loan_id")


def test_the_plan_rules_hold_61_installments_is_refused(engine: Engine) -> None:
    _, lid = _synthetic(engine)
    with UnitOfWork(engine) as uow:
        with pytest.raises(RuleViolation) as err:
            early_plans.offer_early_plan(uow, lid, installments=61, proposed_by="cs")
        assert err.value.field == "installments"
        with pytest.raises(RuleViolation) as asked:
            early_plans.request_early_plan(uow, lid, installments=61, reason="x",
                                           requested_by="cs")
        assert asked.value.field == "installments"
        with pytest.raises(InvalidInput) as none:
            early_plans.request_early_plan(uow, lid, installments=0, reason="x",
                                           requested_by="cs")
        assert none.value.field == "installments"
        assert early_plans.request_early_plan(uow, lid, installments=60, reason="x",
                                              requested_by="cs").status == "open"


def test_no_early_plan_while_the_borrower_is_in_collection_or_has_a_plan_kept(
        engine: Engine) -> None:
    cid, lid = _synthetic(engine)
    with UnitOfWork(engine) as uow:
        other = add_loan(uow.conn, cid, 2, dpd=10, overdue_principal_fen=20_000)
        (case_id,) = service.sync_book(uow, D1).opened
        with pytest.raises(RuleViolation) as err:
            early_plans.offer_early_plan(uow, lid, installments=12, proposed_by="cs")
        assert err.value.code == "case_open" and str(case_id) in str(err.value)
        set_loan(uow.conn, other, dpd=0, overdue_principal_fen=0)
        service.sync_book(uow, D1)  # the case closes
        offered = early_plans.offer_early_plan(uow, lid, installments=12, proposed_by="cs")
        plan_service.sign_plan(uow, offered.plan_id, signed_by="borrower",
                               apply_restructure=restructure_for_test)
        with pytest.raises(Conflict) as kept:
            early_plans.offer_early_plan(uow, lid, installments=6, proposed_by="cs")
        assert kept.value.code == "plan_in_force"
        set_loan(uow.conn, lid, status="closed")
        with pytest.raises(RuleViolation) as closed:
            early_plans.offer_early_plan(uow, lid, installments=6, proposed_by="cs")
        assert closed.value.code == "loan_not_active"


# --- after signing: the night and the guard -----------------------------------------------------
def _signed_early_plan(engine: Engine) -> tuple[int, int, int]:
    cid, lid = _synthetic(engine)
    with UnitOfWork(engine) as uow:
        plan_id = early_plans.offer_early_plan(uow, lid, installments=12,
                                               proposed_by="cs").plan_id
        plan_service.sign_plan(uow, plan_id, signed_by="borrower",
                               apply_restructure=restructure_for_test)
        uow.commit()
    return cid, lid, plan_id


def _plan_status(uow: UnitOfWork, plan_id: int) -> str:
    return str(uow.conn.execute(select(collection_plans.c.status).where(
        collection_plans.c.id == plan_id)).scalar_one())


def test_a_missed_early_plan_installment_breaks_it_and_opens_the_case(engine: Engine) -> None:
    _, lid, plan_id = _signed_early_plan(engine)
    with UnitOfWork(engine) as uow:
        set_loan(uow.conn, lid, dpd=3, overdue_principal_fen=10_000)  # within grace: kept
        assert service.sync_book(uow, date(2026, 3, 2)).plans_broken == 0
        assert _plan_status(uow, plan_id) == "signed"
        set_loan(uow.conn, lid, dpd=4)
        report = service.sync_book(uow, date(2026, 3, 3))
        assert report.plans_broken == 1 and len(report.opened) == 1
        assert _plan_status(uow, plan_id) == "broken"
        events = [h.event for h in queries.case_detail(uow.conn, report.opened[0]).history]
        assert events == ["opened", "plan_broken"]


def test_an_early_plan_is_completed_when_the_loan_closes(engine: Engine) -> None:
    _, lid, plan_id = _signed_early_plan(engine)
    with UnitOfWork(engine) as uow:
        set_loan(uow.conn, lid, status="closed")
        service.sync_book(uow, date(2026, 3, 2))
        assert _plan_status(uow, plan_id) == "completed"
    assert _cases(engine) == 0


def test_a_kept_early_plan_stops_collection_on_the_borrowers_case(engine: Engine) -> None:
    cid, lid, _ = _signed_early_plan(engine)
    call = ProposedContact(Channel.CALL, Target.BORROWER,
                           datetime.fromisoformat("2026-03-02T10:00+08:00"),
                           collector_id="C042", recorded=True)
    with UnitOfWork(engine) as uow:
        add_loan(uow.conn, cid, 2, dpd=10, overdue_principal_fen=20_000)  # another loan
        (case_id,) = service.sync_book(uow, date(2026, 3, 2)).opened
        assert service.check_contact_for_case(uow.conn, case_id, call).codes == [
            "plan_in_force"]
        set_loan(uow.conn, lid, dpd=4, overdue_principal_fen=10_000)  # the plan breaks
        service.sync_book(uow, date(2026, 3, 3))
        assert service.check_contact_for_case(uow.conn, case_id, call).allowed


def test_each_plan_is_signed_by_its_own_flow(db: tuple[Engine, int]) -> None:
    engine, case_id = db
    cid, lid = _synthetic(engine)
    with UnitOfWork(engine) as uow:
        early = early_plans.offer_early_plan(uow, lid, installments=12, proposed_by="cs")
        case_loan = int(uow.conn.execute(select(loans.c.id).where(
            loans.c.customer_id != cid)).scalar_one())
        on_case = service.offer_plan(uow, case_id, case_loan, installments=12,
                                     proposed_by="C042")
        uow.commit()
    api = client(engine)
    wrong = api.post(f"/collections/plans/{early.plan_id}/sign", json={"signed_by": "b"})
    assert wrong.status_code == 409 and wrong.json()["error"] == "wrong_plan_origin"
    other = api.post(f"/collections/early-plans/{on_case.plan_id}/sign",
                     json={"signed_by": "b"})
    assert other.status_code == 409 and other.json()["error"] == "wrong_plan_origin"
    assert api.get(f"/collections/early-plans/{on_case.plan_id}").status_code == 404


def test_customer_service_offers_through_the_cli(engine: Engine,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import lendcore.access.commands  # noqa: F401 (wires the CLI's local operator)

    _, lid = _synthetic(engine)
    monkeypatch.setenv("LENDCORE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(cli_support, "_CLOCK", None)
    monkeypatch.setattr(cli_support, "_PRINCIPALS", {}, raising=False)
    monkeypatch.setenv("LENDCORE_OPERATOR", "admin")
    app = typer.Typer()
    commands.register(app)
    run = CliRunner()
    asked = run.invoke(app, ["collections", "early-plan", "request", "--loan", str(lid),
                             "--installments", "24", "--reason", "shop closed", "--json"])
    assert asked.exit_code == 0, asked.output
    offered = run.invoke(app, ["collections", "early-plan", "offer", "--loan", str(lid),
                               "--installments", "24", "--json"])
    assert offered.exit_code == 0, offered.output
    plan_id = json.loads(offered.stdout)["plan_id"]
    shown = json.loads(run.invoke(app, ["collections", "early-plan", "show", "--plan",
                                        str(plan_id)]).stdout)
    assert (shown["origin"], shown["installments_count"], len(shown["schedule"])) == (
        "early", 24, 24)
    listed = json.loads(run.invoke(app, ["collections", "early-plan", "requests", "--status",
                                         "offered", "--json"]).stdout)
    assert [r["plan_id"] for r in listed] == [plan_id]
    bad = run.invoke(app, ["collections", "early-plan", "offer", "--loan", str(lid),
                           "--installments", "61"])
    assert "--installments" in str(bad.exception)


def test_a_waiver_needs_its_reason_as_on_a_case(engine: Engine) -> None:
    _, lid = _synthetic(engine, dpd=2, overdue_interest_fen=1_000)  # within the grace
    with UnitOfWork(engine) as uow:
        with pytest.raises(RuleViolation) as err:
            early_plans.offer_early_plan(uow, lid, installments=12, proposed_by="cs",
                                         waiver=Waiver(interest_fen=100))
        assert err.value.field == "waiver_reason"
        offered = early_plans.offer_early_plan(uow, lid, installments=12, proposed_by="cs",
                                               waiver=Waiver(interest_fen=100, reason="ill"))
        assert (offered.offer.waived_interest_fen, offered.offer.waiver_reason) == (100, "ill")
