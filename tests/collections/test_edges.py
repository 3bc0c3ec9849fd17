"""Strict edges of the collections API: unknown fields, text maxima, patterns, money, counts,
closed sets. Each refusal is a 422 naming the field; each limit is tested on both sides."""

from __future__ import annotations

from typing import Any

import pytest
from collections_helpers import client
from fastapi.routing import APIRoute
from sqlalchemy import Engine

from lendcore.collections import early_routes, routes
from lendcore.edge import Body


def valid_bodies(case_id: int) -> dict[str, tuple[str, dict[str, Any]]]:
    """A valid body for every route that takes one (by route name)."""
    contact = {"case_id": case_id, "channel": "call", "recorded": True}
    return {
        "check_contact": ("/collections/contacts/check", contact),
        "record_contact": ("/collections/contacts", {**contact, "outcome": "answered",
                                                     "recording_ref": "rec-1"}),
        "outsourcing_notice": (f"/collections/cases/{case_id}/outsourcing-notice",
                               {"channel": "letter"}),
        "assign": (f"/collections/cases/{case_id}/assign", {"agency_code": "AG-1"}),
        "assign_collector": (f"/collections/cases/{case_id}/collector", {"collector": "li.wei"}),
        "set_reachability": (f"/collections/cases/{case_id}/reachability",
                             {"unreachable": True}),
        "add_agency": ("/collections/agencies", {"code": "AG-1", "name": "East",
                                                 "last_reviewed_on": "2026-01-01"}),
        "review_agency": ("/collections/agencies/AG-1/review", {}),
        "offer_plan": (f"/collections/cases/{case_id}/plans", {
            "loan_id": 1_000_001, "installments": 12}),
        "sign_plan": ("/collections/plans/1/sign", {"signed_by": "borrower"}),
        "open_complaint": ("/collections/complaints", {"customer_id": 1, "channel": "app",
                                                       "summary": "too many calls"}),
        "mark_complaint_complex": ("/collections/complaints/1/complex", {}),
        "extend_complaint": ("/collections/complaints/1/extend", {
            "days": 40, "reason": "records"}),
        "resolve_complaint": ("/collections/complaints/1/resolve", {"resolution": "settled"}),
        "record_legal_step": (f"/collections/cases/{case_id}/legal-steps", {
            "step": "lawyer_letter", "reference": "LF-2026-0031"}),
        "request_early_plan": ("/collections/early-plan-requests", {
            "loan_id": 1_000_001, "installments": 12, "reason": "salary cut"}),
        "offer_early_plan": ("/collections/early-plans", {"loan_id": 1_000_001,
                                                          "installments": 12}),
        "sign_early_plan": ("/collections/early-plans/1/sign", {"signed_by": "borrower"}),
    }


def post_routes() -> list[APIRoute]:
    return [r for router in (routes.router, early_routes.router) for r in router.routes
            if isinstance(r, APIRoute) and "POST" in r.methods]


def test_every_body_derives_from_the_strict_body() -> None:
    for route in post_routes():
        body = route.body_field
        if body is None:
            continue
        model = body.field_info.annotation
        models = getattr(model, "__args__", (model,))
        for m in models:
            if m is not type(None):
                assert issubclass(m, Body), route.name


def test_every_post_route_has_a_valid_example_here(db: tuple[Engine, int]) -> None:
    assert {r.name for r in post_routes()} == set(valid_bodies(db[1]))


@pytest.mark.parametrize("name", sorted(valid_bodies(1)))
def test_every_body_refuses_an_unknown_field_and_takes_the_valid_one(
        db: tuple[Engine, int], name: str) -> None:
    engine, case_id = db
    api = client(engine)
    path, body = valid_bodies(case_id)[name]
    extra = api.post(path, json={**body, "unexpected": 1})
    assert extra.status_code == 422 and extra.json()["field"] == "unexpected", extra.text
    plain = api.post(path, json=body)
    assert plain.json().get("error") != "invalid_input", plain.text


