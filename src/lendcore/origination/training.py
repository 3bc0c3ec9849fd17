"""Train the application scorecard: WOE binning + logistic regression -> a points table.

Run with ``lendcore scorecard train`` (needs the optional ``train`` extra: pandas, numpy,
scikit-learn, optbinning; they are imported here only, never by the scorer).

Pipeline (reproducible: every random choice takes :data:`SEED`):

1. Data: UCI Statlog German Credit (1,000 applicants, 300 bad), ``data/germancredit.csv``
   (see ``data/README.md`` for provenance and licence). ``creditability == "bad"`` is the target.
2. Split: stratified 70/30 with ``random_state=SEED``; the 30% holdout is touched only for the
   final report.
3. Features: the German attributes except ``personal_status_and_sex`` and ``foreign_worker``
   (sex, marital status and nationality are not fair grounds to price credit); the same
   candidate list is given to optbinning for the comparison.
4. Binning (fit on training rows only): a numeric attribute is cut by a shallow entropy tree on
   that attribute alone (each bin >= 5% of rows, at most :data:`MAX_BINS` bins); a categorical
   attribute's values are ranked by smoothed bad rate and the ranks cut the same way, so values
   with similar risk share a bin. WOE = ln(bad share / good share) per bin.
5. Selection: attributes with information value below :data:`MIN_IV` are dropped.
6. Logistic regression (L2, ``C`` chosen by 5-fold CV on the training rows) on the WOE values.
7. Scaling: score = offset - factor * ln(bad odds), factor = PDO / ln 2; 600 points at good:bad
   odds of 19:1 (bad odds 1/19), 50 points to double the odds. Each bin's points are
   ``round_half_up(-factor * coefficient * woe)``; base points ``round_half_up(offset - factor *
   intercept)``. Points are integers, so a score is an exact sum.

The report (AUC, Gini = 2*AUC - 1, KS) is measured on the *integer score* of the holdout, as
deployed, beside optbinning's ``Scorecard`` fit on the same training rows with default binning
and the same scaling, with a paired bootstrap interval for the AUC difference (300 rows cannot
separate models a hundredth apart), and a 5-fold cross-validation of both pipelines on the
training rows.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from lendcore.origination.scorecard import POINTS_PATH

DATA_PATH = Path(__file__).parent / "data" / "germancredit.csv"
SEED = 20240101
HOLDOUT_SHARE = 0.3
MAX_BINS = 3
MAX_BINS_CATEGORICAL = 5
MIN_BIN_SHARE = 0.08
MIN_IV = 0.05
C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)
POINTS0 = 600
ODDS0_GOOD_TO_BAD = 19
PDO = 50
TARGET = "creditability"
EXCLUDED = ("personal_status_and_sex", "foreign_worker")


@dataclass
class Binning:
    name: str
    kind: str  # "numeric" | "categorical"
    edges: list[float]  # numeric: cut points, bins are [edge_i, edge_i+1)
    groups: list[list[str]]  # categorical: values per bin
    woe: list[float]
    counts: list[int]
    bads: list[int]
    iv: float

    def bin_index(self, column: Any) -> Any:
        import numpy as np
        import pandas as pd

        if self.kind == "numeric":
            return np.searchsorted(np.asarray(self.edges), column.to_numpy(float), side="right")
        lookup = {v: i for i, g in enumerate(self.groups) for v in g}
        idx = column.map(lookup)
        if idx.isna().any():
            unseen = sorted(set(column[idx.isna()]))
            raise ValueError(f"{self.name}: values not seen in training {unseen}")
        return pd.to_numeric(idx).to_numpy(int)


def load_german_credit() -> Any:
    import pandas as pd

    frame = pd.read_csv(DATA_PATH)
    frame["bad"] = (frame.pop(TARGET) == "bad").astype(int)
    return frame


def candidate_features(frame: Any) -> list[str]:
    return [c for c in frame.columns if c not in (*EXCLUDED, "bad")]


def _tree_cuts(values: Any, y: Any, max_bins: int) -> list[float]:
    from sklearn.tree import DecisionTreeClassifier

    tree = DecisionTreeClassifier(
        criterion="entropy",
        max_leaf_nodes=max_bins,
        min_samples_leaf=max(1, int(MIN_BIN_SHARE * len(y))),
        random_state=SEED,
    ).fit(values.reshape(-1, 1), y)
    thresholds = tree.tree_.threshold[tree.tree_.feature >= 0]
    # sklearn sends x <= t left; our bins are [lo, hi). The thresholds are midpoints between
    # observed values, so both rules put every observed value in the same bin.
    return sorted(float(t) for t in thresholds)


def _woe_stats(idx: Any, y: Any, n_bins: int) -> tuple[list[float], list[int], list[int], float]:
    import numpy as np

    counts = np.bincount(idx, minlength=n_bins)
    bads = np.bincount(idx, weights=y, minlength=n_bins).astype(int)
    goods = counts - bads
    bad_share = (bads + 0.5) / (bads.sum() + 0.5)  # +0.5 keeps an all-good bin finite
    good_share = (goods + 0.5) / (goods.sum() + 0.5)
    woe = np.log(bad_share / good_share)
    iv = float(((bad_share - good_share) * woe).sum())
    return [float(w) for w in woe], [int(c) for c in counts], [int(b) for b in bads], iv


def fit_binning(name: str, column: Any, y: Any) -> Binning:
    import numpy as np

    yv = y.to_numpy(int)
    if column.dtype == object or str(column.dtype).startswith(("str", "string", "category")):
        stats = column.to_frame("v").assign(bad=yv).groupby("v")["bad"].agg(["sum", "count"])
        prior = yv.mean()
        stats["rate"] = (stats["sum"] + 2 * prior) / (stats["count"] + 2)  # smoothed bad rate
        order = list(stats.sort_values("rate").index)
        rank = column.map({v: i for i, v in enumerate(order)}).to_numpy(float)
        cuts = _tree_cuts(rank, yv, MAX_BINS_CATEGORICAL)
        idx_of_rank = np.searchsorted(np.asarray(cuts), np.arange(len(order)), side="right")
        groups: list[list[str]] = [[] for _ in range(len(cuts) + 1)]
        for value, b in zip(order, idx_of_rank, strict=True):
            groups[int(b)].append(str(value))
        binning = Binning(name, "categorical", [], groups, [], [], [], 0.0)
    else:
        cuts = _tree_cuts(column.to_numpy(float), yv, MAX_BINS)
        binning = Binning(name, "numeric", cuts, [], [], [], [], 0.0)
    idx = binning.bin_index(column)
    n_bins = len(binning.groups) if binning.kind == "categorical" else len(cuts) + 1
    binning.woe, binning.counts, binning.bads, binning.iv = _woe_stats(idx, yv, n_bins)
    return binning


def woe_matrix(frame: Any, bins: list[Binning]) -> Any:
    import numpy as np

    cols = [np.asarray(b.woe)[b.bin_index(frame[b.name])] for b in bins]
    return np.column_stack(cols)


@dataclass
class Fitted:
    bins: list[Binning]
    coef: list[float]
    intercept: float
    c: float


def fit_pipeline(train: Any, features: list[str], *, choose_c: bool = True) -> Fitted:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    y = train["bad"]
    bins = [fit_binning(f, train[f], y) for f in features]
    bins = [b for b in bins if b.iv >= MIN_IV]
    x = woe_matrix(train, bins)
    if choose_c:
        folds = StratifiedKFold(5, shuffle=True, random_state=SEED)
        grid = GridSearchCV(LogisticRegression(max_iter=2000), {"C": list(C_GRID)},
                            scoring="roc_auc", cv=folds).fit(x, y)
        c = float(grid.best_params_["C"])
    else:
        c = 1.0
    lr = LogisticRegression(C=c, max_iter=2000).fit(x, y)
    return Fitted(bins, [float(v) for v in lr.coef_[0]], float(lr.intercept_[0]), c)


def _round_points(value: float) -> int:
    return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def scaling() -> tuple[float, float]:
    factor = PDO / math.log(2)
    offset = POINTS0 + factor * math.log(1 / ODDS0_GOOD_TO_BAD)
    return factor, offset


def points_table(fitted: Fitted, report: dict[str, Any] | None = None) -> dict[str, Any]:
    """The human-readable, versioned points table the plain-Python scorer reads."""
    factor, offset = scaling()
    attributes = []
    for b, beta in zip(fitted.bins, fitted.coef, strict=True):
        rows = []
        for i, w in enumerate(b.woe):
            row: dict[str, Any] = {"points": _round_points(-factor * beta * w)}
            if b.kind == "numeric":
                lo = "-inf" if i == 0 else _edge_text(b.edges[i - 1])
                hi = "inf" if i == len(b.edges) else _edge_text(b.edges[i])
                row["range"] = [lo, hi]
            else:
                row["values"] = b.groups[i]
            row.update(count=b.counts[i], bad=b.bads[i], woe=round(w, 4))
            rows.append(row)
        attributes.append({"name": b.name, "kind": b.kind, "iv": round(b.iv, 4),
                           "coefficient": round(beta, 6), "bins": rows})
    return {
        "title": "lendcore application scorecard (cash-line)",
        "data": "UCI Statlog German Credit, 1,000 applicants (CC BY 4.0); see data/README.md",
        "target": "bad (creditability == 'bad'); higher score = lower risk",
        "scaling": {"points0": POINTS0, "odds0_good_to_bad": ODDS0_GOOD_TO_BAD, "pdo": PDO,
                    "formula": "score = base_points + sum(bin points); "
                               "score = 600 - 50/ln2 * ln(19 * bad_odds)"},
        "training": {"seed": SEED, "holdout_share": HOLDOUT_SHARE, "max_bins": MAX_BINS,
                     "min_bin_share": MIN_BIN_SHARE, "min_iv": MIN_IV, "C": fitted.c,
                     "excluded": list(EXCLUDED), "intercept": round(fitted.intercept, 6)},
        "base_points": _round_points(offset - factor * fitted.intercept),
        "attributes": attributes,
        "report": report or {},
    }


def _edge_text(edge: float) -> str:
    return format(Decimal(repr(edge)).normalize(), "f")


def score_frame(frame: Any, table: dict[str, Any]) -> Any:
    """Vectorised scores of a frame from a points table (the pipeline's reference scores)."""
    import numpy as np

    total = np.full(len(frame), table["base_points"], dtype=np.int64)
    for attr in table["attributes"]:
        points = np.asarray([r["points"] for r in attr["bins"]], dtype=np.int64)
        if attr["kind"] == "numeric":
            edges = np.asarray([float(r["range"][0]) for r in attr["bins"][1:]])
            idx = np.searchsorted(edges, frame[attr["name"]].to_numpy(float), side="right")
        else:
            lookup = {v: i for i, r in enumerate(attr["bins"]) for v in r["values"]}
            idx = frame[attr["name"]].map(lookup).to_numpy(int)
        total += points[idx]
    return total


def metrics(y: Any, risk: Any) -> dict[str, float]:
    """AUC, Gini and KS of a risk ordering (higher = riskier)."""
    from sklearn.metrics import roc_auc_score, roc_curve

    auc = float(roc_auc_score(y, risk))
    fpr, tpr, _ = roc_curve(y, risk)
    return {"auc": round(auc, 4), "gini": round(2 * auc - 1, 4),
            "ks": round(float((tpr - fpr).max()), 4)}


def auc_difference(y: Any, risk_a: Any, risk_b: Any, resamples: int = 2000) -> dict[str, Any]:
    """AUC(a) - AUC(b) on the same rows, with a paired bootstrap 95% interval (seeded): how far
    apart two models really are on a holdout this small."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    y, a, b = np.asarray(y), np.asarray(risk_a), np.asarray(risk_b)
    rng = np.random.default_rng(SEED)
    diffs = []
    for _ in range(resamples):
        idx = rng.integers(0, len(y), len(y))
        if y[idx].min() == y[idx].max():
            continue
        diffs.append(roc_auc_score(y[idx], a[idx]) - roc_auc_score(y[idx], b[idx]))
    low, high = np.percentile(diffs, [2.5, 97.5])
    return {"auc_diff": round(float(roc_auc_score(y, a) - roc_auc_score(y, b)), 4),
            "ci95": [round(float(low), 4), round(float(high), 4)], "resamples": resamples}


def split(frame: Any) -> tuple[Any, Any]:
    from sklearn.model_selection import train_test_split

    train, holdout = train_test_split(frame, test_size=HOLDOUT_SHARE, random_state=SEED,
                                      stratify=frame["bad"])
    return train, holdout


def optbinning_scorecard(train: Any, features: list[str]) -> Any:
    import logging

    logging.getLogger("cvxpy").setLevel(logging.ERROR)
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    cats = [f for f in features if train[f].dtype == object or str(train[f].dtype) == "str"]
    process = BinningProcess(features, categorical_variables=cats)
    card = Scorecard(binning_process=process, estimator=LogisticRegression(max_iter=2000),
                     scaling_method="pdo_odds",
                     scaling_method_params={"pdo": PDO, "odds": ODDS0_GOOD_TO_BAD,
                                            "scorecard_points": POINTS0})
    return card.fit(train[features], train["bad"])


def cross_validate(train: Any, features: list[str]) -> dict[str, dict[str, float]]:
    """5-fold CV AUC (mean, std) of both pipelines, refitting binning in every fold."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    ours, theirs = [], []
    folds = StratifiedKFold(5, shuffle=True, random_state=SEED)
    for fit_idx, val_idx in folds.split(train, train["bad"]):
        fit, val = train.iloc[fit_idx], train.iloc[val_idx]
        table = points_table(fit_pipeline(fit, features, choose_c=False))
        ours.append(metrics(val["bad"], -score_frame(val, table))["auc"])
        card = optbinning_scorecard(fit, features)
        theirs.append(metrics(val["bad"], card.predict_proba(val[features])[:, 1])["auc"])
    return {name: {"auc_mean": round(float(np.mean(v)), 4), "auc_std": round(float(np.std(v)), 4)}
            for name, v in (("lendcore", ours), ("optbinning", theirs))}


def train(out_path: Path = POINTS_PATH, *, with_cv: bool = True) -> dict[str, Any]:
    """Fit, write the points table, return the report (also stored in the table)."""
    import warnings

    warnings.filterwarnings("ignore")
    frame = load_german_credit()
    features = candidate_features(frame)
    train_rows, holdout = split(frame)
    fitted = fit_pipeline(train_rows, features)
    table = points_table(fitted)
    ours = metrics(holdout["bad"], -score_frame(holdout, table))
    card = optbinning_scorecard(train_rows, features)
    their_risk = card.predict_proba(holdout[features])[:, 1]
    theirs = metrics(holdout["bad"], their_risk)
    theirs_score = metrics(holdout["bad"], -card.score(holdout[features]))
    report: dict[str, Any] = {
        "holdout_rows": len(holdout),
        "holdout": {"lendcore": ours, "optbinning": theirs,
                    "optbinning_points_score": theirs_score,
                    "lendcore_minus_optbinning": auc_difference(
                        holdout["bad"], -score_frame(holdout, table), their_risk)},
        "features_kept": [b.name for b in fitted.bins],
    }
    if with_cv:
        report["cv5_on_training_rows"] = cross_validate(train_rows, features)
    table["report"] = report
    out_path.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return report
