"""loan lpr: the one-year LPR in force on a loan's start date, recorded on the loan

Revision ID: 0015_loan_lpr
Revises: 0009_booked_on
Create Date: 2026-12-14 12:00:00

The contract records the one-year Loan Prime Rate in force on its date (domain.md s3), so
``loans`` gets ``lpr_one_year_ppb`` (parts per billion; 3.00% is 30,000,000). New loans take it
from the caps table (``lendcore.caps``) when they open. Existing loans get the LPR in force on
their start date from the rows below, a frozen copy of ``products/data/caps.toml`` as it stood
when this migration was written (a migration must not change when that file later gains a row).
A loan started before the first recorded row (2023-08-21) stays NULL, as the caps table answers
for that date: no LPR recorded.
"""

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = '0015_loan_lpr'
down_revision = '0009_booked_on'  # 0009_back_dated_events.py: loan events' booked_on
branch_labels = None
depends_on = None

# (effective from, rate in ppb), newest first: each row is in force until the next one.
_LPR_ONE_YEAR = (
    (date(2025, 5, 20), 30_000_000),
    (date(2024, 10, 21), 31_000_000),
    (date(2024, 7, 22), 33_500_000),
    (date(2023, 8, 21), 34_500_000),
)


def upgrade() -> None:
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lpr_one_year_ppb', sa.BigInteger(), nullable=True))
    loans = sa.table('loans', sa.column('start_date', sa.Date()),
                     sa.column('lpr_one_year_ppb', sa.BigInteger()))
    in_force = sa.case(*((loans.c.start_date >= day, ppb) for day, ppb in _LPR_ONE_YEAR),
                       else_=sa.null())
    op.execute(loans.update().values(lpr_one_year_ppb=in_force))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # Native since SQLite 3.35: a batch copy would drop ``loans``, which the installments
        # and events of any loan refer to (foreign keys are on), and fail.
        op.execute('ALTER TABLE loans DROP COLUMN lpr_one_year_ppb')
        return
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_column('lpr_one_year_ppb')
