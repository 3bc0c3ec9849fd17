"""The edge: pydantic models for the application file / request body, and the template.

Only the API and the CLI use this module; it turns a JSON object into the domain's
:class:`~lendcore.origination.model.Application` or a refusal naming the field. Every field is
strict (``lendcore.edge``): money is yuan text by the one pattern (a JSON number is refused:
binary floats are not money), names are bounded text, the ID number is 17 ASCII digits and a
digit or ``X``, the mobile 11 ASCII digits, counts are whole numbers, booleans are JSON booleans,
the time zone is an IANA name the lender serves, and ``profile`` holds exactly the scorecard's
attributes with their accepted values. ``id_expiry`` is ``YYYY-MM-DD`` or ``"long-term"``
(长期). ``product`` is the line applied for: ``cash-line`` (the default) or
``checkout-installment``; ``installments`` must be a count that product offers and ``amount``
inside its amount range (both read from the product catalogue). Unknown fields are refused,
``application_date`` included: a decision is taken on the server's business date, never on a
date the applicant chose.

    >>> parse_application({**template(), "application_date": "2030-01-01"})
    Traceback (most recent call last):
    ...
    lendcore.errors.InvalidInput: application_date: Extra inputs are not permitted
"""

from __future__ import annotations

import copy
import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    StrictBool,
    ValidationError,
    WithJsonSchema,
    create_model,
)

from lendcore.calendar import parse_date
from lendcore.edge import Body, Count, Identifier, Money, Text, TimeZoneName
from lendcore.errors import InvalidInput
from lendcore.money import parse_yuan
from lendcore.origination import kyc, policy
from lendcore.origination.model import Application, Consents, Ecosystem, Identity
from lendcore.origination.profile import CATEGORICAL, COUNTS, GOOD_APPLICANT, MONEY, ProfileValue

INSTALLMENTS_MAX = max(policy.product(code).installment_counts[-1] for code in policy.PRODUCTS)
ID_NUMBER_PATTERN = r"^[0-9]{17}[0-9X]$"
MOBILE_PATTERN = r"^[0-9]{11}$"
ID_EXPIRY_PATTERN = r"^(long-term|[0-9]{4}-[0-9]{2}-[0-9]{2})$"
LONG_TERM = "long-term"
NAME_MAX = 64


def _pattern(pattern: str, rule: str) -> BeforeValidator:
    """A string validator by ``pattern`` (ASCII, the whole string: no trailing newline)."""
    compiled = re.compile(pattern.removeprefix("^").removesuffix("$"))

    def validate(value: object) -> str:
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise ValueError(f"must be {rule}")
        return value

    return BeforeValidator(validate)


IdNumber = Annotated[str, _pattern(ID_NUMBER_PATTERN, "18 characters: 17 digits then a digit "
                                                      "or X (e.g. 110101199003070011)"),
                     WithJsonSchema({"type": "string", "pattern": ID_NUMBER_PATTERN})]
Mobile = Annotated[str, _pattern(MOBILE_PATTERN, "11 digits, a mainland mobile number such as "
                                                 "13812345678"),
                   WithJsonSchema({"type": "string", "pattern": MOBILE_PATTERN})]
IdExpiry = Annotated[str, _pattern(ID_EXPIRY_PATTERN, 'YYYY-MM-DD or "long-term"'),
                     WithJsonSchema({"type": "string", "pattern": ID_EXPIRY_PATTERN})]
Occupation = Literal["employed", "self-employed", "freelance", "retired", "unemployed", "student"]


class _Strict(Body):
    model_config = ConfigDict(extra="forbid", strict=True)


class EcosystemIn(_Strict):
    device_user: StrictBool
    consumption_months: Count(0, 1200)  # type: ignore[valid-type]
    spend_12m: Money


class ConsentsIn(_Strict):
    credit_query: StrictBool
    sensitive_data: StrictBool


def _profile_model() -> type[_Strict]:
    """The scorecard's attributes as a model: each categorical one a literal of its accepted
    values, each count a bounded whole number, ``credit_amount`` money (``profile.py``)."""
    fields: dict[str, Any] = {}
    for name, accepted in CATEGORICAL.items():
        fields[name] = (Literal[accepted], ...)
    for name, (low, high) in COUNTS.items():
        fields[name] = (Count(low, high), ...)
    for name in MONEY:
        fields[name] = (Money, ...)
    model: type[_Strict] = create_model("ProfileIn", __base__=_Strict, **fields)
    return model


