"""audit trail: a hash-chained, append-only log of every command and every unmasked read

Revision ID: 0010_audit
Revises: 0001_core
Create Date: 2026-12-05 10:00:00

On PostgreSQL:

* ``audit_log_append(...)`` appends one record: it takes a transaction-level advisory lock
  (appenders queue; the lock ends with the transaction), reads the last record, and inserts the
  next ``seq`` with ``prev_hash`` = the last hash and ``hash`` = sha256 of
  ``[seq,<body>,"prev_hash"]``, where ``<body>`` is the JSON the application serialised
  (``lendcore.audit.chain``). It is ``SECURITY DEFINER``: an application role may be given
  EXECUTE on it and SELECT on the table, and nothing else.
* Triggers refuse UPDATE and DELETE (row) and TRUNCATE (statement) on ``audit_log``, for every
  role including the owner; only an owner who disables them explicitly gets past.

On SQLite, triggers refuse UPDATE and DELETE (a guard against mistakes: whoever holds the file
holds the database); the unit of work already serialises writers, and the application appends
with plain statements.
"""

import sqlalchemy as sa
from alembic import op

revision = '0010_audit'
down_revision = '0001_core'
branch_labels = ('audit',)
depends_on = None

# "lcaudit": the advisory lock every appender takes (lendcore.audit.log.LOCK_KEY).
LOCK_KEY = 0x6C636175646974

PG_UPGRADE = [
    f"""
    CREATE FUNCTION audit_log_append(
        p_at timestamptz, p_actor text, p_role text, p_origin text, p_command text,
        p_payload text, p_outcome text, p_key text, p_body text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
    DECLARE
        last_seq bigint;
        last_hash text;
        new_seq bigint;
    BEGIN
        -- Held to the end of the transaction: the record read next is still the last one when
        -- this transaction commits. Each statement below takes a fresh snapshot (READ
        -- COMMITTED), so it sees the record the previous holder committed.
        PERFORM pg_advisory_xact_lock({LOCK_KEY});
        SELECT seq, hash INTO last_seq, last_hash FROM audit_log ORDER BY seq DESC LIMIT 1;
        IF NOT FOUND THEN
            last_seq := 0;
            last_hash := repeat('0', 64);
        END IF;
        new_seq := last_seq + 1;
        INSERT INTO audit_log (seq, at, actor, role, origin, command, payload, outcome,
                               idempotency_key, prev_hash, hash)
        VALUES (new_seq, p_at, p_actor, p_role, p_origin, p_command, p_payload, p_outcome, p_key,
                last_hash,
                encode(sha256(convert_to(
                    '[' || new_seq::text || ',' || p_body || ',"' || last_hash || '"]',
                    'UTF8')), 'hex'));
        RETURN new_seq;
    END $$
    """,
    """
    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = '23001';
    END $$
    """,
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
]

PG_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "DROP FUNCTION IF EXISTS audit_log_append_only()",
    "DROP FUNCTION IF EXISTS audit_log_append(timestamptz, text, text, text, text, text, text, "
    "text, text)",
]

SQLITE_UPGRADE = [
    f"CREATE TRIGGER audit_log_no_{op_name.lower()} BEFORE {op_name} ON audit_log BEGIN "
    f"SELECT RAISE(ABORT, 'audit_log is append-only: {op_name} refused'); END"
    for op_name in ("UPDATE", "DELETE")
]

SQLITE_DOWNGRADE = [
    f"DROP TRIGGER IF EXISTS audit_log_no_{op_name.lower()}" for op_name in ("UPDATE", "DELETE")
]


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('role', sa.Text(), nullable=True),
    sa.Column('origin', sa.Text(), nullable=False),
    sa.Column('command', sa.Text(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_log'))
    )
    dialect = op.get_bind().dialect.name
    for statement in PG_UPGRADE if dialect == "postgresql" else SQLITE_UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in PG_DOWNGRADE if dialect == "postgresql" else SQLITE_DOWNGRADE:
        op.execute(statement)
    op.drop_table('audit_log')
