"""CLI: ``lendcore scorecard train [--no-cv]`` fits the scorecard and writes its points table.

Needs the ``train`` extra (``pip install 'lendcore-tools[train]'``): pandas, scikit-learn,
optbinning, scorecardpy. The table is written into the product,
``lendcore/origination/scorecard_points.json``, which decisions read.
"""

from __future__ import annotations

from importlib.util import find_spec

import typer

from lendcore.errors import InvalidInput
from lendcore.origination.scorecard import POINTS_PATH

TRAIN_MODULES = ("pandas", "sklearn", "optbinning", "scorecardpy")


def train(no_cv: bool = typer.Option(
        False, "--no-cv", help="skip the 5-fold CV of both pipelines (the search still runs)"),
) -> None:
    """Fit the scorecard on German Credit, write scorecard_points.json, print the metrics."""
    missing = [m for m in TRAIN_MODULES if find_spec(m) is None]
    if missing:
        raise InvalidInput(f"training needs the 'train' extra: pip install 'lendcore-tools[train]'"
                           f" (missing {', '.join(missing)})", field=None)
    from lendcore_tools import training

    report = training.train(with_cv=not no_cv)
    h = report["holdout"]
    typer.echo(f"holdout ({report['holdout_rows']} rows, seed {training.SEED}):")
    for name in ("lendcore", "optbinning"):
        m = h[name]
        typer.echo(f"  {name:<11} AUC {m['auc']:.4f}  Gini {m['gini']:.4f}  KS {m['ks']:.4f}")
    d = h["lendcore_minus_optbinning"]
    typer.echo(f"  AUC difference {d['auc_diff']:+.4f}, 95% paired bootstrap interval "
               f"[{d['ci95'][0]:+.4f}, {d['ci95'][1]:+.4f}] ({d['resamples']} resamples)")
    for name, cv in report.get("cv5_on_training_rows", {}).items():
        how = " (nested: the search reruns inside every fold)" if name == "lendcore" else ""
        typer.echo(f"  5-fold CV {name:<11} AUC {cv['auc_mean']:.4f} ± {cv['auc_std']:.4f}{how}")
    c, s = report["chosen"], report["search"]
    typer.echo(f"chosen by {training.FOLDS}-fold CV on the training rows ({s['configurations']} "
               f"configurations): engine {c['engine']}, numeric bins <= {c['max_bins']}, "
               f"categorical bins <= {c['max_bins_categorical']}, IV >= {c['min_iv']}, "
               f"C {c['c']}; CV AUC {s['cv_auc_mean']:.4f} ± {s['cv_auc_std']:.4f} (best of the "
               f"grid, so optimistic; best tree-engine configuration {s['best_tree']:.4f}); "
               f"calibration slope {s['calibration']['slope']:.3f}")
    typer.echo(f"attributes: {', '.join(report['features_kept'])}")
    typer.echo(f"wrote {POINTS_PATH}")


def register(app: typer.Typer) -> None:
    scorecard = typer.Typer(help="The application scorecard.", no_args_is_help=True)
    scorecard.command("train")(train)
    app.add_typer(scorecard, name="scorecard")
