"""The ``lendcore`` command: a thin root that mounts each area's commands.

Each area keeps its commands in its own module (``<area>/commands.py``) exposing ``register(app)``;
this root only lists them. Errors are mapped here, once: a :class:`LendcoreError` prints one line
``error: <field>: <detail>`` on stderr and exits 2; no traceback ever reaches a user.
"""

from __future__ import annotations

import importlib
import sys

import typer

from lendcore.errors import LendcoreError

app = typer.Typer(
    name="lendcore",
    help="Consumer-credit core: quotes, loans, ledger, end of day, decisions, collections.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Modules exposing register(app: typer.Typer) -> None. Add one line per area.
COMMAND_MODULES: list[str] = [
    "lendcore.origination.commands",
    "lendcore.ledger.commands",
    "lendcore.schedules.commands",
    "lendcore.eod.commands",
    "lendcore.portfolio.commands",
    "lendcore.servicing.commands",
    "lendcore.collections.commands",
    "lendcore.demo.commands",
]


def _mount() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)


def main(argv: list[str] | None = None) -> None:
    _mount()
    try:
        app(args=argv, standalone_mode=True)
    except LendcoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
