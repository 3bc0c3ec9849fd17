"""Posting rules: one small pure function per reason, turning amounts into a balanced entry.

Servicing and the nightly run never write postings by hand; they call these. Every amount is int
fen; legs of zero are left out; an entry whose every leg is zero is refused (``invalid_entry``:
"nothing to post"), so callers skip empty aggregates. Amounts are non-negative except where a rule
says it takes a signed amount (accruals and provision: a negative amount posts the reverse
direction).

Worked example: a checkout loan of 1,200.00 yuan, one month's interest accrued, a repayment of
110.00 that pays 10.00 interest and 100.00 principal::

    >>> d = date(2026, 3, 1)
    >>> e = disbursement(42000001, d, 120000, to_merchant=True, product_code="checkout")
    >>> [(p.account.label, p.debit_fen, p.credit_fen) for p in e.postings]
    [('principal_receivable', 120000, 0), ('merchant_payable', 0, 120000)]
    >>> e = interest_accrual("checkout", date(2026, 3, 31), 1000)    # nightly, per product
    >>> [(p.account.label, p.debit_fen, p.credit_fen) for p in e.postings]
    [('interest_receivable', 1000, 0), ('interest_income', 0, 1000)]
    >>> e = repayment(42000001, date(2026, 4, 1), interest=1000, principal=10000)
    >>> [(p.account.label, p.debit_fen, p.credit_fen) for p in e.postings]
    [('clearing', 11000, 0), ('principal_receivable', 0, 10000), ('interest_receivable', 0, 1000)]

After these three entries principal receivable holds 1,100.00 (the loan's outstanding principal),
interest receivable 0, interest income 10.00, merchant payable 1,200.00 (until settled), and
clearing 110.00 (cash in); debits equal credits.

Legs of one entry appear debits first, then credits, each in the order of the chart.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from lendcore.errors import InvalidInput
from lendcore.ledger.accounts import Account
from lendcore.ledger.journal import Entry, Posting, Reason

A = Account
_ORDER = {account: i for i, account in enumerate(Account)}


def _amount(value: int, field: str, *, signed: bool = False) -> int:
    if type(value) is not int:
        raise InvalidInput(f"must be an int of fen, got {value!r}", field=field)
    if value < 0 and not signed:
        raise InvalidInput("must not be negative", field=field)
    return value


def _build(
    reason: Reason,
    effective_date: date,
    legs: Iterable[tuple[Account, int]],
    *,
    loan_id: int | None = None,
    product_code: str | None = None,
    source_key: str | None = None,
) -> Entry:
    """An entry from signed legs (positive = debit), merged per account, zero legs dropped."""
    net: dict[Account, int] = {}
    for account, amount_fen in legs:
        net[account] = net.get(account, 0) + amount_fen
    debits = sorted((a for a, v in net.items() if v > 0), key=_ORDER.__getitem__)
    credits = sorted((a for a, v in net.items() if v < 0), key=_ORDER.__getitem__)
    postings = tuple(Posting(a, debit_fen=net[a]) for a in debits) + tuple(
        Posting(a, credit_fen=-net[a]) for a in credits
    )
    return Entry(reason, effective_date, postings, loan_id, product_code, source_key)


def disbursement(
    loan_id: int, effective_date: date, principal: int, *, to_merchant: bool,
    product_code: str | None = None, source_key: str | None = None,
) -> Entry:
    """Dr principal receivable / Cr clearing (cash draw) or Cr merchant payable (checkout).

    A checkout loan pays the merchant, never the borrower: the money is owed to the merchant
    until :func:`merchant_settlement` pays it out.
    """
    p = _amount(principal, "principal")
    funding = A.MERCHANT_PAYABLE if to_merchant else A.CLEARING
    return _build(Reason.DISBURSEMENT, effective_date, [(A.PRINCIPAL_RECEIVABLE, p), (funding, -p)],
                  loan_id=loan_id, product_code=product_code, source_key=source_key)


def merchant_settlement(
    effective_date: date, amount: int, *, loan_id: int | None = None,
    product_code: str | None = None, source_key: str | None = None,
) -> Entry:
    """Dr merchant payable / Cr clearing: the merchant is paid (per loan or per batch)."""
    a = _amount(amount, "amount")
    return _build(Reason.MERCHANT_SETTLEMENT, effective_date,
                  [(A.MERCHANT_PAYABLE, a), (A.CLEARING, -a)],
                  loan_id=loan_id, product_code=product_code, source_key=source_key)


def _receivable_legs(
    penalty: int, interest: int, fee: int, principal: int
) -> list[tuple[Account, int]]:
    """Credit legs on the receivables (signed negative), checked non-negative ints."""
    return [
        (A.PENALTY_RECEIVABLE, -_amount(penalty, "penalty")),
        (A.INTEREST_RECEIVABLE, -_amount(interest, "interest")),
        (A.FEE_RECEIVABLE, -_amount(fee, "fee")),
        (A.PRINCIPAL_RECEIVABLE, -_amount(principal, "principal")),
    ]


def repayment(
    loan_id: int, effective_date: date, *, penalty: int = 0, interest: int = 0, fee: int = 0,
    principal: int = 0, overpayment: int = 0, product_code: str | None = None,
    source_key: str | None = None,
) -> Entry:
    """Dr clearing (the whole payment) / Cr each receivable paid + overpayment liability.

    The amounts are the allocation servicing decided; any part kept on account (not applied)
    is ``overpayment``. A payment on a charged-off loan is a :func:`recovery` instead.
    """
    legs = _receivable_legs(penalty, interest, fee, principal)
    legs.append((A.OVERPAYMENT_LIABILITY, -_amount(overpayment, "overpayment")))
    legs.append((A.CLEARING, -sum(v for _, v in legs)))
    return _build(Reason.REPAYMENT, effective_date, legs,
                  loan_id=loan_id, product_code=product_code, source_key=source_key)


def apply_overpayment(
    loan_id: int, effective_date: date, *, penalty: int = 0, interest: int = 0, fee: int = 0,
    principal: int = 0, product_code: str | None = None, source_key: str | None = None,
) -> Entry:
    """Dr overpayment liability / Cr the receivables: money held on account pays what is due."""
    legs = _receivable_legs(penalty, interest, fee, principal)
    legs.append((A.OVERPAYMENT_LIABILITY, -sum(v for _, v in legs)))
    return _build(Reason.OVERPAYMENT_APPLICATION, effective_date, legs,
                  loan_id=loan_id, product_code=product_code, source_key=source_key)


def recovery(
    loan_id: int, effective_date: date, amount: int, *, product_code: str | None = None,
    source_key: str | None = None,
) -> Entry:
    """Dr clearing / Cr recovery income: a payment on a charged-off loan."""
    a = _amount(amount, "amount")
    return _build(Reason.RECOVERY, effective_date, [(A.CLEARING, a), (A.RECOVERY_INCOME, -a)],
                  loan_id=loan_id, product_code=product_code, source_key=source_key)


def _accrual(
    reason: Reason, receivable: Account, income: Account, product_code: str,
    effective_date: date, amount: int, loan_id: int | None, source_key: str | None,
) -> Entry:
    a = _amount(amount, "amount", signed=True)
    if a < 0:
        reason = Reason.ACCRUAL_ADJUSTMENT
    return _build(reason, effective_date, [(receivable, a), (income, -a)],
                  loan_id=loan_id, product_code=product_code, source_key=source_key)


def interest_accrual(
    product_code: str, effective_date: date, amount: int, *, loan_id: int | None = None,
    source_key: str | None = None,
) -> Entry:
    """Dr interest receivable / Cr interest income; a negative amount is the reverse direction.

    The nightly run posts one per product and date (``loan_id`` None); a negative amount is an
    adjustment (reason ``accrual_adjustment``), e.g. interest cut back by a back-dated payment.
    """
    return _accrual(Reason.INTEREST_ACCRUAL, A.INTEREST_RECEIVABLE, A.INTEREST_INCOME,
                    product_code, effective_date, amount, loan_id, source_key)


def penalty_accrual(
    product_code: str, effective_date: date, amount: int, *, loan_id: int | None = None,
    source_key: str | None = None,
) -> Entry:
    """Dr penalty receivable / Cr penalty income; negative = reverse (``accrual_adjustment``)."""
    return _accrual(Reason.PENALTY_ACCRUAL, A.PENALTY_RECEIVABLE, A.PENALTY_INCOME,
                    product_code, effective_date, amount, loan_id, source_key)


def fee_billing(
    effective_date: date, amount: int, *, loan_id: int | None = None,
    product_code: str | None = None, source_key: str | None = None,
) -> Entry:
    """Dr fee receivable / Cr fee income: installment fees fall due (per loan or aggregated)."""
    a = _amount(amount, "amount")
    return _build(Reason.FEE_BILLING, effective_date, [(A.FEE_RECEIVABLE, a), (A.FEE_INCOME, -a)],
                  loan_id=loan_id, product_code=product_code, source_key=source_key)


def refund(
    loan_id: int, effective_date: date, *, principal_unpaid: int = 0, principal_paid: int = 0,
    interest_unpaid: int = 0, interest_paid: int = 0, fee_unpaid: int = 0, fee_paid: int = 0,
    product_code: str | None = None, source_key: str | None = None,
) -> Entry:
    """Returned goods shrink a checkout loan.

    Principal comes back from the merchant: Dr merchant payable (the whole principal returned) /
    Cr principal receivable (the part still owed) and Cr overpayment liability (the part the
    borrower had already repaid, now owed back to them). Interest and fee on the returned part
    are given back: Dr the income / Cr the receivable for the unpaid part, Cr overpayment
    liability for the paid part.
    """
    pu = _amount(principal_unpaid, "principal_unpaid")
    pp = _amount(principal_paid, "principal_paid")
    iu, ip = _amount(interest_unpaid, "interest_unpaid"), _amount(interest_paid, "interest_paid")
    fu, fp = _amount(fee_unpaid, "fee_unpaid"), _amount(fee_paid, "fee_paid")
    legs = [
        (A.MERCHANT_PAYABLE, pu + pp), (A.PRINCIPAL_RECEIVABLE, -pu),
        (A.INTEREST_INCOME, iu + ip), (A.INTEREST_RECEIVABLE, -iu),
        (A.FEE_INCOME, fu + fp), (A.FEE_RECEIVABLE, -fu),
        (A.OVERPAYMENT_LIABILITY, -(pp + ip + fp)),
    ]
    return _build(Reason.REFUND, effective_date, legs,
                  loan_id=loan_id, product_code=product_code, source_key=source_key)


def overpayment_refund(
    loan_id: int, effective_date: date, amount: int, *, product_code: str | None = None,
    source_key: str | None = None,
) -> Entry:
    """Dr overpayment liability / Cr clearing: money held for the borrower is paid back."""
    a = _amount(amount, "amount")
    return _build(Reason.OVERPAYMENT_REFUND, effective_date,
                  [(A.OVERPAYMENT_LIABILITY, a), (A.CLEARING, -a)],
                  loan_id=loan_id, product_code=product_code, source_key=source_key)


def charge_off(
    loan_id: int, effective_date: date, *, principal: int, interest: int = 0, penalty: int = 0,
    fee: int = 0, product_code: str | None = None, source_key: str | None = None,
) -> Entry:
    """Dr charge-off expense / Cr every receivable: the loan's whole balance leaves the book.

    Post the loan's full receivables at charge-off (domain: 180 DPD); later payments are
    :func:`recovery`. From then on the audit counts the loan's receivables as 0.
    """
    legs = _receivable_legs(penalty, interest, fee, principal)
    legs.append((A.CHARGE_OFF_EXPENSE, -sum(v for _, v in legs)))
    return _build(Reason.CHARGE_OFF, effective_date, legs,
                  loan_id=loan_id, product_code=product_code, source_key=source_key)


def waiver(
    loan_id: int, effective_date: date, *, penalty: int = 0, interest: int = 0, fee: int = 0,
    principal: int = 0, product_code: str | None = None, source_key: str | None = None,
) -> Entry:
    """Dr waiver expense / Cr the receivables waived (e.g. penalty in negotiated repayment)."""
    legs = _receivable_legs(penalty, interest, fee, principal)
    legs.append((A.WAIVER_EXPENSE, -sum(v for _, v in legs)))
    return _build(Reason.WAIVER, effective_date, legs,
                  loan_id=loan_id, product_code=product_code, source_key=source_key)


def restructure(
    loan_id: int, effective_date: date, *, interest: int = 0, penalty: int = 0, fee: int = 0,
    product_code: str | None = None, source_key: str | None = None,
) -> Entry:
    """Dr principal receivable / Cr the receivables capitalised into the new principal.

    Only what is capitalised moves; waived parts go through :func:`waiver` first.
    """
    legs = _receivable_legs(penalty, interest, fee, 0)
    legs.append((A.PRINCIPAL_RECEIVABLE, -sum(v for _, v in legs)))
    return _build(Reason.RESTRUCTURE, effective_date, legs,
                  loan_id=loan_id, product_code=product_code, source_key=source_key)


def provision(
    effective_date: date, delta: int, *, product_code: str | None = None,
    source_key: str | None = None,
) -> Entry:
    """Dr provision expense / Cr loan-loss allowance by ``delta``; a negative delta releases."""
    d = _amount(delta, "delta", signed=True)
    return _build(Reason.PROVISION, effective_date,
                  [(A.PROVISION_EXPENSE, d), (A.LOAN_LOSS_ALLOWANCE, -d)],
                  product_code=product_code, source_key=source_key)
