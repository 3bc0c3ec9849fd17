"""Pure domain: case decisions, bands, next action, plans and complaint deadlines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lendcore.collections.cases import (
    CaseDecision,
    LoanSnapshot,
    Role,
    band,
    case_figures,
    decide_case,
    show_amount,
)
from lendcore.collections.complaints import ComplaintRow, complaint_deadline, worklist_order
from lendcore.collections.config import default_config
from lendcore.collections.plans import LoanBalances, Waiver, plan_terms
from lendcore.collections.strategy import agency_accepts_new_cases, next_action
from lendcore.errors import InvalidInput, RuleViolation
from lendcore.schedules import Method

CFG = default_config()


def loan(dpd: int, grace: int = 3, bucket: str = "M1", principal: int = 0,
         status: str = "active") -> LoanSnapshot:
    return LoanSnapshot(1, status, dpd, grace, bucket, overdue_principal_fen=principal)


def test_a_loan_at_its_grace_days_opens_no_case_and_one_day_later_opens_one() -> None:
    assert decide_case(False, [loan(3)]) is CaseDecision.NONE
    assert decide_case(False, [loan(4)]) is CaseDecision.OPEN


def test_an_open_case_stays_open_while_anything_is_overdue_and_closes_when_nothing_is() -> None:
    assert decide_case(True, [loan(2, principal=100)]) is CaseDecision.KEEP
    assert decide_case(True, [loan(0)]) is CaseDecision.CLOSE


def test_a_closed_loan_does_not_keep_a_case_open() -> None:
    assert decide_case(True, [loan(40, status="closed")]) is CaseDecision.CLOSE


def test_the_case_takes_the_worst_bucket_and_sums_the_amounts() -> None:
    figures = case_figures([LoanSnapshot(1, "active", 45, 3, "M2", 80_000, 4_000, 0, 600),
                            LoanSnapshot(2, "active", 10, 3, "M1", 30_000)])
    assert (figures.bucket, figures.max_dpd) == ("M2", 45)
    assert figures.overdue_principal_fen == 110_000
    assert figures.overdue_total_fen == 114_600


def test_a_collector_sees_a_band_and_a_supervisor_the_exact_amount() -> None:
    assert show_amount(114_600, Role.COLLECTOR) == "1000-5000"
    assert show_amount(114_600, Role.SUPERVISOR) == "1146.00"
    assert band(0) == "0" and band(49_999) == "0-500" and band(5_000_000) == "50000+"


def action(bucket: str, **kw: object) -> str:
    values: dict[str, object] = dict(case_open=True, bucket=bucket, max_dpd=10,
                                     plan_in_force=False, broken_promises=0,
                                     notice_recorded=False, agency_code=None, config=CFG)
    values.update(kw)
    return next_action(**values)  # type: ignore[arg-type]


def test_the_next_action_follows_the_bucket_strategy() -> None:
    assert action("M1") == "in_house_call"
    assert action("M2") == "intensive_call"
    assert action("M4", max_dpd=100) == "send_outsourcing_notice"
    assert action("M4", max_dpd=100, notice_recorded=True) == "assign_agency"
    assert action("M4", max_dpd=100, notice_recorded=True, agency_code="AG") == (
        "agency_collection")
    assert action("M7", max_dpd=180) == "legal_referral"
    assert action("M1", plan_in_force=True) == "plan_in_force"


def test_a_broken_promise_escalates_the_next_action_one_rung() -> None:
    assert action("M1", broken_promises=1) == "intensive_call"
    assert action("M1", broken_promises=9) == "send_outsourcing_notice"


def test_an_agency_past_its_yearly_review_gets_no_new_cases() -> None:
    reviewed = date(2025, 3, 1)
    assert agency_accepts_new_cases(reviewed, True, date(2026, 3, 1))
    assert not agency_accepts_new_cases(reviewed, True, date(2026, 3, 2))


BAL = LoanBalances(7, principal_outstanding_fen=600_000, interest_receivable_fen=15_000,
                   fee_receivable_fen=0, penalty_receivable_fen=9_000,
                   annual_rate=Decimal("0.1825"))


def offer(n: int, **kw: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = dict(installments=n, method=Method.EQUAL_INSTALLMENT,
                                     start=date(2026, 3, 1), proposed_by="C042", config=CFG)
    values.update(kw)
    return plan_terms(BAL, **values)  # type: ignore[arg-type]


def test_a_plan_of_60_installments_is_offered_and_61_is_refused_naming_the_field() -> None:
    plan = offer(60)
    assert len(plan.schedule) == 60
    assert sum(i.principal_fen for i in plan.schedule) == 600_000
    assert sum(i.arrears_fen for i in plan.schedule) == 24_000
    with pytest.raises(RuleViolation) as err:
        offer(61)
    assert err.value.field == "installments"


def test_a_plan_carries_the_bureau_special_transaction_code() -> None:
    plan = offer(12, method=Method.EQUAL_PRINCIPAL)
    assert (plan.special_transaction, plan.bureau_trigger_event) == ("negotiated_repayment", 42)


def test_a_waiver_needs_a_reason_and_is_offered_without_an_approver() -> None:
    """Who approves a waiver is the checker who lets the plan be signed (four eyes,
    ``operations.SignPlan``), never a name typed into the offer."""
    for reason in (None, "  "):
        with pytest.raises(RuleViolation) as err:
            offer(12, waiver=Waiver(penalty_fen=9_000, reason=reason))
        assert err.value.field == "waiver_reason"
    plan = offer(12, waiver=Waiver(penalty_fen=9_000, interest_fen=5_000,
                                   reason="job loss, documented"))
    assert (plan.approved_by, plan.waiver_reason) == (None, "job loss, documented")
    assert plan.arrears_fen == 10_000
    assert plan.schedule[0].arrears_fen == 834 and plan.schedule[-1].arrears_fen == 833
    assert offer(12, waiver=Waiver(reason="nothing waived")).waiver_reason is None


def test_only_part_of_the_interest_may_be_waived() -> None:
    with pytest.raises(RuleViolation) as err:
        offer(12, waiver=Waiver(interest_fen=7_501, reason="x"))
    assert err.value.field == "waived_interest"


def test_a_plan_may_not_raise_the_rate_or_use_another_method() -> None:
    with pytest.raises(RuleViolation):
        offer(12, annual_rate=Decimal("0.20"))
    with pytest.raises(InvalidInput):
        offer(12, method=Method.BULLET)


def test_complaint_deadlines_are_15_days_30_when_complex_60_at_most_extended() -> None:
    received = date(2026, 3, 1)
    assert complaint_deadline(received, complex_=False, extended_days=None,
                              config=CFG) == date(2026, 3, 16)
    assert complaint_deadline(received, complex_=True, extended_days=None,
                              config=CFG) == date(2026, 3, 31)
    assert complaint_deadline(received, complex_=True, extended_days=60,
                              config=CFG) == date(2026, 4, 30)


def test_overdue_complaints_come_first_then_by_deadline() -> None:
    rows = [ComplaintRow(1, "open", date(2026, 3, 20)), ComplaintRow(2, "open", date(2026, 3, 9)),
            ComplaintRow(3, "resolved", date(2026, 3, 1)),
            ComplaintRow(4, "open", date(2026, 3, 5))]
    ordered = worklist_order(rows, date(2026, 3, 10))
    assert [r.id for r in ordered] == [4, 2, 1, 3]
