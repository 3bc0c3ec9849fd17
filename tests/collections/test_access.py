"""Who sees and does what in collections: a collector only the cases assigned to them, an agency
collector only its agency's, amounts by the principal's roles (never a query parameter), no
name of the operator acting in any body, and four eyes on signing a plan with a waiver."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

import pytest
from collections_helpers import D1, add_customer, add_loan, as_user, client
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from lendcore.access.policy import PERMISSIONS, permissions_of
from lendcore.collections import operations, service, views
from lendcore.collections.cases import Role
from lendcore.money import format_yuan
from lendcore.principal import OPERATOR, Principal
from lendcore.runner import COMMANDS, Context, execute
from lendcore.store.collections_tables import (
    collection_cases,
    collection_contacts,
    collection_plans,
)
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork
from tests.auth import add_staff
from tests.servicing.test_plans import _overdue_loan


def _second_case(engine: Engine) -> int:
    with UnitOfWork(engine) as uow:
        cid = add_customer(uow.conn)
        add_loan(uow.conn, cid, 1, dpd=10, overdue_principal_fen=50_000)
        (case_id,) = service.sync_book(uow, D1).opened
        uow.commit()
    return case_id


def _ids(api: TestClient, headers: dict[str, str] | None = None) -> list[int]:
    r = api.get("/collections/cases", headers=headers)
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()]


def _contacts(engine: Engine) -> int:
    with UnitOfWork(engine, read_only=True) as uow:
        return int(uow.conn.execute(select(func.count()).select_from(collection_contacts))
                   .scalar_one())


# --- whose cases -------------------------------------------------------------------------------
def test_a_collector_sees_and_works_only_the_cases_assigned_to_them(
        db: tuple[Engine, int]) -> None:
    engine, mine = db
    other = _second_case(engine)
    api = client(engine)  # an administrator: assigns, sees everything
    li = as_user(api, engine, "li.wei", "collector")
    wang = as_user(api, engine, "wang.fang", "collector")
    assert _ids(api) == [mine, other]
    assert _ids(api, li) == []  # nothing assigned yet
    given = api.post(f"/collections/cases/{mine}/collector", json={"collector": "li.wei"})
    assert given.status_code == 200, given.text
    assert (given.json()["collector"], given.json()["previous"]) == ("li.wei", None)
    assert _ids(api, li) == [mine] and _ids(api, wang) == []
    assert api.get(f"/collections/cases/{mine}", headers=li).status_code == 200
    refused = api.get(f"/collections/cases/{other}", headers=li)
    assert refused.status_code == 403 and refused.json()["field"] == "case_id", refused.text
    assert api.get("/collections/cases/999999", headers=li).status_code == 403  # no probing
    call = {"case_id": other, "channel": "call", "recorded": True}
    assert api.post("/collections/contacts/check", json=call, headers=li).status_code == 403
    record = api.post("/collections/contacts", json={**call, "outcome": "answered",
                                                     "recording_ref": "rec-1"}, headers=li)
    assert record.status_code == 403 and _contacts(engine) == 0
    for path, body in ((f"/collections/cases/{other}/reachability", {"unreachable": True}),
                       (f"/collections/cases/{other}/outsourcing-notice", {"channel": "sms"})):
        assert api.post(path, json=body, headers=li).status_code == 403, path
    # Reassigned: the new collector sees it, the one before no longer does.
    moved = api.post(f"/collections/cases/{mine}/collector", json={"collector": "wang.fang"})
    assert moved.json()["previous"] == "li.wei"
    assert _ids(api, li) == [] and _ids(api, wang) == [mine]
    assert api.get(f"/collections/cases/{mine}", headers=li).status_code == 403
    assigning = api.post(f"/collections/cases/{mine}/collector", json={"collector": "li.wei"},
                         headers=wang)
    assert assigning.status_code == 403  # a collector does not assign (case.assign)


def test_a_contact_is_recorded_as_the_signed_in_collector(db: tuple[Engine, int]) -> None:
    engine, case_id = db
    api = client(engine)
    li = as_user(api, engine, "li.wei", "collector")
    api.post(f"/collections/cases/{case_id}/collector", json={"collector": "li.wei"})
    sms = {"case_id": case_id, "channel": "sms", "recorded": True}
    unsigned = api.post("/collections/contacts/check", headers=li,
                        json={**sms, "template": "请尽快还款。工号C042"})
    assert [r["code"] for r in unsigned.json()["reasons"]] == ["collector_not_identified"]
    done = api.post("/collections/contacts", headers=li, json={
        **sms, "template": "请尽快还款。工号li.wei", "outcome": "delivered"})
    assert done.status_code == 200 and done.json()["allowed"], done.text
    with UnitOfWork(engine, read_only=True) as uow:
        row = uow.conn.execute(select(collection_contacts)).mappings().one()
    assert (row["collector_id"], row["agency_id"]) == ("li.wei", None)


def test_an_agency_collector_sees_only_its_agencys_cases(db: tuple[Engine, int]) -> None:
    engine, theirs = db
    other = _second_case(engine)
    with UnitOfWork(engine) as uow:
        east = service.add_agency(uow, "AG-EAST", "East", date(2026, 1, 10))
        service.add_agency(uow, "AG-WEST", "West", date(2026, 1, 10))
        uow.conn.execute(update(collection_cases).where(collection_cases.c.id == theirs)
                         .values(assignee_kind="agency", agency_id=east.agency_id))
        uow.commit()
    api = client(engine)
    east_staff = as_user(api, engine, "east.017", "agency_collector", agency="AG-EAST")
    west_staff = as_user(api, engine, "west.002", "agency_collector", agency="AG-WEST")
    assert _ids(api, east_staff) == [theirs] and _ids(api, west_staff) == []
    seen = api.get(f"/collections/cases/{theirs}", headers=east_staff).json()
    assert seen["amounts_shown_as"] == "band" and seen["assignee"]["agency"] == "AG-EAST"
    assert api.get(f"/collections/cases/{other}", headers=east_staff).status_code == 403
    assert api.get(f"/collections/cases/{theirs}", headers=west_staff).status_code == 403
    # Its contacts are its agency's, under its collector's name.
    done = api.post("/collections/contacts", headers=east_staff, json={
        "case_id": theirs, "channel": "call", "recorded": True, "outcome": "answered",
        "recording_ref": "rec-east"})
    assert done.status_code == 200 and done.json()["allowed"], done.text
    with UnitOfWork(engine, read_only=True) as uow:
        row = uow.conn.execute(select(collection_contacts)).mappings().one()
    assert (row["collector_id"], row["agency_id"]) == ("east.017", east.agency_id)


def test_assigning_a_collector_needs_an_active_user_with_the_collector_role(
        db: tuple[Engine, int]) -> None:
    engine, case_id = db
    api = client(engine)
    add_staff(engine, "cs.one", "customer_service")
    path = f"/collections/cases/{case_id}/collector"
    unknown = api.post(path, json={"collector": "nobody"})
    assert unknown.status_code == 404 and unknown.json()["field"] == "collector"
    wrong = api.post(path, json={"collector": "cs.one"})
    assert wrong.status_code == 422 and wrong.json()["error"] == "not_a_collector", wrong.text
    assert api.post(path, json={"collector": "li.wei"}).status_code == 404
    with UnitOfWork(engine, read_only=True) as uow:
        assert uow.conn.execute(select(collection_cases.c.collector)).scalar_one() is None


# --- the role is the principal's ----------------------------------------------------------------
@pytest.mark.parametrize("path", ["/collections/cases", "/collections/cases/{case}"])
def test_the_role_is_never_a_query_parameter(db: tuple[Engine, int], path: str) -> None:
    engine, case_id = db
    api = client(engine, user="li.wei", roles=("collector",))
    r = api.get(path.format(case=case_id), params={"role": "supervisor"})
    assert r.status_code == 422 and r.json()["field"] == "role", r.text


@pytest.mark.parametrize(("roles", "shown", "principal"), [
    (("collections_supervisor",), "exact", "1234.56"),
    (("administrator",), "exact", "1234.56"),
    (("compliance_auditor",), "exact", "1234.56"),
    (("collector",), "band", "1000-5000"),
    (("agency_collector",), "band", "1000-5000"),
])
def test_exact_amounts_only_for_a_supervisors_roles(
        db: tuple[Engine, int], roles: tuple[str, ...], shown: str, principal: str) -> None:
    engine, case_id = db
    with UnitOfWork(engine) as uow:  # in scope of each: assigned to them and to their agency
        agency = service.add_agency(uow, "AG-1", "One", date(2026, 1, 10))
        uow.conn.execute(update(collection_cases).values(collector="who",
                                                         agency_id=agency.agency_id))
        uow.commit()
    api = client(engine, user="who", roles=roles,
                 agency="AG-1" if "agency_collector" in roles else None)
    (row,) = api.get("/collections/cases").json()
    detail = api.get(f"/collections/cases/{case_id}").json()
    for view in (row, detail):
        assert view["amounts_shown_as"] == shown
        assert view["amounts"]["overdue_principal"] == principal


def test_the_view_role_follows_the_principals_roles() -> None:
    def who(*roles: str) -> Principal:
        return Principal("x", OPERATOR, roles, permissions_of(roles))

    assert views.view_role(who("collections_supervisor")) is Role.SUPERVISOR
    assert views.view_role(who("agency_collector", "compliance_auditor")) is Role.SUPERVISOR
    assert views.view_role(who("agency_collector")) is Role.AGENCY
    assert views.view_role(who("collector")) is Role.COLLECTOR
    assert views.view_role(who("customer_service")) is Role.COLLECTOR
    assert views.view_role(None) is Role.SUPERVISOR  # code in process, not a signed-in caller


def test_every_command_declares_its_permission_and_its_case() -> None:
    from lendcore.collections import early_operations, legal_operations  # noqa: F401 (register)

    ours = {name: cls for name, cls in COMMANDS.items() if name.startswith("collections.")}
    assert len(ours) == 18
    for name, cls in ours.items():
        assert cls.permission in PERMISSIONS, name
    plan = operations.OfferPlan(3, 3_000_001, 12)
    contact = operations.RecordContact(operations.Contact(4, operations.Channel.CALL),
                                       operations.Outcome.ANSWERED)
    for command, case_id in ((plan, 3), (contact, 4), (operations.SendNotice(5, "sms"), 5),
                             (operations.AssignAgency(6, "AG"), 6),
                             (operations.AssignCollector(7, "li.wei"), 7),
                             (operations.MarkUnreachable(8, True), 8)):
        assert command.subject() == ("case", case_id)
    assert operations.SyncCases.permission == "night.run"
    names = {f.name for cls in ours.values() if dataclasses.is_dataclass(cls)
             for f in dataclasses.fields(cls)}
    assert not names & {"proposed_by", "approved_by", "by", "collector_id"}


# --- four eyes on a waiver ---------------------------------------------------------------------
def _plan_book(engine: Engine) -> tuple[TestClient, int, int, str]:
    """A real loan 75 days late with its case assigned to li.wei; the penalty in yuan."""
    loan_id, case_id, _ = _overdue_loan(engine)
    with UnitOfWork(engine, read_only=True) as uow:
        penalty = uow.conn.execute(select(loans.c.penalty_receivable_fen)
                                   .where(loans.c.id == loan_id)).scalar_one()
    assert penalty > 0
    api = client(engine)
    add_staff(engine, "li.wei", "collector")
    assert api.post(f"/collections/cases/{case_id}/collector",
                    json={"collector": "li.wei"}).status_code == 200
    return api, case_id, loan_id, format_yuan(int(penalty))


def _plan(engine: Engine, plan_id: int) -> Any:
    with UnitOfWork(engine, read_only=True) as uow:
        return uow.conn.execute(select(collection_plans).where(
            collection_plans.c.id == plan_id)).mappings().one()


def test_signing_a_plan_with_a_waiver_waits_for_a_supervisor(engine: Engine) -> None:
    api, case_id, loan_id, penalty = _plan_book(engine)
    li = as_user(api, engine, "li.wei")
    offered = api.post(f"/collections/cases/{case_id}/plans", headers=li, json={
        "loan_id": loan_id, "installments": 12, "waive_penalty": penalty,
        "reason": "job loss, income proof seen"})
    assert offered.status_code == 201, offered.text
    plan_id = offered.json()["plan_id"]
    assert _plan(engine, plan_id)["proposed_by"] == "li.wei"
    sign = {"signed_by": "borrower (e-signature)"}
    proposed = api.post(f"/collections/plans/{plan_id}/sign", json=sign, headers=li)
    assert proposed.status_code == 202, proposed.text
    assert proposed.json()["why"] == f"a plan that waives {penalty} yuan of penalty"
    assert _plan(engine, plan_id)["status"] == "offered"  # nothing signed yet
    again = api.post(f"/collections/plans/{plan_id}/sign", json=sign, headers=li)
    assert again.status_code == 409 and again.json()["error"] == "already_pending"
    pending_id = proposed.json()["pending_id"]
    decision = {"reason": "hardship documented"}
    own = api.post(f"/pending/{pending_id}/approve", json=decision, headers=li)
    assert own.status_code == 403  # a collector checks nothing (pending.decide)
    checker = as_user(api, engine, "sup.one", "collections_supervisor")
    done = api.post(f"/pending/{pending_id}/approve", json=decision, headers=checker)
    assert done.status_code == 200, done.text
    assert (done.json()["maker"], done.json()["checker"]) == ("li.wei", "sup.one")
    result = done.json()["result"]
    assert (result["status"], result["approved_by"]) == ("signed", "sup.one")
    row = _plan(engine, plan_id)
    assert (row["status"], row["signed_by"], row["approved_by"]) == (
        "signed", "borrower (e-signature)", "sup.one")
    with UnitOfWork(engine, read_only=True) as uow:
        assert uow.conn.execute(select(loans.c.restructured).where(
            loans.c.id == loan_id)).scalar_one()


def test_nobody_checks_their_own_proposal_or_their_own_waiver(engine: Engine) -> None:
    api, case_id, loan_id, penalty = _plan_book(engine)
    sup_one = as_user(api, engine, "sup.one", "collections_supervisor")
    offered = api.post(f"/collections/cases/{case_id}/plans", headers=sup_one, json={
        "loan_id": loan_id, "installments": 24, "waive_penalty": penalty,
        "reason": "hardship"})
    plan_id = offered.json()["plan_id"]
    sign, decision = {"signed_by": "borrower"}, {"reason": "looks right"}
    mine = api.post(f"/collections/plans/{plan_id}/sign", json=sign, headers=sup_one)
    assert mine.status_code == 202
    own = api.post(f"/pending/{mine.json()['pending_id']}/approve", json=decision,
                   headers=sup_one)
    assert own.status_code == 403 and own.json()["error"] == "own_command", own.text
    withdrawn = api.post(f"/pending/{mine.json()['pending_id']}/reject",
                         json={"reason": "the collector will ask"}, headers=sup_one)
    assert withdrawn.status_code == 200, withdrawn.text
    # The collector asks; the supervisor who offered the waiver cannot be its checker.
    asked = api.post(f"/collections/plans/{plan_id}/sign", json=sign,
                     headers=as_user(api, engine, "li.wei"))
    assert asked.status_code == 202, asked.text
    pending_id = asked.json()["pending_id"]
    offerer = api.post(f"/pending/{pending_id}/approve", json=decision, headers=sup_one)
    assert offerer.status_code == 403 and offerer.json()["error"] == "own_waiver"
    assert _plan(engine, plan_id)["status"] == "offered"
    other = api.post(f"/pending/{pending_id}/approve", json=decision,
                     headers=as_user(api, engine, "sup.two", "collections_supervisor"))
    assert other.status_code == 200, other.text
    row = _plan(engine, plan_id)
    assert (row["status"], row["proposed_by"], row["approved_by"]) == (
        "signed", "sup.one", "sup.two")


def test_a_plan_without_a_waiver_is_signed_at_once_and_only_on_ones_own_case(
        engine: Engine) -> None:
    api, case_id, loan_id, _ = _plan_book(engine)
    li = as_user(api, engine, "li.wei")
    offered = api.post(f"/collections/cases/{case_id}/plans", headers=li,
                       json={"loan_id": loan_id, "installments": 12})
    plan_id = offered.json()["plan_id"]
    other = as_user(api, engine, "wang.fang", "collector")
    refused = api.post(f"/collections/plans/{plan_id}/sign", json={"signed_by": "borrower"},
                       headers=other)
    assert refused.status_code == 403 and _plan(engine, plan_id)["status"] == "offered"
    signed = api.post(f"/collections/plans/{plan_id}/sign", json={"signed_by": "borrower"},
                      headers=li)
    assert signed.status_code == 200, signed.text
    assert (signed.json()["status"], signed.json()["approved_by"]) == ("signed", None)


def test_code_in_the_process_signs_a_waiver_without_a_checker(engine: Engine) -> None:
    """The demo and the night run commands without a principal: no four eyes there."""
    _, case_id, loan_id, penalty = _plan_book(engine)
    ctx = Context(now=datetime(2026, 3, 21, 2, tzinfo=UTC), actor="demo")
    fen = int(penalty.replace(".", ""))
    offered = execute(engine, operations.OfferPlan(case_id, loan_id, 12, waive_penalty_fen=fen,
                                                   waiver_reason="hardship"), ctx=ctx)
    signed = execute(engine, operations.SignPlan(offered["plan_id"], "borrower"), ctx=ctx)
    assert (signed["status"], signed["approved_by"]) == ("signed", "demo")
