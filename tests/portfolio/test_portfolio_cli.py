"""``lendcore portfolio generate`` through the installed command: a second run on a database that
already holds a book is refused with one line on stderr and exit 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-c", "from lendcore.cli import main; main()"]


def _generate(url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LENDCORE_DATABASE_URL": url}
    return subprocess.run([*CLI, "portfolio", "generate", "--loans", "50", "--workers", "1"],
                          capture_output=True, text=True, env=env, timeout=300)


def test_a_second_generate_on_a_book_is_one_line_and_exit_2(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/book.db"
    first = _generate(url)
    assert first.returncode == 0, first.stderr
    assert "generated from" in first.stdout
    second = _generate(url)
    assert second.returncode == 2, second.stderr
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1, second.stderr
    assert lines[0].startswith("error: ") and "already holds" in lines[0]
    assert "Traceback" not in second.stderr + second.stdout
