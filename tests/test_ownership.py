"""Every table has one owner: no module outside a table's owner writes to it.

The scan reads every module of the product (``src/lendcore``, migrations aside) as text and finds
its writes: SQLAlchemy ``t.insert()/t.update()/t.delete()``, ``insert(t)/update(t)/delete(t)``
(also through the dialects' ``insert``), and raw SQL ``INSERT INTO t``, ``UPDATE t``, ``DELETE
FROM t``, ``COPY t``. A write by a module outside the owner named below fails the test with the
module and the table. The tools (``lendcore_tools``) are outside the product: the book generator
loads an empty database in bulk and refuses a non-empty one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lendcore.store.base import metadata
from lendcore.store.tables import *  # noqa: F403 (every table module, so metadata is complete)

SRC = Path(__file__).resolve().parents[1] / "src" / "lendcore"

OWNERS: dict[str, str] = {
    "system_state": "clock.py",
    "idempotency_keys": "runner.py",
    "customers": "customers/",
    "credit_lines": "customers/",
    "limit_changes": "customers/",
    "consents": "customers/",
    "decisions": "origination/",
    "reviews": "origination/",
    "loans": "servicing/",
    "installments": "servicing/",
    "loan_events": "servicing/",
    "checkout_orders": "servicing/",
    "checkout_order_items": "servicing/",
    "merchants": "merchants/",
    "journal_entries": "ledger/",
    "postings": "ledger/",
    "eod_runs": "eod/",
    "eod_partitions": "eod/",
    "eod_provisions": "eod/",
    "notification_outbox": "eod/",
    "collection_agencies": "collections/",
    "collection_cases": "collections/",
    "collection_case_history": "collections/",
    "collection_notices": "collections/",
    "collection_contacts": "collections/",
    "collection_promises": "collections/",
    "collection_plans": "collections/",
    "collection_complaints": "collections/",
    "collection_plan_requests": "collections/",
    "collection_legal_steps": "collections/",
    "audit_log": "audit/",
    "users": "access/",
    "sessions": "access/",
    "api_clients": "access/",
    "pending_commands": "pending.py",
}


def _patterns(name: str, aliases: tuple[str, ...]) -> list[re.Pattern[str]]:
    pats = []
    for alias in (name, *aliases):
        a = re.escape(alias)
        pats += [rf"\b{a}\s*\.\s*(insert|update|delete)\s*\(",
                 rf"\b(insert|update|delete)\(\s*{a}\b"]
    n = re.escape(name)
    pats += [rf"(?i)\b(insert\s+into|update|delete\s+from|copy|truncate(\s+table)?)\s+\"?{n}\b"]
    return [re.compile(p) for p in pats]


def _aliases(text: str, name: str) -> tuple[str, ...]:
    """Names a module imports the table under (``import notification_outbox as outbox``)."""
    return tuple(re.findall(rf"\b{re.escape(name)}\s+as\s+(\w+)", text))


def writes(text: str) -> set[str]:
    """The tables a module's source writes to (comment lines aside)."""
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    found = set()
    for name in OWNERS:
        if any(p.search(text) for p in _patterns(name, _aliases(text, name))):
            found.add(name)
    return found


def _modules() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if "migrations" not in p.parts]


def test_every_table_has_an_owner() -> None:
    assert set(OWNERS) == set(metadata.tables), "a new table needs its owner named here"


def test_no_module_writes_a_table_it_does_not_own() -> None:
    problems = []
    for path in _modules():
        rel = path.relative_to(SRC).as_posix()
        for table in sorted(writes(path.read_text(encoding="utf-8"))):
            if not rel.startswith(OWNERS[table]):
                problems.append(f"{rel} writes {table} (owner: {OWNERS[table]})")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("source", [
    "conn.execute(credit_lines.update().where(credit_lines.c.id == 1).values(limit_fen=5))",
    "conn.execute(update(credit_lines).values(frozen=True))",
    "stmt = postgresql.insert(credit_lines).on_conflict_do_nothing()",
    'conn.exec_driver_sql("UPDATE credit_lines SET limit_fen = 5")',
    'conn.exec_driver_sql("copy credit_lines (id) FROM STDIN")',
    "from lendcore.store.core_tables import credit_lines as lines\nlines.insert()",
])
def test_the_scan_sees_a_write(source: str) -> None:
    assert writes(source) == {"credit_lines"}


@pytest.mark.parametrize("source", [
    "select(credit_lines).where(credit_lines.c.id == 1)",
    "# credit_lines.update() is done by the owner",
    'conn.execute(text("SELECT * FROM credit_lines"))',
])
def test_the_scan_ignores_reads(source: str) -> None:
    assert writes(source) == set()
