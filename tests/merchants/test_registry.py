"""The merchant registry's seed: register, list, read, suspend and reactivate, through the API
and the CLI, each with its permission; a mistake changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from lendcore.api.app import create_app
from lendcore.errors import Conflict
from lendcore.merchants import service, store
from lendcore.store.merchant_tables import merchants
from lendcore.store.uow import UnitOfWork
from tests.auth import headers, signed_in
from tests.servicing.helpers import start_book

DAY0 = date(2026, 1, 5)
JD = {"merchant_id": "jd-home", "name": "京东家居", "category": "furniture"}


@pytest.fixture()
def client(engine: Engine) -> Iterator[TestClient]:
    start_book(engine, DAY0)  # registers mi-mall
    with TestClient(create_app(engine), raise_server_exceptions=False) as c:
        yield signed_in(c, engine)


def _count(engine: Engine) -> int:
    with UnitOfWork(engine, read_only=True) as uow:
        return int(uow.conn.execute(select(func.count()).select_from(merchants)).scalar_one())


def test_a_registered_merchant_is_active_from_the_business_date_and_listed(
        client: TestClient) -> None:
    r = client.post("/merchants", json=JD)
    assert r.status_code == 201, r.text
    assert r.json() == {**JD, "status": "active", "registered_on": "2026-01-05"}
    listed = client.get("/merchants").json()["merchants"]
    assert [m["merchant_id"] for m in listed] == ["jd-home", "mi-mall"]
    assert client.get("/merchants/jd-home").json()["name"] == "京东家居"


def test_registering_a_known_id_again_is_a_409_that_changes_nothing(
        client: TestClient, engine: Engine) -> None:
    client.post("/merchants", json=JD)
    again = client.post("/merchants", json={**JD, "name": "冒名商户", "category": "electronics"})
    assert again.status_code == 409 and again.json()["error"] == "merchant_exists"
    assert again.json()["field"] == "merchant_id"
    assert client.get("/merchants/jd-home").json()["name"] == "京东家居"
    assert _count(engine) == 2


def test_a_registration_that_loses_a_race_is_a_409_not_a_500(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    start_book(engine, DAY0)
    monkeypatch.setattr(store, "get", lambda conn, merchant_id: None)  # the read saw nothing
    with UnitOfWork(engine) as uow, pytest.raises(Conflict) as err:
        store.insert(uow.conn, merchant_id="mi-mall", name="x", status="active",
                     category="electronics", registered_on=DAY0)
    assert err.value.code == "merchant_exists"


@pytest.mark.parametrize(("body", "field"), [
    ({**JD, "category": "Furniture"}, "category"),
    ({**JD, "category": "家居"}, "category"),
    ({**JD, "status": "closed"}, "status"),
    ({**JD, "merchant_id": "jd home"}, "merchant_id"),
    ({**JD, "merchant_id": "j" * 65}, "merchant_id"),
    ({**JD, "name": ""}, "name"),
    ({**JD, "name": "n" * 129}, "name"),
    ({**JD, "settlement_days": 1}, "settlement_days"),
])
def test_a_bad_registration_is_a_422_naming_the_field(client: TestClient, engine: Engine,
                                                       body: dict[str, object],
                                                       field: str) -> None:
    r = client.post("/merchants", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
    assert _count(engine) == 1


def test_the_longest_name_and_id_are_accepted(client: TestClient) -> None:
    r = client.post("/merchants", json={**JD, "merchant_id": "j" * 64, "name": "n" * 128})
    assert r.status_code == 201, r.text


def test_a_merchant_is_suspended_and_reactivated_once_each(client: TestClient) -> None:
    suspended = client.post("/merchants/mi-mall/status", json={"status": "suspended"})
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    twice = client.post("/merchants/mi-mall/status", json={"status": "suspended"})
    assert twice.status_code == 422 and twice.json()["error"] == "status_unchanged"
    assert [m["merchant_id"] for m in
            client.get("/merchants", params={"status": "active"}).json()["merchants"]] == []
    back = client.post("/merchants/mi-mall/status", json={"status": "active"})
    assert back.status_code == 200 and back.json()["status"] == "active"
    unknown = client.post("/merchants/nobody/status", json={"status": "active"})
    assert unknown.status_code == 404 and unknown.json()["field"] == "merchant_id"


def test_managing_merchants_needs_its_permission_and_reading_needs_another(
        client: TestClient, engine: Engine) -> None:
    analyst = headers(client, engine, "wu.risk", "risk_analyst")
    refused = client.post("/merchants", json=JD, headers=analyst)
    assert refused.status_code == 403 and "merchant.manage" in refused.json()["detail"]
    assert client.post("/merchants/mi-mall/status", json={"status": "suspended"},
                       headers=analyst).status_code == 403
    assert client.get("/merchants", headers=analyst).status_code == 200
    collector = headers(client, engine, "zhang.collector", "collector")
    assert client.get("/merchants", headers=collector).status_code == 403
    assert _count(engine) == 1


def test_require_active_names_the_callers_field(engine: Engine) -> None:
    start_book(engine, DAY0)
    with UnitOfWork(engine) as uow:
        assert service.require_active(uow.conn, "mi-mall", field="payee").active
        with pytest.raises(Exception) as err:
            service.require_active(uow.conn, "本人银行卡 6222", field="payee")
    assert getattr(err.value, "code", None) == "merchant_not_registered"
    assert getattr(err.value, "field", None) == "payee"


def test_the_cli_adds_lists_and_suspends_a_merchant(engine: Engine,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import typer
    from typer.testing import CliRunner

    import lendcore.access.commands  # noqa: F401 (wires the CLI's local operator)
    from lendcore.errors import LendcoreError
    from lendcore.merchants import commands
    from tests.auth import add_staff

    start_book(engine, DAY0)
    monkeypatch.setenv("LENDCORE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LENDCORE_OPERATOR", "ops.wang")
    add_staff(engine, "ops.wang", "administrator")
    app = typer.Typer()
    app.command("noop")(lambda: None)  # a second command keeps the group a group
    commands.register(app)

    def cli(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, list(args))
        if isinstance(result.exception, LendcoreError):
            return 2, f"error: {result.exception}"
        return result.exit_code, result.stdout

    code, out = cli("merchants", "add", "--id", "jd-home", "--name", "京东家居",
                    "--category", "furniture")
    assert code == 0 and json.loads(out)["status"] == "active"
    code, out = cli("merchants", "status", "jd-home", "--status", "suspended")
    assert code == 0 and json.loads(out)["status"] == "suspended"
    code, out = cli("merchants", "list", "--status", "suspended")
    assert code == 0 and [m["merchant_id"] for m in json.loads(out)["merchants"]] == ["jd-home"]
    code, out = cli("merchants", "add", "--id", "jd home", "--name", "x", "--category", "x")
    assert code == 2 and out.startswith("error: --id: ")
    code, out = cli("merchants", "list", "--status", "gone")
    assert code == 2 and out.startswith("error: status: ")
