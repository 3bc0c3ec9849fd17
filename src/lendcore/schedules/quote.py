"""A quote: terms -> schedule, APR (nominal first) and the cap check at the start date.

The all-in annual rate checked against the caps table is the nominal IRR-based APR as shown to
the borrower, a percentage to 2 decimals (``CAP_CHECK_PLACES``): rounding installments to the fen
moves the IRR of a 24% loan of 10,000 CNY to 24.0001%, which is not a charge. The contract rate
is checked exactly too. Over the hard cap (24%, rule) the quote is refused with
``RuleViolation(code="rate_over_cap", field="annual-rate")``; over the target for new
consumer-finance loans (20%, policy) it carries a warning. Worked example::

    >>> q = quote(ScheduleTerms(1_200_000, 12, Method.FLAT_FEE, Decimal(0), date(2025, 6, 1),
    ...                         fee_rate_per_installment=Decimal("0.006")))
    >>> format_rate(q.apr.nominal), format_rate(q.apr.effective), q.warnings
    ('0.130342', '0.138418', ())
    >>> q.caps.lpr_one_year
    Decimal('0.03')
"""

from __future__ import annotations

from dataclasses import dataclass

from lendcore.caps import CapsInForce, CapsTable, check_all_in_rate, load_caps
from lendcore.schedules.apr import Apr, apr_of_schedule, disclosed_rate
from lendcore.schedules.methods import build_schedule
from lendcore.schedules.model import Schedule, ScheduleTerms

CAP_CHECK_PLACES = 4  # a fraction to 4 decimals: the percentage to 2 shown to the borrower


@dataclass(frozen=True, slots=True)
class Quote:
    schedule: Schedule
    apr: Apr
    caps: CapsInForce  # what was in force at the start date, LPR included
    warnings: tuple[str, ...]


def quote(terms: ScheduleTerms, caps_table: CapsTable | None = None) -> Quote:
    """Schedule and APR of ``terms``; refused if the all-in annual rate is over the cap."""
    caps = (caps_table or load_caps()).on(terms.start)
    check_all_in_rate(terms.annual_rate, caps, what="contract annual rate")
    schedule = build_schedule(terms)
    apr = apr_of_schedule(schedule)
    warnings = check_all_in_rate(disclosed_rate(apr.nominal, CAP_CHECK_PLACES), caps,
                                 what="all-in annual rate (APR, interest and fees)")
    return Quote(schedule, apr, caps, warnings)