def refusal(api: Any, name: str, case_id: int, /, **changes: Any) -> str | None:
    """The field a route's 422 invalid_input names, with ``changes`` applied to a valid body
    (None: the input was accepted; the command may still refuse for a business reason)."""
    path, body = valid_bodies(case_id)[name]
    r = api.post(path, json={**body, **changes})
    if r.status_code == 422 and r.json()["error"] == "invalid_input":
        return str(r.json()["field"]).split(".")[0]  # collectors.0: the list's field
    return None


@pytest.mark.parametrize(("name", "field", "longest"), [
    ("check_contact", "template", 1_000),
    ("record_contact", "recording_ref", 255),
    ("outsourcing_notice", "reference", 128),
    ("add_agency", "name", 255),
    ("offer_plan", "reason", 500),
    ("sign_plan", "signed_by", 64),
    ("open_complaint", "summary", 2_000),
    ("extend_complaint", "reason", 500),
    ("resolve_complaint", "resolution", 2_000),
    ("record_legal_step", "reference", 128),
    ("request_early_plan", "reason", 500),
    ("offer_early_plan", "reason", 500),
    ("sign_early_plan", "signed_by", 64),
])
def test_text_fields_have_a_maximum_length(db: tuple[Engine, int], name: str, field: str,
                                           longest: int) -> None:
    engine, case_id = db
    api = client(engine)
    assert refusal(api, name, case_id, **{field: "x" * longest}) is None
    assert refusal(api, name, case_id, **{field: "x" * (longest + 1)}) == field


@pytest.mark.parametrize(("name", "field", "value"), [
    ("open_complaint", "summary", "refund\u202egnp.exe"),  # a bidirectional override
    ("open_complaint", "summary", " leading space"),
    ("open_complaint", "summary", ""),
    ("resolve_complaint", "resolution", "line\x00break"),
])
def test_text_fields_refuse_control_characters_and_padding(
        db: tuple[Engine, int], name: str, field: str, value: str) -> None:
    engine, case_id = db
    assert refusal(client(engine), name, case_id, **{field: value}) == field


@pytest.mark.parametrize(("field", "value", "accepted"), [
    ("number", "13800000000", True), ("number", "+8613800000000", True),
    ("number", "emergency-1", True), ("number", "123", True),
    ("number", "12", False), ("number", "138 0000 0000", False), ("number", "138-0000", False),
    ("number", "1" * 21, False), ("number", "e" * 65, False),
    ("collectors", ["C1"] * 10, True), ("collectors", ["C1"] * 11, False),
    ("collectors", ["C 1"], False),
    ("channel", "visit", True), ("channel", "fax", False), ("channel", "CALL", False),
    ("to", "contact", True), ("to", "neighbour", False),
    ("recorded", False, True), ("recorded", "true", False), ("recorded", 1, False),
    ("case_id", "7", False), ("case_id", 0, False),
])
def test_contact_fields_have_patterns_and_closed_sets(
        db: tuple[Engine, int], field: str, value: Any, accepted: bool) -> None:
    engine, case_id = db
    found = refusal(client(engine), "check_contact", case_id, **{field: value})
    assert found == (None if accepted else field)


@pytest.mark.parametrize(("changes", "field"), [
    ({"outcome": "maybe"}, "outcome"),
    ({"promise_amount": "1,5", "promise_date": "2026-03-09"}, "promise_amount"),
    ({"promise_amount": 500, "promise_date": "2026-03-09"}, "promise_amount"),
    ({"promise_amount": "500.00", "promise_date": "09/03/2026"}, "promise_date"),
    ({"promise_amount": "500.00", "promise_date": 1_773_000_000}, "promise_date"),
])
def test_a_recorded_contacts_outcome_money_and_promise_date_are_strict(
        db: tuple[Engine, int], changes: dict[str, Any], field: str) -> None:
    engine, case_id = db
    assert refusal(client(engine), "record_contact", case_id, **changes) == field


