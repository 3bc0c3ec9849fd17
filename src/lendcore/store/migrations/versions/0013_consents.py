"""consents: a customer's separate, versioned consents with time and channel (append-only)

Revision ID: 0013_consents
Revises: 0012_access
Create Date: 2026-12-12 10:00:00

One row per consent given or withdrawn (``customers.consents``): the purpose (credit query,
bureau reporting, personal-data processing, sharing with collection agencies, marketing), the
version of the text consented to, the channel, the server's time and the actor. The current
state of a purpose is its latest row; triggers refuse UPDATE and DELETE on both databases.
"""

import sqlalchemy as sa
from alembic import op

revision = '0013_consents'
down_revision = '0012_access'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
PURPOSES = ("credit_query", "bureau_reporting", "personal_data", "collection_sharing",
            "marketing")
CHANNELS = ("app", "web", "phone", "branch", "paper")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        'consents',
        sa.Column('id', ID, primary_key=True, autoincrement=True),
        sa.Column('customer_id', sa.BigInteger(), nullable=False),
        sa.Column('purpose', sa.String(32), nullable=False),
        sa.Column('version', sa.String(64), nullable=False),
        sa.Column('granted', sa.Boolean(), nullable=False),
        sa.Column('channel', sa.String(16), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_consents_customer_id_customers')),
        sa.CheckConstraint(_one_of('purpose', PURPOSES), name=op.f('ck_consents_purpose')),
        sa.CheckConstraint(_one_of('channel', CHANNELS), name=op.f('ck_consents_channel')),
    )
    op.create_index('ix_consents_customer_purpose', 'consents', ['customer_id', 'purpose', 'id'])
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute(
            "CREATE FUNCTION consents_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME; "
            "END; $$ LANGUAGE plpgsql")
        op.execute("CREATE TRIGGER consents_append_only BEFORE UPDATE OR DELETE ON consents "
                   "FOR EACH ROW EXECUTE FUNCTION consents_append_only()")
    elif dialect == 'sqlite':
        for verb in ('UPDATE', 'DELETE'):
            op.execute(f"CREATE TRIGGER consents_no_{verb.lower()} BEFORE {verb} ON consents "
                       f"BEGIN SELECT RAISE(ABORT, 'append-only: {verb} on consents is not "
                       "allowed'); END")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS consents_append_only ON consents")
        op.execute("DROP FUNCTION IF EXISTS consents_append_only()")
    elif dialect == 'sqlite':
        for verb in ('update', 'delete'):
            op.execute(f"DROP TRIGGER IF EXISTS consents_no_{verb}")
    op.drop_index('ix_consents_customer_purpose', table_name='consents')
    op.drop_table('consents')
