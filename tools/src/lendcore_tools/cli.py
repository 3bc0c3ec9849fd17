"""The tools' commands, mounted on the ``lendcore`` CLI by its ``lendcore.cli`` entry point."""

from __future__ import annotations

import typer

from lendcore_tools import training_commands
from lendcore_tools.demo import commands as demo_commands
from lendcore_tools.portfolio import commands as portfolio_commands


def register(app: typer.Typer) -> None:
    """Add ``demo``, ``portfolio generate`` and ``scorecard train`` to the product's app."""
    demo_commands.register(app)
    portfolio_commands.register(app)
    training_commands.register(app)
