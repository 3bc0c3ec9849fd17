"""A statement that adds up (issue #14, item 9), through the real CLI commands.

The statement's amounts due are disjoint: overdue installments (principal, interest, fees; no
penalty), the penalty charged, and what falls due today; ``due_now.total`` is their sum, and
paying exactly it with ``lendcore repay`` clears everything due. The statement used to print an
``overdue`` that already held the ``penalty`` printed beside it, so paying both overpaid.

The worked loan: 10,000 CNY drawn on 2026-01-05 over 6 installments, equal principal, at
0.04%/day (14.60% a year on ACT/365): installment 1 (due 02-05) is 1,666.67 + 124.00 interest
(31 days), installment 2 (due 03-05) is 1,666.67 + 93.33 (8,333.33 x 0.04% x 28 days). The
penalty rate is 21.90% (1.5 x 14.60%): 1,666.67 overdue accrues 1.00 a day.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from lendcore.customers.operations import OpenLine
from lendcore.servicing.operations import Checkout
from tests.servicing.helpers import (
    MERCHANT,
    advance,
    audit_problems,
    goods,
    make_cli,
    new_draw,
    new_line,
    run,
    start_book,
)

DAY0 = date(2026, 1, 5)


@pytest.fixture()
def cli(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Any:
    start_book(engine, DAY0)
    return make_cli(engine, monkeypatch)


def _json(cli: Any, *args: str) -> Any:
    code, out = cli(*args)
    assert code == 0, out
    return json.loads(out)


def _statement(cli: Any, loan_id: int) -> Any:
    return _json(cli, "loan", "statement", str(loan_id))


def _repay(cli: Any, loan_id: int, amount: str, key: str) -> Any:
    return _json(cli, "repay", "--loan", str(loan_id), "--amount", amount, "--key", key)


def _loan_with_installment_1_overdue_and_2_due_today(engine: Engine) -> int:
    loan_id = new_draw(engine, 1_000_000, 6, "equal-principal")
    advance(engine, 59)  # business date 2026-03-05: installment 1 is 28 days past due
    return loan_id


def test_the_amounts_due_are_disjoint_and_due_now_is_their_total(
        engine: Engine, cli: Any) -> None:
    loan_id = _loan_with_installment_1_overdue_and_2_due_today(engine)
    s = _statement(cli, loan_id)
    assert s["business_date"] == "2026-03-05" and s["days_past_due"] == 28
    assert s["due_now"] == {"total": "3578.67", "overdue_installments": "1790.67",
                            "penalty": "28.00", "due_today": "1760.00"}
    # Installment 3, not in due_now: 1,666.67 + 82.67 (6,666.66 x 0.04% x 31 days).
    assert s["next_due"] == {"date": "2026-04-05", "amount": "1749.34"}
    assert s["principal_outstanding"] == {"total": "10000.00", "of_which_due_now": "3333.34"}


def test_paying_exactly_due_now_clears_what_is_due_and_nothing_more(
        engine: Engine, cli: Any) -> None:
    loan_id = _loan_with_installment_1_overdue_and_2_due_today(engine)
    paid = _repay(cli, loan_id, _statement(cli, loan_id)["due_now"]["total"], "exact")
    assert paid["allocation"] == {"amount": "3578.67", "penalty": "28.00", "fee": "0.00",
                                  "interest": "217.33", "principal": "3333.34",
                                  "prepaid_principal": "0.00", "overpayment": "0.00",
                                  "recovery": False}
    after = _statement(cli, loan_id)
    assert after["due_now"] == {"total": "0.00", "overdue_installments": "0.00",
                                "penalty": "0.00", "due_today": "0.00"}
    assert after["days_past_due"] == 0
    assert after["principal_outstanding"] == {"total": "6666.66", "of_which_due_now": "0.00"}
    assert audit_problems(engine) == []


def test_paying_a_fen_less_than_due_now_leaves_that_fen_due(engine: Engine, cli: Any) -> None:
    loan_id = _loan_with_installment_1_overdue_and_2_due_today(engine)
    _repay(cli, loan_id, "3578.66", "short")
    after = _statement(cli, loan_id)
    assert after["due_now"]["total"] == after["due_now"]["due_today"] == "0.01"
    assert after["days_past_due"] == 0  # the overdue installment and the penalty are paid


def test_a_fen_more_than_due_now_prepays_a_fen_of_principal(engine: Engine, cli: Any) -> None:
    loan_id = _loan_with_installment_1_overdue_and_2_due_today(engine)
    paid = _repay(cli, loan_id, "3578.68", "long")
    assert paid["allocation"]["prepaid_principal"] == "0.01"
    assert paid["allocation"]["overpayment"] == "0.00"
    assert _statement(cli, loan_id)["due_now"]["total"] == "0.00"


def test_overdue_plus_penalty_plus_due_today_is_all_that_is_owed_now(
        engine: Engine, cli: Any) -> None:
    """The old statement's ``overdue`` (1,818.67, the penalty inside) + ``penalty`` (28.00) +
    ``due_now`` (1,760.00) came to 3,606.67: paying it overpaid by the penalty, 28.00."""
    loan_id = _loan_with_installment_1_overdue_and_2_due_today(engine)
    parts = _statement(cli, loan_id)["due_now"]
    paid = _repay(cli, loan_id, str(sum(Decimal(parts[k]) for k in (
        "overdue_installments", "penalty", "due_today"))), "parts")
    assert paid["allocation"]["prepaid_principal"] == "0.00"
    assert paid["allocation"]["overpayment"] == "0.00"


@pytest.mark.parametrize(("days_late", "penalty", "total"), [
    (3, "0.00", "1790.67"),  # inside the 3-day grace period: no penalty is owed
    (4, "4.00", "1794.67"),  # grace passed: penalty from the due date, 4 days of 1.00
])
def test_on_each_side_of_grace_the_statement_shows_the_penalty_owed_and_paying_clears_it(
        engine: Engine, cli: Any, days_late: int, penalty: str, total: str) -> None:
    loan_id = new_draw(engine, 1_000_000, 6, "equal-principal")
    advance(engine, 31 + days_late)  # installment 1 was due 2026-02-05
    s = _statement(cli, loan_id)
    assert (s["days_past_due"], s["due_now"]["penalty"], s["due_now"]["total"]) == (
        days_late, penalty, total)
    _repay(cli, loan_id, s["due_now"]["total"], "pay")
    advance(engine, 5)  # no penalty pending inside grace surfaces later
    after = _statement(cli, loan_id)
    assert (after["due_now"]["total"], after["days_past_due"]) == ("0.00", 0)
    assert _json(cli, "loan", "show", str(loan_id))["balances"]["penalty"] == "0.00"


def test_a_cash_statement_shows_the_contract_rate_the_disclosed_rate_the_penalty_and_the_lpr(
        engine: Engine, cli: Any) -> None:
    loan_id = new_draw(engine, 1_000_000, 6, "equal-principal")
    rates = _statement(cli, loan_id)["rates"]
    assert rates["contract_rate"] == {"annual": "14.60%", "basis": "ACT/365", "daily": "0.04%"}
    assert rates["fee_per_installment"] is None
    apr = Decimal(rates["apr_nominal"]["annual"].rstrip("%"))
    assert apr.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) == Decimal("14.60")
    assert "单利" in rates["apr_nominal"]["basis"]
    assert rates["penalty"]["annual"] == "21.90%"
    assert rates["lpr_one_year"] == "3.00%"


def test_a_flat_fee_statement_shows_the_fee_its_apr_and_its_penalty_and_no_interest_rate(
        engine: Engine, cli: Any) -> None:
    cid, _ = new_line(engine)
    run(engine, OpenLine(cid, "checkout-installment", 2_000_000))
    loan = run(engine, Checkout(cid, "O-1", MERCHANT, 1_200_000, 12, goods(1_200_000)), "co")
    rates = _statement(cli, loan["loan_id"])["rates"]
    assert rates["contract_rate"] is None
    assert rates["fee_per_installment"] == "0.60%"
    assert rates["apr_nominal"]["annual"] == "13.0342%"
    assert rates["penalty"]["annual"] == "19.5513%"  # 1.5 x 13.0342%
