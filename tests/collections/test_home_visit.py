"""Home visits (上门催收, seed 003): only for a borrower long overdue (> 90 DPD, policy) and
unreachable (nobody answered a call or met a visit in the last 30 borrower-local days, while at
least 10 calls or visits to the borrower failed), and still with 2 staff, recorded."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from collections_helpers import D1, add_customer, add_loan
from sqlalchemy import Engine

from lendcore.collections import service
from lendcore.collections.config import Channel, default_config, parse_config
from lendcore.collections.guard import (
    CaseState,
    Outcome,
    PastContact,
    ProposedContact,
    Target,
    check_contact,
)
from lendcore.errors import InvalidInput
from lendcore.store.uow import UnitOfWork

SHANGHAI = ZoneInfo("Asia/Shanghai")
CONFIG = default_config()
VISIT_DAY = date(2026, 3, 31)


def visit(staff: tuple[str, ...] = ("C1", "C2"), recorded: bool = True,
          at: str = "2026-03-31T10:00+08:00") -> ProposedContact:
    return ProposedContact(Channel.VISIT, Target.BORROWER, datetime.fromisoformat(at),
                           collector_id=staff[0], collectors=staff, recorded=recorded)


def past(day: date, outcome: Outcome, channel: Channel = Channel.CALL,
         target: Target = Target.BORROWER, hour: int = 10) -> PastContact:
    return PastContact(channel, target, datetime(day.year, day.month, day.day, hour,
                                                 tzinfo=SHANGHAI), outcome)


def failed_calls(n: int, last: date = date(2026, 3, 30)) -> list[PastContact]:
    """``n`` unanswered calls, two a day, going back from ``last``."""
    return [past(last - timedelta(days=i // 2), Outcome.NO_ANSWER, hour=10 + i % 2)
            for i in range(n)]


def codes(p: ProposedContact, history: list[PastContact], max_dpd: int = 120,
          bucket: str = "M4") -> list[str]:
    state = CaseState(is_open=True, bucket=bucket, borrower_zone=SHANGHAI, max_dpd=max_dpd)
    return check_contact(p, history, state, CONFIG).codes


def test_the_shipped_policy_is_above_90_dpd_30_days_and_10_attempts() -> None:
    assert (CONFIG.visit_min_dpd, CONFIG.unreachable_days, CONFIG.unreachable_attempts) == (
        90, 30, 10)


@pytest.mark.parametrize(("max_dpd", "expected"), [(90, ["visit_too_early"]), (91, [])])
def test_a_visit_needs_the_case_more_than_90_days_past_due(max_dpd: int,
                                                           expected: list[str]) -> None:
    assert codes(visit(), failed_calls(10), max_dpd=max_dpd) == expected


@pytest.mark.parametrize(("failed", "expected"), [(9, ["visit_borrower_reachable"]), (10, [])])
def test_a_visit_needs_at_least_ten_failed_attempts(failed: int, expected: list[str]) -> None:
    assert codes(visit(), failed_calls(failed)) == expected


@pytest.mark.parametrize(("answered_on", "expected"), [
    (date(2026, 3, 2), ["visit_borrower_reachable"]),  # the 30th day back, counting today
    (date(2026, 3, 1), []),  # the 31st: outside the window
])
def test_an_answered_call_in_the_last_30_days_means_the_borrower_is_reachable(
        answered_on: date, expected: list[str]) -> None:
    history = [*failed_calls(10), past(answered_on, Outcome.ANSWERED)]
    assert codes(visit(), history) == expected


def test_failed_attempts_older_than_the_window_do_not_count() -> None:
    old = failed_calls(10, last=date(2026, 3, 1))  # 1 March and before: outside
    recent = failed_calls(9)
    assert codes(visit(), [*old, *recent]) == ["visit_borrower_reachable"]
    assert codes(visit(), [*old, *recent, past(date(2026, 3, 2), Outcome.BUSY)]) == []


def test_a_visit_met_counts_as_reached_and_one_not_met_as_a_failed_attempt() -> None:
    met = [*failed_calls(10), past(date(2026, 3, 20), Outcome.MET, Channel.VISIT)]
    assert codes(visit(), met) == ["visit_borrower_reachable"]
    nine_and_a_visit = [*failed_calls(9), past(date(2026, 3, 20), Outcome.NOT_MET,
                                               Channel.VISIT)]
    assert codes(visit(), nine_and_a_visit) == []


def test_failed_messages_and_calls_to_contacts_do_not_show_the_borrower_unreachable() -> None:
    others = [past(date(2026, 3, 10) + timedelta(days=i), Outcome.FAILED, Channel.SMS)
              for i in range(5)]
    others += [past(date(2026, 3, 10) + timedelta(days=i), Outcome.NO_ANSWER,
                    target=Target.CONTACT) for i in range(5)]
    assert codes(visit(), [*failed_calls(9), *others]) == ["visit_borrower_reachable"]


def test_a_visit_still_needs_two_staff_and_a_recording() -> None:
    assert codes(visit(("C1",)), failed_calls(10)) == ["visit_needs_two_collectors"]
    assert codes(visit(recorded=False), failed_calls(10)) == ["not_recorded"]


def test_no_visits_in_m3_any_more() -> None:
    assert codes(visit(), failed_calls(10), max_dpd=85, bucket="M3") == [
        "channel_not_in_strategy", "visit_too_early"]


@pytest.mark.parametrize(("section", "field"), [
    ({"min_dpd": 0}, "visits.min_dpd"),
    ({"unreachable_days": 366}, "visits.unreachable_days"),
    ({"unreachable_attempts": "ten"}, "visits.unreachable_attempts"),
])
def test_the_visit_policy_is_validated_naming_the_field(section: dict[str, object],
                                                        field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_config({"visits": section})
    assert err.value.field == field


def test_a_stricter_visit_policy_is_applied() -> None:
    strict = parse_config({"visits": {"min_dpd": 120, "unreachable_attempts": 12}})
    state = CaseState(is_open=True, bucket="M4", borrower_zone=SHANGHAI, max_dpd=120)
    assert check_contact(visit(), failed_calls(12), state, strict).codes == ["visit_too_early"]
    state = CaseState(is_open=True, bucket="M5", borrower_zone=SHANGHAI, max_dpd=121)
    assert check_contact(visit(), failed_calls(11), state, strict).codes == [
        "visit_borrower_reachable"]
    assert check_contact(visit(), failed_calls(12), state, strict).codes == []


# --- the service reads a month of the contact log ------------------------------------------------
def _call(at: datetime) -> ProposedContact:
    return ProposedContact(Channel.CALL, Target.BORROWER, at, collector_id="C042",
                           recorded=True)


def test_the_service_checks_a_visit_against_the_recorded_failed_calls(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        from collections_helpers import open_day

        open_day(uow.conn, D1)
        cid = add_customer(uow.conn)
        add_loan(uow.conn, cid, 1, dpd=120, overdue_principal_fen=300_000)
        (case_id,) = service.sync_book(uow, D1).opened
        no_answer = service.ContactOutcome(Outcome.NO_ANSWER, "rec-x")
        start = datetime.fromisoformat("2026-03-05T10:00+08:00")
        for i in range(10):  # two a day from 5 to 9 March
            at = start + timedelta(days=i // 2, hours=i % 2)
            assert service.record_contact(uow, case_id, _call(at), no_answer).allowed
        day_one = service.check_contact_for_case(uow.conn, case_id,
                                                 visit(at="2026-03-10T10:00+08:00"))
        assert day_one.allowed, day_one.codes
        # Four weeks on, the first calls are still in the window; then they drop out of it.
        assert service.check_contact_for_case(uow.conn, case_id,
                                              visit(at="2026-04-03T10:00+08:00")).allowed
        late = service.check_contact_for_case(uow.conn, case_id,
                                              visit(at="2026-04-04T10:00+08:00"))
        assert late.codes == ["visit_borrower_reachable"]  # 5 March fell out: 8 failed left
        answered = service.ContactOutcome(Outcome.ANSWERED, "rec-y")
        service.record_contact(uow, case_id, _call(datetime.fromisoformat(
            "2026-03-10T15:00+08:00")), answered)
        reached = service.check_contact_for_case(uow.conn, case_id,
                                                 visit(at="2026-03-11T10:00+08:00"))
        assert reached.codes == ["visit_borrower_reachable"]
