"""case collector: the in-house collector a collection case is assigned to

Revision ID: 0014_case_collector
Revises: 0013_consents
Create Date: 2026-12-12 12:00:00

A collector sees only the cases assigned to them (``collections.queries``: the case scope), so a
case names its collector (a username; NULL: nobody yet). An agency collector's cases are their
agency's (``agency_id``), which the table already has.
"""

import sqlalchemy as sa
from alembic import op

revision = '0014_case_collector'
down_revision = '0013_consents'
branch_labels = None
depends_on = ('0004_collections',)  # the collections branch creates collection_cases


def upgrade() -> None:
    with op.batch_alter_table('collection_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('collector', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_collection_cases_collector'), ['collector'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('collection_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_cases_collector'))
        batch_op.drop_column('collector')
