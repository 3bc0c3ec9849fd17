"""Pure journal rules: what an entry must be before anything is written."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from lendcore.errors import InvalidInput
from lendcore.ledger.accounts import Account, AccountType, Side
from lendcore.ledger.journal import Entry, Posting, Reason, credit, debit, reverse

D = date(2026, 3, 1)
A = Account


def test_every_account_has_a_unique_four_digit_code_and_a_type() -> None:
    codes = [a.code for a in Account]
    assert len(set(codes)) == len(codes)
    assert all(len(c) == 4 and c.isdigit() for c in codes)
    assert Account.from_code("1100") is A.PRINCIPAL_RECEIVABLE
    assert Account.from_code("9999") is None
    assert A.LOAN_LOSS_ALLOWANCE.type is AccountType.CONTRA_ASSET


def test_assets_and_expenses_grow_on_the_debit_side_the_rest_on_the_credit_side() -> None:
    assert A.CLEARING.normal_side is Side.DEBIT
    assert A.WAIVER_EXPENSE.normal_side is Side.DEBIT
    assert A.MERCHANT_PAYABLE.normal_side is Side.CREDIT
    assert A.INTEREST_INCOME.normal_side is Side.CREDIT
    assert A.LOAN_LOSS_ALLOWANCE.normal_side is Side.CREDIT
    assert A.OVERPAYMENT_LIABILITY.normal_balance(debit_fen=100, credit_fen=300) == 200


def test_a_balanced_entry_is_accepted() -> None:
    e = Entry(Reason.DISBURSEMENT, D, (debit(A.PRINCIPAL_RECEIVABLE, 500000),
                                        credit(A.CLEARING, 500000)), loan_id=42000001)
    assert e.total_fen == 500000
    assert e.entry_id is None


def test_an_unbalanced_entry_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unbalanced") as err:
        Entry(Reason.REPAYMENT, D, (debit(A.CLEARING, 100), credit(A.INTEREST_RECEIVABLE, 99)))
    assert err.value.code == "invalid_entry"


def test_a_posting_with_both_sides_positive_is_refused() -> None:
    with pytest.raises(InvalidInput, match="exactly one of debit and credit"):
        Entry(Reason.REPAYMENT, D, (Posting(A.CLEARING, 100, 100),))


def test_a_posting_with_neither_side_positive_is_refused() -> None:
    with pytest.raises(InvalidInput, match="exactly one of debit and credit"):
        Entry(Reason.REPAYMENT, D, (Posting(A.CLEARING, 0, 0), debit(A.CLEARING, 1),
                                    credit(A.FEE_INCOME, 1)))


def test_a_negative_amount_is_refused() -> None:
    with pytest.raises(InvalidInput, match="negative"):
        Entry(Reason.REPAYMENT, D, (Posting(A.CLEARING, -5, 0), Posting(A.FEE_INCOME, 0, -5)))


@pytest.mark.parametrize("amount", [100.0, Decimal(100), True])
def test_float_decimal_and_bool_amounts_are_refused(amount: object) -> None:
    with pytest.raises(InvalidInput, match="must be an int of fen"):
        Entry(Reason.REPAYMENT, D, (Posting(A.CLEARING, amount, 0),  # type: ignore[arg-type]
                                    credit(A.FEE_INCOME, 100)))


def test_an_entry_without_postings_is_refused() -> None:
    with pytest.raises(InvalidInput, match="at least one posting"):
        Entry(Reason.REPAYMENT, D, ())


def test_an_account_outside_the_chart_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not in the chart"):
        Entry(Reason.REPAYMENT, D, (Posting("9999", 1, 0),  # type: ignore[arg-type]
                                    credit(A.CLEARING, 1)))


def test_a_timestamp_is_not_a_business_date() -> None:
    with pytest.raises(InvalidInput, match="business date"):
        Entry(Reason.REPAYMENT, datetime(2026, 3, 1, 12), (debit(A.CLEARING, 1),
                                                             credit(A.FEE_INCOME, 1)))


def test_every_fault_of_an_entry_is_listed_not_just_the_first() -> None:
    with pytest.raises(InvalidInput) as err:
        Entry(Reason.REPAYMENT, D, (Posting(A.CLEARING, 1, 1), Posting(A.FEE_INCOME, 1.5, 0)),
              loan_id=-1)
    detail = err.value.detail
    assert "loan_id" in detail and "line 1" in detail and "line 2" in detail


def test_a_reversal_mirrors_the_original_and_points_at_it() -> None:
    original = Entry(Reason.FEE_BILLING, D, (debit(A.FEE_RECEIVABLE, 300),
                                             credit(A.FEE_INCOME, 300)), loan_id=7).with_id(11)
    mirror = reverse(original, date(2026, 3, 5))
    assert mirror.reason is Reason.REVERSAL
    assert mirror.reversal_of == 11
    assert mirror.effective_date == date(2026, 3, 5)
    assert mirror.loan_id == 7
    assert mirror.source_key == "reversal:11"
    assert mirror.postings == (credit(A.FEE_RECEIVABLE, 300), debit(A.FEE_INCOME, 300))


def test_only_a_stored_entry_can_be_reversed() -> None:
    unstored = Entry(Reason.FEE_BILLING, D, (debit(A.FEE_RECEIVABLE, 1), credit(A.FEE_INCOME, 1)))
    with pytest.raises(InvalidInput, match="stored entry"):
        reverse(unstored, D)


def test_reversal_of_is_set_exactly_when_the_reason_is_reversal() -> None:
    lines = (debit(A.FEE_RECEIVABLE, 1), credit(A.FEE_INCOME, 1))
    with pytest.raises(InvalidInput, match="reversal_of"):
        Entry(Reason.FEE_BILLING, D, lines, reversal_of=3)
    with pytest.raises(InvalidInput, match="reversal_of"):
        Entry(Reason.REVERSAL, D, lines)
