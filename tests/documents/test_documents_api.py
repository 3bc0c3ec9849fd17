"""The documents through the API and the CLI: content types, formats, permission and scope.

A borrower fetches their own loan's documents and no one else's (403, whether or not the loan
exists); an operator needs ``loan.documents.read``; the CLI writes the same bytes as the API.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lendcore.api.app import create_app
from lendcore.clock import SimulatedClock
from lendcore.customers.operations import CreateCustomer
from tests.auth import headers
from tests.documents import pdftext
from tests.servicing.helpers import new_draw, run, start_book

DAY0 = date(2026, 1, 5)


@pytest.fixture()
def client(engine: Engine) -> Iterator[TestClient]:
    start_book(engine, DAY0)
    app = create_app(engine, clock=SimulatedClock(datetime(2026, 1, 5, 2, 0, tzinfo=UTC)))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _customer_of(client: TestClient, engine: Engine, loan_id: int) -> int:
    admin = headers(client, engine, "admin")
    return int(client.get(f"/loans/{loan_id}", headers=admin).json()["customer_id"])


def _borrower(client: TestClient, engine: Engine, customer_id: int) -> dict[str, str]:
    admin = headers(client, engine, "admin")
    issued = client.post("/auth/borrower-tokens", json={"customer_id": customer_id},
                         headers=admin)
    assert issued.status_code == 201, issued.text
    return {"Authorization": f"Bearer {issued.json()['access_token']}"}


def test_the_documents_come_as_html_or_pdf_with_their_content_types(
        client: TestClient, engine: Engine) -> None:
    loan_id = new_draw(engine, 1_200_000, 12)
    officer = headers(client, engine, "li.wei", "credit_officer")
    html = client.get(f"/loans/{loan_id}/contract", headers=officer)
    assert html.status_code == 200, html.text
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert "借款合同" in html.text and "12,000.00" in html.text
    pdf = client.get(f"/loans/{loan_id}/key-facts?format=pdf", headers=officer)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'inline; filename="key-facts-{loan_id}.pdf"'
    assert pdf.content.startswith(b"%PDF-")
    assert "借款关键信息摘要" in pdftext.text(pdf.content)
    bad = client.get(f"/loans/{loan_id}/contract?format=docx", headers=officer)
    assert bad.status_code == 422
    assert bad.json()["field"] == "format"
    assert client.get("/loans/999999/key-facts", headers=officer).status_code == 404


def test_a_borrower_reads_their_own_documents_and_no_one_elses(
        client: TestClient, engine: Engine) -> None:
    mine, theirs = new_draw(engine, 500_000, 3), new_draw(engine, 600_000, 3)
    borrower = _borrower(client, engine, _customer_of(client, engine, mine))
    for path in ("contract", "key-facts"):
        own = client.get(f"/loans/{mine}/{path}", headers=borrower)
        assert own.status_code == 200, own.text
        assert "5,000.00" in own.text
        for fmt in ("html", "pdf"):
            other = client.get(f"/loans/{theirs}/{path}?format={fmt}", headers=borrower)
            assert other.status_code == 403, (path, fmt)
            assert "6,000.00" not in other.text
        # A loan that does not exist is as closed to a borrower as another's.
        assert client.get(f"/loans/999999/{path}", headers=borrower).status_code == 403


def test_an_operator_without_the_permission_is_refused(
        client: TestClient, engine: Engine) -> None:
    loan_id = new_draw(engine, 500_000, 3)
    collector = headers(client, engine, "zhang.collector", "collector")
    refused = client.get(f"/loans/{loan_id}/contract", headers=collector)
    assert refused.status_code == 403
    assert "loan.documents.read" in refused.json()["detail"]
    for role in ("customer_service", "finance", "risk_analyst", "compliance_auditor",
                 "collections_supervisor"):
        reader = headers(client, engine, f"user.{role.replace('_', '-')}", role)
        assert client.get(f"/loans/{loan_id}/key-facts", headers=reader).status_code == 200
    assert client.get(f"/loans/{loan_id}/contract").status_code == 401


# --- the CLI ------------------------------------------------------------------------------------
@pytest.fixture()
def cli(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``cli(operator, *args) -> (exit code, output)``: ``lendcore loan ...`` as ``operator``,
    with every command guarded by its permission as ``lendcore.cli`` guards it."""
    import typer
    from typer.testing import CliRunner

    import lendcore.access.commands  # noqa: F401 (wires the CLI's local operator)
    from lendcore import cli_support
    from lendcore.cli import guard_commands
    from lendcore.documents import commands as documents_cli
    from lendcore.errors import LendcoreError
    from lendcore.servicing import commands as servicing_cli

    monkeypatch.setenv("LENDCORE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(cli_support, "_CLOCK", SimulatedClock(datetime(2026, 1, 5, 2, 0,
                                                                      tzinfo=UTC)))

    def invoke(operator: str, *args: str) -> tuple[int, str]:
        monkeypatch.setenv("LENDCORE_OPERATOR", operator)
        cli_support._PRINCIPALS.clear()
        app = typer.Typer()
        servicing_cli.register(app)
        documents_cli.register(app)
        guard_commands(app)
        result = CliRunner().invoke(app, list(args))
        if isinstance(result.exception, LendcoreError):
            return 2, f"error: {result.exception}"
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout

    return invoke


def test_the_cli_writes_the_same_documents_as_the_api(
        client: TestClient, engine: Engine, cli: Any, tmp_path: Path) -> None:
    from tests.auth import add_staff

    loan_id = new_draw(engine, 1_200_000, 6)
    add_staff(engine, "ops.wang", "customer_service")
    out = tmp_path / "contract.pdf"
    code, said = cli("ops.wang", "loan", "contract", str(loan_id), "--format", "pdf",
                     "--out", str(out))
    assert code == 0, said
    admin = headers(client, engine, "admin")
    api = client.get(f"/loans/{loan_id}/contract?format=pdf", headers=admin)
    assert out.read_bytes() == api.content  # deterministic, and the same document
    code, said = cli("ops.wang", "loan", "key-facts", str(loan_id))
    assert code == 0 and said.startswith("<!DOCTYPE html>") and "借款关键信息摘要" in said
    # A PDF is not written to a terminal; a bad format names the option.
    assert cli("ops.wang", "loan", "contract", str(loan_id), "--format", "pdf")[1] \
        .startswith("error: --out:")
    assert cli("ops.wang", "loan", "contract", str(loan_id), "--format", "rtf")[1] \
        .startswith("error: --format:")
    # An operator without loan.documents.read is refused before anything is read.
    add_staff(engine, "zhang.collector", "collector")
    code, said = cli("zhang.collector", "loan", "contract", str(loan_id))
    assert code == 2 and "loan.documents.read" in said
    assert run(engine, CreateCustomer())  # the book is still writable: nothing was held open
