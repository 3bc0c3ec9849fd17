"""Every CLI command has its line in ``access.policy.CLI``, and every line names a command.

A command missing from the table refuses to run for everyone (``cli.guard_commands``), which is
safe but a bug: ``lendcore pending show`` shipped that way. A line naming no command is a
permission nobody can exercise through the CLI.
"""

from __future__ import annotations

import typer

from lendcore.access.policy import CLI, PERMISSIONS
from lendcore.cli import command_infos
from lendcore.wiring import cli_groups


def _paths() -> set[str]:
    root = typer.Typer()
    for register in cli_groups():
        register(root)
    return {path for path, _ in command_infos(root)} | {"serve"}


def test_every_cli_command_declares_its_permission_and_every_declaration_a_command() -> None:
    paths = _paths()
    assert sorted(paths - set(CLI)) == []  # commands that would refuse to run for anyone
    assert sorted(set(CLI) - paths) == []  # declarations of commands that do not exist
    for path, permission in CLI.items():
        assert permission is None or permission in PERMISSIONS, (path, permission)
