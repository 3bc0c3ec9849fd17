"""Explicit wiring (lendcore/wiring.py): every part is an imported object; a broken one stops the
start with its name instead of being skipped."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest
from fastapi import APIRouter

from lendcore import cli, wiring
from lendcore.eod.steps import NightStep


def test_the_composition_lists_imported_objects() -> None:
    assert all(isinstance(r, APIRouter) for r in wiring.routers())
    assert all(callable(g) for g in wiring.cli_groups())
    steps = wiring.night_steps()
    assert [s.name for s in steps] == ["collections case sync", "limit review"]
    assert all(isinstance(s, NightStep) and callable(s.run) for s in steps)


def test_the_tools_are_mounted_through_their_declared_entry_point() -> None:
    names = {ep.name for ep in wiring.entry_points(group=wiring.TOOLS_ENTRY_POINT_GROUP)}
    assert "tools" in names


def test_a_declared_plugin_that_fails_to_load_stops_the_start(monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str],
                                                              ) -> None:
    broken = EntryPoint(name="typo", value="lendcore_tools.no_such_module:register",
                        group=wiring.TOOLS_ENTRY_POINT_GROUP)
    monkeypatch.setattr(wiring, "entry_points", lambda group: [broken])
    with pytest.raises(wiring.WiringError, match="typo"):
        wiring.tool_groups()
    with pytest.raises(SystemExit) as stop:
        cli.main(["--help"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "typo" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_night_step_that_fails_to_import_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def refuse(name, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name == "lendcore.origination.limits_job":
            raise ImportError("no module named 'lendcore.origination.limits_job'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse)
    with pytest.raises(wiring.WiringError, match="night step"):
        wiring.night_steps()
