"""Sealing: AES-256-GCM for one value of one column, carrying the id of the key that sealed it.

A sealed value is text, ``v1.<key id>.<nonce>.<ciphertext>`` (nonce and ciphertext in unpadded
URL-safe base64; the ciphertext ends with GCM's 16-byte tag)::

    v1.2026-03.q3J8mW0bW1oT7C2f.1G8Yb2fJ0...

- The key id says which key of the ring opens it, so keys can be rotated value by value
  (``lendcore keys rotate``) and a value never depends on a key it does not name.
- The associated data is ``v1|<column>|<key id>``, where ``column`` is the value's
  ``table.column`` (``customers.id_number_sealed``): a value copied into another column (a
  mobile into the ID-number column, a decision's copy into the customer's) does not open, nor
  does a value whose key id was edited.
- The nonce is 12 random bytes per value (safe for about 2^32 values per key: rotate long before).
  A synthetic book (``lendcore portfolio generate``) must be the same book for the same seed, so
  :func:`seal_reproducibly` derives the nonce from the value instead (HMAC-SHA256 under a key
  derived from the sealing key, the SIV construction): the same format, opened the same way,
  but equal values of one column seal alike, as their blind index already shows.

Opening (:func:`unseal`) is for the audited read path only; displays use the masks
(``pii.masking``), look-ups the blind index (``pii.index``).
"""

from __future__ import annotations

import base64
import functools
import hmac
import os
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lendcore.errors import LendcoreError
from lendcore.pii.keyring import KeyRing, current

VERSION = "v1"
NONCE_BYTES = 12


class SealError(LendcoreError):
    """A stored sealed value does not open: not a sealed value, another column's, or altered."""

    code = "sealed_value"
    http_status = 500


@functools.lru_cache(maxsize=64)
def _cipher(key: bytes) -> AESGCM:
    return AESGCM(key)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _aad(column: str, key_id: str) -> bytes:
    return f"{VERSION}|{column}|{key_id}".encode()


def prefix(key_id: str) -> str:
    """What every value sealed with ``key_id`` starts with (``v1.<key id>.``)."""
    return f"{VERSION}.{key_id}."


def seal(plain: str, column: str, ring: KeyRing | None = None) -> str:
    """``plain`` sealed for ``column`` (``table.column``) with the ring's active key."""
    ring = ring or current()
    return _seal(plain, column, ring.active, ring.active_key, os.urandom(NONCE_BYTES))


def seal_many(plains: Iterable[str], column: str, ring: KeyRing | None = None) -> list[str]:
    """Many values of one column (bulk loads): the same sealing, one random read for the
    nonces."""
    values = list(plains)
    ring = ring or current()
    key_id, key = ring.active, ring.active_key
    nonces = os.urandom(NONCE_BYTES * len(values))
    return [_seal(v, column, key_id, key, nonces[i * NONCE_BYTES:(i + 1) * NONCE_BYTES])
            for i, v in enumerate(values)]


def seal_reproducibly(plains: Iterable[str], column: str, ring: KeyRing | None = None
                      ) -> list[str]:
    """Many values of one column, each nonce derived from the value (see the module's
    docstring): for synthetic books, whose bytes must not depend on the run."""
    ring = ring or current()
    key_id, key = ring.active, ring.active_key
    nonce_key, aad = _nonce_key(key), _aad(column, key_id)
    return [_seal(v, column, key_id, key,
                  hmac.digest(nonce_key, aad + b"\x00" + v.encode("utf-8"),
                              "sha256")[:NONCE_BYTES])
            for v in plains]


@functools.lru_cache(maxsize=64)
def _nonce_key(key: bytes) -> bytes:
    return hmac.digest(key, b"lendcore v1 synthetic nonce", "sha256")


def _seal(plain: str, column: str, key_id: str, key: bytes, nonce: bytes) -> str:
    sealed = _cipher(key).encrypt(nonce, plain.encode("utf-8"), _aad(column, key_id))
    return f"{VERSION}.{key_id}.{_b64(nonce)}.{_b64(sealed)}"


def key_id_of(value: str) -> str:
    """The id of the key that sealed ``value``."""
    return _parts(value)[0]


def _parts(value: str) -> tuple[str, bytes, bytes]:
    pieces = value.split(".")
    if len(pieces) != 4 or pieces[0] != VERSION or not pieces[1]:
        raise SealError("not a sealed value (v1.<key id>.<nonce>.<ciphertext>)")
    try:
        nonce, sealed = _unb64(pieces[2]), _unb64(pieces[3])
    except ValueError:
        raise SealError("a sealed value's nonce or ciphertext is not base64") from None
    if len(nonce) != NONCE_BYTES:
        raise SealError("a sealed value's nonce is not 12 bytes")
    return pieces[1], nonce, sealed


def unseal(value: str, column: str, ring: KeyRing | None = None) -> str:
    """The plain text of a value sealed for ``column``. Refused (SealError) when it was sealed
    for another column or altered; a key the ring lacks is a ConfigurationError naming it.

    Every call is an unmasked read: the audited read path (later) is its only caller outside
    key rotation."""
    ring = ring or current()
    key_id, nonce, sealed = _parts(value)
    try:
        plain = _cipher(ring.key(key_id)).decrypt(nonce, sealed, _aad(column, key_id))
    except InvalidTag:
        raise SealError(f"a value of {column} does not open: sealed for another column, or "
                        "altered") from None
    return plain.decode("utf-8")


def reseal(value: str, column: str, ring: KeyRing | None = None) -> str | None:
    """``value`` sealed again with the active key, or None when it already is."""
    ring = ring or current()
    if value.startswith(prefix(ring.active)):
        return None
    return seal(unseal(value, column, ring), column, ring)
