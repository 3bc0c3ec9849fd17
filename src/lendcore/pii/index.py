"""The blind index: a keyed hash (HMAC-SHA256 with the ring's index key) that finds a person
by an exact value without storing it.

``blind_index("110101199003070011", "id_number")`` is the hex digest of the normalised value
(an ID number upper-cased and stripped, a mobile stripped); ID numbers (18 characters) and
mobiles (11 digits) never share a normalised form. Enumerating the ~10^10 plausible ID numbers
reverses an unkeyed hash in hours; without the index key it cannot be done. The ID-number index
is the ``id_number_hash`` of ``customers`` and ``decisions`` (books made before the key ring
keep theirs: the same HMAC with ``LENDCORE_ID_HASH_KEY``); the mobile's is
``customers.mobile_index``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from lendcore.pii.keyring import KeyRing, current

KINDS = ("id_number", "mobile")


def normalise_id_number(raw: str) -> str:
    return raw.strip().upper()


def normalise_mobile(raw: str) -> str:
    return raw.strip()


_NORMALISE: dict[str, Callable[[str], str]] = {
    "id_number": normalise_id_number, "mobile": normalise_mobile}


def keyed_hash(value: str, key: bytes) -> str:
    """HMAC-SHA256 of ``value`` (already normalised) with ``key``, hex."""
    return hmac.digest(key, value.encode("utf-8"), "sha256").hex()


def blind_index(value: str, kind: str, ring: KeyRing | None = None) -> str:
    """The index of an exact value of ``kind`` (``id_number`` or ``mobile``)."""
    try:
        normalise = _NORMALISE[kind]
    except KeyError:
        raise ValueError(f"unknown blind-index kind {kind!r}; one of {KINDS}") from None
    return keyed_hash(normalise(value), (ring or current()).index_key)
