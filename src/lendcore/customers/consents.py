"""A customer's consents: separate, versioned, with time and channel (domain rule 10, PIPL).

Five purposes, each consented to (or withdrawn) on its own:

==================== ===========================================================================
credit_query         query the credit bureau about the applicant (征信查询授权)
bureau_reporting     report the borrower's credit data to the bureau
personal_data        process personal (and sensitive personal) data (PIPL Art. 29)
collection_sharing   share the debt and the borrower's contact data with a collection agency
marketing            send marketing messages
==================== ===========================================================================

Every act is one row of ``consents`` (this module is its only writer): the purpose, the version
of the text consented to (``"2026-01"``), given or withdrawn, the channel (app, web, phone,
branch, paper), the server's time (``ctx.now``) and the actor. Nothing is ever changed or
deleted; the current state of a purpose is its latest row::

    record(uow, 7, "marketing", "2026-01", True, "app", actor="li.wei", at=now)
    record(uow, 7, "marketing", "2026-01", False, "phone", actor="li.wei", at=later)
    has(conn, 7, "marketing")   # False: withdrawn

Who needs which: a decision records the ``credit_query`` and ``personal_data`` consents given
with the application (:data:`CONSENT_VERSION`, channel ``app``); assigning a case to a
collection agency requires ``collection_sharing`` (:func:`require`: 409 ``consent_missing``);
marketing messages go only where :func:`marketing_allowed`. A withdrawn marketing consent
stops marketing and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, bindparam, select

from lendcore.customers import store
from lendcore.edge import check_choice, check_identifier
from lendcore.errors import Conflict
from lendcore.store.consent_tables import CONSENT_CHANNELS, CONSENT_PURPOSES, consents
from lendcore.store.prepared import Prepared
from lendcore.store.uow import UnitOfWork

PURPOSES: tuple[str, ...] = CONSENT_PURPOSES
CHANNELS: tuple[str, ...] = CONSENT_CHANNELS
Purpose = Literal["credit_query", "bureau_reporting", "personal_data", "collection_sharing",
                  "marketing"]
Channel = Literal["app", "web", "phone", "branch", "paper"]
# The version of the consent texts an application is given under (the app's current texts).
CONSENT_VERSION = "2026-01"


class ConsentMissing(Conflict):
    """An operation needs a consent the customer has not given (or has withdrawn)."""

    code = "consent_missing"
    http_status = 409


@dataclass(frozen=True, slots=True)
class Consent:
    """One act: a consent given (``granted``) or withdrawn, as recorded."""

    consent_id: int
    customer_id: int
    purpose: str
    version: str
    granted: bool
    channel: str
    at: datetime
    actor: str


@dataclass(frozen=True, slots=True)
class Consents:
    """A customer's consents: the current state of every purpose (None: never asked) and the
    whole history, oldest first."""

    customer_id: int
    current: dict[str, Consent | None]
    history: tuple[Consent, ...]


# -- writes ------------------------------------------------------------------------------------
_INSERT = Prepared(consents.insert().returning(consents.c.id))
_ADD = Prepared(consents.insert())


def record(uow: UnitOfWork, customer_id: int, purpose: str, version: str, granted: bool,
           channel: str, actor: str, at: datetime) -> Consent:
    """Append one consent given or withdrawn; a purpose, channel or version outside its set is
    a 422 naming the field, an unknown customer a 404."""
    check_choice(purpose, "purpose", PURPOSES)
    check_choice(channel, "channel", CHANNELS)
    check_identifier(version, "version")
    if not isinstance(granted, bool):
        raise TypeError("granted must be a bool")
    store.get_customer(uow.conn, customer_id)  # 404 naming customer_id
    values = _values(customer_id, purpose, version, granted, channel, actor, at)
    (consent_id,) = _INSERT.one(uow.conn, values)
    return Consent(int(consent_id), customer_id, purpose, version, granted, channel, at, actor)


def record_application(uow: UnitOfWork, customer_id: int, *, credit_query: bool,
                       personal_data: bool, actor: str, at: datetime) -> None:
    """The consents given with an application, once its decision names the customer: the
    credit-bureau query and personal-data processing, under :data:`CONSENT_VERSION`, through
    the app. On the decision's path, so prepared statements (``store.prepared``): through
    ``Connection.execute`` the two rows cost a decision about a tenth of its time."""
    for purpose, yes in (("credit_query", credit_query), ("personal_data", personal_data)):
        if yes:
            _ADD.execute(uow.conn, _values(customer_id, purpose, CONSENT_VERSION, True, "app",
                                           actor, at))


def _values(customer_id: int, purpose: str, version: str, granted: bool, channel: str,
            actor: str, at: datetime) -> dict[str, Any]:
    return {"customer_id": customer_id, "purpose": purpose, "version": version,
            "granted": granted, "channel": channel, "at": at, "actor": actor}


# -- reads -------------------------------------------------------------------------------------
_HISTORY = (select(consents).where(consents.c.customer_id == bindparam("customer_id"))
            .order_by(consents.c.id))
_LATEST = (select(consents.c.granted)
           .where(consents.c.customer_id == bindparam("customer_id"),
                  consents.c.purpose == bindparam("purpose"))
           .order_by(consents.c.id.desc()).limit(1))


def _consent(row: Any) -> Consent:
    return Consent(int(row.id), int(row.customer_id), row.purpose, row.version,
                   bool(row.granted), row.channel, row.at, row.actor)


def history(conn: Connection, customer_id: int) -> tuple[Consent, ...]:
    """Every consent given or withdrawn, oldest first."""
    rows = conn.execute(_HISTORY, {"customer_id": customer_id})
    return tuple(_consent(r) for r in rows)


def current(conn: Connection, customer_id: int) -> dict[str, Consent | None]:
    """The current state of every purpose: its latest act, or None if never asked."""
    return _latest(history(conn, customer_id))


def _latest(past: tuple[Consent, ...]) -> dict[str, Consent | None]:
    state: dict[str, Consent | None] = dict.fromkeys(PURPOSES)
    for c in past:
        state[c.purpose] = c
    return state


def consents_of(conn: Connection, customer_id: int) -> Consents:
    """The customer's consents, current and history (404 for an unknown customer)."""
    store.get_customer(conn, customer_id)
    past = history(conn, customer_id)
    return Consents(customer_id, _latest(past), past)


def has(conn: Connection, customer_id: int, purpose: str) -> bool:
    """Is the purpose's consent currently given?"""
    check_choice(purpose, "purpose", PURPOSES)
    latest = conn.execute(_LATEST, {"customer_id": customer_id, "purpose": purpose}).first()
    return latest is not None and bool(latest.granted)


def require(conn: Connection, customer_id: int, purpose: str, field: str = "customer_id") -> None:
    """Refuse (409 ``consent_missing``, naming the purpose) unless the purpose's consent is
    currently given."""
    if not has(conn, customer_id, purpose):
        raise ConsentMissing(f"customer {customer_id} has no current {purpose} consent "
                             f"(never given or withdrawn)", field=field)


def marketing_allowed(conn: Connection, customer_id: int) -> bool:
    """May a marketing message go to this customer? Only with a current marketing consent.

    No marketing message is sent anywhere yet (the night's outbox holds reminders, overdue and
    credit-report notices only, which need no marketing consent); a sender of marketing asks
    this first."""
    return has(conn, customer_id, "marketing")
