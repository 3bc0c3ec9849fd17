"""loans record the text version of their contract and key facts

Revision ID: 0019_contract_version
Revises: 0009_booked_on
Create Date: 2026-12-20 12:00:00

A loan's contract and key-facts sheet are rendered with the template version it opened under
(``documents.render``), so a later text version never changes an existing loan's documents.
The column's server default is the current version; loans that exist before this migration get
the first version, ``contract-2026.12``.

(The file 0009_back_dated_events.py declares the revision id ``0009_booked_on``; that id is what
this revision follows.)
"""

import sqlalchemy as sa
from alembic import op

revision = '0019_contract_version'
down_revision = '0009_booked_on'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contract_version', sa.String(length=32), nullable=False,
                                      server_default='contract-2026.12'))


def downgrade() -> None:
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_column('contract_version')
