"""The credit-profile attributes an application carries: the German Credit attributes.

The scorecard is trained on the UCI Statlog German Credit data (see ``data/README.md``), so the
application's ``profile`` object carries the same attributes with the same values, spelt as in
the stored data set (``data/germancredit.csv``). Mapping a Chinese bureau report and the
ecosystem's records onto these attributes is the data team's job and out of scope here.

* Not in the profile: ``age_in_years`` (derived from the resident ID number on the application
  date, so it cannot disagree with KYC), ``personal_status_and_sex`` and ``foreign_worker``
  (sex, marital status and nationality are not grounds to price credit; excluded from training).
* ``credit_amount`` is money (the data set's Deutsche Mark amount of the applicant's existing
  credit) and, like every amount in JSON, is a decimal string; the other numbers are counts.

Example (the template's good applicant)::

    {"status_of_existing_checking_account": "no checking account", "duration_in_month": 12, ...}
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from lendcore.errors import InvalidInput

CATEGORICAL: dict[str, tuple[str, ...]] = {
    "status_of_existing_checking_account": (
        "... < 0 DM",
        "0 <= ... < 200 DM",
        "... >= 200 DM / salary assignments for at least 1 year",
        "no checking account",
    ),
    "credit_history": (
        "no credits taken/ all credits paid back duly",
        "all credits at this bank paid back duly",
        "existing credits paid back duly till now",
        "delay in paying off in the past",
        "critical account/ other credits existing (not at this bank)",
    ),
    "purpose": (
        "car (new)", "car (used)", "furniture/equipment", "radio/television",
        "domestic appliances", "repairs", "education", "retraining", "business", "others",
    ),
    "savings_account_and_bonds": (
        "... < 100 DM", "100 <= ... < 500 DM", "500 <= ... < 1000 DM", "... >= 1000 DM",
        "unknown/ no savings account",
    ),
    "present_employment_since": (
        "unemployed", "... < 1 year", "1 <= ... < 4 years", "4 <= ... < 7 years",
        "... >= 7 years",
    ),
    "other_debtors_or_guarantors": ("none", "co-applicant", "guarantor"),
    "property": (
        "real estate",
        "building society savings agreement/ life insurance",
        "car or other, not in attribute Savings account/bonds",
        "unknown / no property",
    ),
    "other_installment_plans": ("bank", "stores", "none"),
    "housing": ("rent", "own", "for free"),
    "job": (
        "unemployed/ unskilled - non-resident",
        "unskilled - resident",
        "skilled employee / official",
        "management/ self-employed/ highly qualified employee/ officer",
    ),
    "telephone": ("none", "yes, registered under the customers name"),
}

# Counts (inclusive accepted range).
COUNTS: dict[str, tuple[int, int]] = {
    "duration_in_month": (1, 120),
    "installment_rate_in_percentage_of_disposable_income": (1, 4),
    "present_residence_since": (1, 4),
    "number_of_existing_credits_at_this_bank": (1, 4),
    "number_of_people_being_liable_to_provide_maintenance_for": (1, 2),
}
MONEY = ("credit_amount",)
ATTRIBUTES: tuple[str, ...] = (*CATEGORICAL, *COUNTS, *MONEY)
DERIVED_AGE = "age_in_years"

ProfileValue = str | int | Decimal

GOOD_APPLICANT: dict[str, object] = {
    "status_of_existing_checking_account": "no checking account",
    "duration_in_month": 12,
    "credit_history": "critical account/ other credits existing (not at this bank)",
    "purpose": "car (used)",
    "credit_amount": "2500",
    "savings_account_and_bonds": "... >= 1000 DM",
    "present_employment_since": "4 <= ... < 7 years",
    "installment_rate_in_percentage_of_disposable_income": 2,
    "other_debtors_or_guarantors": "guarantor",
    "present_residence_since": 4,
    "property": "real estate",
    "other_installment_plans": "none",
    "housing": "own",
    "number_of_existing_credits_at_this_bank": 1,
    "job": "skilled employee / official",
    "number_of_people_being_liable_to_provide_maintenance_for": 1,
    "telephone": "yes, registered under the customers name",
}


def parse_profile(raw: Mapping[str, object]) -> dict[str, ProfileValue]:
    """Validate every attribute; the error names ``profile.<attribute>`` and what is accepted."""
    out: dict[str, ProfileValue] = {}
    for name in ATTRIBUTES:
        field = f"profile.{name}"
        if name not in raw:
            raise InvalidInput("is required", field=field)
        value = raw[name]
        if name in CATEGORICAL:
            accepted = CATEGORICAL[name]
            if not isinstance(value, str) or value not in accepted:
                raise InvalidInput(f"{value!r} is not accepted; one of {list(accepted)}",
                                   field=field)
            out[name] = value
        elif name in COUNTS:
            lo, hi = COUNTS[name]
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise InvalidInput(f"must be a whole number from {lo} to {hi}", field=field)
            out[name] = value
        else:
            out[name] = _money(value, field)
    extra = sorted(set(raw) - set(ATTRIBUTES))
    if extra:
        raise InvalidInput(f"unknown attribute(s) {extra}", field=f"profile.{extra[0]}")
    return out


def _money(value: object, field: str) -> Decimal:
    if not isinstance(value, str):
        raise InvalidInput('money must be a decimal string such as "2500", not a JSON number',
                           field=field)
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        raise InvalidInput(f"{value!r} is not an amount", field=field) from None
    if not amount.is_finite() or amount < 0:
        raise InvalidInput("must be a non-negative amount", field=field)
    return amount
