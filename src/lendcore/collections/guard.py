"""The contact compliance guard: every collection contact passes it before it happens.

``check_contact(proposal, history, case, config)`` is a pure function. It returns every reason
that refuses the contact, in this precedence (most fundamental first); ``allowed`` is true only
when there is none:

==  ===========================  ==========================================================
 1  case_closed                  the borrower has no open collection case (nothing overdue)
 2  plan_in_force                a negotiated plan (协商还款) is signed and being kept
 3  quiet_hours                  22:00-08:00 borrower-local time (rule)
 4  outside_internal_window      outside the configured window (policy, default 08:00-21:00)
 5  third_party_not_allowed      an emergency contact while the borrower is reachable
 6  third_party_debt_mention     a message/script to an emergency contact mentions the debt
 7  answered_call_limit          the borrower already answered 3 calls this local day (rule)
 8  attempt_limit                6 calls/SMS already went to this number this local day (rule)
 9  channel_not_in_strategy      the bucket's strategy does not use this channel
10  agency_not_assigned          an agency contacts a case not assigned to it
11  visit_too_early              a visit while the case's max DPD is not above visits.min_dpd
12  visit_borrower_reachable     a visit while the borrower is not shown unreachable: someone
                                 answered a call or met a visit in the last unreachable_days,
                                 or fewer than unreachable_attempts calls/visits failed in them
13  visit_needs_two_collectors   a visit with fewer than 2 collectors (rule)
14  not_recorded                 a call or visit that will not be recorded (rule)
15  collector_not_identified     no collector id, or a message that does not carry it
16  template_missing             an SMS/app message without its text
17  forbidden_content            one reason per forbidden category found (threat, insult, ...);
                                 a legal step recorded on the case may be named in a message to
                                 the borrower that cites its reference (``legal``)
==  ===========================  ==========================================================

Days are the borrower's local days: a call at 2026-03-01T21:30+08:00 to a borrower in
Asia/Tokyo (22:30 there) is refused for quiet hours, and the daily counts reset at the borrower's
midnight, not the collector's. History holds only contacts that *happened* (allowed ones), from
in-house staff and agencies alike, so the limits count both together.

Worked example: a borrower in Asia/Shanghai answered calls at 09:00, 11:00 and 15:00; a fourth
call at 16:00 is refused with ``answered_call_limit`` (a fourth answered call would break the
rule, and whether it would be answered is unknown before dialling).

Home visits (seed 003: 长时间未还款且联系不上): with the shipped policy a visit on 2026-03-31 to a
case at 120 DPD is allowed when nobody answered a call or met a visit from 2026-03-02 to
2026-03-31 (30 borrower-local days) and at least 10 calls or visits to the borrower failed in
them; an answered call on 2026-03-02 refuses it (``visit_borrower_reachable``), one on 2026-03-01
does not. At 90 DPD it is ``visit_too_early``; at 91 the DPD no longer stands in the way.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from lendcore.collections.config import Channel, CollectionsConfig
from lendcore.collections.legal import RecordedStep, hint, unlocked_phrases
from lendcore.collections.phrases import debt_words, forbidden_matches
from lendcore.errors import InvalidInput
from lendcore.reasons import Reason

QUIET_START = time(22, 0)  # rule: no contact 22:00-08:00 borrower-local
QUIET_END = time(8, 0)
PHONE_CHANNELS = frozenset({Channel.CALL, Channel.SMS})
MESSAGE_CHANNELS = frozenset({Channel.SMS, Channel.APP})

PRECEDENCE: tuple[str, ...] = (
    "case_closed",
    "plan_in_force",
    "quiet_hours",
    "outside_internal_window",
    "third_party_not_allowed",
    "third_party_debt_mention",
    "answered_call_limit",
    "attempt_limit",
    "channel_not_in_strategy",
    "agency_not_assigned",
    "visit_too_early",
    "visit_borrower_reachable",
    "visit_needs_two_collectors",
    "not_recorded",
    "collector_not_identified",
    "template_missing",
    "forbidden_content",
)


class Target(enum.Enum):
    BORROWER = "borrower"
    CONTACT = "contact"  # an emergency contact the borrower registered; never the phone book


class Outcome(enum.Enum):
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    DELIVERED = "delivered"
    FAILED = "failed"
    MET = "met"
    NOT_MET = "not_met"


@dataclass(frozen=True, slots=True)
class ProposedContact:
    channel: Channel
    target: Target
    at: datetime
    number: str | None = None  # which phone number; defaults to the target ("borrower")
    collector_id: str | None = None
    agency_code: str | None = None  # None: in-house
    template: str | None = None  # message text or call script
    collectors: tuple[str, ...] = ()  # visit staff
    recorded: bool = False

    def __post_init__(self) -> None:
        require_aware(self.at, "at")

    @property
    def number_key(self) -> str:
        return self.number or self.target.value


@dataclass(frozen=True, slots=True)
class PastContact:
    """A contact that happened (the guard allowed it), in-house or by an agency."""

    channel: Channel
    target: Target
    at: datetime
    outcome: Outcome | None = None
    number: str | None = None

    def __post_init__(self) -> None:
        require_aware(self.at, "at")

    @property
    def number_key(self) -> str:
        return self.number or self.target.value


@dataclass(frozen=True, slots=True)
class CaseState:
    is_open: bool
    bucket: str
    borrower_zone: ZoneInfo
    borrower_unreachable: bool = False
    plan_in_force: bool = False
    agency_code: str | None = None  # the agency the case is assigned to, if any
    max_dpd: int = 0  # the worst DPD of the borrower's loans (a visit needs it high)
    legal_steps: tuple[RecordedStep, ...] = ()  # legal steps taken: the only ones to mention


@dataclass(frozen=True, slots=True)
class GuardResult:
    reasons: tuple[Reason, ...] = field(default=())

    @property
    def allowed(self) -> bool:
        return not self.reasons

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]

    def as_dict(self) -> dict[str, object]:
        return {"allowed": self.allowed, "reasons": [r.as_dict() for r in self.reasons]}


def require_aware(at: datetime, fld: str) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput("must carry a UTC offset, e.g. 2026-03-01T21:30+08:00", field=fld)


def local_day(at: datetime, zone: ZoneInfo) -> date:
    return at.astimezone(zone).date()


def check_contact(
    proposal: ProposedContact,
    history: Sequence[PastContact],
    case: CaseState,
    config: CollectionsConfig,
) -> GuardResult:
    """Every reason refusing ``proposal``, in ``PRECEDENCE`` order; none means allowed."""
    reasons: list[Reason] = []
    reasons += _state_reasons(case)
    reasons += _time_reasons(proposal, case, config)
    reasons += _third_party_reasons(proposal, case)
    reasons += _frequency_reasons(proposal, history, case, config)
    reasons += _manner_reasons(proposal, case, config)
    reasons += _visit_reasons(proposal, history, case, config)
    reasons += _content_reasons(proposal, case)
    order = {code: i for i, code in enumerate(PRECEDENCE)}
    reasons.sort(key=lambda r: order[r.code])  # stable: categories keep their found order
    return GuardResult(tuple(reasons))


def _state_reasons(case: CaseState) -> list[Reason]:
    reasons = []
    if not case.is_open:
        reasons.append(Reason("case_closed", "the case is closed: nothing is overdue"))
    if case.plan_in_force:
        reasons.append(Reason("plan_in_force",
                              "a negotiated repayment plan is signed and kept: collection stops"))
    return reasons


def _time_reasons(p: ProposedContact, case: CaseState, cfg: CollectionsConfig) -> list[Reason]:
    local = p.at.astimezone(case.borrower_zone)
    clock = local.time().replace(tzinfo=None)
    stamp = f"{local:%H:%M} {case.borrower_zone.key}"
    reasons = []
    if clock >= QUIET_START or clock < QUIET_END:
        reasons.append(Reason("quiet_hours",
                              f"{stamp} is between 22:00 and 08:00 borrower-local time (rule)"))
    if not cfg.window_start <= clock < cfg.window_end:
        reasons.append(Reason(
            "outside_internal_window",
            f"{stamp} is outside the internal window "
            f"{cfg.window_start:%H:%M}-{cfg.window_end:%H:%M}"))
    return reasons


def _third_party_reasons(p: ProposedContact, case: CaseState) -> list[Reason]:
    if p.target is not Target.CONTACT:
        return []
    reasons = []
    if not case.borrower_unreachable:
        reasons.append(Reason("third_party_not_allowed",
                              "emergency contacts only when the borrower is marked unreachable"))
    mentioned = debt_words(p.template or "")
    if mentioned:
        reasons.append(Reason("third_party_debt_mention",
                              "an emergency contact may only be asked to pass on a request to "
                              f"get in touch, never told about the debt; found {mentioned}"))
    return reasons


def _frequency_reasons(
    p: ProposedContact, history: Sequence[PastContact], case: CaseState, cfg: CollectionsConfig
) -> list[Reason]:
    day = local_day(p.at, case.borrower_zone)
    today = [h for h in history if local_day(h.at, case.borrower_zone) == day]
    reasons = []
    if p.channel is Channel.CALL and p.target is Target.BORROWER:
        answered = sum(1 for h in today if h.channel is Channel.CALL
                       and h.target is Target.BORROWER and h.outcome is Outcome.ANSWERED)
        if answered >= cfg.answered_calls_per_borrower_per_day:
            reasons.append(Reason(
                "answered_call_limit",
                f"the borrower already answered {answered} calls on {day} (at most "
                f"{cfg.answered_calls_per_borrower_per_day}, in-house and agencies together)"))
    if p.channel in PHONE_CHANNELS:
        attempts = sum(1 for h in today
                       if h.channel in PHONE_CHANNELS and h.number_key == p.number_key)
        if attempts >= cfg.attempts_per_number_per_day:
            reasons.append(Reason(
                "attempt_limit",
                f"{attempts} calls/messages already went to {p.number_key} on {day} (at most "
                f"{cfg.attempts_per_number_per_day})"))
    return reasons


def _manner_reasons(p: ProposedContact, case: CaseState, cfg: CollectionsConfig) -> list[Reason]:
    reasons = []
    strategy = cfg.strategy_for(case.bucket)
    if strategy is not None and p.channel not in strategy.channels:
        used = ", ".join(sorted(c.value for c in strategy.channels))
        reasons.append(Reason("channel_not_in_strategy",
                              f"{case.bucket} uses {used}, not {p.channel.value}"))
    if p.agency_code is not None and p.agency_code != case.agency_code:
        reasons.append(Reason("agency_not_assigned",
                              f"the case is not assigned to agency {p.agency_code}"))
    if p.channel is Channel.VISIT:
        staff = set(p.collectors) | ({p.collector_id} if p.collector_id else set())
        if len(staff) < cfg.min_visit_collectors:
            reasons.append(Reason("visit_needs_two_collectors",
                                  f"a visit needs at least {cfg.min_visit_collectors} collectors; "
                                  f"got {len(staff)}"))
    if p.channel in (Channel.CALL, Channel.VISIT) and not p.recorded:
        reasons.append(Reason("not_recorded", f"a {p.channel.value} must be recorded"))
    if not p.collector_id:
        reasons.append(Reason("collector_not_identified", "the collector id is missing"))
    elif p.channel in MESSAGE_CHANNELS and p.template and p.collector_id not in p.template:
        reasons.append(Reason("collector_not_identified",
                              f"the message must carry the collector id {p.collector_id}"))
    if p.channel in MESSAGE_CHANNELS and not (p.template or "").strip():
        reasons.append(Reason("template_missing", "a message needs its text"))
    return reasons


REACHED = frozenset({Outcome.ANSWERED, Outcome.MET})
FAILED_ATTEMPTS = frozenset({Outcome.NO_ANSWER, Outcome.BUSY, Outcome.NOT_MET})


def _visit_reasons(p: ProposedContact, history: Sequence[PastContact], case: CaseState,
                   cfg: CollectionsConfig) -> list[Reason]:
    """A visit only for a borrower long overdue and shown unreachable by the contact log."""
    if p.channel is not Channel.VISIT:
        return []
    reasons = []
    if case.max_dpd <= cfg.visit_min_dpd:
        reasons.append(Reason("visit_too_early",
                              f"a visit needs the case more than {cfg.visit_min_dpd} days past "
                              f"due; it is {case.max_dpd}"))
    day = local_day(p.at, case.borrower_zone)
    first = day - timedelta(days=cfg.unreachable_days - 1)
    window = [h for h in history if h.target is Target.BORROWER
              and h.channel in (Channel.CALL, Channel.VISIT)
              and first <= local_day(h.at, case.borrower_zone) <= day]
    reached = [local_day(h.at, case.borrower_zone) for h in window if h.outcome in REACHED]
    failed = sum(1 for h in window if h.outcome in FAILED_ATTEMPTS)
    if reached:
        reasons.append(Reason("visit_borrower_reachable",
                              f"the borrower was reached on {max(reached)}, within the last "
                              f"{cfg.unreachable_days} days ({first} to {day})"))
    elif failed < cfg.unreachable_attempts:
        reasons.append(Reason("visit_borrower_reachable",
                              f"{failed} failed calls/visits from {first} to {day}; the borrower "
                              f"is unreachable after at least {cfg.unreachable_attempts}"))
    return reasons


def _content_reasons(p: ProposedContact, case: CaseState) -> list[Reason]:
    text = p.template or ""
    # Only the borrower may be told of a legal step, and only citing its recorded reference.
    to_borrower = p.target is Target.BORROWER
    allowed = unlocked_phrases(text, case.legal_steps) if to_borrower else frozenset()
    return [Reason("forbidden_content", f"{m.category}: contains {m.phrase!r}"
                   f"{hint(m.phrase, case.legal_steps) if to_borrower else ''}")
            for m in forbidden_matches(text, allowed)]
