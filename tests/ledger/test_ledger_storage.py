"""Posting to the database and reading back, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, func, select

from lendcore.errors import Conflict, InvalidInput, NotFound
from lendcore.ledger import posting, store
from lendcore.ledger.accounts import Account
from lendcore.ledger.journal import Reason, reverse
from lendcore.store.ledger_tables import journal_entries, postings
from lendcore.store.uow import UnitOfWork

D = date(2026, 3, 1)
L = 42000001


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(journal_entries)).scalar_one())


def test_a_posted_entry_reads_back_with_its_lines_in_order(engine: Engine) -> None:
    entry = posting.repayment(L, D, interest=1000, principal=10000, source_key="pay:1")
    with UnitOfWork(engine) as uow:
        entry_id = store.post(uow.conn, entry)
        uow.commit()
    with UnitOfWork(engine) as uow:
        stored = store.get_entry(uow.conn, entry_id)
    assert stored.to_entry() == entry
    assert stored.to_entry().entry_id == entry_id
    assert [p.account_code for p in stored.postings] == ["1001", "1100", "1110"]


def test_posting_the_same_source_key_twice_returns_the_first_entry(engine: Engine) -> None:
    entry = posting.recovery(L, D, 500, source_key="recovery:abc")
    with UnitOfWork(engine) as uow:
        first = store.post(uow.conn, entry)
        second = store.post(uow.conn, posting.recovery(L, D, 500, source_key="recovery:abc"))
        uow.commit()
    assert first == second
    assert _count(engine) == 1


def test_the_same_source_key_with_another_payload_is_a_conflict(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        store.post(uow.conn, posting.recovery(L, D, 500, source_key="recovery:abc"))
        uow.commit()
    with UnitOfWork(engine) as uow, pytest.raises(Conflict, match="another payload"):
        store.post(uow.conn, posting.recovery(L, D, 501, source_key="recovery:abc"))


def test_an_invalid_entry_writes_nothing(engine: Engine) -> None:
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInput):
        store.post_many(uow.conn, [posting.recovery(L, D, 1), posting.recovery(L, D, 2),
                                   object()])  # type: ignore[list-item]
    assert _count(engine) == 0


def test_an_uncommitted_command_leaves_no_entry(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        store.post(uow.conn, posting.recovery(L, D, 1))
    assert _count(engine) == 0


def test_a_batch_is_posted_in_order_once_even_when_repeated(engine: Engine) -> None:
    batch = [
        posting.interest_accrual(p, D, 100 + i, source_key=f"eod:{D}:{p}:interest")
        for i, p in enumerate(["cash", "checkout", "cash-vip"])
    ]
    with UnitOfWork(engine) as uow:
        ids = store.post_many(uow.conn, [*batch, batch[0]])
        again = store.post_many(uow.conn, batch)
        uow.commit()
    assert ids[:3] == sorted(ids[:3]) and ids[3] == ids[0]
    assert again == ids[:3]
    assert _count(engine) == 3
    with UnitOfWork(engine) as uow:
        assert store.account_balance(uow.conn, Account.INTEREST_INCOME) == 100 + 101 + 102
        assert [store.get_entry(uow.conn, i).product_code for i in ids[:3]] == [
            "cash", "checkout", "cash-vip"]


def test_a_batch_with_one_key_and_two_payloads_is_a_conflict(engine: Engine) -> None:
    a = posting.fee_billing(D, 1, source_key="k")
    b = posting.fee_billing(D, 2, source_key="k")
    with UnitOfWork(engine) as uow, pytest.raises(Conflict):
        store.post_many(uow.conn, [a, b])


def test_a_reversal_cancels_the_original_and_is_idempotent(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        original_id = store.post(uow.conn, posting.fee_billing(D, 720, loan_id=L))
        original = store.get_entry(uow.conn, original_id).to_entry()
        first = store.post(uow.conn, reverse(original, date(2026, 3, 2)))
        second = store.post(uow.conn, reverse(original, date(2026, 3, 2)))
        uow.commit()
    assert first == second != original_id
    with UnitOfWork(engine) as uow:
        assert store.account_balance(uow.conn, Account.FEE_RECEIVABLE) == 0
        stored = store.get_entry(uow.conn, first)
        assert stored.reason == Reason.REVERSAL.value and stored.reversal_of == original_id
        assert [e.entry_id for e in store.loan_entries(uow.conn, L)] == [original_id, first]


def test_an_entry_is_reversed_at_most_once(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        original_id = store.post(uow.conn, posting.fee_billing(D, 720, loan_id=L))
        original = store.get_entry(uow.conn, original_id).to_entry()
        store.post(uow.conn, reverse(original, D))
        with pytest.raises(Conflict, match="already reversed"):
            store.post(uow.conn, reverse(original, D, source_key="another-key"))


def test_reversing_a_missing_entry_is_not_found(engine: Engine) -> None:
    ghost = posting.fee_billing(D, 720, loan_id=L).with_id(999)
    with UnitOfWork(engine) as uow, pytest.raises(NotFound):
        store.post(uow.conn, reverse(ghost, D))


def test_the_trial_balance_nets_to_zero_and_shows_each_account(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        store.post_many(uow.conn, [
            posting.disbursement(L, D, 120000, to_merchant=True),
            posting.merchant_settlement(D, 120000),
            posting.interest_accrual("checkout", D, 1000),
            posting.repayment(L, D, interest=1000, principal=10000),
        ])
        uow.commit()
    with UnitOfWork(engine) as uow:
        lines = {line.account_code: line for line in store.trial_balance(uow.conn)}
        assert sum(line.net_fen for line in lines.values()) == 0
        assert lines["1100"].debit_fen == 120000 and lines["1100"].credit_fen == 10000
        assert store.account_balance(uow.conn, Account.PRINCIPAL_RECEIVABLE) == 110000
        assert store.account_balance(uow.conn, Account.CLEARING) == 11000 - 120000
        assert store.account_balance(uow.conn, Account.MERCHANT_PAYABLE) == 0
        assert store.account_balance(uow.conn, Account.INTEREST_INCOME) == 1000
        assert store.account_balance(uow.conn, Account.INTEREST_RECEIVABLE, loan_id=L) == -1000
        loan = {line.account_code: line.net_fen for line in store.loan_balances(uow.conn, L)}
        assert loan["1100"] == 110000


def test_postings_are_written_one_row_per_line(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        entry_id = store.post(uow.conn, posting.charge_off(L, D, principal=5, interest=4,
                                                           penalty=3, fee=2))
        uow.commit()
    with engine.connect() as conn:
        lines = conn.execute(select(postings.c.line).where(postings.c.entry_id == entry_id)
                             .order_by(postings.c.line)).scalars().all()
    assert lines == [1, 2, 3, 4, 5]
