"""The product apart from its tools: no module of ``lendcore`` imports ``lendcore_tools``.

The demo, the book generator and scorecard training are the ``lendcore-tools`` distribution;
they reach the ``lendcore`` CLI only through its ``lendcore.cli`` entry point.
"""

from __future__ import annotations

import ast
from pathlib import Path

PRODUCT = Path(__file__).resolve().parents[1] / "src" / "lendcore"
TOOLS = "lendcore_tools"


def _dynamic_import(node: ast.Call) -> str | None:
    """The module of ``importlib.import_module("...")`` / ``__import__("...")``, if literal."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in ("import_module", "__import__") or not node.args:
        return None
    first = node.args[0]
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and (module := _dynamic_import(node)) is not None:
            found.append((node.lineno, module))
    return found


def test_the_product_package_is_where_we_look() -> None:
    assert (PRODUCT / "cli.py").is_file()
    assert not (PRODUCT / "demo").exists() and not (PRODUCT / "portfolio").exists()
    assert not (PRODUCT / "origination" / "training.py").exists()


def test_no_product_module_imports_the_tools() -> None:
    offenders = []
    modules = sorted(PRODUCT.rglob("*.py"))
    assert len(modules) > 50
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name in _imports(tree):
            if name == TOOLS or name.startswith(TOOLS + "."):
                offenders.append(f"{path.relative_to(PRODUCT.parent)}:{line} imports {name}")
    assert offenders == []
