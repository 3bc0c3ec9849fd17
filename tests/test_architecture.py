"""The import rules of docs/architecture.md, checked by import-linter (``.importlinter``).

Each contract is a separate assertion so a failure names the rule: the product does not import
the tools, the entry points stay on top, no package cycles, the domain imports no
infrastructure. ``test_a_broken_rule_is_reported`` proves the check can fail.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).parent / "lint-imports"


def _lint(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT), "--config", str(config), "--no-cache"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_the_house_keeps_every_import_contract() -> None:
    result = _lint(ROOT / ".importlinter")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout
    assert result.stdout.count("KEPT") == 4


def test_a_broken_rule_is_reported(tmp_path: Path) -> None:
    config = tmp_path / "contracts.ini"
    config.write_text(textwrap.dedent("""
        [importlinter]
        root_packages =
            lendcore
        include_external_packages = True

        [importlinter:contract:servicing-without-sqlalchemy]
        name = Servicing imports no SQLAlchemy (false: its repository does)
        type = forbidden
        source_modules =
            lendcore.servicing
        forbidden_modules =
            sqlalchemy
        """))
    result = _lint(config)
    assert result.returncode != 0 and "BROKEN" in result.stdout
