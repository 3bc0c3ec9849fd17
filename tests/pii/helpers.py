"""Key ring files for the personal-data tests."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from lendcore.pii import keyring


def key(n: int) -> str:
    """A fixed 32-byte key, base64 (tests need rings they can write twice)."""
    return base64.b64encode(bytes([n]) * 32).decode()


def write_ring(path: Path, active: str, keys: dict[str, int], index: int | None = 99,
               **extra: Any) -> Path:
    document: dict[str, Any] = {"active": active, "keys": {k: key(n) for k, n in keys.items()},
                                **extra}
    if index is not None:
        document["index_key"] = key(index)
    path.write_text(json.dumps(document))
    return path


def use_ring(monkeypatch: pytest.MonkeyPatch, path: Path) -> keyring.KeyRing:
    monkeypatch.setenv("LENDCORE_KEYRING", str(path))
    keyring.reload()
    return keyring.current()
