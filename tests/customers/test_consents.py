"""Consents: separate, versioned, with time and channel; what needs them and what does not.

A consent is an append-only history per customer and purpose (the latest act is the state),
recorded at the server's time by the caller. A decision keeps the consents given with the
application; assigning a case to a collection agency needs ``collection_sharing`` (409
``consent_missing`` without it, or after it was withdrawn); a withdrawn marketing consent stops
marketing and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

import lendcore.access.commands  # noqa: F401 (wires the CLI's local operator)
from lendcore.access import policy
from lendcore.clock import SimulatedClock, ensure_business_date
from lendcore.collections import service as collections
from lendcore.collections.operations import AssignAgency
from lendcore.customers import consents
from lendcore.customers import service as customers
from lendcore.customers.operations import RecordConsent
from lendcore.errors import InvalidInput, NotFound
from lendcore.origination import service as origination
from lendcore.origination.model import Outcome
from lendcore.principal import BORROWER, OPERATOR, Principal
from lendcore.runner import Context, execute
from lendcore.store.consent_tables import consents as consents_table
from lendcore.store.db import make_engine, upgrade
from lendcore.store.uow import UnitOfWork
from tests.collections.collections_helpers import add_loan
from tests.conftest import fresh_database
from tests.origination.origination_helpers import application

ON = date(2025, 6, 2)  # the business date of every book here
T1 = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)
T2 = datetime(2025, 6, 2, 3, 30, tzinfo=UTC)
T3 = datetime(2025, 6, 2, 7, 45, tzinfo=UTC)
KEY = b"test-key"
Cli = Any


@pytest.fixture()
def db(sqlite_url: str) -> Iterator[Engine]:
    """A migrated SQLite book on ``ON``."""
    engine = make_engine(sqlite_url)
    upgrade(engine)
    ensure_business_date(engine, ON)
    yield engine
    engine.dispose()


def new_customer(engine: Engine) -> int:
    with UnitOfWork(engine) as uow:
        cid = customers.create_customer(uow, name_masked="张**").customer_id
        uow.commit()
    return cid


def give(engine: Engine, cid: int, purpose: str, granted: bool = True, *, at: datetime = T1,
         version: str = consents.CONSENT_VERSION, channel: str = "app",
         actor: str = "ops.wang") -> dict[str, Any]:
    return execute(engine, RecordConsent(cid, purpose, version, granted, channel),
                   ctx=Context(now=at, actor=actor))


def decide(engine: Engine, **overrides: Any) -> origination.Decided:
    with UnitOfWork(engine) as uow:
        out = origination.decide_application(uow, application(**overrides), now=T1, key=KEY,
                                             actor="merchant:shop")
        uow.commit()
    return out


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(consents_table)).scalar_one())


def case_at_an_agency_bucket(engine: Engine, cid: int) -> int:
    """A case of ``cid`` in M5 (worked by agencies), notified of the outsourcing, with a
    reviewed agency AG1 to go to."""
    with UnitOfWork(engine) as uow:
        add_loan(uow.conn, cid, 1, dpd=130, overdue_principal_fen=90_000)
        (case_id,) = collections.sync_book(uow, ON).opened
        collections.record_outsourcing_notice(uow, case_id, channel="sms")
        collections.add_agency(uow, "AG1", "Agency One", date(2025, 1, 10))
        uow.commit()
    return int(case_id)


def assign(engine: Engine, case_id: int) -> dict[str, Any]:
    return execute(engine, AssignAgency(case_id, "AG1"), ctx=Context(now=T3, actor="sup.li"))


# -- history, versions, the server's time --------------------------------------------------------
def check_history(engine: Engine) -> None:
    cid = new_customer(engine)
    first = give(engine, cid, "marketing", at=T1)
    assert (first["state"], first["at"], first["actor"]) == ("given", T1.isoformat(), "ops.wang")
    give(engine, cid, "marketing", False, at=T2, channel="phone", actor="cs.zhao")
    give(engine, cid, "marketing", at=T3, version="2026-06", channel="web")
    give(engine, cid, "bureau_reporting", at=T2, channel="paper")
    with UnitOfWork(engine, read_only=True) as uow:
        past = consents.history(uow.conn, cid)
        now = consents.current(uow.conn, cid)
        assert consents.has(uow.conn, cid, "marketing")
        assert not consents.has(uow.conn, cid, "collection_sharing")
    assert [(c.purpose, c.version, c.granted, c.channel, c.at, c.actor) for c in past] == [
        ("marketing", "2026-01", True, "app", T1, "ops.wang"),
        ("marketing", "2026-01", False, "phone", T2, "cs.zhao"),
        ("marketing", "2026-06", True, "web", T3, "ops.wang"),
        ("bureau_reporting", "2026-01", True, "paper", T2, "ops.wang"),
    ]
    assert set(now) == set(consents.PURPOSES)
    marketing, bureau = now["marketing"], now["bureau_reporting"]
    assert marketing is not None and (marketing.version, marketing.granted) == ("2026-06", True)
    assert bureau is not None and bureau.granted
    assert now["credit_query"] is None and now["collection_sharing"] is None
    # Append-only: a row is never changed or deleted, on either database.
    for sql in ("UPDATE consents SET granted = false", "DELETE FROM consents"):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(sql))
    assert count(engine) == 4


def test_a_consent_is_given_withdrawn_and_given_again_under_a_new_version(db: Engine) -> None:
    check_history(db)


@pytest.mark.postgres
def test_the_history_is_the_same_on_postgresql(pg_url: str, tmp_path: object) -> None:
    with fresh_database("postgres", tmp_path, pg_url) as engine:
        ensure_business_date(engine, ON)
        check_history(engine)
        decided = decide(engine)  # its consents go down the closing writes' pipeline
        assert decided.customer_id is not None
        with UnitOfWork(engine, read_only=True) as uow:
            assert consents.has(uow.conn, decided.customer_id, "credit_query")
            assert consents.has(uow.conn, decided.customer_id, "personal_data")


def test_the_time_is_the_servers_clock_and_the_actor_the_local_operator(
        db: Engine, cli: Cli) -> None:
    cid = new_customer(db)
    code, out = cli("record", "--customer", str(cid), "--purpose", "personal_data",
                    "--give", "--channel", "branch")
    assert code == 0, out
    recorded = json.loads(out)
    assert (recorded["at"], recorded["actor"], recorded["version"]) == (
        T2.isoformat(), "ops.wang", consents.CONSENT_VERSION)
    code, out = cli("show", str(cid))
    shown = json.loads(out)
    assert shown["current"]["personal_data"]["state"] == "given"
    assert shown["current"]["marketing"]["state"] == "none"
    assert [h["channel"] for h in shown["history"]] == ["branch"]


# -- closed sets: refused before anything is written, naming the field ----------------------------
@pytest.mark.parametrize(("changes", "field"), [
    ({"channel": "sms"}, "channel"), ({"channel": "APP"}, "channel"),
    ({"purpose": "spam"}, "purpose"), ({"version": "2026 01"}, "version"),
])
def test_a_value_outside_its_set_is_a_422_naming_the_field(
        db: Engine, changes: dict[str, str], field: str) -> None:
    cid = new_customer(db)
    values = {"purpose": "marketing", "version": "2026-01", "channel": "app", **changes}
    with pytest.raises(InvalidInput) as err:
        execute(db, RecordConsent(cid, values["purpose"], values["version"], True,
                                  values["channel"]), ctx=Context(now=T1))
    assert (err.value.field, err.value.http_status) == (field, 422)
    assert count(db) == 0


@pytest.mark.parametrize(("args", "field"), [
    (["--channel", "fax", "--purpose", "marketing"], "--channel"),
    (["--channel", "app", "--purpose", "ads"], "--purpose"),
])
def test_the_cli_refuses_a_value_outside_its_set_in_one_line(
        db: Engine, cli: Cli, args: list[str], field: str) -> None:
    cid = new_customer(db)
    code, out = cli("record", "--customer", str(cid), "--give", *args)
    assert code == 2 and out.startswith(f"error: {field}: accepted: ") and "\n" not in out
    assert count(db) == 0


def test_an_unknown_customer_is_a_404(db: Engine) -> None:
    with pytest.raises(NotFound) as err:
        give(db, 999, "marketing")
    assert err.value.field == "customer_id"


# -- decisions keep the consents given with the application ---------------------------------------
def test_a_decision_records_the_credit_query_and_personal_data_consents(db: Engine) -> None:
    decided = decide(db)
    assert decided.decision.outcome is Outcome.APPROVE and decided.customer_id is not None
    with UnitOfWork(db, read_only=True) as uow:
        past = consents.history(uow.conn, decided.customer_id)
    assert [(c.purpose, c.version, c.granted, c.channel, c.at, c.actor) for c in past] == [
        ("credit_query", consents.CONSENT_VERSION, True, "app", T1, "merchant:shop"),
        ("personal_data", consents.CONSENT_VERSION, True, "app", T1, "merchant:shop"),
    ]


def test_an_application_without_consent_records_none(db: Engine) -> None:
    decided = decide(db, consents={"credit_query": False, "sensitive_data": True})
    assert decided.decision.outcome is Outcome.DECLINE and decided.customer_id is None
    assert count(db) == 0


def test_a_referral_approved_on_review_records_them_for_its_new_customer(
        db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from lendcore.origination import policy as origination_policy
    from lendcore.origination import reviews

    monkeypatch.setattr(origination_policy, "SCORE_APPROVE_MIN", 10_000)  # everyone is referred
    referred = decide(db)
    assert referred.decision.outcome is Outcome.REFER and referred.customer_id is None
    assert count(db) == 0
    with UnitOfWork(db) as uow:
        review = reviews.request_review(uow, referred.decision_id, "", now=T2)
        reviews.record_outcome(uow, review.review_id, outcome="approve", reviewer="li.wei",
                               reason="income checked", now=T2, actor="li.wei")
        uow.commit()
    with UnitOfWork(db, read_only=True) as uow:
        (cid,) = uow.conn.execute(text("SELECT id FROM customers")).scalars()
        assert consents.has(uow.conn, cid, "credit_query")
        assert consents.has(uow.conn, cid, "personal_data")


# -- outsourcing needs collection_sharing ----------------------------------------------------------
def test_an_agency_gets_a_case_only_with_the_borrowers_sharing_consent(db: Engine) -> None:
    cid = new_customer(db)
    case_id = case_at_an_agency_bucket(db, cid)
    with pytest.raises(consents.ConsentMissing) as err:
        assign(db, case_id)
    assert (err.value.code, err.value.http_status) == ("consent_missing", 409)
    assert "collection_sharing" in err.value.detail
    give(db, cid, "collection_sharing", channel="paper")
    assert assign(db, case_id)["agency"] == "AG1"


def test_a_withdrawn_sharing_consent_refuses_the_assignment(db: Engine) -> None:
    cid = new_customer(db)
    case_id = case_at_an_agency_bucket(db, cid)
    give(db, cid, "collection_sharing", at=T1)
    give(db, cid, "collection_sharing", False, at=T2, channel="phone")
    with pytest.raises(consents.ConsentMissing):
        assign(db, case_id)
    with UnitOfWork(db, read_only=True) as uow:
        from lendcore.collections import queries

        assert queries.case_detail(uow.conn, case_id).case.agency_code is None


# -- marketing -------------------------------------------------------------------------------------
def test_a_withdrawn_marketing_consent_stops_marketing_and_nothing_else(db: Engine) -> None:
    first = decide(db)
    cid = first.customer_id
    assert cid is not None
    give(db, cid, "marketing", at=T1)
    give(db, cid, "collection_sharing", at=T1)
    with UnitOfWork(db, read_only=True) as uow:
        assert consents.marketing_allowed(uow.conn, cid)
    give(db, cid, "marketing", False, at=T2, channel="phone")
    with UnitOfWork(db, read_only=True) as uow:
        assert not consents.marketing_allowed(uow.conn, cid)
        assert all(consents.has(uow.conn, cid, p)
                   for p in ("credit_query", "personal_data", "collection_sharing"))
    # The returning applicant is decided as before: the withdrawal is not a reason; only the
    # 180-day wait after the first application is.
    again = decide(db)
    assert again.customer_id == cid
    assert again.decision.reasons[0].code == "reapply_too_soon"
    assert "consent" not in " ".join(r.code for r in again.decision.reasons)
    case_id = case_at_an_agency_bucket(db, cid)
    assert assign(db, case_id)["agency"] == "AG1"
    with UnitOfWork(db, read_only=True) as uow:
        assert not consents.marketing_allowed(uow.conn, cid)  # still withdrawn


# -- the API ---------------------------------------------------------------------------------------
def api_for(engine: Engine, principal: Principal) -> TestClient:
    """The consent routes alone, as ``principal`` (the pipeline's sign-in stood in for)."""
    from lendcore.api.app import _error_handlers
    from lendcore.customers import consent_routes

    app = FastAPI()
    app.state.engine = engine
    app.state.clock = SimulatedClock(T3)
    _error_handlers(app)
    app.include_router(consent_routes.router)

    @app.middleware("http")
    async def signed_in(request: Request, call_next: Any) -> Any:
        request.state.principal = principal
        return await call_next(request)

    return TestClient(app, raise_server_exceptions=False)


def staff(role: str) -> Principal:
    return Principal(f"{role}.1", OPERATOR, (role,), policy.permissions_of((role,)))


def test_the_api_records_and_shows_consents_at_the_servers_time(db: Engine) -> None:
    cid = new_customer(db)
    api = api_for(db, staff("customer_service"))
    body = {"purpose": "marketing", "version": "2026-01", "granted": False, "channel": "web"}
    r = api.post(f"/customers/{cid}/consents", json=body)
    assert r.status_code == 201, r.text
    assert (r.json()["at"], r.json()["actor"], r.json()["state"]) == (
        T3.isoformat(), "customer_service.1", "withdrawn")
    shown = api.get(f"/customers/{cid}/consents").json()
    assert shown["current"]["marketing"]["state"] == "withdrawn"
    assert len(shown["history"]) == 1
    refusals = [({"channel": "fax"}, "channel"), ({"purpose": "ads"}, "purpose"),
                ({"granted": "true"}, "granted"), ({"at": "2020-01-01T00:00Z"}, "at"),
                ({"version": ""}, "version")]
    for bad, field in refusals:
        refused = api.post(f"/customers/{cid}/consents", json={**body, **bad})
        assert refused.status_code == 422 and refused.json()["field"] == field, refused.text
    assert count(db) == 1


def test_the_api_holds_roles_and_borrowers_to_their_own(db: Engine) -> None:
    cid, other = new_customer(db), new_customer(db)
    body = {"purpose": "marketing", "version": "2026-01", "granted": True, "channel": "app"}
    assert api_for(db, staff("collector")).post(
        f"/customers/{cid}/consents", json=body).status_code == 403
    assert api_for(db, staff("credit_officer")).get(
        f"/customers/{cid}/consents").status_code == 200
    borrower = Principal(f"customer:{cid}", BORROWER, ("borrower",),
                         policy.permissions_of(("borrower",)), customer_id=cid)
    own = api_for(db, borrower)
    assert own.post(f"/customers/{cid}/consents", json=body).status_code == 201
    assert own.post(f"/customers/{other}/consents", json=body).status_code == 403
    assert own.get(f"/customers/{other}/consents").status_code == 403
    assert count(db) == 1


# -- the CLI helper --------------------------------------------------------------------------------
@pytest.fixture()
def cli(db: Engine, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """``cli(*args) -> (exit code, output)`` for ``lendcore consent`` on ``db`` as ops.wang at
    ``T2``; a refusal maps as ``lendcore.cli.main`` maps it (one line, exit 2)."""
    import typer
    from typer.testing import CliRunner

    from lendcore import cli_support
    from lendcore.customers import consent_commands
    from lendcore.errors import LendcoreError

    monkeypatch.setenv("LENDCORE_DATABASE_URL", db.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LENDCORE_OPERATOR", "ops.wang")
    monkeypatch.setattr(cli_support, "_CLOCK", SimulatedClock(T2))
    monkeypatch.setattr(cli_support, "_PRINCIPAL", None, raising=False)
    app = typer.Typer()
    consent_commands.register(app)

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, ["consent", *args])
        if isinstance(result.exception, LendcoreError):
            return 2, f"error: {result.exception}"
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout

    return run
