"""The composition: every router, CLI command group and nightly step, as imported objects.

This is the one place that knows the whole house. Each function imports what it lists with a
plain ``import`` statement (no dotted strings, nothing skipped on ``ImportError``): a module that
is missing or broken fails the process at start-up with its own error, never silently. The lists
are built on demand so that a CLI command does not pay for importing the web stack.

- :func:`routers`: the API's routers, mounted by ``api.app.create_app`` in this order.
- :func:`cli_groups`: ``register(app)`` of each area's CLI module, then the tools' groups
  (``lendcore-tools``: demo, portfolio generator, scorecard training) when that distribution is
  installed, through its declared ``lendcore.cli`` entry point.
- :func:`night_steps`: what the nightly run does after the core closes a day, in order, each
  called per partition as ``step.run(uow, day_opened, lo_id, hi_id)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

    from lendcore.eod.steps import NightStep

TOOLS_ENTRY_POINT_GROUP = "lendcore.cli"


class WiringError(RuntimeError):
    """A declared part of the house could not be loaded."""


def routers() -> Sequence[APIRouter]:
    from lendcore.access import routes as access_routes
    from lendcore.collections import early_routes as collections_early_routes
    from lendcore.collections import routes as collections_routes
    from lendcore.customers import consent_routes
    from lendcore.customers import routes as customers_routes
    from lendcore.documents import routes as documents_routes
    from lendcore.ledger import routes as ledger_routes
    from lendcore.merchants import routes as merchants_routes
    from lendcore.origination import routes as origination_routes
    from lendcore.servicing import routes as servicing_routes
    from lendcore.system import routes as system_routes

    return (system_routes.router, access_routes.router, origination_routes.router,
            customers_routes.router, consent_routes.router, servicing_routes.router,
            documents_routes.router,
            ledger_routes.router, collections_routes.router,
            collections_early_routes.router, merchants_routes.router)


def cli_groups() -> Sequence[Callable[[typer.Typer], None]]:
    from lendcore.access import commands as access_cli
    from lendcore.audit import commands as audit_cli
    from lendcore.collections import commands as collections_cli
    from lendcore.customers import commands as customers_cli
    from lendcore.customers import consent_commands as consent_cli
    from lendcore.customers import store as customers_store
    from lendcore.documents import commands as documents_cli
    from lendcore.eod import commands as eod_cli
    from lendcore.ledger import commands as ledger_cli
    from lendcore.merchants import commands as merchants_cli
    from lendcore.origination import commands as origination_cli
    from lendcore.origination import sealed as origination_sealed
    from lendcore.pii import commands as pii_cli
    from lendcore.products import commands as products_cli
    from lendcore.schedules import commands as schedules_cli
    from lendcore.servicing import commands as servicing_cli
    from lendcore.system import commands as system_cli

    return (system_cli.register, origination_cli.register, customers_cli.register,
            consent_cli.register,
            servicing_cli.register, documents_cli.register,  # after servicing's `loan` group
            merchants_cli.register, ledger_cli.register,
            schedules_cli.register,
            products_cli.register,
            lambda app: eod_cli.register(app, lambda: night_steps()),
            collections_cli.register, audit_cli.register,
            lambda app: pii_cli.register(
                app, lambda: (customers_store.SEALED, origination_sealed.SEALED)),
            access_cli.register,  # after keys: it adds the API-key commands to that group
            *tool_groups())


def tool_groups() -> list[Callable[[typer.Typer], None]]:
    """The tools' CLI groups, declared by the ``lendcore-tools`` distribution (if installed).

    A declared entry point that fails to load stops the CLI with its name: a broken tools
    install is never silently a smaller CLI."""
    found: list[Callable[[typer.Typer], None]] = []
    seen: set[tuple[str, str]] = set()
    for ep in sorted(entry_points(group=TOOLS_ENTRY_POINT_GROUP), key=lambda e: e.name):
        if (ep.name, ep.value) in seen:  # the same distribution found twice on sys.path
            continue
        seen.add((ep.name, ep.value))
        try:
            register: Any = ep.load()
        except Exception as exc:
            raise WiringError(f"the CLI plugin {ep.name!r} ({ep.value}) failed to load: "
                              f"{type(exc).__name__}: {exc}") from exc
        if not callable(register):
            raise WiringError(f"the CLI plugin {ep.name!r} ({ep.value}) is not callable")
        found.append(register)
    return found


def night_steps() -> Sequence[NightStep]:
    try:
        from lendcore.collections.service import sync_cases
        from lendcore.eod.steps import NightStep
        from lendcore.origination.limits_job import run as review_limits
    except ImportError as exc:  # a broken install: say which part, before any day is closed
        raise WiringError(f"a night step failed to load: {exc}") from exc
    return (NightStep("collections case sync", sync_cases),
            NightStep("limit review", review_limits))
