"""Origination settings read from the environment (entry points only; the domain gets values).

``LENDCORE_ID_HASH_KEY``: the secret key of the keyed ID-number hash (HMAC-SHA256). Production
must set it (from the key store) and never change it, or re-applications are no longer found;
the default is a development key and says so.
"""

from __future__ import annotations

import os

DEV_ID_HASH_KEY = "lendcore-development-only-id-hash-key"


def id_hash_key() -> bytes:
    return os.environ.get("LENDCORE_ID_HASH_KEY", DEV_ID_HASH_KEY).encode()
