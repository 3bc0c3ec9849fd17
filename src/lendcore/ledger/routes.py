"""HTTP: the trial balance, the audit, and one loan's entries. Read-only, thin.

Each route is a read through ``runner.query`` (one read-only unit of work) of a report in
:mod:`lendcore.ledger.reports`; there are no request bodies.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from lendcore.access.guard import allow
from lendcore.ledger import reports
from lendcore.runner import query
from lendcore.web import EngineDep, IdPath

router = APIRouter(tags=["ledger"])


@router.get("/ledger/balances", dependencies=[allow("ledger.read")])
def get_balances(engine: EngineDep) -> dict[str, Any]:
    """The trial balance: every chart account (and any unknown code) with debit, credit, net."""
    result: dict[str, Any] = query(engine, reports.balances_report)
    return result


@router.get("/ledger/audit", dependencies=[allow("ledger.read")])
def get_audit(engine: EngineDep) -> dict[str, Any]:
    """Every problem the audit finds; ``passed`` is true when there is none (always 200)."""
    result: dict[str, Any] = query(engine, reports.audit_report)
    return result


@router.get("/loans/{loan_id}/ledger", dependencies=[allow("ledger.read")])
def get_loan_ledger(loan_id: IdPath, engine: EngineDep) -> dict[str, Any]:
    """The entries posted with this loan id, and their per-account totals."""
    result: dict[str, Any] = query(engine, reports.loan_ledger_report, loan_id)
    return result
