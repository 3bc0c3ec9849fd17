"""The contact compliance guard, on both sides of every limit."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from lendcore.collections.config import Channel, default_config, parse_config
from lendcore.collections.guard import (
    PRECEDENCE,
    CaseState,
    Outcome,
    PastContact,
    ProposedContact,
    Target,
    check_contact,
)
from lendcore.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
TOKYO = ZoneInfo("Asia/Tokyo")  # +09:00
CONFIG = default_config()
WIDEST = parse_config({"window": {"start": "08:00", "end": "22:00"}})


def case(zone: ZoneInfo = SHANGHAI, **kw: object) -> CaseState:
    values: dict[str, object] = {"is_open": True, "bucket": "M3", "borrower_zone": zone}
    values.update(kw)
    return CaseState(**values)  # type: ignore[arg-type]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def call(when: str, **kw: object) -> ProposedContact:
    values: dict[str, object] = {"channel": Channel.CALL, "target": Target.BORROWER,
                                 "at": at(when), "collector_id": "C042", "recorded": True}
    values.update(kw)
    return ProposedContact(**values)  # type: ignore[arg-type]


def codes(p: ProposedContact, history: list[PastContact] | None = None,
          state: CaseState | None = None, config: object = CONFIG) -> list[str]:
    return check_contact(p, history or [], state or case(), config).codes  # type: ignore[arg-type]


def test_a_recorded_call_by_an_identified_collector_at_ten_in_the_morning_is_allowed() -> None:
    assert codes(call("2026-03-02T10:00+08:00")) == []


QUIET = ["quiet_hours", "outside_internal_window"]  # inside quiet hours both fail


@pytest.mark.parametrize(("local", "expected"), [
    ("21:59", []), ("22:00", QUIET), ("07:59", QUIET), ("08:00", []),
])
def test_the_rule_forbids_contact_from_22_00_to_08_00_borrower_local(
        local: str, expected: list[str]) -> None:
    assert codes(call(f"2026-03-02T{local}+08:00"), config=WIDEST) == expected


@pytest.mark.parametrize(("local", "expected"), [
    ("20:59", []), ("21:00", ["outside_internal_window"]),
    ("21:59", ["outside_internal_window"]), ("08:00", []),
])
def test_the_default_internal_window_closes_at_21_00(local: str, expected: list[str]) -> None:
    assert codes(call(f"2026-03-02T{local}+08:00")) == expected


def test_22_00_in_the_default_window_fails_both_the_rule_and_the_window_rule_first() -> None:
    assert codes(call("2026-03-02T22:00+08:00")) == ["quiet_hours", "outside_internal_window"]


@pytest.mark.parametrize(("tokyo_local", "expected"), [
    ("21:59", []), ("22:00", QUIET), ("07:59", QUIET), ("08:00", []),
])
def test_the_quiet_hours_follow_the_borrowers_zone_not_the_collectors(
        tokyo_local: str, expected: list[str]) -> None:
    # The collector writes the time in +08:00; the borrower lives in Tokyo (+09:00).
    tokyo = datetime.fromisoformat(f"2026-03-02T{tokyo_local}").replace(tzinfo=TOKYO)
    shanghai_text = tokyo.astimezone(SHANGHAI).isoformat()
    assert codes(call(shanghai_text), state=case(TOKYO), config=WIDEST) == expected


def test_21_30_in_beijing_is_22_30_for_a_borrower_in_tokyo_and_refused() -> None:
    assert codes(call("2026-03-01T21:30+08:00"), state=case(TOKYO), config=WIDEST) == QUIET


def test_a_time_given_in_utc_is_judged_in_the_borrowers_zone() -> None:
    # 13:59Z is 21:59 in Shanghai, 14:00Z is 22:00.
    assert codes(call("2026-03-02T13:59+00:00"), config=WIDEST) == []
    assert codes(call("2026-03-02T14:00+00:00"), config=WIDEST) == QUIET


def test_a_time_without_an_offset_is_refused_as_input() -> None:
    with pytest.raises(InvalidInput) as err:
        call("2026-03-02T10:00")
    assert err.value.field == "at"


def answered(n: int, day: str = "2026-03-02", *, number: str | None = None,
             zone_offset: str = "+08:00") -> list[PastContact]:
    return [PastContact(Channel.CALL, Target.BORROWER, at(f"{day}T{9 + i:02d}:00{zone_offset}"),
                        Outcome.ANSWERED, number) for i in range(n)]


def test_a_third_answered_call_is_allowed_and_a_fourth_is_refused() -> None:
    assert codes(call("2026-03-02T15:00+08:00"), answered(2)) == []
    assert codes(call("2026-03-02T15:00+08:00"), answered(3)) == ["answered_call_limit"]


def test_answered_calls_by_an_agency_and_in_house_count_together() -> None:
    # History holds both kinds; the guard does not care who made them.
    agency_state = case(bucket="M4", agency_code="AG1")
    history = answered(3)
    assert codes(call("2026-03-02T15:00+08:00", agency_code="AG1"), history, agency_state) == [
        "answered_call_limit"]


def test_unanswered_calls_do_not_count_towards_the_answered_limit() -> None:
    history = [PastContact(Channel.CALL, Target.BORROWER, at(f"2026-03-02T{9 + i:02d}:00+08:00"),
                           Outcome.NO_ANSWER) for i in range(5)]
    assert codes(call("2026-03-02T15:00+08:00"), history) == []


def test_the_answered_limit_resets_at_the_borrowers_midnight_not_the_collectors() -> None:
    # Borrower in Tokyo: three answered calls on 2 March Tokyo time; a call at 23:30 Beijing
    # time on 2 March is 00:30 on 3 March in Tokyo (quiet hours, but not the answered limit).
    history = answered(3, zone_offset="+09:00")
    result = codes(call("2026-03-02T23:30+08:00"), history, case(TOKYO))
    assert "answered_call_limit" not in result
    next_morning = codes(call("2026-03-03T09:00+09:00"), history, case(TOKYO))
    assert next_morning == []


def attempts(n: int, number: str = "138****5678") -> list[PastContact]:
    return [PastContact(Channel.CALL, Target.BORROWER,
                        at(f"2026-03-02T09:{i * 5:02d}+08:00"), Outcome.NO_ANSWER, number)
            for i in range(n)]


def test_a_sixth_attempt_on_a_number_is_allowed_and_a_seventh_is_refused() -> None:
    assert codes(call("2026-03-02T15:00+08:00", number="138****5678"), attempts(5)) == []
    assert codes(call("2026-03-02T15:00+08:00", number="138****5678"), attempts(6)) == [
        "attempt_limit"]


def test_the_attempt_limit_is_per_number() -> None:
    assert codes(call("2026-03-02T15:00+08:00", number="139****0000"), attempts(6)) == []


def contact_message(text: str) -> ProposedContact:
    return ProposedContact(Channel.SMS, Target.CONTACT, at("2026-03-02T10:00+08:00"),
                           number="contact-1", collector_id="C042", template=text)


def test_an_emergency_contact_is_refused_while_the_borrower_is_reachable() -> None:
    msg = contact_message("您好,我是C042,请转告张先生尽快回电。")
    assert codes(msg) == ["third_party_not_allowed"]


def test_an_emergency_contact_is_allowed_once_the_borrower_is_marked_unreachable() -> None:
    msg = contact_message("您好,我是C042,请转告张先生尽快回电。")
    assert codes(msg, state=case(borrower_unreachable=True)) == []


def test_a_message_to_a_contact_that_mentions_the_debt_is_refused_even_when_unreachable() -> None:
    msg = contact_message("您好,我是C042,张先生的贷款已逾期,请转告他还款。")
    assert codes(msg, state=case(borrower_unreachable=True)) == ["third_party_debt_mention"]


def visit(collectors: tuple[str, ...], recorded: bool = True) -> ProposedContact:
    return ProposedContact(Channel.VISIT, Target.BORROWER, at("2026-03-02T10:00+08:00"),
                           collector_id=collectors[0] if collectors else None,
                           collectors=collectors, recorded=recorded)


# A visit is for a borrower long overdue and unreachable (test_home_visit.py): 120 DPD, and ten
# unanswered calls over the days before it.
UNREACHABLE = [PastContact(Channel.CALL, Target.BORROWER,
                           at(f"2026-02-{20 + i // 2:02d}T{10 + i % 2}:00+08:00"),
                           Outcome.NO_ANSWER) for i in range(10)]


def visit_codes(p: ProposedContact) -> list[str]:
    return codes(p, UNREACHABLE, case(bucket="M4", max_dpd=120))


def test_a_visit_by_one_collector_is_refused_and_by_two_allowed() -> None:
    assert visit_codes(visit(("C1",))) == ["visit_needs_two_collectors"]
    assert visit_codes(visit(("C1", "C2"))) == []


def test_a_visit_the_same_collector_listed_twice_is_still_one_collector() -> None:
    assert visit_codes(visit(("C1", "C1"))) == ["visit_needs_two_collectors"]


def test_an_unrecorded_visit_or_call_is_refused() -> None:
    assert visit_codes(visit(("C1", "C2"), recorded=False)) == ["not_recorded"]
    assert codes(call("2026-03-02T10:00+08:00", recorded=False)) == ["not_recorded"]


def test_every_contact_is_refused_while_a_signed_plan_is_kept_and_allowed_once_broken() -> None:
    assert codes(call("2026-03-02T10:00+08:00"), state=case(plan_in_force=True)) == [
        "plan_in_force"]
    assert codes(call("2026-03-02T10:00+08:00"), state=case(plan_in_force=False)) == []


def test_a_closed_case_gets_no_collection_contact() -> None:
    assert codes(call("2026-03-02T10:00+08:00"), state=case(is_open=False)) == ["case_closed"]


def sms(text: str | None, collector: str | None = "C042") -> ProposedContact:
    return ProposedContact(Channel.SMS, Target.BORROWER, at("2026-03-02T10:00+08:00"),
                           collector_id=collector, template=text)


def test_a_message_must_carry_the_collector_id() -> None:
    assert codes(sms("您好,您的账单已逾期,请尽快还款。")) == ["collector_not_identified"]
    assert codes(sms("您好,我是催收专员C042,您的账单已逾期,请尽快还款。")) == []


def test_a_message_without_text_or_a_contact_without_collector_is_refused() -> None:
    assert codes(sms(None)) == ["template_missing"]
    assert codes(call("2026-03-02T10:00+08:00", collector_id=None)) == [
        "collector_not_identified"]


@pytest.mark.parametrize(("text", "category"), [
    ("我是C042,再不还就起诉你", "threat"),
    ("我是C042,你要坐牢了", "threat"),
    ("我是C042,你这个老赖", "insult"),
    ("我是C042,公安已经立案", "impersonation"),
    ("我是C042,法院将强制执行", "impersonation"),
    ("我是C042,律师函已寄出", "impersonation"),
    ("我是C042,将在朋友圈曝光你", "exposure"),
    ("我是C042,我们会打给你的通讯录", "exposure"),
    ("我是C042,需另付催收费200元", "collection_fee"),
    ("我是C042,可以以贷养贷先还上", "borrow_to_repay"),
    ("我是C042,去借钱还我们", "borrow_to_repay"),
    ("C042 here: the police will arrest you", "impersonation"),
    ("C042 here: borrow from a payday lender", "borrow_to_repay"),
])
def test_forbidden_content_is_refused_naming_its_category(text: str, category: str) -> None:
    result = check_contact(sms(text), [], case(), CONFIG)
    assert "forbidden_content" in result.codes
    assert any(r.detail.startswith(category) for r in result.reasons)


def test_english_phrases_match_whole_words_only() -> None:
    assert codes(sms("C042 here: thank you for being courteous, please repay today.")) == []


def test_every_failing_reason_is_listed_in_the_documented_precedence() -> None:
    bad = ProposedContact(Channel.VISIT, Target.CONTACT, at("2026-03-02T23:00+08:00"),
                          collectors=("C1",), template="张先生欠款不还,我们要曝光")
    result = check_contact(bad, [], case(bucket="M1", plan_in_force=True), CONFIG)
    assert result.codes == [
        "plan_in_force", "quiet_hours", "outside_internal_window", "third_party_not_allowed",
        "third_party_debt_mention", "channel_not_in_strategy", "visit_too_early",
        "visit_borrower_reachable", "visit_needs_two_collectors", "not_recorded",
        "collector_not_identified", "forbidden_content"]
    order = [PRECEDENCE.index(c) for c in result.codes]
    assert order == sorted(order)
    assert result.as_dict()["allowed"] is False


def test_an_agency_may_only_contact_a_case_assigned_to_it() -> None:
    assert codes(call("2026-03-02T10:00+08:00", agency_code="AG2"),
                 state=case(bucket="M4", agency_code="AG1")) == ["agency_not_assigned"]


def test_the_day_before_and_after_do_not_count() -> None:
    history = answered(3, day="2026-03-01") + answered(3, day="2026-03-03")
    assert codes(call("2026-03-02T10:00+08:00"), history) == []
    assert codes(call("2026-03-02T10:00+08:00"), history + answered(3)) == ["answered_call_limit"]
