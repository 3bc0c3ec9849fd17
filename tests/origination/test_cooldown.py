"""One application per product every 180 days, whatever the outcome (seed 001: 每半年只能申请一次).

Worked example: applied on 2025-06-02 (``ON``); day 179, 2025-11-28, is refused naming
2025-11-29; day 180, 2025-11-29, is decided afresh. Approvals, referrals and declines all start
the wait; a refused re-application does not extend it; the wait is per product.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from origination_helpers import ON, application, body, move_business_date
from sqlalchemy import Engine, create_engine, func, select, text
from typer.testing import CliRunner

from lendcore.api.app import create_app
from lendcore.clock import LENDER_ZONE, SimulatedClock
from lendcore.origination import commands, service
from lendcore.origination.ladder import decide as ladder_decide
from lendcore.origination.model import Outcome, Prior
from lendcore.origination.scorecard import load_scorecard
from lendcore.store.core_tables import credit_lines
from lendcore.store.db import alembic_config, make_engine, upgrade
from lendcore.store.origination_tables import decisions, limit_changes
from lendcore.store.uow import UnitOfWork
from tests.auth import signed_in

KEY = b"test-key"
NOW = datetime(2025, 6, 2, 2, 30, tzinfo=UTC)
CARD = load_scorecard()
DAY_180 = date(2025, 11, 29)  # ON + 180 days
CHECKOUT = "checkout-installment"


def decide(engine: Engine, **overrides: object) -> service.Decided:
    with UnitOfWork(engine) as uow:
        out = service.decide_application(uow, application(**overrides), now=NOW, key=KEY)
        uow.commit()
    return out


def count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def refer_everyone(monkeypatch: pytest.MonkeyPatch) -> None:
    from lendcore.origination import policy

    monkeypatch.setattr(policy, "SCORE_APPROVE_MIN", 10_000)


# -- the ladder: every outcome starts the wait ----------------------------------------------------
def test_an_approval_a_referral_and_a_decline_each_start_the_180_day_wait() -> None:
    app = application()
    approved = ladder_decide(app, Prior(), CARD, ON)
    assert approved.outcome is Outcome.APPROVE and approved.reapply_after == DAY_180
    score = approved.score
    assert score is not None
    near = replace(CARD, base_points=CARD.base_points + 470 - score)
    referred = ladder_decide(app, Prior(), near, ON)
    assert referred.outcome is Outcome.REFER and referred.reapply_after == DAY_180
    declined = ladder_decide(application(occupation="student"), Prior(), CARD, ON)
    assert declined.outcome is Outcome.DECLINE and declined.reapply_after == DAY_180
    assert timedelta(days=180) == DAY_180 - ON


def test_inside_the_wait_the_refusal_names_the_first_date_allowed() -> None:
    prior = Prior(reapply_after=DAY_180)
    day_179 = ladder_decide(application(), prior, CARD, DAY_180 - timedelta(days=1))
    assert day_179.outcome is Outcome.DECLINE and day_179.reapply_after == DAY_180
    assert day_179.reasons[0].code == "reapply_too_soon"
    assert "apply again from 2025-11-29" in day_179.reasons[0].detail
    day_180 = ladder_decide(application(), prior, CARD, DAY_180)
    assert day_180.outcome is Outcome.APPROVE
    assert day_180.reapply_after == DAY_180 + timedelta(days=180)  # a new wait from day 180


# -- the service: what was recorded starts the wait ------------------------------------------------
def test_an_approved_applicant_reapplying_the_next_day_is_refused_and_nothing_changes(
        engine: Engine) -> None:
    first = decide(engine)
    assert first.decision.outcome is Outcome.APPROVE and first.decision.reapply_after == DAY_180
    move_business_date(engine, ON + timedelta(days=1))
    again = decide(engine, monthly_income="30000")  # a better application changes nothing
    assert again.decision.outcome is Outcome.DECLINE
    assert again.decision.reasons[0].code == "reapply_too_soon"
    assert again.decision.reapply_after == DAY_180
    assert (again.customer_id, again.line_id) == (first.customer_id, None)
    with engine.connect() as conn:
        assert conn.execute(select(credit_lines.c.limit_fen)).scalars().all() == [
            first.decision.limit_fen]
    assert count(engine, limit_changes) == 0


@pytest.mark.parametrize("outcome", ["approve", "refer", "decline"])
def test_after_any_outcome_day_179_is_refused_and_day_180_is_decided_afresh(
        engine: Engine, monkeypatch: pytest.MonkeyPatch, outcome: str) -> None:
    if outcome == "refer":
        refer_everyone(monkeypatch)
    first = decide(engine, occupation="student" if outcome == "decline" else "employed")
    assert first.decision.outcome.value == outcome
    monkeypatch.undo()
    move_business_date(engine, ON + timedelta(days=179))
    day_179 = decide(engine)
    assert [r.code for r in day_179.decision.reasons][:1] == ["reapply_too_soon"]
    assert day_179.decision.reapply_after == DAY_180 and day_179.line_id is None
    move_business_date(engine, ON + timedelta(days=180))
    day_180 = decide(engine)
    assert day_180.decision.outcome is Outcome.APPROVE and day_180.line_id is not None
    assert day_180.decision.reapply_after == DAY_180 + timedelta(days=180)


def test_a_refused_reapplication_does_not_extend_the_wait(engine: Engine) -> None:
    decide(engine)
    move_business_date(engine, ON + timedelta(days=100))
    refused = decide(engine)
    assert refused.decision.reapply_after == DAY_180  # not day 100 + 180
    move_business_date(engine, DAY_180)
    assert decide(engine).decision.outcome is Outcome.APPROVE


def test_the_wait_is_per_product(engine: Engine) -> None:
    """A cash-line decision does not stop the first checkout-line application, and each
    product's wait runs on its own."""
    cash = decide(engine)
    checkout = decide(engine, product=CHECKOUT)
    assert cash.decision.outcome is checkout.decision.outcome is Outcome.APPROVE
    move_business_date(engine, ON + timedelta(days=179))
    for product in ("cash-line", CHECKOUT):
        refused = decide(engine, product=product)
        assert refused.decision.reasons[0].code == "reapply_too_soon", product
        assert product in refused.decision.reasons[0].detail
    move_business_date(engine, DAY_180)
    assert decide(engine, product=CHECKOUT).decision.outcome is Outcome.APPROVE


