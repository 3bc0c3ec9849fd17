"""Strict edges: money by one pattern, bodies that refuse unknown fields, JSON or nothing.

Proves issue #12 item 5 and item 6 (one request pipeline): everything that matches the money
pattern is accepted exactly and everything else refused (Hypothesis); every request body of every
route refuses unknown fields (read from the app's own routes, nested models included); a body
that is not JSON is a 400 ``invalid_json``, another content type a 415, an oversized body a 413,
on every route the pipeline covers (the decision route included).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from lendcore.api.app import MAX_BODY_BYTES, create_app
from lendcore.clock import init_business_date
from lendcore.edge import check_timezone, parse_money
from lendcore.errors import InvalidInput
from lendcore.money import MONEY_PATTERN, parse_yuan
from lendcore.store.db import make_engine, upgrade
from lendcore.store.uow import UnitOfWork
from tests.auth import signed_in

MONEY = re.compile(MONEY_PATTERN)


# -- money -------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["1,5", "1_000", "1e3", "+10", ".5", " 10", "10 ", "１０",
                                  "\u0661\u0660", "-1", "1.", "1.234", "", "0x10", "NaN",
                                  "Infinity", "1 000", "٫5", "10\n"])
def test_money_that_is_not_plain_ascii_yuan_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_yuan(text, "amount")
    assert err.value.field == "amount"


@pytest.mark.parametrize(("text", "fen"), [("917.99", 91799), ("5000", 500000), ("0.01", 1),
                                           ("007", 700), ("999999999999999.99",
                                                          99999999999999999)])
def test_plain_ascii_yuan_is_accepted_exactly(text: str, fen: int) -> None:
    assert parse_yuan(text, "amount") == fen


@given(st.from_regex(MONEY_PATTERN, fullmatch=True))
def test_everything_the_pattern_matches_is_accepted_exactly(text: str) -> None:
    fen = int(Decimal(text) * 100)
    if fen == 0:
        assert parse_yuan(text, "amount", allow_zero=True) == 0
    else:
        assert parse_yuan(text, "amount") == fen


@given(st.text(max_size=24))
def test_everything_else_is_refused(text: str) -> None:
    if MONEY.fullmatch(text):
        return
    with pytest.raises(InvalidInput):
        parse_money(text, "amount", allow_zero=True)


def test_a_json_number_is_not_money() -> None:
    with pytest.raises(InvalidInput):
        parse_money(917.99, "amount")
    with pytest.raises(InvalidInput):
        parse_money(5000, "amount")


# -- time zones --------------------------------------------------------------------------------
@pytest.mark.parametrize("zone", ["Mars/Olympus", "asia/shanghai", "UTC+8", "", "Europe/Paris"])
def test_a_zone_outside_the_iana_database_or_the_configured_set_is_refused(zone: str) -> None:
    with pytest.raises(InvalidInput) as err:
        check_timezone(zone)
    assert err.value.field == "timezone"


def test_the_served_zones_are_accepted() -> None:
    assert check_timezone("Asia/Shanghai") == "Asia/Shanghai"
    assert check_timezone("Asia/Urumqi") == "Asia/Urumqi"


# -- the request pipeline ----------------------------------------------------------------------
@pytest.fixture
def client(tmp_path: Path) -> Any:
    engine = make_engine(f"sqlite:///{tmp_path}/edges.db")
    upgrade(engine)
    with UnitOfWork(engine) as uow:
        init_business_date(uow.conn, date(2026, 3, 2))
        uow.commit()
    with TestClient(create_app(engine)) as c:
        yield signed_in(c, engine)
    engine.dispose()


BODY_ROUTES = ["/applications", "/customers", "/loans/1000001/repayments"]


@pytest.mark.parametrize("path", BODY_ROUTES)
def test_a_body_that_is_not_json_is_a_400_invalid_json(client: Any, path: str) -> None:
    r = client.post(path, content=b'{"amount": "1"', headers={
        "Content-Type": "application/json", "Idempotency-Key": "k1"})
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_json" and r.json()["field"] is None


@pytest.mark.parametrize("path", BODY_ROUTES)
@pytest.mark.parametrize("kind", ["text/plain", "application/x-www-form-urlencoded",
                                  "multipart/form-data; boundary=x"])
def test_a_body_of_another_content_type_is_a_415(client: Any, path: str, kind: str) -> None:
    r = client.post(path, content=b'{"amount": "1"}', headers={"Content-Type": kind})
    assert r.status_code == 415, r.text
    assert r.json()["error"] == "unsupported_media_type"
    assert r.json()["field"] == "Content-Type"


def test_a_json_body_without_a_content_type_is_a_415(client: Any) -> None:
    r = client.post("/customers", content=b"{}", headers={"Content-Type": ""})
    assert r.status_code == 415


@pytest.mark.parametrize("path", BODY_ROUTES)
def test_a_body_over_the_limit_is_a_413(client: Any, path: str) -> None:
    big = b'{"x": "' + b"a" * MAX_BODY_BYTES + b'"}'
    r = client.post(path, content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "too_large"


def test_a_chunked_body_over_the_limit_is_a_413(client: Any) -> None:
    def chunks() -> Any:
        for _ in range(MAX_BODY_BYTES // 1024 + 2):
            yield b"a" * 1024

    r = client.post("/customers", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "too_large"


def test_a_json_body_with_a_charset_is_accepted(client: Any) -> None:
    r = client.post("/customers", content=b"{}",
                    headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201, r.text


def test_an_unknown_field_is_refused_naming_it(client: Any) -> None:
    r = client.post("/customers", json={"external_ref": "X-2", "is_admin": True})
    assert r.status_code == 422 and r.json()["field"] == "is_admin"


def _models(annotation: Any) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        found.append(annotation)
        for field in annotation.model_fields.values():
            found += _models(field.annotation)
    for arg in getattr(annotation, "__args__", ()) or ():
        found += _models(arg)
    return found


def _api_routes(routes: Any) -> list[APIRoute]:
    """Every APIRoute, also inside included routers (FastAPI keeps them nested)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        inner = getattr(route, "original_router", None)
        if inner is not None:
            found += _api_routes(inner.routes)
    return found


def test_every_body_of_every_route_refuses_unknown_fields(client: Any) -> None:
    lax = []
    bodies = 0
    for route in _api_routes(client.app.routes):
        for model in [m for p in route.dependant.body_params
                      for m in _models(p.field_info.annotation)]:
            bodies += 1
            if model.model_config.get("extra") != "forbid":
                lax.append(f"{route.path}: {model.__name__}")
    assert bodies > 10
    assert not lax, lax


def test_every_text_field_of_every_body_has_a_maximum_length(client: Any) -> None:
    schema = client.get("/openapi.json").json()
    unbounded = []
    for name, model in schema["components"]["schemas"].items():
        if name.endswith("Error") or "properties" not in model:
            continue
        for field, spec in model["properties"].items():
            options = spec.get("anyOf", [spec])
            for option in options:
                if option.get("type") == "string" and not (
                        "maxLength" in option or "pattern" in option or "enum" in option
                        or "format" in option or "const" in option):
                    unbounded.append(f"{name}.{field}")
    assert not unbounded, unbounded
