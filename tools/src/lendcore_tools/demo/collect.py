"""Collections in the demo: work the open cases each day through the contact guard.

Every proposed contact is a ``RecordContact`` command (``collections.operations``, the same the
API and the CLI build), which checks it with the compliance guard and appends it, allowed or
refused; nothing is contacted around the guard. A contact happens at the command's time: the
demo runs each one with the simulated clock set to the moment it proposes (``Context.now``),
never with a time of its own in the command.
The strategy's ``next_action`` decides the step: reminders and calls in-house (M1-M3), the
outsourcing notice, then (with the borrower's consent to sharing with an agency, recorded by a
``RecordConsent`` command) assignment to a reviewed agency (M4+), agency calls afterwards.

To show the guard at work, about one worked case in eight also gets a proposal that breaks a
rule on purpose (``VIOLATIONS``): a call at 22:30, an SMS at 21:20 (outside the 08:00-21:00
window), a fourth call after three answered ones, an emergency contact told about the debt, a
threatening SMS, an unrecorded call, a visit by one collector, an agency on a case it was not
given. The report counts the refusals by reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from lendcore.collections.config import Channel
from lendcore.collections.contacts import ContactOutcome
from lendcore.collections.guard import Outcome, ProposedContact, Target
from lendcore.collections.operations import (
    AddAgency,
    AssignAgency,
    Contact,
    RecordContact,
    SendNotice,
)
from lendcore.customers.consents import CONSENT_VERSION
from lendcore.customers.operations import RecordConsent
from lendcore.errors import LendcoreError
from lendcore.ids import customer_of
from lendcore.runner import Command, Context, execute
from lendcore.store.collections_tables import collection_cases
from lendcore.store.uow import UnitOfWork
from lendcore_tools.demo.actions import World
from lendcore_tools.demo.behaviour import answers_call, keeps_promises

AGENCY = "AGY-EAST"
SHANGHAI = ZoneInfo("Asia/Shanghai")
WORK_RATE = {"M1": 0.2, "M2": 0.3, "M3": 0.3, "M4": 0.25, "M5": 0.2, "M6": 0.2, "M7": 0.1}
VIOLATION_RATE = 0.12
VIOLATIONS = ("late_night", "outside_window", "fourth_call", "third_party", "threat",
              "unrecorded", "lone_visit", "wrong_agency")


@dataclass(frozen=True, slots=True)
class Case:
    case_id: int
    customer_id: int
    bucket: str
    next_action: str
    overdue_fen: int
    assigned: bool


def run_collections(world: World, command: Command, key: str, bd: date,
                    at: datetime | None = None, actor: str = "demo") -> dict[str, Any] | None:
    """Run one collections command as ``actor`` (the operator acting: a contact's collector, a
    plan's proposer) at ``at`` (default 10:00 on ``bd``); a business refusal is counted and
    returns None. In process, without a principal: no permission check and no four eyes."""
    now = at or _at(bd, 10, 0)
    try:
        result: dict[str, Any] = execute(world.engine, command,
                                         ctx=Context(now=now, actor=actor), key=key[:128])
        return result
    except LendcoreError as exc:
        world.refused[f"{command.name.removeprefix('collections.')}: {exc.code}"] += 1
        return None


def add_agencies(world: World, bd: date) -> None:
    """The agency the demo outsources to, and one it never assigns a case to."""
    for code, name in ((AGENCY, "华东合规催收服务有限公司"), ("AGY-NORTH", "华北催收服务有限公司")):
        run_collections(world, AddAgency(code, name, bd - timedelta(days=40)),
                        f"demo:agency:{code}", bd)


def open_cases(world: World) -> list[Case]:
    c = collection_cases.c
    with UnitOfWork(world.engine, read_only=True) as uow:
        rows = uow.conn.execute(select(
            c.id, c.customer_id, c.bucket, c.next_action, c.agency_id,
            c.overdue_principal_fen + c.overdue_interest_fen + c.overdue_fee_fen + c.penalty_fen,
        ).where(c.status == "open").order_by(c.id)).all()
    return [Case(int(r[0]), int(r[1]), str(r[2]), str(r[3]), int(r[5]), r[4] is not None)
            for r in rows]


def work_cases(world: World, cases: list[Case], bd: date) -> None:
    for case in cases:
        if world.rng.random() >= WORK_RATE.get(case.bucket, 0.0):
            continue
        if case.next_action == "send_outsourcing_notice":
            run_collections(world, SendNotice(case.case_id, "sms"),
                            f"demo:notice:{case.case_id}", bd)
        elif case.next_action == "assign_agency":
            # The borrower's consent to sharing with a collection agency (given in the app):
            # assigning without it is refused (409 consent_missing).
            run_collections(world, RecordConsent(case.customer_id, "collection_sharing",
                                                 CONSENT_VERSION, True, "app"),
                            f"demo:consent:collection_sharing:{case.customer_id}", bd)
            run_collections(world, AssignAgency(case.case_id, AGENCY),
                            f"demo:assign:{case.case_id}", bd)
        elif case.next_action != "plan_in_force":
            _contact_round(world, case, bd)
        if world.rng.random() < VIOLATION_RATE:
            _violate(world, case, bd, world.rng.choice(VIOLATIONS))


def _at(bd: date, hour: int, minute: int) -> datetime:
    return datetime.combine(bd, time(hour, minute), tzinfo=SHANGHAI)


def _collector(case: Case) -> tuple[str, str | None]:
    return ("AGY-EAST-017", AGENCY) if case.assigned else ("C-0421", None)


def _contact_round(world: World, case: Case, bd: date) -> None:
    """A reminder by SMS, then up to three calls during the day until one is answered."""
    who, agency = _collector(case)
    sms = f"【消费金融】您的账单已逾期,请在App内查看并还款。工号{who}"
    _propose(world, case, ProposedContact(Channel.SMS, Target.BORROWER, _at(bd, 9, 5),
                                          collector_id=who, agency_code=agency, template=sms),
             ContactOutcome(Outcome.DELIVERED))
    if case.bucket == "M1" and world.rng.random() < 0.5:
        return
    person = world.customers.get(case.customer_id)
    for hour in (10, 14, 19):
        answered = person is not None and answers_call(world.rng, person.persona)
        promise = answered and person is not None and keeps_promises(person.persona)
        result = _call_result(answered, promise, case, bd, hour)
        allowed = _propose(world, case, _call(bd, hour, who, agency), result)
        if allowed and result.promise_date is not None:
            _promise_kept_on(world, case.customer_id, bd + timedelta(days=3))
        if answered:
            return


def _call(bd: date, hour: int, who: str, agency: str | None,
          recorded: bool = True) -> ProposedContact:
    return ProposedContact(Channel.CALL, Target.BORROWER, _at(bd, hour, 30), collector_id=who,
                           agency_code=agency, template=f"本人工号{who},来电提醒还款",
                           recorded=recorded)


def _call_result(answered: bool, promise: bool, case: Case, bd: date,
                 hour: int) -> ContactOutcome:
    if not answered:
        return ContactOutcome(Outcome.NO_ANSWER, recording_ref=f"rec:{case.case_id}:{bd}:{hour}")
    amount = case.overdue_fen if promise and case.overdue_fen > 0 else None
    return ContactOutcome(Outcome.ANSWERED, recording_ref=f"rec:{case.case_id}:{bd}:{hour}",
                          promise_amount_fen=amount,
                          promise_date=bd + timedelta(days=3) if amount else None)


def _promise_kept_on(world: World, customer_id: int, day: date) -> None:
    for life in world.lives.values():
        if customer_of(life.loan_id) == customer_id:
            life.promise_on.add(day)


def _propose(world: World, case: Case, proposal: ProposedContact,
             result: ContactOutcome) -> bool:
    p = proposal
    command = RecordContact(
        Contact(case.case_id, p.channel, p.target, p.number, p.agency_code, p.template,
                p.collectors, p.recorded),
        result.outcome, result.recording_ref, result.promise_amount_fen, result.promise_date)
    key = f"demo:contact:{case.case_id}:{proposal.at.isoformat()}:{proposal.channel.value}:" \
          f"{proposal.target.value}:{proposal.recorded}"
    # The collector is the operator who records the contact (``ctx.actor``), never a field.
    done = run_collections(world, command, key, proposal.at.date(), at=proposal.at,
                           actor=p.collector_id or "demo")
    allowed = done is not None and bool(done["allowed"])
    world.counts["contact allowed" if allowed else "contact refused"] += 1
    return allowed


def _violate(world: World, case: Case, bd: date, kind: str) -> None:
    who, agency = _collector(case)
    answered = ContactOutcome(Outcome.ANSWERED, recording_ref=f"rec:{case.case_id}:{bd}:x")
    if kind == "late_night":
        _propose(world, case, _call(bd, 22, who, agency), answered)
    elif kind == "outside_window":
        _propose(world, case, ProposedContact(
            Channel.SMS, Target.BORROWER, _at(bd, 21, 20), collector_id=who, agency_code=agency,
            template=f"请尽快还款。工号{who}"), ContactOutcome(Outcome.DELIVERED))
    elif kind == "fourth_call":
        for hour in (11, 15, 16, 17):
            _propose(world, case, _call(bd, hour, who, agency), answered)
    elif kind == "third_party":
        _propose(world, case, ProposedContact(
            Channel.CALL, Target.CONTACT, _at(bd, 11, 10), number="emergency-1",
            collector_id=who, agency_code=agency, template="请转告他尽快还款,他的贷款已逾期",
            recorded=True), answered)
    elif kind == "threat":
        _propose(world, case, ProposedContact(
            Channel.SMS, Target.BORROWER, _at(bd, 12, 0), collector_id=who, agency_code=agency,
            template=f"再不还款就起诉你,通知你的通讯录。工号{who}"),
            ContactOutcome(Outcome.DELIVERED))
    elif kind == "unrecorded":
        _propose(world, case, _call(bd, 16, who, agency, recorded=False),
                 ContactOutcome(Outcome.ANSWERED))
    elif kind == "lone_visit":
        _propose(world, case, ProposedContact(
            Channel.VISIT, Target.BORROWER, _at(bd, 15, 0), collector_id=who, agency_code=agency,
            collectors=(who,), recorded=True),
            ContactOutcome(Outcome.MET, recording_ref=f"rec:{case.case_id}:{bd}:visit"))
    elif kind == "wrong_agency":
        _propose(world, case, _call(bd, 13, "AGY-NORTH-002", "AGY-NORTH"), answered)
