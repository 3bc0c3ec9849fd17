"""A synthetic population of applicants: who they are, what they would declare, how they behave.

Each person has a hidden *quality* ``q`` in [0, 1] (higher is safer). It shapes the credit profile
the scorecard sees (checking account, credit history, savings, employment, property, housing,
loan duration) and, separately, the person's repayment *persona* (``behaviour.Persona``), so the
score bands the decision engine draws do separate good payers from bad ones, as in life, but not
perfectly. Ages run 16-64, some are students, some have expired ID cards, mistyped ID numbers,
no consents, no ecosystem record or too much debt, so every rung of the decision ladder declines
somebody.

Worked example: ``make_population(random.Random(7), 3, days=240)`` gives three ``Person``s, each
with a valid 18-character resident ID number (check character by ISO 7064 MOD 11-2) unless the
person is one of the ~1% who mistype it, and a join day (the day they apply); about 40% join in
the first two weeks so that a 240-day run sees loans age past 180 days past due.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from stdnum.cn import ric

from lendcore.origination.model import Application, Consents, Ecosystem, Identity
from lendcore_tools.demo.behaviour import Persona, choose_persona

# Region codes assigned in every birth year the population has (KYC checks that).
REGIONS = ("110101", "110102", "110105", "110108", "310101", "310104", "310105", "650102")
# Borrowers living in Xinjiang keep local time (UTC+6): the collections guard's quiet hours are
# borrower-local, and the demo's Ürümqi borrowers show it.
XINJIANG_PREFIX = "65"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
OCCUPATIONS = (("employed", 62), ("self-employed", 14), ("freelance", 10), ("student", 6),
               ("retired", 3), ("unemployed", 5))

# Profile values, safest first (the order of the scorecard's points; see origination/profile.py).
ORDERED: dict[str, tuple[str, ...]] = {
    "status_of_existing_checking_account": (
        "no checking account", "... >= 200 DM / salary assignments for at least 1 year",
        "0 <= ... < 200 DM", "... < 0 DM"),
    "credit_history": (
        "critical account/ other credits existing (not at this bank)",
        "delay in paying off in the past", "existing credits paid back duly till now",
        "all credits at this bank paid back duly", "no credits taken/ all credits paid back duly"),
    "purpose": ("car (used)", "radio/television", "furniture/equipment", "others", "repairs",
                "domestic appliances", "education", "business"),
    "savings_account_and_bonds": (
        "... >= 1000 DM", "500 <= ... < 1000 DM", "unknown/ no savings account",
        "100 <= ... < 500 DM", "... < 100 DM"),
    "present_employment_since": ("... >= 7 years", "4 <= ... < 7 years", "1 <= ... < 4 years",
                                 "... < 1 year", "unemployed"),
    "property": ("real estate", "building society savings agreement/ life insurance",
                 "car or other, not in attribute Savings account/bonds", "unknown / no property"),
    "housing": ("own", "rent", "for free"),
}
UNORDERED: dict[str, tuple[str, ...]] = {
    "other_debtors_or_guarantors": ("none", "co-applicant", "guarantor"),
    "other_installment_plans": ("none", "stores", "bank"),
    "job": ("skilled employee / official", "unskilled - resident",
            "management/ self-employed/ highly qualified employee/ officer"),
    "telephone": ("none", "yes, registered under the customers name"),
}
DURATIONS = (6, 9, 12, 18, 24, 36, 48)


@dataclass(frozen=True, slots=True)
class Person:
    index: int
    quality: float
    persona: Persona
    join_day: int
    name: str
    id_number: str
    mobile: str
    id_expiry: date | None
    occupation: str
    income_fen: int
    debt_fen: int
    device_user: bool
    consumption_months: int
    spend_12m_fen: int
    consented: bool
    profile: dict[str, str | int | Decimal]
    amount_fen: int  # what they ask for on the application
    installments: int


def make_population(rng: random.Random, count: int, *, days: int, start: date) -> list[Person]:
    return [_person(rng, i, days, start) for i in range(count)]


def _person(rng: random.Random, index: int, days: int, start: date) -> Person:
    q = rng.betavariate(2.4, 1.8)
    birth = start - timedelta(days=int(365.25 * _age(rng)) + rng.randint(0, 364))
    occupation = _weighted(rng, OCCUPATIONS)
    income = _income_fen(rng, occupation, q)
    join = min(int(rng.expovariate(1 / 28)), int(days * 0.6))
    return Person(
        index=index, quality=q, persona=choose_persona(rng, q), join_day=join,
        name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
        id_number=_id_number(rng, index, birth), mobile=f"1{rng.choice('3589')}"
        f"{rng.randint(0, 999_999_999):09d}",
        id_expiry=start - timedelta(days=rng.randint(1, 400)) if rng.random() < 0.02
        else None if rng.random() < 0.3 else start + timedelta(days=rng.randint(400, 7000)),
        occupation=occupation, income_fen=income,
        debt_fen=income * int(65 * rng.random() ** 2) // 100 // 1000 * 1000,
        device_user=rng.random() < 0.93, consumption_months=_months(rng),
        spend_12m_fen=rng.randint(0, 40_000) * 100, consented=rng.random() < 0.98,
        profile=_profile(rng, q), amount_fen=rng.choice((3_000, 5_000, 8_000, 12_000)) * 100,
        installments=rng.choice((3, 6, 12)),
    )


def _age(rng: random.Random) -> int:
    return max(16, min(64, round(rng.gauss(33, 9))))


def _weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _income_fen(rng: random.Random, occupation: str, q: float) -> int:
    median_yuan = {"student": 1_500, "unemployed": 0, "retired": 3_500}.get(occupation, 7_000)
    if median_yuan == 0:
        return 0
    # A random draw in whole hundreds of yuan; exact integer fen from here on.
    hundreds = int(median_yuan * (0.7 + 0.6 * q) * rng.lognormvariate(0, 0.45)) // 100
    return hundreds * 100 * 100


def _months(rng: random.Random) -> int:
    return 0 if rng.random() < 0.06 else rng.randint(3, 72)


def _id_number(rng: random.Random, index: int, birth: date) -> str:
    body = f"{REGIONS[index % len(REGIONS)]}{birth:%Y%m%d}{index % 997 + 1:03d}"
    check = ric.calc_check_digit(body + "0")  # the function ignores the last character
    if rng.random() < 0.01:  # a mistyped check character
        check = "0" if check != "0" else "1"
    return body + check


def _pick(rng: random.Random, options: tuple[str, ...], q: float) -> str:
    """Safer values for higher quality, with noise so the score is informative, not perfect."""
    position = (1 - q) * 0.45 + rng.random() * 0.4
    return options[min(len(options) - 1, int(position * len(options)))]


def _profile(rng: random.Random, q: float) -> dict[str, str | int | Decimal]:
    out: dict[str, str | int | Decimal] = {k: _pick(rng, v, q) for k, v in ORDERED.items()}
    out.update({k: rng.choice(v) for k, v in UNORDERED.items()})
    out["duration_in_month"] = DURATIONS[min(len(DURATIONS) - 1,
                                             int(((1 - q) * 0.5 + rng.random() * 0.4) * 7))]
    out["credit_amount"] = Decimal(rng.randint(5, 150) * 100)
    out["installment_rate_in_percentage_of_disposable_income"] = rng.randint(1, 4)
    out["present_residence_since"] = rng.randint(1, 4)
    out["number_of_existing_credits_at_this_bank"] = rng.randint(1, 2)
    out["number_of_people_being_liable_to_provide_maintenance_for"] = rng.randint(1, 2)
    return out


def application_for(person: Person) -> Application:
    """The person's application (no date: it is decided on the server's business date)."""
    return Application(
        identity=Identity(person.name, person.id_number, person.mobile, person.id_expiry),
        product="cash-line", amount_fen=person.amount_fen,
        installments=person.installments, monthly_income_fen=person.income_fen,
        monthly_debt_payments_fen=person.debt_fen, occupation=person.occupation,
        ecosystem=Ecosystem(person.device_user, person.consumption_months,
                            person.spend_12m_fen),
        consents=Consents(person.consented, person.consented), profile=person.profile,
        timezone="Asia/Urumqi" if person.id_number.startswith(XINJIANG_PREFIX)
        else "Asia/Shanghai",
    )
