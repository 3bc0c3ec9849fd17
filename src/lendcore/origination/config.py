"""Origination settings (entry points only; the domain gets values).

The ID-number hash is the blind index of ``pii.index``: its key is the key ring's index key
(``LENDCORE_KEYRING``'s ``index_key``, or the older ``LENDCORE_ID_HASH_KEY``). Production sets
it once and never changes it, or re-applications are no longer found; the development default
is refused outside development mode (``pii.keyring``).
"""

from __future__ import annotations

from lendcore.pii import keyring
from lendcore.pii.keyring import DEV_ID_HASH_KEY

__all__ = ["DEV_ID_HASH_KEY", "id_hash_key"]


def id_hash_key() -> bytes:
    return keyring.current().index_key
