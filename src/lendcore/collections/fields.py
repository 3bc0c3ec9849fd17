"""Collections' input rules, one place for the API bodies and the CLI options.

Every text field has a maximum length and the character policy of :mod:`lendcore.edge`
(``Text(n)``); people and references that are codes are identifiers; enumerations are closed
sets. The same rule refuses the same input from the API (422 naming the field) and from the CLI
(``error: <field>: <detail>``, exit 2)::

    >>> check_number("13800000000", "number")
    '13800000000'
    >>> check_choice("fax", "channel", CONTACT_CHANNELS)
    Traceback (most recent call last):
    ...
    lendcore.errors.InvalidInput: channel: accepted: call, sms, app, visit (got 'fax')

The maxima follow the columns the values are stored in (``collection_*`` tables): a person
(``signed_by``) 64 characters, an agency name 255, a recording reference 255,
a notice reference 128; free text that has no column limit gets one here (a message or script
1,000 characters, a complaint's summary or resolution 2,000, a reason 500).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal, get_args

from pydantic import BeforeValidator, WithJsonSchema

from lendcore.edge import (  # re-exported: the CLI's checks live in edge
    Count,
    Text,
    check_identifier,
    check_text,
)
from lendcore.errors import InvalidInput

PERSON_MAX = 64  # signed_by (the borrower's side of a signature): a String(64) column
NAME_MAX = 255  # an agency's name
RECORDING_MAX = 255  # where the call or visit recording is kept
REFERENCE_MAX = 128  # a notice's or a legal step's reference (letter number, 案号)
TEMPLATE_MAX = 1_000  # a message's text or a call script
REASON_MAX = 500  # why a waiver or an extension was approved
SUMMARY_MAX = 2_000  # a complaint's summary and its resolution
VISIT_STAFF_MAX = 10  # collectors named on one visit
PLAN_INSTALLMENTS_MAX = 60  # rule (config.RULE_MAX_PLAN_INSTALLMENTS)
COMPLAINT_DAYS_MAX = 60  # rule (config.RULE_COMPLAINT_MAX_DAYS)

if TYPE_CHECKING:  # mypy sees the plain types; pydantic the checked ones below
    Person = str
    AgencyName = str
    RecordingRef = str
    NoticeRef = str
    Template = str
    Reason = str
    Summary = str
    PlanInstallments = int
    ExtensionDays = int
else:
    Person, AgencyName = Text(PERSON_MAX), Text(NAME_MAX)
    RecordingRef, NoticeRef = Text(RECORDING_MAX), Text(REFERENCE_MAX)
    Template, Reason, Summary = Text(TEMPLATE_MAX), Text(REASON_MAX), Text(SUMMARY_MAX)
    PlanInstallments, ExtensionDays = Count(1, PLAN_INSTALLMENTS_MAX), Count(1, COMPLAINT_DAYS_MAX)

ContactChannel = Literal["call", "sms", "app", "visit"]
ContactTarget = Literal["borrower", "contact"]
ContactOutcomeName = Literal["answered", "no_answer", "busy", "delivered", "failed", "met",
                             "not_met"]
NoticeChannel = Literal["sms", "app", "call", "visit", "letter", "email"]
ComplaintChannel = Literal["call", "app", "sms", "email", "letter", "visit", "regulator", "web"]
PlanMethod = Literal["equal-installment", "equal-principal"]
LegalStepName = Literal["lawyer_letter", "suit_filed", "enforcement_applied"]
PlanRequestStatus = Literal["open", "offered"]
CaseStatus = Literal["open", "closed"]
BucketName = Literal["M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7"]

CONTACT_CHANNELS: tuple[str, ...] = get_args(ContactChannel)
CONTACT_TARGETS: tuple[str, ...] = get_args(ContactTarget)
CONTACT_OUTCOMES: tuple[str, ...] = get_args(ContactOutcomeName)
NOTICE_CHANNELS: tuple[str, ...] = get_args(NoticeChannel)
COMPLAINT_CHANNELS: tuple[str, ...] = get_args(ComplaintChannel)
PLAN_METHODS: tuple[str, ...] = get_args(PlanMethod)
LEGAL_STEPS: tuple[str, ...] = get_args(LegalStepName)
PLAN_REQUEST_STATUSES: tuple[str, ...] = get_args(PlanRequestStatus)
CASE_STATUSES: tuple[str, ...] = get_args(CaseStatus)
BUCKET_NAMES: tuple[str, ...] = get_args(BucketName)

# Which number is dialled or messaged: a phone number (an optional +, 3 to 20 digits), or the
# name of one of the borrower's registered numbers ("borrower", "emergency-1").
NUMBER_PATTERN = r"^(\+?[0-9]{3,20}|[A-Za-z][A-Za-z0-9._-]{0,63})$"
NUMBER_RULE = ("a phone number (an optional + and 3 to 20 digits) or the name of a registered "
               "number (a letter, then up to 63 letters, digits or . _ -)")
_NUMBER = re.compile(NUMBER_PATTERN)


def check_number(value: str, field: str = "number") -> str:
    if not _NUMBER.fullmatch(value):
        raise InvalidInput(f"must be {NUMBER_RULE}", field=field)
    return value


def check_optional_text(value: str | None, field: str, max_length: int) -> str | None:
    return None if value is None else check_text(value, field, max_length)


def check_optional_identifier(value: str | None, field: str) -> str | None:
    return None if value is None else check_identifier(value, field)


def _number(value: object) -> str:
    if not isinstance(value, str) or not _NUMBER.fullmatch(value):
        raise ValueError(f"must be {NUMBER_RULE}")
    return value


NumberRef = Annotated[str, BeforeValidator(_number),
                           WithJsonSchema({"type": "string", "pattern": NUMBER_PATTERN})]


