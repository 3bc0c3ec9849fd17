"""The ``lendcore`` command: the root that mounts the composition's command groups.

The groups come from :func:`lendcore.wiring.cli_groups` (each area's ``register(app)``, then the
tools' groups declared by the ``lendcore-tools`` distribution); a group that fails to load stops
the start with one line naming it, exit 2. ``serve`` lives here, on top: it starts the web app,
which itself stands on the composition. Errors are mapped here, once: a :class:`LendcoreError`
prints one line ``error: <field>: <detail>`` on stderr and exits 2; no traceback ever reaches a
user.
"""

from __future__ import annotations

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


def serve_cmd(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8000),
              workers: int = typer.Option(1, min=1, help="server processes (one per core)"),
              log_level: str = typer.Option("info", help="uvicorn's log level"),
              access_log: bool = typer.Option(True, help="log every request")) -> None:
    """Run the REST API (OpenAPI at /openapi.json, docs at /docs)."""
    from lendcore.api.server import serve
    from lendcore.cli_support import clock, engine

    clock()  # a refused LENDCORE_CLOCK stops here, before any worker starts
    engine().dispose()  # migrate and set the business date once, before any worker starts
    serve(host, port, workers=workers, log_level=log_level, access_log=access_log)


def _mount() -> None:
    from lendcore.wiring import WiringError, cli_groups

    try:
        groups = cli_groups()
    except WiringError as exc:
        typer.echo(f"error: {' '.join(str(exc).split())}", err=True)
        sys.exit(2)
    for register in groups:
        register(app)
    app.command("serve")(serve_cmd)


def main(argv: list[str] | None = None) -> None:
    from lendcore.wiring import WiringError

    _mount()
    try:
        app(args=argv, standalone_mode=True)
    except LendcoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except WiringError as exc:
        typer.echo(f"error: {' '.join(str(exc).split())}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
