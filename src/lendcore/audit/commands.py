"""CLI: ``lendcore audit verify [--json] [--anchor SEQ:HASH]`` and ``lendcore audit show``.

``verify`` recomputes the whole chain: exit 0 with the number of records when it holds, exit 1
naming the first record edited, deleted or reordered when it does not. ``show`` prints the last
records, oldest first. Both only read. (The engine is made here, not through ``cli_support``:
the runner appends through this package, so this package stays below the runner.)
"""

from __future__ import annotations

import json
import re
from typing import Any

import typer
from sqlalchemy import Engine

from lendcore.audit.log import last, verify
from lendcore.errors import InvalidInput

audit_app = typer.Typer(help="The audit trail: verify its hash chain, show the last records.",
                        no_args_is_help=True)
_ANCHOR = re.compile(r"([1-9][0-9]{0,18}):([0-9a-f]{64})")


def _engine() -> Engine:
    from lendcore.store.db import make_engine, upgrade

    eng = make_engine()
    upgrade(eng)
    return eng


def _echo(payload: Any) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))


def _anchor(value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    match = _ANCHOR.fullmatch(value)
    if match is None:
        raise InvalidInput("must be SEQ:HASH (a record's number and its 64-character hash, as "
                           "`lendcore audit verify` printed them)", field="--anchor")
    return int(match.group(1)), match.group(2)


@audit_app.command("verify")
def verify_cmd(
    as_json: bool = typer.Option(False, "--json", help="print the verdict as JSON"),
    anchor: str = typer.Option(None, "--anchor", metavar="SEQ:HASH",
                               help="a head noted earlier (kept outside the database): also "
                                    "catches deleted last records and a rewritten chain"),
) -> None:
    """Recompute the hash chain; exit 1 naming the first record edited, deleted or reordered."""
    expected = _anchor(anchor)
    eng = _engine()
    try:
        verdict = verify(eng, anchor=expected)
    finally:
        eng.dispose()
    if as_json:
        _echo(verdict.as_dict())
    elif verdict.broken is None:
        head = verdict.head
        typer.echo(f"audit log intact: {verdict.records} records"
                   + ("" if head is None else f"; head {head.seq}:{head.hash}"))
    else:
        b = verdict.broken
        typer.echo(f"audit log BROKEN at record {b.seq} ({b.problem}): {b.detail}; "
                   f"records 1 to {verdict.records} hold")
    if verdict.broken is not None:
        raise typer.Exit(1)


@audit_app.command("show")
def show_cmd(last_n: int = typer.Option(20, "--last", min=1, max=10_000,
                                        help="how many records, the newest last")) -> None:
    """The last records of the audit trail (JSON), oldest first."""
    eng = _engine()
    try:
        records = last(eng, last_n)
    finally:
        eng.dispose()
    _echo([r.as_dict() for r in records])


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
