"""PostgreSQL: the book's big tables partitioned by customer range; the audit by month.

On SQLite this revision does nothing (the tables in code are unchanged; see ``docs/scale.md``).

* ``loans`` (key ``id``), ``installments`` and ``loan_events`` (key ``loan_id``) become
  ``PARTITION BY RANGE``. A loan id is ``customer_id * 1_000_000 + n`` (``lendcore.ids``), so a
  loan-id range on a multiple of 1,000,000 is a customer range: block ``b`` holds customers
  ``[b * 100_000, (b + 1) * 100_000)`` in ``lendcore_partitions.<table>_c<b:04d>`` for all three
  tables alike, and a block of the book is one partition of each. Blocks 0-15 (1.6 million
  customers) are made here, and up to the highest customer already stored; loans beyond land in
  ``<table>_default``. ``lendcore_add_customer_partitions(through_customer)`` makes the missing
  blocks, moving rows the default partition already holds for them.
* ``audit_log`` becomes ``PARTITION BY RANGE (at)``, one partition per calendar month (UTC),
  ``lendcore_partitions.audit_log_yYYYYmMM``, from the first record's month through twelve months
  ahead, with ``audit_log_default``; ``lendcore_add_audit_months(first, through)`` makes more.
* Primary keys include the partition key: ``loans (id)`` and ``installments (loan_id, number)``
  already do; ``loan_events`` becomes ``(id, loan_id)`` and ``audit_log`` ``(seq, at)``. Their ids
  stay unique on their own: ``loan_events.id`` comes only from its sequence (nobody writes one),
  ``audit_log.seq`` only from ``audit_log_append`` (last + 1 under an advisory lock).
* ``journal_entries`` and ``postings`` are left as they are: the ledger's idempotency rests on
  ``INSERT ... ON CONFLICT (source_key)``, which needs a unique index on ``source_key`` alone, and
  no partitioned table can have one (``docs/scale.md`` lists what the ledger must change first).

Partitions live in the schema ``lendcore_partitions`` so the application's schema (``public``)
shows the same tables as the code. Indexes, foreign keys (both ways) and triggers are kept; the
rows are copied, so the revision runs on a populated database as on an empty one, and the
downgrade copies them back into plain tables.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import NamedTuple

import sqlalchemy as sa
from alembic import op

revision = '0020_customer_partitions'
# Every head; 0004_collections is not among them: 0014_case_collector and 0018 depend on it, so
# alembic counts it as their ancestor (it never stays in alembic_version).
down_revision = ('0005_ledger', '0010_audit', '0015_loan_lpr', '0016_orders_merchants',
                 '0017_decision_product', '0018_legal_and_early_plans', '0019_contract_version')
branch_labels = None
depends_on = None

SCHEMA = "lendcore_partitions"
LOANS_PER_CUSTOMER = 1_000_000  # lendcore.ids (frozen here, as every migration's constants)
CUSTOMERS_PER_PARTITION = 100_000
BLOCKS_AHEAD = 16
AUDIT_MONTHS_AHEAD = 12


class Spec(NamedTuple):
    table: str
    key: str
    plain_pk: str  # the primary key's columns before (and after a downgrade)
    partitioned_pk: str


CUSTOMER_TABLES = (
    Spec("loans", "id", "id", "id"),
    Spec("installments", "loan_id", "loan_id, number", "loan_id, number"),
    Spec("loan_events", "loan_id", "id", "id, loan_id"),
)
AUDIT = Spec("audit_log", "at", "seq", "seq, at")

_FUNCTIONS = [
    f"""
    CREATE FUNCTION lendcore_ensure_partition(parent text, child text, key text, lo text, hi text)
    RETURNS boolean LANGUAGE plpgsql AS $$
    DECLARE
        held boolean;
        role text := current_setting('session_replication_role');
    BEGIN
        IF to_regclass(format('{SCHEMA}.%I', child)) IS NOT NULL THEN
            RETURN false;
        END IF;
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM {SCHEMA}.%I WHERE %I >= %L AND %I < %L)',
                       parent || '_default', key, lo, key, hi) INTO held;
        IF NOT held THEN
            EXECUTE format('CREATE TABLE {SCHEMA}.%I PARTITION OF public.%I '
                           'FOR VALUES FROM (%L) TO (%L)', child, parent, lo, hi);
            RETURN true;
        END IF;
        -- The default partition already holds rows of the new range: move them into a table of
        -- their own and attach it. Rows only move within one parent, so the foreign keys and
        -- the append-only triggers (off meanwhile: replica role, a superuser's) still hold.
        PERFORM set_config('session_replication_role', 'replica', true);
        EXECUTE format('CREATE TABLE {SCHEMA}.%I (LIKE public.%I INCLUDING DEFAULTS '
                       'INCLUDING CONSTRAINTS)', child, parent);
        EXECUTE format('INSERT INTO {SCHEMA}.%I SELECT * FROM {SCHEMA}.%I '
                       'WHERE %I >= %L AND %I < %L',
                       child, parent || '_default', key, lo, key, hi);
        EXECUTE format('DELETE FROM {SCHEMA}.%I WHERE %I >= %L AND %I < %L',
                       parent || '_default', key, lo, key, hi);
        EXECUTE format('ALTER TABLE public.%I ATTACH PARTITION {SCHEMA}.%I '
                       'FOR VALUES FROM (%L) TO (%L)', parent, child, lo, hi);
        PERFORM set_config('session_replication_role', role, true);
        RETURN true;
    END $$
    """,
    f"""
    CREATE FUNCTION lendcore_add_customer_partitions(
        through_customer bigint,
        tables text[] DEFAULT ARRAY['loans', 'installments', 'loan_events'])
    RETURNS integer LANGUAGE plpgsql AS $$
    DECLARE
        made integer := 0;
        t text;
        b bigint;
        width constant bigint := {CUSTOMERS_PER_PARTITION}::bigint * {LOANS_PER_CUSTOMER};
    BEGIN
        FOREACH t IN ARRAY tables LOOP
            FOR b IN 0 .. through_customer / {CUSTOMERS_PER_PARTITION} LOOP
                IF lendcore_ensure_partition(
                        t, format('%s_c%s', t, lpad(b::text, 4, '0')),
                        CASE t WHEN 'loans' THEN 'id' ELSE 'loan_id' END,
                        (b * width)::text, ((b + 1) * width)::text) THEN
                    made := made + 1;
                END IF;
            END LOOP;
        END LOOP;
        RETURN made;
    END $$
    """,
    f"""
    CREATE FUNCTION lendcore_detach_customer_block(block integer) RETURNS void
    LANGUAGE plpgsql AS $$
    DECLARE
        t text;
        fk text;
        name text;
    BEGIN
        FOREACH t IN ARRAY ARRAY['loan_events', 'installments'] LOOP
            name := format('%s_c%s', t, lpad(block::text, 4, '0'));
            EXECUTE format('ALTER TABLE public.%I DETACH PARTITION {SCHEMA}.%I', t, name);
            -- A detached partition keeps its own copy of the foreign key to loans: dropped, so
            -- that loans' block can go too (attaching it again brings the key back, checked).
            FOR fk IN SELECT conname FROM pg_constraint WHERE contype = 'f'
                    AND conrelid = format('{SCHEMA}.%I', name)::regclass
                    AND confrelid = 'public.loans'::regclass LOOP
                EXECUTE format('ALTER TABLE {SCHEMA}.%I DROP CONSTRAINT %I', name, fk);
            END LOOP;
        END LOOP;
        EXECUTE format('ALTER TABLE public.loans DETACH PARTITION {SCHEMA}.%I',
                       'loans_c' || lpad(block::text, 4, '0'));
    END $$
    """,
    f"""
    CREATE FUNCTION lendcore_attach_customer_block(block integer) RETURNS void
    LANGUAGE plpgsql AS $$
    DECLARE
        t text;
        width constant bigint := {CUSTOMERS_PER_PARTITION}::bigint * {LOANS_PER_CUSTOMER};
    BEGIN
        FOREACH t IN ARRAY ARRAY['loans', 'installments', 'loan_events'] LOOP
            EXECUTE format('ALTER TABLE public.%I ATTACH PARTITION {SCHEMA}.%I '
                           'FOR VALUES FROM (%s) TO (%s)', t,
                           format('%s_c%s', t, lpad(block::text, 4, '0')),
                           block * width, (block + 1) * width);
        END LOOP;
    END $$
    """,
    """
    CREATE FUNCTION lendcore_add_audit_months(first date, through date)
    RETURNS integer LANGUAGE plpgsql AS $$
    DECLARE
        made integer := 0;
        m date := date_trunc('month', first)::date;
    BEGIN
        WHILE m <= through LOOP
            IF lendcore_ensure_partition(
                    'audit_log', 'audit_log_' || to_char(m, '"y"YYYY"m"MM'), 'at',
                    to_char(m, 'YYYY-MM-DD') || ' 00:00:00+00',
                    to_char(m + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00') THEN
                made := made + 1;
            END IF;
            m := (m + interval '1 month')::date;
        END LOOP;
        RETURN made;
    END $$
    """,
]
_DROP_FUNCTIONS = [
    "DROP FUNCTION IF EXISTS lendcore_attach_customer_block(integer)",
    "DROP FUNCTION IF EXISTS lendcore_detach_customer_block(integer)",
    "DROP FUNCTION IF EXISTS lendcore_add_audit_months(date, date)",
    "DROP FUNCTION IF EXISTS lendcore_add_customer_partitions(bigint, text[])",
    "DROP FUNCTION IF EXISTS lendcore_ensure_partition(text, text, text, text, text)",
]


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    for statement in _FUNCTIONS:
        op.execute(statement)
    highest = conn.execute(sa.text("SELECT max(id) FROM loans")).scalar_one()
    through_customer = max(BLOCKS_AHEAD * CUSTOMERS_PER_PARTITION - 1,
                           int(highest or 0) // LOANS_PER_CUSTOMER)
    for spec in CUSTOMER_TABLES:
        _rebuild(conn, spec, sa.text(
            "SELECT lendcore_add_customer_partitions(:c, ARRAY[:t])").bindparams(
                c=through_customer, t=spec.table))
    first = conn.execute(sa.text("SELECT min(at) FROM audit_log")).scalar_one()
    now = datetime.now(UTC)
    ahead = now.year * 12 + now.month - 1 + AUDIT_MONTHS_AHEAD
    _rebuild(conn, AUDIT, sa.text("SELECT lendcore_add_audit_months(:f, :t)").bindparams(
        f=_month(first or now), t=date(ahead // 12, ahead % 12 + 1, 1)))


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    _rebuild(conn, AUDIT, None)
    for spec in reversed(CUSTOMER_TABLES):
        _rebuild(conn, spec, None)
    for statement in _DROP_FUNCTIONS:
        op.execute(statement)
    op.execute(f"DROP SCHEMA IF EXISTS {SCHEMA}")


def _month(at: datetime) -> date:
    at = at.astimezone(UTC)
    return date(at.year, at.month, 1)


def _rebuild(conn: sa.Connection, spec: Spec, make_partitions: sa.TextClause | None) -> None:
    """Replace ``spec.table`` by a partitioned copy of itself (``make_partitions`` given: the
    statement that makes its ranges), or by a plain one (None), rows included.

    The old table is renamed aside; the new one is made ``LIKE`` it (columns, defaults, NOT NULL
    and CHECK constraints) under its name, given its partitions, filled, and the old one dropped.
    Its keys, indexes, foreign keys, triggers and the foreign keys of other tables citing it are
    made again from their definitions as read from pg_catalog, the primary key as ``spec`` says;
    a sequence the old table owned passes to the new.
    """
    t, old = spec.table, f"{spec.table}__old"
    own = _constraints(conn, "conrelid = CAST(:t AS regclass) AND contype IN ('p', 'u', 'f')", t)
    citing = _constraints(conn, "confrelid = CAST(:t AS regclass) AND contype = 'f' "
                          "AND conrelid <> CAST(:t AS regclass)", t)
    indexes = conn.execute(sa.text(
        "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = CAST(:t AS regclass) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = indexrelid "
        "AND c.conrelid = indrelid)"), {"t": t}).scalars().all()
    triggers = conn.execute(sa.text(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) "
        "AND NOT tgisinternal AND tgparentid = 0"), {"t": t}).scalars().all()
    sequences = conn.execute(sa.text(
        "SELECT a.attname, pg_get_serial_sequence(:t, a.attname) FROM pg_attribute a "
        "WHERE a.attrelid = CAST(:t AS regclass) AND a.attnum > 0 AND NOT a.attisdropped "
        "AND pg_get_serial_sequence(:t, a.attname) IS NOT NULL"), {"t": t}).all()
    for table, name, _definition in citing:
        conn.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    conn.exec_driver_sql(f"ALTER TABLE {t} RENAME TO {old}")
    how = "" if make_partitions is None else f" PARTITION BY RANGE ({spec.key})"
    conn.exec_driver_sql(f"CREATE TABLE {t} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
                         f"INCLUDING STORAGE INCLUDING COMMENTS){how}")
    if make_partitions is not None:
        conn.exec_driver_sql(f"CREATE TABLE {SCHEMA}.{t}_default PARTITION OF {t} DEFAULT")
        conn.execute(make_partitions)
    conn.exec_driver_sql(f"INSERT INTO {t} SELECT * FROM {old}")
    for column, sequence in sequences:
        conn.exec_driver_sql(f"ALTER SEQUENCE {sequence} OWNED BY {t}.{column}")
    conn.exec_driver_sql(f"DROP TABLE {old}")
    pk = spec.plain_pk if make_partitions is None else spec.partitioned_pk
    for _table, name, definition in own:
        if definition.startswith("PRIMARY KEY"):
            definition = f"PRIMARY KEY ({pk})"
        conn.exec_driver_sql(f'ALTER TABLE {t} ADD CONSTRAINT "{name}" {definition}')
    for statement in (*indexes, *triggers):
        conn.exec_driver_sql(statement)
    for table, name, definition in citing:
        conn.exec_driver_sql(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    conn.exec_driver_sql(f"ANALYZE {t}")


def _constraints(conn: sa.Connection, where: str, table: str) -> list[tuple[str, str, str]]:
    rows = conn.execute(sa.text(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        f"WHERE {where} AND conparentid = 0 ORDER BY contype DESC, conname"), {"t": table}).all()
    return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]