ProfileIn = _profile_model()


class ApplicationIn(_Strict):
    name: Text(NAME_MAX)  # type: ignore[valid-type]
    id_number: IdNumber
    mobile: Mobile
    id_expiry: IdExpiry
    product: Identifier = policy.PRODUCT_CODE
    amount: Money
    # Bounded here by the longest term of any product; the product's own counts in to_domain.
    installments: Count(1, INSTALLMENTS_MAX) = (  # type: ignore[valid-type]
        policy.INSTALLMENTS_DEFAULT)
    monthly_income: Money
    monthly_debt_payments: Money
    occupation: Occupation
    ecosystem: EcosystemIn
    consents: ConsentsIn
    profile: ProfileIn  # type: ignore[valid-type]
    # The borrower's time zone (from the device); collections' quiet hours are borrower-local.
    timezone: TimeZoneName = "Asia/Shanghai"

    def to_domain(self) -> Application:
        """Semantic checks and conversion; errors name the field."""
        if not kyc.is_mobile(self.mobile):
            raise InvalidInput("must be an 11-digit mainland mobile number such as 13812345678",
                               field="mobile")
        amount_fen = parse_yuan(self.amount, "amount")
        policy.check_request(policy.product(self.product), amount_fen, self.installments)
        expiry: date | None = None
        if self.id_expiry != LONG_TERM:
            expiry = parse_date(self.id_expiry, "id_expiry")
        return Application(
            identity=Identity(self.name, self.id_number, self.mobile, expiry),
            product=self.product,
            amount_fen=amount_fen,
            installments=self.installments,
            monthly_income_fen=parse_yuan(self.monthly_income, "monthly_income", allow_zero=True),
            monthly_debt_payments_fen=parse_yuan(self.monthly_debt_payments,
                                                 "monthly_debt_payments", allow_zero=True),
            occupation=self.occupation,
            ecosystem=Ecosystem(self.ecosystem.device_user, self.ecosystem.consumption_months,
                                parse_yuan(self.ecosystem.spend_12m, "ecosystem.spend_12m",
                                           allow_zero=True)),
            consents=Consents(self.consents.credit_query, self.consents.sensitive_data),
            profile=_profile(self.profile),
            timezone=self.timezone,
        )


def _profile(model: Any) -> dict[str, ProfileValue]:
    values: dict[str, ProfileValue] = dict(model.__dict__)
    for name in MONEY:
        values[name] = Decimal(str(values[name]))
    return values


def field_of(error: ValidationError) -> tuple[str | None, str]:
    first = error.errors()[0]
    loc = ".".join(str(p) for p in first.get("loc", ()))
    msg = str(first.get("msg", "invalid"))
    return loc or None, msg.removeprefix("Value error, ")


def parse_application(payload: object) -> Application:
    """A JSON object (already decoded) -> Application, or InvalidInput naming the field."""
    if not isinstance(payload, dict):
        raise InvalidInput("the application must be a JSON object", field=None)
    try:
        model = ApplicationIn.model_validate(payload)
    except ValidationError as exc:
        field, msg = field_of(exc)
        raise InvalidInput(msg, field=field) from None
    return model.to_domain()


TEMPLATE: dict[str, Any] = {
    "name": "张三",
    "id_number": "110101199003070011",
    "mobile": "13812345678",
    "id_expiry": LONG_TERM,
    "product": "cash-line",
    "amount": "5000.00",
    "installments": 12,
    "monthly_income": "12000.00",
    "monthly_debt_payments": "1000.00",
    "occupation": "employed",
    "ecosystem": {"device_user": True, "consumption_months": 30, "spend_12m": "20000.00"},
    "consents": {"credit_query": True, "sensitive_data": True},
    "profile": GOOD_APPLICANT,
}


def template() -> dict[str, Any]:
    """A complete good applicant (born 1990-03-07, male, Beijing Dongcheng)."""
    return copy.deepcopy(TEMPLATE)
