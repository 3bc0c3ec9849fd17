"""legal steps and early plans: truthful legal notices, plans before overdue

Revision ID: 0018_legal_and_early_plans
Revises: 0014_case_collector
Create Date: 2026-12-20 12:00:00

``collection_legal_steps`` records a legal step the lender has taken on a case (a lawyer's
letter sent, a suit filed, enforcement applied for) with its reference; the compliance guard lets
a message to the borrower mention exactly those. It is append-only like the other collection
records (triggers on PostgreSQL and SQLite).

An early plan (offered by customer service before the loan went into collection) has no case:
``collection_plans.case_id`` becomes nullable and ``origin`` tells the two kinds apart
(``collections`` | ``early``). ``collection_plan_requests`` holds a borrower's request for one.
"""

import sqlalchemy as sa
from alembic import op

revision = '0018_legal_and_early_plans'
down_revision = '0014_case_collector'
branch_labels = None
depends_on = ('0004_collections',)  # the collections branch creates the tables changed here

APPEND_ONLY = ('collection_legal_steps',)
_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('collection_plans', schema=None) as batch_op:
        batch_op.alter_column('case_id', existing_type=sa.BigInteger(), nullable=True)
        batch_op.add_column(sa.Column('origin', sa.String(length=16),
                                      server_default='collections', nullable=False))
        batch_op.create_index(batch_op.f('ix_collection_plans_loan_id'), ['loan_id'],
                              unique=False)
    op.create_table(
        'collection_plan_requests',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('loan_id', sa.BigInteger(), nullable=False),
        sa.Column('customer_id', sa.BigInteger(), nullable=False),
        sa.Column('requested_on', sa.Date(), nullable=False),
        sa.Column('installments', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('requested_by', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('plan_id', sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_collection_plan_requests_customer_id_customers')),
        sa.ForeignKeyConstraint(['loan_id'], ['loans.id'],
                                name=op.f('fk_collection_plan_requests_loan_id_loans')),
        sa.ForeignKeyConstraint(
            ['plan_id'], ['collection_plans.id'],
            name=op.f('fk_collection_plan_requests_plan_id_collection_plans')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_collection_plan_requests')),
    )
    with op.batch_alter_table('collection_plan_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_plan_requests_customer_id'),
                              ['customer_id'], unique=False)
    op.create_table(
        'collection_legal_steps',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('case_id', sa.BigInteger(), nullable=False),
        sa.Column('step', sa.String(length=32), nullable=False),
        sa.Column('reference', sa.String(length=128), nullable=False),
        sa.Column('taken_on', sa.Date(), nullable=False),
        sa.Column('recorded_on', sa.Date(), nullable=False),
        sa.Column('recorded_by', sa.String(length=64), nullable=False),
        sa.Column('approved_by', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ['case_id'], ['collection_cases.id'],
            name=op.f('fk_collection_legal_steps_case_id_collection_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_collection_legal_steps')),
        sa.UniqueConstraint('case_id', 'step', 'reference',
                            name=op.f('uq_collection_legal_steps_case_id')),
    )
    with op.batch_alter_table('collection_legal_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_legal_steps_case_id'), ['case_id'],
                              unique=False)
    _append_only_triggers()


def downgrade() -> None:
    _drop_append_only_triggers()
    with op.batch_alter_table('collection_legal_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_legal_steps_case_id'))
    op.drop_table('collection_legal_steps')
    with op.batch_alter_table('collection_plan_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_plan_requests_customer_id'))
    op.drop_table('collection_plan_requests')
    op.execute("DELETE FROM collection_plans WHERE case_id IS NULL")  # early plans: no case
    with op.batch_alter_table('collection_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_plans_loan_id'))
        batch_op.drop_column('origin')
        batch_op.alter_column('case_id', existing_type=sa.BigInteger(), nullable=False)


def _append_only_triggers() -> None:
    """Reject UPDATE and DELETE on the legal steps (``collections_append_only()`` on PostgreSQL
    comes from ``0004_collections``)."""
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == 'postgresql':
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION collections_append_only()"
            )
        elif dialect == 'sqlite':
            for verb in ('UPDATE', 'DELETE'):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'append-only: {verb} on {table} is not allowed'); "
                    "END"
                )


def _drop_append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == 'postgresql':
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        elif dialect == 'sqlite':
            for verb in ('update', 'delete'):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
