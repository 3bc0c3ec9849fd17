"""Contacts: the compliance guard against the stored case, and the contact log.

A contact happens *now*: its time is the server's (the command's ``ctx.now``), never a time a
collector types, so the quiet hours and the daily limits count what really happened. A proposal
is checked against the borrower's case and the contacts of the borrower's local day
(``guard.check_contact``); ``record_contact`` appends it to the append-only log, allowed or
refused (a refusal is logged with its reasons and nothing else), and a promise to pay made on an
answered call becomes an open promise the nightly sync settles.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import Connection, RowMapping, insert

from lendcore.calendar import add_months
from lendcore.collections import store
from lendcore.collections.config import Channel, CollectionsConfig, default_config
from lendcore.collections.guard import (
    CaseState,
    GuardResult,
    Outcome,
    ProposedContact,
    check_contact,
    local_day,
)
from lendcore.errors import InvalidInput
from lendcore.store.collections_tables import collection_contacts, collection_promises
from lendcore.store.uow import UnitOfWork

OUTCOMES_BY_CHANNEL = {
    Channel.CALL: frozenset({Outcome.ANSWERED, Outcome.NO_ANSWER, Outcome.BUSY}),
    Channel.SMS: frozenset({Outcome.DELIVERED, Outcome.FAILED}),
    Channel.APP: frozenset({Outcome.DELIVERED, Outcome.FAILED}),
    Channel.VISIT: frozenset({Outcome.MET, Outcome.NOT_MET}),
}


@dataclass(frozen=True, slots=True)
class ContactOutcome:
    outcome: Outcome
    recording_ref: str | None = None
    promise_amount_fen: int | None = None
    promise_date: date | None = None


@dataclass(frozen=True, slots=True)
class RecordedContact:
    contact_id: int
    verdict: GuardResult

    @property
    def allowed(self) -> bool:
        return self.verdict.allowed


def case_state(conn: Connection, case: RowMapping) -> CaseState:
    return CaseState(
        is_open=case["status"] == "open", bucket=str(case["bucket"]),
        borrower_zone=store.borrower_zone(conn, int(case["customer_id"])),
        borrower_unreachable=bool(case["borrower_unreachable"]),
        plan_in_force=store.plan_in_force(conn, int(case["id"]), int(case["customer_id"])),
        agency_code=store.agency_code_of(conn, case["agency_id"]),
        max_dpd=int(case["max_dpd"]),
        legal_steps=store.legal_steps(conn, int(case["id"])),
    )


def check_contact_for_case(conn: Connection, case_id: int, proposal: ProposedContact, *,
                           config: CollectionsConfig | None = None) -> GuardResult:
    """The guard against the stored case and the borrower's contacts that day (no writes)."""
    return _check(conn, store.case_row(conn, case_id), proposal, config or default_config())


def _check(conn: Connection, case: RowMapping, proposal: ProposedContact,
           cfg: CollectionsConfig) -> GuardResult:
    state = case_state(conn, case)
    day = local_day(proposal.at, state.borrower_zone)
    # A visit reads the whole unreachability window; every other contact the days around.
    before = cfg.unreachable_days if proposal.channel is Channel.VISIT else 1
    history = store.contacts_around(conn, int(case["customer_id"]), day, before)
    return check_contact(proposal, history, state, cfg)


def record_contact(uow: UnitOfWork, case_id: int, proposal: ProposedContact,
                   result: ContactOutcome, *,
                   config: CollectionsConfig | None = None) -> RecordedContact:
    """Check the contact, then append it; a refusal is appended too (``allowed`` false).

    The case row is locked first so two collectors cannot both pass the daily limits.
    """
    cfg = config or default_config()
    conn = uow.conn
    case = store.case_row(conn, case_id, lock=True)
    zone = store.borrower_zone(conn, int(case["customer_id"]))
    day = local_day(proposal.at, zone)
    _check_outcome(proposal, result, day)
    if result.recording_ref and not proposal.recorded:
        proposal = replace(proposal, recorded=True)
    verdict = _check(conn, case, proposal, cfg)
    agency_id = (int(store.agency_by_code(conn, proposal.agency_code)["id"])
                 if proposal.agency_code else None)
    contact_id = store.insert_id(conn, insert(collection_contacts).values(
        case_id=case_id, customer_id=case["customer_id"], allowed=verdict.allowed,
        reasons_json=json.dumps([r.as_dict() for r in verdict.reasons], ensure_ascii=False),
        channel=proposal.channel.value, target=proposal.target.value,
        number_ref=proposal.number_key, at_utc=store.as_utc(proposal.at), local_date=day,
        collector_id=proposal.collector_id, agency_id=agency_id,
        collectors_json=json.dumps(list(proposal.collectors), ensure_ascii=False),
        template=proposal.template,
        outcome=result.outcome.value if verdict.allowed else None,
        recording_ref=result.recording_ref,
        promise_amount_fen=result.promise_amount_fen if verdict.allowed else None,
        promise_date=result.promise_date if verdict.allowed else None,
        retain_until=add_months(day, 12 * cfg.retention_years),
    ))
    if verdict.allowed and result.promise_amount_fen and result.promise_date:
        conn.execute(insert(collection_promises).values(
            case_id=case_id, contact_id=contact_id, made_on=day,
            promised_on=result.promise_date, amount_fen=result.promise_amount_fen,
            status="open"))
    return RecordedContact(contact_id, verdict)


def _check_outcome(p: ProposedContact, result: ContactOutcome, day: date) -> None:
    if result.outcome not in OUTCOMES_BY_CHANNEL[p.channel]:
        accepted = ", ".join(sorted(o.value for o in OUTCOMES_BY_CHANNEL[p.channel]))
        raise InvalidInput(f"a {p.channel.value} ends {accepted}", field="outcome")
    if (result.promise_amount_fen is None) != (result.promise_date is None):
        raise InvalidInput("a promise to pay needs both an amount and a date", field="promise")
    if result.promise_date is not None and result.promise_date < day:
        raise InvalidInput(f"a promise to pay is for {day} (the borrower's today) or later",
                           field="promise_date")
    if result.promise_amount_fen is not None and result.promise_amount_fen <= 0:
        raise InvalidInput("must be greater than 0", field="promise_amount")
