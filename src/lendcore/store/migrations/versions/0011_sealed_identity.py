"""sealed identity: full name, ID number and mobile sealed; no birth date beside a masked ID

Revision ID: 0011_sealed_identity
Revises: 0008_server_clock
Create Date: 2026-12-10 10:00:00

Customers gain the sealed full name, ID number and mobile (``pii.sealing``) and the mobile's
blind index; a referral's decision keeps the identity sealed for its reviewer. Customers lose
``birth_date`` and ``gender``: beside ``110101********0011`` they are the hidden digits. What
was kept in clear is moved, not lost: a customer's ID number is exactly its mask's six and four
characters around the stored birth date, so it is sealed (with the key ring's active key) before
the column goes; a referral's the same from its masked inputs. Every decision's masked inputs
lose the birth date, the gender and the exact age, and show an age band instead. Names and
mobiles were only ever kept masked: customers from before keep their masks, and gain sealed
values when they are next approved.
"""

import json
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0011_sealed_identity'
down_revision = '0008_server_clock'
branch_labels = None
depends_on = None

BATCH = 2000

customers = sa.table(
    'customers', sa.column('id', sa.BigInteger), sa.column('id_number_masked', sa.String),
    sa.column('birth_date', sa.Date), sa.column('gender', sa.String),
    sa.column('id_number_sealed', sa.Text))
decisions = sa.table(
    'decisions', sa.column('id', sa.BigInteger), sa.column('outcome', sa.String),
    sa.column('inputs_masked_json', sa.Text), sa.column('id_number_sealed', sa.Text))


def _id_number(masked: str | None, birth: date | str | None) -> str | None:
    """The ID number a mask and a birth date make up, or None when they do not fit."""
    if not masked or birth is None or len(masked) != 18 or masked[6:14] != '*' * 8:
        return None
    if isinstance(birth, str):
        birth = date.fromisoformat(birth)
    return f"{masked[:6]}{birth:%Y%m%d}{masked[14:]}"


def upgrade() -> None:
    with op.batch_alter_table('customers') as batch:
        batch.add_column(sa.Column('name_sealed', sa.Text()))
        batch.add_column(sa.Column('id_number_sealed', sa.Text()))
        batch.add_column(sa.Column('mobile_sealed', sa.Text()))
        batch.add_column(sa.Column('mobile_index', sa.String(64)))
        batch.create_index('ix_customers_mobile_index', ['mobile_index'])
    with op.batch_alter_table('decisions') as batch:
        batch.add_column(sa.Column('name_sealed', sa.Text()))
        batch.add_column(sa.Column('id_number_sealed', sa.Text()))
        batch.add_column(sa.Column('mobile_sealed', sa.Text()))
    conn = op.get_bind()
    _seal_customers(conn)
    _scrub_decisions(conn)
    # Plain ALTER TABLE on both databases (SQLite 3.35+): a batch copy of customers would drop
    # the table that credit lines and loans point to.
    _drop_columns('customers', 'gender', 'birth_date')


def _drop_columns(table: str, *names: str) -> None:
    for name in names:
        op.execute(f'ALTER TABLE {table} DROP COLUMN {name}')


def _seal_customers(conn: Any) -> None:
    after = 0
    while True:
        rows = conn.execute(
            sa.select(customers.c.id, customers.c.id_number_masked, customers.c.birth_date)
            .where(customers.c.id > after, customers.c.birth_date.is_not(None))
            .order_by(customers.c.id).limit(BATCH)).all()
        if not rows:
            return
        from lendcore import pii  # only when there is something to seal (needs the key ring)

        updates = [{'rid': r.id, 'v': pii.seal(number, 'customers.id_number_sealed')}
                   for r in rows if (number := _id_number(r.id_number_masked, r.birth_date))]
        if updates:
            conn.execute(customers.update().where(customers.c.id == sa.bindparam('rid'))
                         .values(id_number_sealed=sa.bindparam('v')), updates)
        after = rows[-1].id


def _scrub_decisions(conn: Any) -> None:
    after = 0
    while True:
        rows = conn.execute(
            sa.select(decisions.c.id, decisions.c.outcome, decisions.c.inputs_masked_json)
            .where(decisions.c.id > after, decisions.c.inputs_masked_json.is_not(None))
            .order_by(decisions.c.id).limit(BATCH)).all()
        if not rows:
            return
        from lendcore import pii

        updates = []
        for r in rows:
            inputs = json.loads(r.inputs_masked_json)
            if not {'birth_date', 'gender', 'age'} & set(inputs):
                continue
            sealed = None
            if r.outcome == 'refer':
                number = _id_number(inputs.get('id_number'), inputs.get('birth_date'))
                sealed = number and pii.seal(number, 'decisions.id_number_sealed')
            age = inputs.pop('age', None)
            inputs.pop('birth_date', None)
            inputs.pop('gender', None)
            inputs['age_band'] = pii.age_band(age) if isinstance(age, int) else None
            updates.append({'rid': r.id, 'j': json.dumps(inputs, ensure_ascii=False),
                            's': sealed})
        if updates:
            conn.execute(decisions.update().where(decisions.c.id == sa.bindparam('rid'))
                         .values(inputs_masked_json=sa.bindparam('j'),
                                 id_number_sealed=sa.bindparam('s')), updates)
        after = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table('customers') as batch:
        batch.add_column(sa.Column('birth_date', sa.Date()))
        batch.add_column(sa.Column('gender', sa.String(1)))
    conn = op.get_bind()
    rows = conn.execute(sa.select(customers.c.id, customers.c.id_number_sealed)
                        .where(customers.c.id_number_sealed.is_not(None))).all()
    if rows:
        from lendcore import pii

        updates = []
        for r in rows:
            number = pii.unseal(r.id_number_sealed, 'customers.id_number_sealed')
            updates.append({'rid': r.id, 'b': date(int(number[6:10]), int(number[10:12]),
                                                    int(number[12:14])),
                            'g': 'M' if int(number[16]) % 2 else 'F'})
        conn.execute(customers.update().where(customers.c.id == sa.bindparam('rid'))
                     .values(birth_date=sa.bindparam('b'), gender=sa.bindparam('g')), updates)
    _drop_columns('decisions', 'mobile_sealed', 'id_number_sealed', 'name_sealed')
    op.drop_index('ix_customers_mobile_index', table_name='customers')
    _drop_columns('customers', 'mobile_index', 'mobile_sealed', 'id_number_sealed',
                  'name_sealed')