def test_a_promise_in_yuan_digits_with_a_date_is_taken(db: tuple[Engine, int]) -> None:
    engine, case_id = db
    api = client(engine)
    assert refusal(api, "record_contact", case_id, promise_amount="500.00",
                   promise_date="2026-03-09") is None
    detail = api.get(f"/collections/cases/{case_id}").json()  # an administrator: exact
    assert detail["promises"][0]["amount"] == "500.00"


@pytest.mark.parametrize(("name", "changes", "field"), [
    ("offer_plan", {"installments": 60}, None),
    ("offer_plan", {"installments": 61}, "installments"),
    ("offer_plan", {"installments": 0}, "installments"),
    ("offer_plan", {"installments": "12"}, "installments"),
    ("offer_plan", {"installments": 12.0}, "installments"),
    ("offer_plan", {"method": "bullet"}, "method"),
    ("offer_plan", {"waive_penalty": "1e3"}, "waive_penalty"),
    ("offer_plan", {"waive_interest": "０"}, "waive_interest"),
    ("offer_plan", {"loan_id": "1000001"}, "loan_id"),
    ("extend_complaint", {"days": 60}, None),
    ("extend_complaint", {"days": 61}, "days"),
    ("extend_complaint", {"days": 0}, "days"),
    ("open_complaint", {"channel": "tweet"}, "channel"),
    ("open_complaint", {"complex": "yes"}, "complex"),
    ("outsourcing_notice", {"channel": "fax"}, "channel"),
    ("set_reachability", {"unreachable": "yes"}, "unreachable"),
    ("assign_collector", {"collector": "li wei"}, "collector"),
    ("assign_collector", {"collector": "x" * 65}, "collector"),
    ("add_agency", {"code": "AG 1"}, "code"),
    ("add_agency", {"code": "A" * 65}, "code"),
    ("add_agency", {"last_reviewed_on": "2026-01-01T00:00"}, "last_reviewed_on"),
    ("assign", {"agency_code": "AG/1"}, "agency_code"),
])
def test_counts_money_identifiers_and_enums_are_refused_naming_the_field(
        db: tuple[Engine, int], name: str, changes: dict[str, Any], field: str | None) -> None:
    engine, case_id = db
    assert refusal(client(engine), name, case_id, **changes) == field


@pytest.mark.parametrize(("name", "field", "value"), [
    ("check_contact", "collector_id", "C042"),
    ("record_contact", "collector_id", "C042"),
    ("record_contact", "agency_code", "AG-1"),
    ("set_reachability", "by", "C042"),
    ("offer_plan", "proposed_by", "C042"),
    ("offer_plan", "approved_by", "S001"),
    ("extend_complaint", "approved_by", "S1"),
])
def test_no_body_names_the_operator_acting(db: tuple[Engine, int], name: str, field: str,
                                          value: str) -> None:
    """Who contacted, marked, offered or approved is the signed-in principal: a body naming
    them is refused (422 naming the field), not believed."""
    engine, case_id = db
    path, body = valid_bodies(case_id)[name]
    r = client(engine).post(path, json={**body, field: value})
    assert r.status_code == 422 and r.json()["field"] == field, r.text


@pytest.mark.parametrize(("params", "field"), [
    ({"bucket": "M9"}, "bucket"), ({"status": "pending"}, "status"),
    ({"role": "boss"}, "role"), ({"limit": 0}, "limit"), ({"limit": 1001}, "limit"),
    ({"after": -1}, "after"), ({"date": "2026-03-01"}, "date"),
])
def test_the_case_list_refuses_unknown_and_bad_query_parameters(
        db: tuple[Engine, int], params: dict[str, Any], field: str) -> None:
    engine, _ = db
    r = client(engine).get("/collections/cases", params=params)
    assert r.status_code == 422 and r.json()["field"] == field, r.text


def test_the_case_list_pages_by_id(db: tuple[Engine, int]) -> None:
    engine, case_id = db
    api = client(engine)
    assert [c["id"] for c in api.get("/collections/cases",
                                     params={"limit": 1000}).json()] == [case_id]
    assert api.get("/collections/cases", params={"after": case_id}).json() == []
