"""Runtime configuration from the environment (no wall clock, no globals in the domain).

``LENDCORE_DATABASE_URL``: SQLAlchemy URL; default a SQLite file ``lendcore.db`` in the working
directory (nothing to set up). For PostgreSQL: ``postgresql+psycopg://postgres@127.0.0.1:5432/lendcore``.
``LENDCORE_DASK_SCHEDULER``: address of a Dask scheduler for the nightly run (optional).
``LENDCORE_MODE``: ``production`` (default) or ``development`` (allows a fixed clock).
``LENDCORE_TIMEZONES``: the borrowers' time zones the lender serves, comma-separated IANA names
(default: mainland China's two and the SARs').
``LENDCORE_KEYRING``: the key ring file (JSON: sealing keys, the active key id, the blind-index
key) that seals personal data; required outside development mode (``lendcore.pii.keyring``,
docs/personal-data.md).
``LENDCORE_ID_HASH_KEY``: the blind-index key as raw text, for books made before the key ring
(the ring's ``index_key`` takes its place); its default is a development key, refused outside
development mode.
"""

from __future__ import annotations

import os

DEFAULT_DATABASE_URL = "sqlite:///lendcore.db"
# Beijing time, Xinjiang time (Ürümqi), Hong Kong and Macau.
DEFAULT_TIMEZONES = ("Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong", "Asia/Macau")


def database_url() -> str:
    return os.environ.get("LENDCORE_DATABASE_URL", DEFAULT_DATABASE_URL)


def dask_scheduler() -> str | None:
    return os.environ.get("LENDCORE_DASK_SCHEDULER") or None


def development_mode() -> bool:
    return os.environ.get("LENDCORE_MODE", "production").strip().lower() == "development"


def allowed_timezones() -> tuple[str, ...]:
    """The configured set of borrower time zones (each must also be a real IANA zone)."""
    text = os.environ.get("LENDCORE_TIMEZONES", "")
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    return names or DEFAULT_TIMEZONES


def keyring_path() -> str | None:
    """The key ring file (``LENDCORE_KEYRING``), or None: the development ring."""
    return os.environ.get("LENDCORE_KEYRING", "").strip() or None


def id_hash_key_setting() -> str | None:
    """``LENDCORE_ID_HASH_KEY`` as set (None: not set)."""
    return os.environ.get("LENDCORE_ID_HASH_KEY") or None
