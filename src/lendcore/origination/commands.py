"""CLI: ``lendcore apply``, ``lendcore scorecard train``, ``lendcore limits reevaluate``.

    lendcore apply --template > application.json
    lendcore upgrade   # (or any command that migrates) then:
    lendcore apply --file application.json --json
    lendcore scorecard train
    lendcore limits reevaluate --date 2025-07-01

The database is ``LENDCORE_DATABASE_URL`` (default SQLite ``lendcore.db``); ``apply`` and
``limits reevaluate`` bring the schema up to date first (idempotent).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from sqlalchemy import Engine

from lendcore.calendar import parse_date
from lendcore.errors import InvalidInput

scorecard_app = typer.Typer(help="The application scorecard.", no_args_is_help=True)
limits_app = typer.Typer(help="Credit-line limits.", no_args_is_help=True)


def _engine() -> Engine:
    from lendcore.store.db import make_engine, upgrade

    engine = make_engine()
    upgrade(engine)
    return engine


def apply(
    file: Path | None = typer.Option(None, "--file", help="the application JSON file"),
    template: bool = typer.Option(False, "--template", help="print a complete good applicant"),
    as_json: bool = typer.Option(False, "--json", help="print the decision as JSON"),
) -> None:
    """Decide one credit application (or print a template application)."""
    from lendcore.origination.schemas import parse_application
    from lendcore.origination.schemas import template as make_template

    if template:
        typer.echo(json.dumps(make_template(), indent=2, ensure_ascii=False))
        return
    if file is None:
        raise InvalidInput("give --file application.json (or --template)", field="file")
    try:
        payload = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read {file}: {exc}", field="file") from None
    application = parse_application(payload)
    from lendcore.origination.service import decide_application
    from lendcore.store.uow import UnitOfWork

    with UnitOfWork(_engine()) as uow:
        decided = decide_application(uow, application)
        uow.commit()
    body = decided.decision.as_dict()
    if as_json:
        typer.echo(json.dumps(body, ensure_ascii=False))
        return
    typer.echo(f"decision {decided.decision_id}: {body['decision']}  score {body['score']}  "
               f"limit {body['limit']}  daily rate {body['daily_rate']}  "
               f"annual rate {body['annual_rate']}  reapply after {body['reapply_after']}")
    for reason in decided.decision.reasons:
        typer.echo(f"  {reason.code}: {reason.detail}")


@scorecard_app.command("train")
def train(no_cv: bool = typer.Option(
        False, "--no-cv", help="skip the 5-fold CV of both pipelines (the search still runs)"),
) -> None:
    """Fit the scorecard on German Credit, write scorecard_points.json, print the metrics."""
    try:
        from lendcore.origination import training
    except ImportError as exc:  # pragma: no cover
        raise InvalidInput(f"training needs the 'train' extra ({exc})", field=None) from None
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
    typer.echo(f"wrote {training.DATA_PATH.parent.parent / 'scorecard_points.json'}")


@limits_app.command("reevaluate")
def reevaluate(date_: str = typer.Option(..., "--date", help="business date YYYY-MM-DD")) -> None:
    """Raise, freeze, cut or unfreeze cash-line limits on the repayment record."""
    from lendcore.origination.limits_job import run
    from lendcore.store.uow import UnitOfWork

    on = parse_date(date_, "date")
    with UnitOfWork(_engine()) as uow:
        changes = run(uow, on)
        uow.commit()
    for c in changes:
        typer.echo(f"line {c['credit_line_id']}: {c['action']} {c['old_limit_fen']} -> "
                   f"{c['new_limit_fen']} fen  {c['reasons_json']}")
    typer.echo(f"{len(changes)} change(s) on {on}")


def register(app: typer.Typer) -> None:
    app.command("apply")(apply)
    app.add_typer(scorecard_app, name="scorecard")
    app.add_typer(limits_app, name="limits")
