"""The ledger through the CLI and the HTTP API (same reports, both databases)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from lendcore.api.app import create_app
from lendcore.ledger import commands, posting, store
from lendcore.store.uow import UnitOfWork
from tests.auth import signed_in

D = date(2026, 3, 1)
LOAN = 1_000_001
LoanMaker = Callable[..., int]


@pytest.fixture()
def cli(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[int, str]]:
    monkeypatch.setenv("LENDCORE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    app = typer.Typer()
    commands.register(app)
    app.command("noop", hidden=True)(lambda: None)  # keep "ledger" a sub-command group

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, ["ledger", *args])
        return result.exit_code, result.output

    return run


def _book(engine: Engine, make_loan: LoanMaker, principal_row: int) -> None:
    with UnitOfWork(engine) as uow:
        store.post(uow.conn, posting.disbursement(LOAN, D, 500000, to_merchant=False))
        store.post(uow.conn, posting.repayment(LOAN, D, principal=10000))
        make_loan(uow.conn, LOAN, principal_outstanding_fen=principal_row)
        uow.commit()


def test_cli_audit_passes_a_sound_book_with_a_summary(
    engine: Engine, make_loan: LoanMaker, cli: Callable[..., tuple[int, str]]
) -> None:
    _book(engine, make_loan, 490000)
    code, out = cli("audit")
    assert code == 0
    assert "ledger audit passed: 2 entries, 1 loans" in out


def test_cli_audit_lists_problems_and_exits_1(
    engine: Engine, make_loan: LoanMaker, cli: Callable[..., tuple[int, str]]
) -> None:
    _book(engine, make_loan, 480000)
    code, out = cli("audit")
    assert code == 1
    assert "subledger_mismatch" in out and "loan_principal_mismatch" in out
    code, out = cli("audit", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["passed"] is False
    assert [p["code"] for p in data["problems"]] == ["subledger_mismatch",
                                                     "loan_principal_mismatch"]


def test_cli_balances_prints_the_trial_balance_in_yuan(
    engine: Engine, make_loan: LoanMaker, cli: Callable[..., tuple[int, str]]
) -> None:
    _book(engine, make_loan, 490000)
    code, out = cli("balances", "--json")
    assert code == 0
    data = json.loads(out)
    rows = {row["code"]: row for row in data["accounts"]}
    assert rows["1100"]["debit"] == "5000.00" and rows["1100"]["net"] == "4900.00"
    assert rows["1001"]["balance"] == "-4900.00"
    assert rows["5300"]["debit"] == "0.00"  # every chart account is shown
    assert data["total_debit"] == data["total_credit"] == "5100.00"
    code, out = cli("balances")
    assert code == 0 and "principal_receivable" in out and "4900.00" in out


def test_api_serves_balances_audit_and_a_loans_entries(
    engine: Engine, make_loan: LoanMaker
) -> None:
    _book(engine, make_loan, 490000)
    client = signed_in(TestClient(create_app(engine)), engine)
    balances = client.get("/ledger/balances").json()
    assert balances["total_debit_fen"] == balances["total_credit_fen"] == 510000
    audit = client.get("/ledger/audit").json()
    assert audit == {"passed": True, "entries": 2, "loans": 1, "problems": []}
    ledger = client.get(f"/loans/{LOAN}/ledger").json()
    assert [e["reason"] for e in ledger["entries"]] == ["disbursement", "repayment"]
    assert {b["code"]: b["net_fen"] for b in ledger["balances"]}["1100"] == 490000


def test_api_loan_ledger_of_an_unknown_loan_is_404(engine: Engine) -> None:
    client = signed_in(TestClient(create_app(engine)), engine)
    response = client.get("/loans/999000001/ledger")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