def test_applications_without_consent_start_no_wait(engine: Engine) -> None:
    """Nothing identifying is kept without consent, so nothing can be waited on."""
    refused = decide(engine, consents={"credit_query": False, "sensitive_data": True})
    assert refused.decision.reapply_after is None
    assert decide(engine).decision.outcome is Outcome.APPROVE


# -- the answer: ids, limit and the date a new application is possible -----------------------------
@pytest.fixture()
def client(engine: Engine) -> Iterator[TestClient]:
    app = create_app(engine, clock=SimulatedClock(datetime(2025, 6, 2, 10, 30,
                                                           tzinfo=LENDER_ZONE)))
    with TestClient(app) as c:
        yield signed_in(c, engine)


def test_the_api_answer_names_the_customer_the_line_the_limit_and_the_next_date(
        client: TestClient) -> None:
    first = client.post("/applications", json=body()).json()
    assert first["decision"] == "approve" and first["product"] == "cash-line"
    assert first["customer_id"] >= 1 and first["line_id"] >= 1
    assert first["limit"] == "20000.00" and first["reapply_after"] == "2025-11-29"
    again = client.post("/applications", json=body())
    assert again.status_code == 201  # a decision, not an error
    out = again.json()
    assert out["decision"] == "decline" and out["reapply_after"] == "2025-11-29"
    assert out["customer_id"] == first["customer_id"] and out["line_id"] is None
    assert out["reasons"][0]["code"] == "reapply_too_soon"
    assert "2025-11-29" in out["reasons"][0]["detail"]


def test_the_cli_json_and_text_name_the_ids_the_limit_and_the_next_date(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import lendcore.access.commands  # noqa: F401 (wires the CLI's local operator)

    monkeypatch.setenv("LENDCORE_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("LENDCORE_OPERATOR", "ops.wang")
    monkeypatch.setenv("LENDCORE_MODE", "development")
    monkeypatch.setenv("LENDCORE_CLOCK", "2026-03-01T21:30+08:00")
    from lendcore import cli_support

    monkeypatch.setattr(cli_support, "_CLOCK", None)  # read from the variable above, not kept
    app, runner = typer.Typer(), CliRunner()
    commands.register(app)
    path = tmp_path / "application.json"
    path.write_text(json.dumps(body(), ensure_ascii=False), encoding="utf-8")
    out = runner.invoke(app, ["apply", "--file", str(path), "--json"])
    assert out.exit_code == 0, out.output
    decided = json.loads(out.output)
    assert (decided["decision"], decided["product"], decided["limit"]) == (
        "approve", "cash-line", "20000.00")
    assert decided["customer_id"] >= 1 and decided["line_id"] >= 1
    assert decided["reapply_after"] == "2026-08-28"  # 2026-03-01 + 180 days
    again = runner.invoke(app, ["apply", "--file", str(path)])
    assert again.exit_code == 0, again.output
    first_line = again.output.splitlines()[0]
    assert ": decline cash-line" in first_line and "apply again from 2026-08-28" in first_line
    assert f"customer {decided['customer_id']}" in first_line and "None" not in first_line
    assert "reapply_too_soon" in again.output


# -- decisions recorded before the rule ------------------------------------------------------------
def _database_at_0014(kind: str, tmp_path: Path, request: pytest.FixtureRequest
                      ) -> Iterator[Engine]:
    from alembic import command

    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path}/old.db")
        command.upgrade(alembic_config(engine), "0014_case_collector")
        yield engine
        engine.dispose()
        return
    server = request.getfixturevalue("pg_url").rsplit("/", 1)[0]
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    name = f"lc_wait_{uuid.uuid4().hex[:16]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(f"{server}/{name}")
    try:
        command.upgrade(alembic_config(engine), "0014_case_collector")
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres",
                                                         marks=pytest.mark.postgres)])
def test_the_upgrade_starts_the_wait_of_approvals_and_referrals_recorded_before(
        kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    databases = _database_at_0014(kind, tmp_path, request)
    engine = next(databases)
    old = dict(decided_on=ON, product_code="cash-line", reasons_json="[]", reapply_after=None)
    with engine.begin() as conn:
        conn.execute(decisions.insert(), [
            {**old, "outcome": "approve", "id_number_hash": "a"},
            {**old, "outcome": "refer", "id_number_hash": "r"},
            {**old, "outcome": "decline", "id_number_hash": "d",
             "reapply_after": date(2025, 7, 1)},  # a refusal's running wait: kept as it was
            {**old, "outcome": "decline", "id_number_hash": None},  # no consent: nothing kept
        ])
    upgrade(engine)
    with engine.connect() as conn:
        waits = dict(conn.execute(select(decisions.c.outcome, decisions.c.reapply_after)
                                  .where(decisions.c.id_number_hash.is_not(None))).all())
        unassessed = conn.execute(select(decisions.c.reapply_after)
                                  .where(decisions.c.id_number_hash.is_(None))).scalar_one()
    assert waits == {"approve": DAY_180, "refer": DAY_180, "decline": date(2025, 7, 1)}
    assert unassessed is None
    with pytest.raises(StopIteration):
        next(databases)
