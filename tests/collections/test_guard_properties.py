"""No sequence of proposed contacts gets more than the limits through.

Allowed contacts are fed back as history (with a drawn outcome), as the service does; the
invariants are checked per borrower-local day.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from lendcore.collections.config import Channel, default_config
from lendcore.collections.guard import (
    CaseState,
    Outcome,
    PastContact,
    ProposedContact,
    Target,
    check_contact,
)

CONFIG = default_config()
ZONES = [ZoneInfo("Asia/Shanghai"), ZoneInfo("Asia/Tokyo"), ZoneInfo("Europe/London"),
         ZoneInfo("America/New_York")]
START = datetime.fromisoformat("2026-03-01T00:00+08:00")

proposals = st.tuples(
    st.sampled_from([Channel.CALL, Channel.SMS, Channel.APP, Channel.VISIT]),
    st.sampled_from([Target.BORROWER, Target.CONTACT]),
    st.integers(min_value=0, max_value=2 * 24 * 60 - 1),  # minutes over two days
    st.sampled_from(["138****5678", "139****0000", None]),
    st.booleans(),  # answered (for calls) / delivered
    st.sampled_from([None, "AG1"]),
)


def outcome_for(channel: Channel, success: bool) -> Outcome:
    if channel is Channel.CALL:
        return Outcome.ANSWERED if success else Outcome.NO_ANSWER
    if channel is Channel.VISIT:
        return Outcome.MET if success else Outcome.NOT_MET
    return Outcome.DELIVERED if success else Outcome.FAILED


@settings(max_examples=150, deadline=None)
@given(st.lists(proposals, max_size=80), st.sampled_from(ZONES), st.booleans())
def test_no_sequence_of_contacts_breaks_the_daily_limits_or_the_quiet_hours(
        steps: list[tuple[Channel, Target, int, str | None, bool, str | None]],
        zone: ZoneInfo, unreachable: bool) -> None:
    case = CaseState(is_open=True, bucket="M4", borrower_zone=zone,
                     borrower_unreachable=unreachable, agency_code="AG1")
    history: list[PastContact] = []
    for channel, target, minute, number, success, agency in sorted(steps, key=lambda s: s[2]):
        at = START + timedelta(minutes=minute)
        template = "您好,我是C042,请回电。" if channel in (Channel.SMS, Channel.APP) else None
        proposal = ProposedContact(channel, target, at, number, "C042", agency, template,
                                   ("C042", "C043"), recorded=True)
        if check_contact(proposal, history, case, CONFIG).allowed:
            history.append(PastContact(channel, target, at, outcome_for(channel, success),
                                       number))
    answered: Counter[object] = Counter()
    attempts: Counter[object] = Counter()
    for h in history:
        local = h.at.astimezone(zone)
        assert 8 <= local.hour < 21, "contact outside the window"
        assert h.target is Target.BORROWER or unreachable, "contact reached while reachable"
        if h.channel is Channel.CALL and h.target is Target.BORROWER and (
                h.outcome is Outcome.ANSWERED):
            answered[local.date()] += 1
        if h.channel in (Channel.CALL, Channel.SMS):
            attempts[(local.date(), h.number_key)] += 1
    assert all(n <= 3 for n in answered.values())
    assert all(n <= 6 for n in attempts.values())
