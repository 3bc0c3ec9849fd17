"""The documents' words and figures: yuan with grouping, percentages, dates in Chinese.

The one place documents format; the templates receive strings only, so a template never does
arithmetic on money. The keys of :func:`document_view` are the templates' interface: a kept
template version reads them, so keys are added, never renamed or removed.

    >>> yuan(1_200_000)
    '12,000.00'
    >>> percent(Decimal("0.130342"))
    '13.0342%'
    >>> percent(Decimal("0.24"))
    '24.00%'
    >>> date_zh(date(2026, 1, 5))
    '2026年1月5日'
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from lendcore.documents.facts import LoanFacts, ScheduleLine
from lendcore.errors import ConfigurationError
from lendcore.money import FEN_PER_YUAN
from lendcore.products.model import PURPOSES_BY_CODE
from lendcore.rates import PPB
from lendcore.schedules.model import InterestMode
from lendcore.servicing.model import PrepaymentMode

# The complaint channel printed on every document (PBoC Announcement [2021] No. 3 and the
# consumer-protection rules: the borrower is told where to complain). Placeholders until the
# lender configures its own; docs/documents.md.
COMPLAINT_PHONE_ENV = "LENDCORE_COMPLAINT_PHONE"
COMPLAINT_URL_ENV = "LENDCORE_COMPLAINT_URL"
DEFAULT_COMPLAINT_PHONE = "400-000-0000"
DEFAULT_COMPLAINT_URL = "https://lender.example/complaints"
_PHONE = re.compile(r"[0-9][0-9 -]{2,23}[0-9]")
_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%/?#=&+-]*)?")
_MAX_URL = 200

METHODS_ZH = {
    "equal-installment": "等额本息", "equal-principal": "等额本金",
    "interest-first": "先息后本", "bullet": "到期一次还本付息",
    "flat-fee": "分期手续费（每期本金相等，每期手续费按借款本金计）",
    "pay-any-time": "随借随还（按实际借款天数计息）",
}
KINDS_ZH = {"draw": "现金借款", "checkout": "消费分期"}
PREPAYMENT_ZH = {
    PrepaymentMode.SHORTEN: "每期还款额不变，缩短还款期限",
    PrepaymentMode.LOWER: "还款期数不变，降低每期还款额",
}


@dataclass(frozen=True, slots=True)
class ComplaintChannel:
    phone: str
    url: str


def complaint_channel() -> ComplaintChannel:
    """The configured complaint phone and web address (the placeholders when unset); a value
    that is not a phone number or an http(s) address is refused naming its variable."""
    phone = os.environ.get(COMPLAINT_PHONE_ENV, "").strip() or DEFAULT_COMPLAINT_PHONE
    url = os.environ.get(COMPLAINT_URL_ENV, "").strip() or DEFAULT_COMPLAINT_URL
    if not _PHONE.fullmatch(phone):
        raise ConfigurationError("a phone number: digits, spaces and hyphens (4 to 25 "
                                 "characters), e.g. 400-123-4567", field=COMPLAINT_PHONE_ENV)
    if len(url) > _MAX_URL or not _URL.fullmatch(url):
        raise ConfigurationError(f"an http(s) address of at most {_MAX_URL} characters, e.g. "
                                 "https://www.example.com/complaints", field=COMPLAINT_URL_ENV)
    return ComplaintChannel(phone, url)


def yuan(fen: int) -> str:
    """Fen as yuan with thousands grouping and two decimals."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole:,}.{part:02d}"


def percent(rate: Decimal) -> str:
    """A rate as a percentage, half-up to at most 4 decimals, at least 2."""
    text = f"{(rate * 100).quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP):f}"
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.rstrip('0').ljust(2, '0')}%"


def date_zh(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _rate(ppb: int) -> Decimal:
    return Decimal(ppb) / PPB


def _periodic(facts: LoanFacts) -> tuple[str, str, bool]:
    """The contract rate per day (daily interest) or per month (per-period interest), and
    whether the shown figure is exact (else it is shown as 约, about)."""
    annual = _rate(facts.annual_rate_ppb)
    if facts.interest_mode is InterestMode.PER_PERIOD and not facts.pay_any_time:
        unit, divisor = "月", 12
    else:
        unit, divisor = "日", facts.day_count.basis_days
    exact = annual / divisor
    shown = percent(exact)
    return unit, shown, Decimal(shown.rstrip("%")) / 100 == exact


def _purpose(code: str | None) -> str:
    found = PURPOSES_BY_CODE.get(code or "")
    return found.label_zh if found is not None else (code or "")


def _payee(payee: str | None) -> str:
    """``merchant:M-1`` -> ``商户 M-1`` (the lender pays it on the borrower's behalf)."""
    kind, _, ident = (payee or "").partition(":")
    return f"商户 {ident}" if kind == "merchant" and ident else (payee or "")


def _line(line: ScheduleLine) -> dict[str, Any]:
    return {"number": line.number, "due_date": date_zh(line.due_date),
            "principal": yuan(line.principal_fen), "interest": yuan(line.interest_fen),
            "fee": yuan(line.fee_fen), "total": yuan(line.total_fen)}


def document_view(facts: LoanFacts, channel: ComplaintChannel) -> dict[str, Any]:
    """Everything a document template reads, as strings (and a few flags)."""
    unit, periodic, exact = _periodic(facts)
    penalty = _rate(facts.penalty_rate_ppb)
    return {
        "version": facts.contract_version,
        "loan_id": str(facts.loan_id), "customer_id": str(facts.customer_id),
        "product_code": facts.product_code, "kind": KINDS_ZH.get(facts.kind, facts.kind),
        "checkout": facts.kind == "checkout", "method": METHODS_ZH.get(facts.method, facts.method),
        "purpose": _purpose(facts.purpose), "payee": _payee(facts.payee),
        "merchant_id": facts.merchant_id or "", "order_id": facts.order_id or "",
        "principal": yuan(facts.principal_fen), "installments": facts.installments,
        "start_date": date_zh(facts.start_date), "maturity_date": date_zh(facts.maturity_date),
        "apr": percent(_rate(facts.apr_nominal_ppb)),
        "annual_rate": percent(_rate(facts.annual_rate_ppb)),
        "rate_unit": unit, "periodic_rate": periodic, "periodic_rate_exact": exact,
        "day_basis": facts.day_count.basis_days,
        "fee_rate": percent(_rate(facts.fee_rate_ppb)) if facts.fee_rate_ppb else None,
        "penalty_rate": percent(penalty),
        "penalty_daily_rate": percent(penalty / facts.day_count.basis_days),
        "penalty_on_interest": facts.penalty_on_interest,
        "cap": percent(facts.all_in_cap),
        "lpr": None if facts.lpr_one_year is None else percent(facts.lpr_one_year),
        "grace_days": facts.grace_days, "pay_any_time": facts.pay_any_time,
        "prepayment_mode": PREPAYMENT_ZH[facts.prepayment_mode],
        "interest_estimated": facts.interest_estimated,
        "schedule": [_line(line) for line in facts.schedule],
        "total_principal": yuan(facts.total_principal_fen),
        "total_interest": yuan(facts.total_interest_fen),
        "total_fee": yuan(facts.total_fee_fen), "total": yuan(facts.total_fen),
        "complaint_phone": channel.phone, "complaint_url": channel.url,
    }
