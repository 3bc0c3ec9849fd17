"""From a loan's cumulative totals to journal entries.

Each account's balance for one loan is a fixed linear function of the loan's cumulative totals
(``model.Totals``); for example principal receivable = disbursed - refunded - principal paid +
capitalised - principal charged off. Any command (a repayment today, a back-dated repayment that
replays the loan, a refund, a waiver) changes the totals; the journal receives exactly the change,
grouped by reason, each group balanced on its own. The groups:

========================  ==============================================================
reason                    totals it moves
========================  ==============================================================
disbursement              disbursed (Cr clearing, or merchant payable for checkout loans)
repayment                 paid principal/interest/penalty/fee, overpaid (Dr clearing)
recovery                  recovered (Dr clearing / Cr recovery income)
accrual_adjustment        interest accrued, penalty accrued, fee billed (Dr receivable / Cr income)
refund                    refunded principal (Dr merchant payable / Cr principal receivable)
waiver                    waived interest/penalty/fee (Dr waiver expense)
restructure               capitalised interest/fee/penalty (Dr principal receivable)
charge_off                charged-off components (Dr charge-off expense)
overpayment_refund        overpayment refunded (Dr overpayment liability / Cr clearing)
========================  ==============================================================

A group whose deltas move money in both directions (a back-dated payment re-allocates an
earlier one) becomes one entry with signed legs merged per account: still balanced.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date

from lendcore.ledger.accounts import Account as A
from lendcore.ledger.journal import Entry, Reason, credit, debit
from lendcore.servicing.model import Totals

Legs = list[tuple[A, int]]


def _group_legs(d: Totals, checkout: bool) -> list[tuple[Reason, Legs]]:
    funding = A.MERCHANT_PAYABLE if checkout else A.CLEARING
    paid = d.paid_principal + d.paid_interest + d.paid_penalty + d.paid_fee + d.overpaid
    cap = d.capitalised_interest + d.capitalised_fee + d.capitalised_penalty
    co = (d.charged_off_principal + d.charged_off_interest + d.charged_off_penalty
          + d.charged_off_fee)
    return [
        (Reason.DISBURSEMENT, [(A.PRINCIPAL_RECEIVABLE, d.disbursed), (funding, -d.disbursed)]),
        (Reason.REPAYMENT, [
            (A.CLEARING, paid), (A.PRINCIPAL_RECEIVABLE, -d.paid_principal),
            (A.INTEREST_RECEIVABLE, -d.paid_interest), (A.PENALTY_RECEIVABLE, -d.paid_penalty),
            (A.FEE_RECEIVABLE, -d.paid_fee), (A.OVERPAYMENT_LIABILITY, -d.overpaid)]),
        (Reason.RECOVERY, [(A.CLEARING, d.recovered), (A.RECOVERY_INCOME, -d.recovered)]),
        (Reason.ACCRUAL_ADJUSTMENT, [
            (A.INTEREST_RECEIVABLE, d.interest_accrued), (A.INTEREST_INCOME, -d.interest_accrued),
            (A.PENALTY_RECEIVABLE, d.penalty_accrued), (A.PENALTY_INCOME, -d.penalty_accrued),
            (A.FEE_RECEIVABLE, d.fee_billed), (A.FEE_INCOME, -d.fee_billed)]),
        (Reason.REFUND, [(A.MERCHANT_PAYABLE if checkout else A.CLEARING, d.refunded_principal),
                         (A.PRINCIPAL_RECEIVABLE, -d.refunded_principal)]),
        (Reason.WAIVER, [
            (A.WAIVER_EXPENSE, d.waived_interest + d.waived_penalty + d.waived_fee),
            (A.INTEREST_RECEIVABLE, -d.waived_interest), (A.PENALTY_RECEIVABLE, -d.waived_penalty),
            (A.FEE_RECEIVABLE, -d.waived_fee)]),
        (Reason.RESTRUCTURE, [
            (A.PRINCIPAL_RECEIVABLE, cap), (A.INTEREST_RECEIVABLE, -d.capitalised_interest),
            (A.FEE_RECEIVABLE, -d.capitalised_fee),
            (A.PENALTY_RECEIVABLE, -d.capitalised_penalty)]),
        (Reason.CHARGE_OFF, [
            (A.CHARGE_OFF_EXPENSE, co), (A.PRINCIPAL_RECEIVABLE, -d.charged_off_principal),
            (A.INTEREST_RECEIVABLE, -d.charged_off_interest),
            (A.PENALTY_RECEIVABLE, -d.charged_off_penalty),
            (A.FEE_RECEIVABLE, -d.charged_off_fee)]),
        (Reason.OVERPAYMENT_REFUND, [(A.OVERPAYMENT_LIABILITY, d.overpayment_refunded),
                                     (A.CLEARING, -d.overpayment_refunded)]),
    ]


def difference(new: Totals, old: Totals) -> Totals:
    return Totals(**{f.name: getattr(new, f.name) - getattr(old, f.name) for f in fields(Totals)})


def entries_for(delta: Totals, *, loan_id: int, product_code: str, effective_date: date,
                checkout: bool, source_key: str) -> list[Entry]:
    """Balanced entries posting ``delta`` (new totals - old totals) for one loan."""
    out: list[Entry] = []
    for reason, legs in _group_legs(delta, checkout):
        net: dict[A, int] = {}
        for account, amount in legs:
            net[account] = net.get(account, 0) + amount
        postings = tuple(debit(a, v) for a, v in net.items() if v > 0) + tuple(
            credit(a, -v) for a, v in net.items() if v < 0)
        if postings:
            out.append(Entry(reason, effective_date, postings, loan_id, product_code,
                             f"{source_key}:{reason.value}"))
    return out
