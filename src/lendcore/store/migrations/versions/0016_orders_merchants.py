"""orders and merchants: the merchant registry's seed, checkout orders and their items

Revision ID: 0016_orders_merchants
Revises: 0009_booked_on
Create Date: 2026-12-14 10:00:00

``merchants`` (``lendcore.merchants``): id, name, status active | suspended, goods category. A
draw pays only an active registered merchant, and so does a checkout loan.

``checkout_orders`` and ``checkout_order_items`` (``lendcore.servicing``): a checkout loan bound
to its order, one loan per (merchant, order) by a unique constraint, with the items bought and
the interest-free subsidy booked. On the servicing branch (after ``0009``): the orders refer to
``loans``.
"""

import sqlalchemy as sa
from alembic import op

revision = '0016_orders_merchants'
down_revision = '0009_booked_on'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'merchants',
        sa.Column('id', sa.String(64), nullable=False),
        sa.Column('name', sa.String(128), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('category', sa.String(32), nullable=False),
        sa.Column('registered_on', sa.Date(), nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.CheckConstraint("status IN ('active', 'suspended')", name=op.f('ck_merchants_status')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_merchants')),
    )
    op.create_table(
        'checkout_orders',
        sa.Column('loan_id', sa.BigInteger(), nullable=False),
        sa.Column('merchant_id', sa.String(64), nullable=False),
        sa.Column('order_id', sa.String(64), nullable=False),
        sa.Column('customer_id', sa.BigInteger(), nullable=False),
        sa.Column('amount_fen', sa.BigInteger(), nullable=False),
        sa.Column('interest_free', sa.Boolean(), server_default='0', nullable=False),
        sa.Column('subsidy_fen', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('ordered_on', sa.Date(), nullable=False),
        sa.CheckConstraint('amount_fen > 0', name=op.f('ck_checkout_orders_amount')),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_checkout_orders_customer_id_customers')),
        sa.ForeignKeyConstraint(['loan_id'], ['loans.id'],
                                name=op.f('fk_checkout_orders_loan_id_loans')),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'],
                                name=op.f('fk_checkout_orders_merchant_id_merchants')),
        sa.PrimaryKeyConstraint('loan_id', name=op.f('pk_checkout_orders')),
        sa.UniqueConstraint('merchant_id', 'order_id',
                            name=op.f('uq_checkout_orders_merchant_id')),
    )
    op.create_index(op.f('ix_checkout_orders_customer_id'), 'checkout_orders', ['customer_id'],
                    unique=False)
    op.create_table(
        'checkout_order_items',
        sa.Column('loan_id', sa.BigInteger(), nullable=False),
        sa.Column('line', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(128), nullable=False),
        sa.Column('category', sa.String(32), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('unit_price_fen', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('quantity >= 1', name=op.f('ck_checkout_order_items_quantity')),
        sa.CheckConstraint('unit_price_fen >= 0',
                           name=op.f('ck_checkout_order_items_unit_price')),
        sa.ForeignKeyConstraint(['loan_id'], ['checkout_orders.loan_id'],
                                name=op.f('fk_checkout_order_items_loan_id_checkout_orders')),
        sa.PrimaryKeyConstraint('loan_id', 'line', name=op.f('pk_checkout_order_items')),
    )


def downgrade() -> None:
    op.drop_table('checkout_order_items')
    op.drop_index(op.f('ix_checkout_orders_customer_id'), table_name='checkout_orders')
    op.drop_table('checkout_orders')
    op.drop_table('merchants')
