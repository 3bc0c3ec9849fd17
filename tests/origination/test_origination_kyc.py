"""KYC: the resident ID number, age on the decision date, expiry, masks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from origination_helpers import ON, application, make_id

from lendcore.origination import kyc, policy
from lendcore.origination.ladder import decide
from lendcore.origination.model import Outcome, Prior
from lendcore.origination.scorecard import load_scorecard
from lendcore.pii import masking


def codes(on: date = ON, **overrides: object) -> list[str]:
    decision = decide(application(**overrides), Prior(), load_scorecard(), on)
    return [r.code for r in decision.reasons]


def birth_years_ago(years: int, on: date = ON) -> date:
    return on.replace(year=on.year - years)


def test_a_valid_number_gives_birth_date_and_gender() -> None:
    birth, gender, reasons = kyc.check_id_number("11010519491231002X", ON)
    assert (birth, gender, reasons) == (date(1949, 12, 31), "F", [])


def test_seventeenth_digit_odd_is_male_and_even_is_female() -> None:
    assert kyc.check_id_number(make_id(date(1990, 3, 7), sequence="001"), ON)[1] == "M"
    assert kyc.check_id_number(make_id(date(1990, 3, 7), sequence="002"), ON)[1] == "F"


def test_a_lower_case_x_check_character_is_read_as_upper_case() -> None:
    assert kyc.check_id_number("11010519491231002x", ON)[0] == date(1949, 12, 31)
    assert masking.mask_id_number("11010519491231002x") == "110105********002X"


def test_a_wrong_check_character_is_invalid() -> None:
    good = make_id(date(1990, 3, 7))
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    assert [r.code for r in kyc.check_id_number(bad, ON)[2]] == ["id_number_invalid"]
    assert "check character" in kyc.check_id_number(bad, ON)[2][0].detail


@pytest.mark.parametrize("number", ["1101011990030700", "1101011990030700111", "11010119900307001A",
                                    "X10101199003070011"])
def test_a_number_of_the_wrong_shape_is_invalid(number: str) -> None:
    assert kyc.check_id_number(number, ON)[0] is None


def test_an_unknown_region_code_is_invalid() -> None:
    reasons = kyc.check_id_number(make_id(date(1990, 3, 7), region="990000"), ON)[2]
    assert "region" in reasons[0].detail


def test_a_birth_date_that_does_not_exist_is_invalid() -> None:
    body = "11010119900230001"  # 30 February
    reasons = kyc.check_id_number(body + kyc.ric.calc_check_digit(body + "0"), ON)[2]
    assert "birth date" in reasons[0].detail


def test_a_birth_date_after_the_application_date_is_invalid() -> None:
    assert kyc.check_id_number(make_id(ON + timedelta(days=1)), ON)[0] is None


def test_a_29_february_birth_date_is_valid_and_turns_a_year_older_on_1_march() -> None:
    birth = date(2004, 2, 29)
    assert kyc.check_id_number(make_id(birth), date(2022, 3, 1))[0] == birth
    assert kyc.age_on(birth, date(2022, 2, 28)) == 17
    assert kyc.age_on(birth, date(2022, 3, 1)) == 18
    assert kyc.age_on(birth, date(2024, 2, 29)) == 20


def test_a_29_february_applicant_is_under_18_on_28_february_and_eligible_on_1_march() -> None:
    number = make_id(date(2004, 2, 29))
    assert "age_under_18" in codes(date(2022, 2, 28), id_number=number)
    assert "age_under_18" not in codes(date(2022, 3, 1), id_number=number)


def test_age_17_is_declined_and_18_on_the_birthday_itself_is_not() -> None:
    eve = birth_years_ago(18) + timedelta(days=1)  # turns 18 tomorrow
    assert "age_under_18" in codes(id_number=make_id(eve))
    assert "age_under_18" not in codes(id_number=make_id(birth_years_ago(18)))


def test_age_55_is_accepted_and_56_on_the_birthday_itself_is_declined() -> None:
    day_before_56 = birth_years_ago(56) + timedelta(days=1)
    assert "age_over_55" not in codes(id_number=make_id(day_before_56))
    assert "age_over_55" in codes(id_number=make_id(birth_years_ago(56)))
    assert policy.AGE_MAX == 55


def test_an_id_expiring_today_is_valid_and_one_that_expired_yesterday_is_declined() -> None:
    assert "id_expired" not in codes(id_expiry=ON.isoformat())
    assert "id_expired" in codes(id_expiry=(ON - timedelta(days=1)).isoformat())
    assert "id_expired" not in codes(id_expiry="long-term")


def test_an_invalid_id_number_is_a_decline_with_its_reason_not_an_input_error() -> None:
    decision = decide(application(id_number="110101199003070012"), Prior(), load_scorecard(),
                      ON)
    assert decision.outcome is Outcome.DECLINE
    assert [r.code for r in decision.reasons] == ["id_number_invalid"]
    assert decision.reapply_after is None and decision.score is None


def test_masks_follow_the_personal_data_rule() -> None:
    assert masking.mask_name("张三丰") == "张**"
    assert masking.mask_name("张三") == "张**"  # two stars whatever the length: it hides the length
    assert masking.mask_id_number("110101199003071234") == "110101********1234"
    assert masking.mask_mobile("13812345678") == "138****5678"


def test_the_identity_hash_is_keyed_and_ignores_the_case_of_x() -> None:
    a = kyc.id_number_hash("11010519491231002x", b"k1")
    assert a == kyc.id_number_hash("11010519491231002X", b"k1")
    assert a != kyc.id_number_hash("11010519491231002X", b"k2")
    assert "11010519491231002X" not in a
