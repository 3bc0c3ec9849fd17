"""Each posting rule balances and hits the right accounts, and nothing else."""

from __future__ import annotations

from datetime import date

import pytest

from lendcore.errors import InvalidInput
from lendcore.ledger import posting
from lendcore.ledger.accounts import Account
from lendcore.ledger.journal import Entry, Reason

D = date(2026, 3, 1)
L = 42000001


def legs(entry: Entry) -> dict[str, int]:
    """Account label -> signed amount (+ debit, - credit)."""
    return {p.account.label: p.net_fen for p in entry.postings}


def test_a_cash_draw_is_paid_out_of_clearing() -> None:
    e = posting.disbursement(L, D, 500000, to_merchant=False)
    assert e.reason is Reason.DISBURSEMENT and e.loan_id == L
    assert legs(e) == {"principal_receivable": 500000, "clearing": -500000}


def test_a_checkout_loan_pays_the_merchant_never_the_borrower() -> None:
    e = posting.disbursement(L, D, 120000, to_merchant=True, product_code="checkout")
    assert legs(e) == {"principal_receivable": 120000, "merchant_payable": -120000}
    assert e.product_code == "checkout"


def test_merchant_settlement_clears_the_payable_against_cash() -> None:
    e = posting.merchant_settlement(D, 120000, source_key="settle:2026-03-01:m1")
    assert legs(e) == {"merchant_payable": 120000, "clearing": -120000}
    assert e.loan_id is None


def test_a_repayment_credits_each_receivable_paid_and_skips_zero_legs() -> None:
    e = posting.repayment(L, D, penalty=50, interest=1000, principal=10000, overpayment=7)
    assert legs(e) == {"clearing": 11057, "principal_receivable": -10000,
                       "interest_receivable": -1000, "penalty_receivable": -50,
                       "overpayment_liability": -7}
    assert [p.debit_fen > 0 for p in e.postings] == [True, False, False, False, False]


def test_held_overpayment_pays_what_falls_due() -> None:
    e = posting.apply_overpayment(L, D, interest=300, principal=700)
    assert legs(e) == {"overpayment_liability": 1000, "principal_receivable": -700,
                       "interest_receivable": -300}


def test_a_payment_on_a_charged_off_loan_is_recovery_income() -> None:
    e = posting.recovery(L, D, 2500)
    assert legs(e) == {"clearing": 2500, "recovery_income": -2500}


def test_nightly_interest_accrual_is_per_product_without_a_loan() -> None:
    e = posting.interest_accrual("cash", D, 1234, source_key="eod:2026-03-01:cash:interest")
    assert e.reason is Reason.INTEREST_ACCRUAL and e.loan_id is None
    assert legs(e) == {"interest_receivable": 1234, "interest_income": -1234}


def test_a_negative_accrual_posts_the_reverse_direction_as_an_adjustment() -> None:
    e = posting.interest_accrual("cash", D, -200)
    assert e.reason is Reason.ACCRUAL_ADJUSTMENT
    assert legs(e) == {"interest_income": 200, "interest_receivable": -200}
    p = posting.penalty_accrual("cash", D, -30)
    assert legs(p) == {"penalty_income": 30, "penalty_receivable": -30}


def test_penalty_accrual_and_fee_billing_hit_their_own_accounts() -> None:
    assert legs(posting.penalty_accrual("cash", D, 90)) == {"penalty_receivable": 90,
                                                             "penalty_income": -90}
    assert legs(posting.fee_billing(D, 720, loan_id=L)) == {"fee_receivable": 720,
                                                            "fee_income": -720}


def test_a_refund_returns_principal_through_the_merchant_and_gives_back_income() -> None:
    e = posting.refund(L, D, principal_unpaid=80000, principal_paid=20000, interest_unpaid=300,
                       interest_paid=100, fee_unpaid=50, fee_paid=25)
    assert legs(e) == {
        "merchant_payable": 100000, "interest_income": 400, "fee_income": 75,
        "principal_receivable": -80000, "interest_receivable": -300, "fee_receivable": -50,
        "overpayment_liability": -20125,
    }


def test_an_overpayment_refund_pays_the_borrower_back() -> None:
    assert legs(posting.overpayment_refund(L, D, 20125)) == {"overpayment_liability": 20125,
                                                             "clearing": -20125}


def test_a_charge_off_moves_every_receivable_to_expense() -> None:
    e = posting.charge_off(L, D, principal=90000, interest=1500, penalty=800, fee=100)
    assert legs(e) == {"charge_off_expense": 92400, "principal_receivable": -90000,
                       "interest_receivable": -1500, "penalty_receivable": -800,
                       "fee_receivable": -100}


def test_a_waiver_is_an_expense_against_the_waived_receivable() -> None:
    assert legs(posting.waiver(L, D, penalty=800)) == {"waiver_expense": 800,
                                                       "penalty_receivable": -800}


def test_a_restructure_capitalises_interest_and_penalty_into_principal() -> None:
    e = posting.restructure(L, D, interest=1500, penalty=300)
    assert legs(e) == {"principal_receivable": 1800, "interest_receivable": -1500,
                       "penalty_receivable": -300}


def test_provision_builds_the_allowance_and_a_negative_delta_releases_it() -> None:
    assert legs(posting.provision(D, 5000)) == {"provision_expense": 5000,
                                                "loan_loss_allowance": -5000}
    assert legs(posting.provision(D, -2000)) == {"loan_loss_allowance": 2000,
                                                 "provision_expense": -2000}


def test_every_rule_balances() -> None:
    entries = [
        posting.disbursement(L, D, 1, to_merchant=True), posting.merchant_settlement(D, 1),
        posting.repayment(L, D, principal=3, fee=2), posting.recovery(L, D, 1),
        posting.interest_accrual("p", D, 5), posting.penalty_accrual("p", D, -5),
        posting.fee_billing(D, 1), posting.refund(L, D, principal_paid=3, fee_paid=1),
        posting.overpayment_refund(L, D, 1), posting.charge_off(L, D, principal=1, fee=1),
        posting.waiver(L, D, interest=1), posting.restructure(L, D, fee=1),
        posting.provision(D, 9), posting.apply_overpayment(L, D, penalty=1),
    ]
    for e in entries:
        assert sum(p.debit_fen for p in e.postings) == sum(p.credit_fen for p in e.postings)
        assert all(isinstance(p.account, Account) for p in e.postings)


def test_an_entry_with_every_amount_zero_is_refused_so_callers_skip_empty_aggregates() -> None:
    with pytest.raises(InvalidInput, match="nothing to post"):
        posting.interest_accrual("cash", D, 0)
    with pytest.raises(InvalidInput, match="nothing to post"):
        posting.repayment(L, D)


def test_a_negative_amount_is_refused_where_the_rule_is_not_signed() -> None:
    with pytest.raises(InvalidInput, match="negative") as err:
        posting.repayment(L, D, principal=-1)
    assert err.value.field == "principal"


def test_a_float_amount_is_refused_by_the_rules() -> None:
    with pytest.raises(InvalidInput, match="int of fen"):
        posting.recovery(L, D, 10.0)  # type: ignore[arg-type]
