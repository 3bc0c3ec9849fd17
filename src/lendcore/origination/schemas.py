"""The edge: pydantic models for the application file / request body, and the template.

Only the API and the CLI use this module; it turns a JSON object into the domain's
:class:`~lendcore.origination.model.Application` or an :class:`InvalidInput` naming the field.
Money is a decimal string in yuan (a JSON number is refused: binary floats are not money); dates
are ``YYYY-MM-DD``; ``id_expiry`` may also be ``"long-term"`` (长期).
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from lendcore.calendar import parse_date
from lendcore.errors import InvalidInput
from lendcore.money import parse_yuan
from lendcore.origination import kyc, policy
from lendcore.origination.model import Application, Consents, Ecosystem, Identity
from lendcore.origination.profile import GOOD_APPLICANT, parse_profile

_MONEY_HINT = 'money must be a decimal string in yuan such as "5000.00", not a JSON number'


def _money_text(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError(_MONEY_HINT)
    return value


class EcosystemIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    device_user: bool
    consumption_months: int = Field(ge=0, le=1200)
    spend_12m: str

    _money = field_validator("spend_12m", mode="before")(_money_text)


class ConsentsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    credit_query: bool
    sensitive_data: bool


def _zone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"{name!r} is not a time zone; use an IANA name such as "
                           "Asia/Shanghai or Asia/Urumqi", field="timezone") from None
    return name


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str = Field(min_length=1, max_length=64)
    id_number: str = Field(min_length=1, max_length=32)
    mobile: str
    id_expiry: str
    application_date: str
    product: str
    amount: str
    installments: int = Field(default=policy.INSTALLMENTS_DEFAULT, ge=1,
                              le=policy.INSTALLMENTS_MAX)
    monthly_income: str
    monthly_debt_payments: str
    occupation: Literal["employed", "self-employed", "freelance", "retired", "unemployed",
                        "student"]
    ecosystem: EcosystemIn
    consents: ConsentsIn
    profile: dict[str, Any]
    # The borrower's time zone (from the device); collections' quiet hours are borrower-local.
    timezone: str = "Asia/Shanghai"

    _money = field_validator("amount", "monthly_income", "monthly_debt_payments",
                             mode="before")(_money_text)

    def to_domain(self) -> Application:
        """Semantic checks and conversion; errors name the field."""
        if not kyc.is_mobile(self.mobile):
            raise InvalidInput("must be an 11-digit mainland mobile number such as 13812345678",
                               field="mobile")
        if self.product not in policy.PRODUCTS:
            raise InvalidInput(f"unknown product {self.product!r}; accepted: "
                               f"{list(policy.PRODUCTS)}", field="product")
        amount_fen = parse_yuan(self.amount, "amount")
        if not policy.LIMIT_MIN_FEN <= amount_fen <= policy.LIMIT_MAX_FEN:
            raise InvalidInput("must be from 500 to 50000 yuan", field="amount")
        expiry: date | None = None
        if self.id_expiry.strip().lower() != "long-term":
            expiry = parse_date(self.id_expiry, "id_expiry")
        return Application(
            identity=Identity(self.name.strip(), self.id_number, self.mobile, expiry),
            application_date=parse_date(self.application_date, "application_date"),
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
            profile=parse_profile(self.profile),
            timezone=_zone(self.timezone),
        )


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
    "id_expiry": "long-term",
    "application_date": "2025-06-02",
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


def template(application_date: date | None = None) -> dict[str, Any]:
    """A complete good applicant (born 1990-03-07, male, Beijing Dongcheng)."""
    body = copy.deepcopy(TEMPLATE)
    if application_date is not None:
        body["application_date"] = application_date.isoformat()
    return body
