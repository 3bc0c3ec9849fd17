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
from typing import Any

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
    guard_commands(app)


def guard_commands(root: typer.Typer) -> None:
    """Every CLI command checks the local operator's permission (``access.policy.CLI``) before
    it runs; a command missing from that table refuses to run at all."""
    import functools

    from lendcore.access.policy import CLI
    from lendcore.cli_support import require

    def wrap(path: str, callback: Any) -> Any:
        permission = CLI.get(path, "(undeclared)")

        @functools.wraps(callback)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if permission is not None:
                require(permission, path)
            return callback(*args, **kwargs)

        return guarded

    for path, info in command_infos(root):
        info.callback = wrap(path, info.callback)


def command_infos(root: typer.Typer, prefix: str = "") -> list[tuple[str, Any]]:
    """Every leaf command of ``root`` with its path (``line set-limit``)."""
    from typer.main import get_command_name

    found: list[tuple[str, Any]] = []
    for info in root.registered_commands:
        name = info.name or get_command_name(info.callback.__name__)  # type: ignore[union-attr]
        found.append((f"{prefix}{name}", info))
    for group in root.registered_groups:
        sub = group.typer_instance
        assert sub is not None
        group_name = group.name or sub.info.name
        found += command_infos(sub, f"{prefix}{group_name} ")
    return found


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
