"""Imports every table module so the shared MetaData is complete (Alembic, create_all)."""

# Areas add one import line each (their tables live in lendcore/store/<area>_tables.py).
from lendcore.store import (
    access_tables,  # noqa: F401
    audit_tables,  # noqa: F401
    collections_tables,  # noqa: F401
    consent_tables,  # noqa: F401
    core_tables,  # noqa: F401
    eod_tables,  # noqa: F401
    ledger_tables,  # noqa: F401
    merchant_tables,  # noqa: F401
    origination_tables,  # noqa: F401
    servicing_tables,  # noqa: F401
)
