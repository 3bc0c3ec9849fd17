"""The opening ledger of a generated loan: what its history would have posted.

Per loan (the audit checks principal per loan): the disbursement (to the merchant for a checkout
loan), capitalisation at a restructure, one entry summing its repayments (penalty, interest,
fee, principal, overpayment), its charge-off and its recoveries. Accruals and fees are posted
per product, as the nightly run posts them: :func:`accrual_totals` sums them over the book.
Every amount comes from the loan's ``Totals``, so the sub-ledger equals the control accounts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from lendcore.ledger import posting
from lendcore.ledger.journal import Entry
from lendcore.servicing.model import LoanState


def loan_entries(state: LoanState, product: str, business_date: date) -> list[Entry]:
    t, lid = state.totals, state.terms.loan_id
    last = business_date - timedelta(days=1)
    entries = [posting.disbursement(lid, state.terms.start, t.disbursed,
                                    to_merchant=product != "cash-line", product_code=product)]
    capitalised = t.capitalised_interest + t.capitalised_fee + t.capitalised_penalty
    if capitalised:
        entries.append(posting.restructure(lid, last, interest=t.capitalised_interest,
                                           penalty=t.capitalised_penalty,
                                           fee=t.capitalised_fee, product_code=product))
    paid = t.paid_penalty + t.paid_interest + t.paid_fee + t.paid_principal + t.overpaid
    if paid:
        entries.append(posting.repayment(lid, last, penalty=t.paid_penalty,
                                         interest=t.paid_interest, fee=t.paid_fee,
                                         principal=t.paid_principal, overpayment=t.overpaid,
                                         product_code=product))
    if state.charged_off_on is not None:
        entries.append(posting.charge_off(
            lid, state.charged_off_on, principal=t.charged_off_principal,
            interest=t.charged_off_interest, penalty=t.charged_off_penalty,
            fee=t.charged_off_fee, product_code=product))
    if t.recovered:
        entries.append(posting.recovery(lid, last, t.recovered, product_code=product))
    return entries


def accrual_totals(states: Iterable[tuple[LoanState, str, int]]) -> dict[str, dict[str, int]]:
    """(state, product, copies) -> {reason: {product: fen}} over the whole book."""
    out: dict[str, dict[str, int]] = {"interest_accrual": {}, "penalty_accrual": {},
                                      "fee_billing": {}}
    for state, product, copies in states:
        t = state.totals
        for reason, amount in (("interest_accrual", t.interest_accrued),
                               ("penalty_accrual", t.penalty_accrued),
                               ("fee_billing", t.fee_billed)):
            out[reason][product] = out[reason].get(product, 0) + amount * copies
    return out


def accrual_entries(day: date, totals: dict[str, dict[str, int]]) -> list[Entry]:
    entries = []
    for product, amount in sorted(totals["interest_accrual"].items()):
        if amount:
            entries.append(posting.interest_accrual(product, day, amount,
                                                    source_key=f"opening:interest:{product}"))
    for product, amount in sorted(totals["penalty_accrual"].items()):
        if amount:
            entries.append(posting.penalty_accrual(product, day, amount,
                                                   source_key=f"opening:penalty:{product}"))
    for product, amount in sorted(totals["fee_billing"].items()):
        if amount:
            entries.append(posting.fee_billing(day, amount, product_code=product,
                                               source_key=f"opening:fee:{product}"))
    return entries
