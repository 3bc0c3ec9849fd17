"""The production password hasher is argon2id at RFC 9106's low-memory profile (the test suite
swaps in a cheap one, ``tests/conftest.py``; this checks what ships)."""

from __future__ import annotations

import importlib

from argon2 import Type, extract_parameters


def test_the_shipped_hasher_is_argon2id_at_the_rfc_9106_low_memory_profile() -> None:
    from lendcore.access import passwords

    shipped = importlib.reload(passwords)._HASHER  # the module's own, not the tests' stand-in
    params = extract_parameters(shipped.hash("a-password-of-12+"))
    assert (params.type, params.time_cost, params.memory_cost, params.parallelism) == (
        Type.ID, 3, 65536, 4)
