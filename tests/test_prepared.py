"""Prepared statements run on the driver's cursor: same values as ``Connection.execute`` on both
databases (dates, booleans, the statement's own literals), inside the unit of work's transaction,
and SQLAlchemy's exception classes for driver errors."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, bindparam, select, text, update
from sqlalchemy.exc import IntegrityError

from lendcore.store.core_tables import credit_lines, customers
from lendcore.store.prepared import Prepared
from lendcore.store.uow import UnitOfWork

_NEW_CUSTOMER = Prepared(customers.insert().returning(customers.c.id))
_NEW_LINE = Prepared(credit_lines.insert().returning(credit_lines.c.id, credit_lines.c.frozen,
                                                     credit_lines.c.opened_on))
# Literals inside the statement ("cash-line", the 1 of version + 1) are its own parameters.
_LINE_OF = Prepared(select(credit_lines.c.limit_fen, credit_lines.c.frozen,
                           credit_lines.c.opened_on, credit_lines.c.version).where(
    credit_lines.c.customer_id == bindparam("owner"),
    credit_lines.c.product_code == "cash-line"))
_RAISE = Prepared(update(credit_lines).where(credit_lines.c.customer_id == bindparam("owner"))
                  .values(version=credit_lines.c.version + 1))


def _customer(uow: UnitOfWork, hash_: str) -> int:
    (cid,) = _NEW_CUSTOMER.one(uow.conn, {"id_number_hash": hash_, "created_on": date(2026, 3, 1),
                                          "name_masked": "张*"})
    return int(cid)


def test_values_come_back_as_connection_execute_gives_them(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        cid = _customer(uow, "h1")
        line_id, frozen, opened = _NEW_LINE.one(uow.conn, {
            "customer_id": cid, "product_code": "cash-line", "limit_fen": 500_000,
            "opened_on": date(2026, 3, 1)})
        assert (frozen, opened) == (False, date(2026, 3, 1))  # server default, a real date
        assert _RAISE.execute(uow.conn, {"owner": cid, "limit_fen": 800_000}) == 1
        assert _LINE_OF.one(uow.conn, {"owner": cid}) == (800_000, False, date(2026, 3, 1), 2)
        assert _LINE_OF.first(uow.conn, {"owner": cid + 1}) is None
        uow.commit()
    with engine.connect() as conn:
        row = conn.execute(select(credit_lines).where(credit_lines.c.id == line_id)).one()
    assert (row.limit_fen, row.frozen, row.opened_on, row.version) == (
        800_000, False, date(2026, 3, 1), 2)


def test_they_run_inside_the_unit_of_work_so_a_rollback_undoes_them(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        _customer(uow, "gone")
        # no commit: leaving the block rolls back
    with engine.connect() as conn:
        assert conn.execute(select(customers.c.id)).all() == []


def test_a_driver_error_is_sqlalchemys_exception_class(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        cid = _customer(uow, "h2")
        row = {"customer_id": cid, "product_code": "cash-line", "limit_fen": 1,
               "opened_on": date(2026, 3, 1)}
        _NEW_LINE.one(uow.conn, row)
        with pytest.raises(IntegrityError):  # one line per customer and product
            _NEW_LINE.one(uow.conn, row)


def test_a_statement_needing_python_side_defaults_is_refused(engine: Engine) -> None:
    from sqlalchemy import Column, Integer, MetaData, Table

    t = Table("t", MetaData(), Column("id", Integer, primary_key=True),
              Column("n", Integer, default=lambda: 1))
    with pytest.raises(TypeError, match="Python-side defaults"):
        Prepared(t.insert()).compiled(engine.dialect, {"id": 1})


def test_text_statements_take_named_parameters(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        assert Prepared(text("SELECT :a + :b")).one(uow.conn, {"a": 2, "b": 3}) == (5,)
