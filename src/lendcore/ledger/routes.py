"""HTTP: the trial balance, the audit, and one loan's entries. Read-only, thin."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy import Engine

from lendcore.api.deps import IdPath, get_engine
from lendcore.ledger import reports
from lendcore.store.uow import UnitOfWork

router = APIRouter(tags=["ledger"])


@router.get("/ledger/balances")
def get_balances(engine: Engine = Depends(get_engine)) -> dict[str, Any]:
    """The trial balance: every chart account (and any unknown code) with debit, credit, net."""
    with UnitOfWork(engine) as uow:
        return reports.balances_report(uow.conn)


@router.get("/ledger/audit")
def get_audit(engine: Engine = Depends(get_engine)) -> dict[str, Any]:
    """Every problem the audit finds; ``passed`` is true when there is none (always 200)."""
    with UnitOfWork(engine) as uow:
        return reports.audit_report(uow.conn)


@router.get("/loans/{loan_id}/ledger")
def get_loan_ledger(loan_id: IdPath, engine: Engine = Depends(get_engine)) -> dict[str, Any]:
    """The entries posted with this loan id, and their per-account totals."""
    with UnitOfWork(engine) as uow:
        return reports.loan_ledger_report(uow.conn, loan_id)
