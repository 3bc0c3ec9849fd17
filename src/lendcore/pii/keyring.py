"""The key ring: the sealing keys and the blind-index key, kept outside the database.

``LENDCORE_KEYRING`` names a JSON file (readable by the server's user only)::

    {"active": "2026-03",
     "keys": {"2026-01": "<32 bytes, base64>", "2026-03": "<32 bytes, base64>"},
     "index_key": "<32 bytes, base64>"}

- ``keys``: every sealing key a stored value may name (AES-256-GCM, 256-bit keys). A key id is
  1 to 32 characters of ``A-Z a-z 0-9 -`` (it is written into every value it seals).
- ``active``: the key new values are sealed with; ``lendcore keys rotate`` moves every stored
  value to it. A retired key stays in the ring until ``lendcore keys status`` shows that no
  value uses it (``lendcore keys remove`` refuses before).
- ``index_key``: the key of the blind index (HMAC-SHA256) that finds a customer by ID number or
  mobile (``customers.id_number_hash``, ``decisions.id_number_hash``, ``customers.mobile_index``).
  It cannot be rotated by re-sealing (a decline keeps only the index, never the number), so it
  never changes. Without it in the ring, ``LENDCORE_ID_HASH_KEY`` (the older setting, raw text)
  is the index key; both set and different is refused.

In development mode (``LENDCORE_MODE=development``) without ``LENDCORE_KEYRING`` a fixed
development key ring is used (key id ``dev``) and, without an index key, the development ID-hash
key. Outside development mode both are refused, naming which: :func:`current` raises
:class:`~lendcore.errors.ConfigurationError` (the CLI prints it as one line), and
:func:`require_keys` is the check an entry point makes before it starts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lendcore import config
from lendcore.errors import ConfigurationError, InvalidInput

KEY_BYTES = 32  # 256-bit keys
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9-]{1,32}$")

DEV_KEY_ID = "dev"
# Fixed and public: anything sealed with it is readable by anyone with this source.
DEV_SEALING_KEY = hashlib.sha256(b"lendcore-development-only-sealing-key").digest()
# ``LENDCORE_ID_HASH_KEY``'s default: the blind-index key of development books (and of books
# made before the key ring; their id_number_hash values stay valid under it).
DEV_ID_HASH_KEY = "lendcore-development-only-id-hash-key"
DEVELOPMENT = "development"


@dataclass(frozen=True, slots=True)
class KeyRing:
    """Sealing keys by id, the active one, and the blind-index key.

    ``source`` is the key ring file, or ``"development"``; ``index_source`` says where the index
    key came from: ``"keyring"``, ``"LENDCORE_ID_HASH_KEY"`` or ``"development"``."""

    keys: Mapping[str, bytes]
    active: str
    index_key: bytes
    source: str = DEVELOPMENT
    index_source: str = DEVELOPMENT
    # The signing key of lendcore's own tokens (``access.tokens``; HMAC-SHA256); None: the
    # development token key, which only development mode accepts.
    token_key: bytes | None = None
    _refused: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def key(self, key_id: str) -> bytes:
        found = self.keys.get(key_id)
        if found is None:
            raise ConfigurationError(
                f"the key ring ({self.source}) has no key {key_id!r}: a value sealed with it "
                "cannot be opened (a key may leave the ring only when `lendcore keys status` "
                "shows no value using it)", field="LENDCORE_KEYRING")
        return found

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active]

    def development_parts(self) -> list[str]:
        """What of this ring is for development only (refused outside development mode)."""
        parts = []
        if self.source == DEVELOPMENT:
            parts.append("the development keyring (LENDCORE_KEYRING is not set)")
        elif any(k == DEV_SEALING_KEY for k in self.keys.values()):
            parts.append(f"the development sealing key (in {self.source})")
        if self.index_key == DEV_ID_HASH_KEY.encode():
            parts.append("the development ID-hash key (LENDCORE_ID_HASH_KEY's default; put an "
                         "index_key in the key ring)")
        return parts


def _decode_key(text: object, what: str, source: str) -> bytes:
    if not isinstance(text, str):
        raise ConfigurationError(f"{what} in {source} must be base64 text",
                                 field="LENDCORE_KEYRING")
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(f"{what} in {source} is not base64",
                                 field="LENDCORE_KEYRING") from None
    if len(raw) != KEY_BYTES:
        raise ConfigurationError(f"{what} in {source} must be {KEY_BYTES} bytes (256 bits), "
                                 f"not {len(raw)}", field="LENDCORE_KEYRING")
    return raw


def parse_keyring(document: Any, source: str, id_hash_key: str | None = None) -> KeyRing:
    """A key ring from its JSON document (already decoded); ``id_hash_key`` is
    ``LENDCORE_ID_HASH_KEY`` (the index key when the ring has none)."""
    if not isinstance(document, dict):
        raise ConfigurationError(f"{source} must hold a JSON object", field="LENDCORE_KEYRING")
    unknown = sorted(set(document) - {"active", "keys", "index_key", "token_key"})
    if unknown:
        raise ConfigurationError(f"{source}: unknown field {unknown[0]!r} (accepted: active, "
                                 "keys, index_key, token_key)", field="LENDCORE_KEYRING")
    raw_keys = document.get("keys")
    if not isinstance(raw_keys, dict) or not raw_keys:
        raise ConfigurationError(f"{source} must name at least one key under \"keys\"",
                                 field="LENDCORE_KEYRING")
    keys: dict[str, bytes] = {}
    for key_id, text in raw_keys.items():
        if not KEY_ID_PATTERN.match(key_id):
            raise ConfigurationError(f"{source}: key id {key_id!r} must be 1 to 32 characters "
                                     "of A-Z a-z 0-9 -", field="LENDCORE_KEYRING")
        keys[key_id] = _decode_key(text, f"key {key_id!r}", source)
    active = document.get("active")
    if not isinstance(active, str) or active not in keys:
        raise ConfigurationError(f"{source}: \"active\" must name one of its keys "
                                 f"({', '.join(sorted(keys))})", field="LENDCORE_KEYRING")
    if "index_key" in document:
        index_key = _decode_key(document["index_key"], "index_key", source)
        if id_hash_key is not None and id_hash_key.encode() != index_key:
            raise ConfigurationError(
                f"two blind-index keys: {source} has an index_key and LENDCORE_ID_HASH_KEY is "
                "set to another; keep one", field="LENDCORE_ID_HASH_KEY")
        index_source = "keyring"
    elif id_hash_key is not None:
        index_key, index_source = id_hash_key.encode(), "LENDCORE_ID_HASH_KEY"
    else:
        index_key, index_source = DEV_ID_HASH_KEY.encode(), DEVELOPMENT
    token_key = (_decode_key(document["token_key"], "token_key", source)
                 if "token_key" in document else None)
    return KeyRing(keys, active, index_key, source, index_source, token_key)


def load_keyring(path: str | Path, id_hash_key: str | None = None) -> KeyRing:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"the key ring {path} cannot be read ({exc.strerror})",
                                 field="LENDCORE_KEYRING") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"the key ring {path} is not JSON ({exc.msg}, line "
                                 f"{exc.lineno})", field="LENDCORE_KEYRING") from None
    return parse_keyring(document, str(path), id_hash_key)


def development_keyring(id_hash_key: str | None = None) -> KeyRing:
    index_key = (id_hash_key or DEV_ID_HASH_KEY).encode()
    return KeyRing({DEV_KEY_ID: DEV_SEALING_KEY}, DEV_KEY_ID, index_key, DEVELOPMENT,
                   DEVELOPMENT if id_hash_key is None else "LENDCORE_ID_HASH_KEY")


def from_environment() -> KeyRing:
    """The ring the environment names (no development-mode check; see :func:`current`)."""
    path, id_hash_key = config.keyring_path(), config.id_hash_key_setting()
    if path is None:
        return development_keyring(id_hash_key)
    return load_keyring(path, id_hash_key)


_CACHE: dict[tuple[str | None, str | None, bool], KeyRing] = {}


def current() -> KeyRing:
    """The configured ring, read once per configuration. Outside development mode a ring with
    a development part is refused (ConfigurationError naming it), so nothing is ever sealed
    or indexed with a public key in production."""
    setting = (config.keyring_path(), config.id_hash_key_setting(), config.development_mode())
    ring = _CACHE.get(setting)
    if ring is None:
        ring = from_environment()
        if not setting[2]:
            refused = ring.development_parts()
            if refused:
                raise ConfigurationError(
                    f"refused outside development mode: {' and '.join(refused)}; set "
                    "LENDCORE_KEYRING to a key ring file (docs/personal-data.md) or "
                    "LENDCORE_MODE=development", field="LENDCORE_KEYRING")
        _CACHE.clear()
        _CACHE[setting] = ring
    return ring


def require_keys() -> KeyRing:
    """The start-up check of the server and the CLI: the ring loads, and outside development
    mode it holds no development key (ConfigurationError naming which)."""
    return current()


def reload() -> None:
    """Forget the ring read (it is read again on next use): after the file changed."""
    _CACHE.clear()


# -- key ring files ----------------------------------------------------------------------------
def new_key() -> str:
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def new_keyring_document(key_id: str, *, index_key: bool = True) -> dict[str, Any]:
    """A fresh ring: one key, active, and (unless ``LENDCORE_ID_HASH_KEY`` is kept as the index
    key) a fresh index key."""
    _check_key_id(key_id)
    document: dict[str, Any] = {"active": key_id, "keys": {key_id: new_key()}}
    if index_key:
        document["index_key"] = new_key()
    document["token_key"] = new_key()
    return document


def read_document(path: str | Path) -> dict[str, Any]:
    load_keyring(path)  # refuses a malformed ring with the reason
    document: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return document


def write_document(path: str | Path, document: dict[str, Any]) -> None:
    """Write a ring atomically (a temporary file renamed over it), readable by its owner only."""
    path = Path(path)
    parse_keyring(document, str(path))  # never write a ring that would not load
    fd, tmp = tempfile.mkstemp(prefix=".keyring-", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=2, sort_keys=True)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def with_new_key(document: dict[str, Any], key_id: str, *, activate: bool = True
                 ) -> dict[str, Any]:
    _check_key_id(key_id)
    if key_id in document["keys"]:
        raise InvalidInput(f"the key ring already has a key {key_id!r}", field="key_id")
    out = {**document, "keys": {**document["keys"], key_id: new_key()}}
    if activate:
        out["active"] = key_id
    return out


def without_key(document: dict[str, Any], key_id: str) -> dict[str, Any]:
    if key_id not in document["keys"]:
        raise InvalidInput(f"the key ring has no key {key_id!r}", field="key_id")
    if document["active"] == key_id:
        raise InvalidInput(f"{key_id!r} is the active key; activate another first",
                           field="key_id")
    return {**document, "keys": {k: v for k, v in document["keys"].items() if k != key_id}}


def _check_key_id(key_id: str) -> None:
    if not KEY_ID_PATTERN.match(key_id):
        raise InvalidInput("a key id is 1 to 32 characters of A-Z a-z 0-9 -", field="key_id")
