"""The ledger's read models, one shape for the API and the CLI's ``--json``.

Money appears twice: as a yuan string (``"917.99"``, for people) and as integer fen (``*_fen``,
for programs). ``net`` is debit minus credit; ``balance`` is the balance in the account's normal
sense (positive when an asset holds value, a liability is owed, income was earned).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from lendcore.errors import NotFound
from lendcore.ledger import store
from lendcore.ledger.accounts import Account
from lendcore.ledger.audit import BalanceLine, Problem
from lendcore.money import format_yuan
from lendcore.store.servicing_tables import loans


def _line(line: BalanceLine) -> dict[str, Any]:
    account = line.account
    return {
        "code": line.account_code,
        "account": account.label if account else None,
        "type": account.type.value if account else None,
        "debit": format_yuan(line.debit_fen),
        "credit": format_yuan(line.credit_fen),
        "net": format_yuan(line.net_fen),
        "balance": format_yuan(line.normal_balance_fen),
        "debit_fen": line.debit_fen,
        "credit_fen": line.credit_fen,
        "net_fen": line.net_fen,
    }


def with_chart(lines: list[BalanceLine]) -> list[BalanceLine]:
    """Every chart account (zero when never posted) plus any unknown code, by code."""
    by_code = {line.account_code: line for line in lines}
    for account in Account:
        by_code.setdefault(account.code, BalanceLine(account.code, 0, 0))
    return [by_code[code] for code in sorted(by_code)]


def balances_report(conn: Connection) -> dict[str, Any]:
    lines = with_chart(store.trial_balance(conn))
    debits = sum(line.debit_fen for line in lines)
    credits = sum(line.credit_fen for line in lines)
    return {
        "accounts": [_line(line) for line in lines],
        "total_debit": format_yuan(debits),
        "total_credit": format_yuan(credits),
        "total_debit_fen": debits,
        "total_credit_fen": credits,
    }


def problem_dict(problem: Problem) -> dict[str, Any]:
    return {"code": problem.code, "detail": problem.detail, "account_code": problem.account_code,
            "loan_id": problem.loan_id, "entry_id": problem.entry_id}


def audit_report(conn: Connection) -> dict[str, Any]:
    problems = store.audit(conn)
    entries, loan_count = store.counts(conn)
    return {"passed": not problems, "entries": entries, "loans": loan_count,
            "problems": [problem_dict(p) for p in problems]}


def loan_ledger_report(conn: Connection, loan_id: int) -> dict[str, Any]:
    entries = store.loan_entries(conn, loan_id)
    known = conn.execute(select(loans.c.id).where(loans.c.id == loan_id)).first() is not None
    if not entries and not known:
        raise NotFound(f"no loan {loan_id}", field="loan_id")
    return {
        "loan_id": loan_id,
        "entries": [
            {
                "entry_id": e.entry_id, "reason": e.reason,
                "effective_date": e.effective_date.isoformat(), "product_code": e.product_code,
                "source_key": e.source_key, "reversal_of": e.reversal_of,
                "postings": [_line(p) for p in e.postings],
            }
            for e in entries
        ],
        "balances": [_line(line) for line in store.loan_balances(conn, loan_id)],
    }
