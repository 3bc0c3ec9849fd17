"""Imports every table module so the shared MetaData is complete (Alembic, create_all)."""

from lendcore.store import core_tables  # noqa: F401

# Areas add one import line each (their tables live in lendcore/store/<area>_tables.py).
from lendcore.store import servicing_tables  # noqa: F401
from lendcore.store import ledger_tables  # noqa: F401
from lendcore.store import origination_tables  # noqa: F401
from lendcore.store import collections_tables  # noqa: F401
from lendcore.store import eod_tables  # noqa: F401
