"""The ledger in SQL: post entries, read them back, balances, and the audit queries.

Every function takes the caller's connection and never commits: servicing posts inside the unit
of work of its own command, so a refused command leaves no entry behind (one command, one
transaction)::

    with UnitOfWork(engine) as uow:
        ...update the loan row...
        post(uow.conn, posting.repayment(loan_id, business_date, interest=1000, principal=10000,
                                         source_key=f"repay:{loan_id}#v{version}"))
        uow.commit()

``post`` validates in Python before writing anything (on SQLite that check is the balance guard;
PostgreSQL checks again at commit with a deferred constraint trigger). The source key makes
posting idempotent: the same key with the same payload returns the first entry's id; the same key
with another payload is a :class:`Conflict`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Connection, and_, case, cast, exists, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from lendcore.errors import Conflict, InvalidInput, NotFound
from lendcore.ledger import audit as checks
from lendcore.ledger.accounts import Account
from lendcore.ledger.audit import BalanceLine, Problem
from lendcore.ledger.journal import Entry, Posting, Reason, entry_problems, validate
from lendcore.store.batch import WriteBatch
from lendcore.store.ledger_tables import journal_entries as je
from lendcore.store.ledger_tables import postings as pt
from lendcore.store.servicing_tables import loans

_CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """An entry as stored: account codes as text, so even a corrupt row can be shown."""

    entry_id: int
    reason: str
    effective_date: date
    loan_id: int | None
    product_code: str | None
    source_key: str | None
    reversal_of: int | None
    postings: tuple[BalanceLine, ...]

    def payload(self) -> tuple[Any, ...]:
        lines = tuple((p.account_code, p.debit_fen, p.credit_fen) for p in self.postings)
        return (self.reason, self.effective_date, self.loan_id, self.product_code,
                self.reversal_of, lines)

    def to_entry(self) -> Entry:
        def posting(line: BalanceLine) -> Posting:
            account = line.account
            if account is None:
                raise InvalidInput(f"entry {self.entry_id} posts to unknown account "
                                   f"{line.account_code!r}", code="unknown_account")
            return Posting(account, line.debit_fen, line.credit_fen)

        return Entry(Reason(self.reason), self.effective_date,
                     tuple(posting(p) for p in self.postings), self.loan_id, self.product_code,
                     self.source_key, self.reversal_of, self.entry_id)


def _payload(entry: Entry) -> tuple[Any, ...]:
    lines = tuple((p.account.code, p.debit_fen, p.credit_fen) for p in entry.postings)
    return (entry.reason.value, entry.effective_date, entry.loan_id, entry.product_code,
            entry.reversal_of, lines)


def _same_or_conflict(entry: Entry, stored: StoredEntry) -> int:
    if _payload(entry) != stored.payload():
        raise Conflict(f"source key {entry.source_key!r} was already posted as entry "
                       f"{stored.entry_id} with another payload", field="source_key")
    return stored.entry_id


# -- reading -------------------------------------------------------------------------------------

def _load(conn: Connection, where: Any, order: Any = je.c.id) -> list[StoredEntry]:
    heads = conn.execute(select(je).where(where).order_by(order)).all()
    ids = [h.id for h in heads]
    lines: dict[int, list[BalanceLine]] = {i: [] for i in ids}
    for start in range(0, len(ids), _CHUNK):
        rows = conn.execute(
            select(pt.c.entry_id, pt.c.account_code, pt.c.debit_fen, pt.c.credit_fen)
            .where(pt.c.entry_id.in_(ids[start:start + _CHUNK]))
            .order_by(pt.c.entry_id, pt.c.line)
        ).all()
        for r in rows:
            lines[r.entry_id].append(BalanceLine(r.account_code, int(r.debit_fen),
                                                 int(r.credit_fen)))
    return [
        StoredEntry(h.id, h.reason, h.effective_date, h.loan_id, h.product_code, h.source_key,
                    h.reversal_of, tuple(lines[h.id]))
        for h in heads
    ]


def get_entry(conn: Connection, entry_id: int) -> StoredEntry:
    found = _load(conn, je.c.id == entry_id)
    if not found:
        raise NotFound(f"no journal entry {entry_id}", field="entry_id")
    return found[0]


def loan_entries(conn: Connection, loan_id: int) -> list[StoredEntry]:
    """Every entry posted with this loan id, in posting order (aggregated accruals excluded)."""
    return _load(conn, je.c.loan_id == loan_id)


def _by_source_keys(conn: Connection, keys: Sequence[str]) -> dict[str, StoredEntry]:
    found: dict[str, StoredEntry] = {}
    for start in range(0, len(keys), _CHUNK):
        for stored in _load(conn, je.c.source_key.in_(keys[start:start + _CHUNK])):
            assert stored.source_key is not None
            found[stored.source_key] = stored
    return found


# -- posting -------------------------------------------------------------------------------------

def _entry_values(entry: Entry) -> dict[str, Any]:
    return {"reason": entry.reason.value, "effective_date": entry.effective_date,
            "loan_id": entry.loan_id, "product_code": entry.product_code,
            "source_key": entry.source_key, "reversal_of": entry.reversal_of}


def _posting_rows(entry_id: int, entry: Entry) -> list[dict[str, Any]]:
    return [{"entry_id": entry_id, "line": i, "account_code": p.account.code,
             "debit_fen": p.debit_fen, "credit_fen": p.credit_fen}
            for i, p in enumerate(entry.postings, 1)]


def _insert_keyed(conn: Connection, values: dict[str, Any]) -> int | None:
    """INSERT ... ON CONFLICT (source_key) DO NOTHING RETURNING id: None if the key exists."""
    if conn.dialect.name == "postgresql":
        pg = postgresql.insert(je).values(values).on_conflict_do_nothing(
            index_elements=[je.c.source_key])
        return conn.execute(pg.returning(je.c.id)).scalar_one_or_none()
    lite = sqlite.insert(je).values(values).on_conflict_do_nothing(
        index_elements=[je.c.source_key])
    return conn.execute(lite.returning(je.c.id)).scalar_one_or_none()


def _check_reversal(conn: Connection, entry: Entry) -> None:
    assert entry.reversal_of is not None
    original = get_entry(conn, entry.reversal_of)
    mirrored = tuple((p.account_code, p.credit_fen, p.debit_fen) for p in original.postings)
    if _payload(entry)[5] != mirrored or entry.loan_id != original.loan_id:
        raise InvalidInput(f"a reversal must mirror entry {original.entry_id} exactly",
                           field="postings", code="invalid_entry")
    already = conn.execute(select(je.c.id).where(je.c.reversal_of == entry.reversal_of)).first()
    if already is not None:
        raise Conflict(f"entry {entry.reversal_of} was already reversed by entry {already.id}",
                       field="reversal_of")


def post(conn: Connection, entry: Entry) -> int:
    """Validate, then write one entry; returns its id (the first one's for a repeated key)."""
    validate(entry)
    if entry.source_key is not None:
        existing = _by_source_keys(conn, [entry.source_key]).get(entry.source_key)
        if existing is not None:
            return _same_or_conflict(entry, existing)
    if entry.reversal_of is not None:
        _check_reversal(conn, entry)
    values = _entry_values(entry)
    if entry.source_key is None:
        entry_id = int(conn.execute(insert(je).values(values).returning(je.c.id)).scalar_one())
    else:
        keyed_id = _insert_keyed(conn, values)
        if keyed_id is None:  # a concurrent transaction posted the key first
            winner = _by_source_keys(conn, [entry.source_key])[entry.source_key]
            return _same_or_conflict(entry, winner)
        entry_id = keyed_id
    conn.execute(insert(pt), _posting_rows(entry_id, entry))
    return entry_id


def post_many(conn: Connection, entries: Iterable[Entry], *,
              keys_are_new: bool = False) -> list[int]:
    """Post a batch (the nightly run's per-product aggregates); ids in the batch's order.

    Every entry is validated before anything is written (all faults listed). Keys already
    posted return their entry (or conflict); a key repeated inside the batch is posted once.
    New entries go in with one multi-row INSERT and one executemany for their postings;
    reversals, rare in a batch, are posted one by one after them.

    ``keys_are_new=True``: the caller guarantees the source keys are new (a command whose
    idempotency key was just checked), so the look-up is skipped; a duplicate still fails on the
    unique constraint rather than being posted twice.
    """
    batch = list(entries)
    problems = [f"entry {i}: {p}" for i, e in enumerate(batch) for p in entry_problems(e)]
    if problems:
        raise InvalidInput("; ".join(problems), field="entries", code="invalid_entry")
    ids: list[int | None] = [None] * len(batch)
    first: dict[str, int] = {}
    duplicate_of: dict[int, int] = {}
    for i, e in enumerate(batch):
        if e.source_key is None:
            continue
        j = first.setdefault(e.source_key, i)
        if j != i:
            if _payload(e) != _payload(batch[j]):
                raise Conflict(f"source key {e.source_key!r} appears twice in the batch with "
                               "different payloads", field="source_key")
            duplicate_of[i] = j
    existing = {} if keys_are_new else _by_source_keys(conn, list(first))
    for key, i in first.items():
        if key in existing:
            ids[i] = _same_or_conflict(batch[i], existing[key])
    fresh = [i for i, e in enumerate(batch)
             if ids[i] is None and i not in duplicate_of and e.reversal_of is None]
    _insert_batch(conn, batch, fresh, ids)
    for i, e in enumerate(batch):
        if ids[i] is None and i not in duplicate_of:
            ids[i] = post(conn, e)  # reversals
    for i, j in duplicate_of.items():
        ids[i] = ids[j]
    return [i for i in ids if i is not None]


# One statement per entry: the entry and its postings together (PostgreSQL, pipelined).
_ENTRY_WITH_POSTINGS = """
WITH e AS (
    INSERT INTO journal_entries (reason, effective_date, loan_id, product_code, source_key)
    VALUES (%(reason)s, %(effective_date)s, %(loan_id)s, %(product_code)s, %(source_key)s)
    RETURNING id)
INSERT INTO postings (entry_id, line, account_code, debit_fen, credit_fen)
SELECT e.id, p.line, p.account_code, p.debit_fen, p.credit_fen
FROM e, unnest(%(lines)s::integer[], %(accounts)s::varchar[], %(debits)s::bigint[],
               %(credits)s::bigint[]) AS p(line, account_code, debit_fen, credit_fen)
"""


def post_fresh(batch: WriteBatch, entries: Sequence[Entry]) -> None:
    """Post entries whose source keys the caller knows are new (a command whose idempotency
    key was just checked) in its closing batch: on PostgreSQL one pipelined statement per entry
    and its postings, elsewhere ``post_many(..., keys_are_new=True)``. Validated first; a
    duplicate key still fails on the unique constraint rather than being posted twice."""
    if not batch.pipelined:
        post_many(batch.conn, entries, keys_are_new=True)
        return
    problems = [f"entry {i}: {p}" for i, e in enumerate(entries) for p in entry_problems(e)]
    if problems:
        raise InvalidInput("; ".join(problems), field="entries", code="invalid_entry")
    for entry in entries:
        if entry.reversal_of is not None or entry.source_key is None:
            raise ValueError("post_fresh takes new keyed entries, not reversals")
        values = _entry_values(entry)
        del values["reversal_of"]
        batch.add(_ENTRY_WITH_POSTINGS, {
            **values, "lines": list(range(1, len(entry.postings) + 1)),
            "accounts": [p.account.code for p in entry.postings],
            "debits": [p.debit_fen for p in entry.postings],
            "credits": [p.credit_fen for p in entry.postings]})


def _insert_batch(
    conn: Connection, batch: Sequence[Entry], fresh: Sequence[int], ids: list[int | None]
) -> None:
    if not fresh:
        return
    try:
        result = conn.execute(
            insert(je).returning(je.c.id, sort_by_parameter_order=True),
            [_entry_values(batch[i]) for i in fresh],
        )
        new_ids = [row.id for row in result]
    except IntegrityError as exc:  # a concurrent writer posted one of the keys meanwhile
        raise Conflict("a source key of the batch was posted concurrently; retry the batch",
                       field="source_key") from exc
    rows: list[dict[str, Any]] = []
    for i, entry_id in zip(fresh, new_ids, strict=True):
        ids[i] = entry_id
        rows.extend(_posting_rows(entry_id, batch[i]))
    conn.execute(insert(pt), rows)


# -- balances ------------------------------------------------------------------------------------

def _sums(where: Any = None) -> Any:
    q = select(pt.c.account_code,
               cast(func.sum(pt.c.debit_fen), BigInteger).label("d"),
               cast(func.sum(pt.c.credit_fen), BigInteger).label("c"))
    if where is not None:
        q = q.join(je, je.c.id == pt.c.entry_id).where(where)
    return q.group_by(pt.c.account_code).order_by(pt.c.account_code)


def trial_balance(conn: Connection) -> list[BalanceLine]:
    """Debits and credits per account code over the whole ledger (codes in order)."""
    return [BalanceLine(r.account_code, int(r.d), int(r.c)) for r in conn.execute(_sums())]


def loan_balances(conn: Connection, loan_id: int) -> list[BalanceLine]:
    """Per-account totals of the entries posted with this loan id."""
    rows = conn.execute(_sums(je.c.loan_id == loan_id))
    return [BalanceLine(r.account_code, int(r.d), int(r.c)) for r in rows]


def account_balance(conn: Connection, account: Account, *, loan_id: int | None = None) -> int:
    """The account's balance in its normal sense (whole ledger, or one loan's entries)."""
    lines = trial_balance(conn) if loan_id is None else loan_balances(conn, loan_id)
    for line in lines:
        if line.account_code == account.code:
            return line.normal_balance_fen
    return 0


def counts(conn: Connection) -> tuple[int, int]:
    """(entries, loans): what a passing audit covered."""
    entries = conn.execute(select(func.count()).select_from(je)).scalar_one()
    loan_count = conn.execute(select(func.count()).select_from(loans)).scalar_one()
    return int(entries), int(loan_count)


# -- audit ---------------------------------------------------------------------------------------

def _written_off(column: Any) -> Any:
    return cast(func.coalesce(func.sum(
        case((loans.c.status == checks.CHARGED_OFF, 0), else_=column)), 0), BigInteger)


def _subledger(conn: Connection) -> dict[Account, int]:
    row = conn.execute(select(
        _written_off(loans.c.principal_outstanding_fen),
        _written_off(loans.c.interest_receivable_fen),
        _written_off(loans.c.penalty_receivable_fen),
        _written_off(loans.c.fee_receivable_fen),
        cast(func.coalesce(func.sum(loans.c.overpayment_fen), 0), BigInteger),
    )).one()
    return {account: int(value) for account, value in zip(checks.CONTROL_COLUMNS, row, strict=True)}


def _unbalanced(conn: Connection) -> list[tuple[int, int, int]]:
    d, c = func.sum(pt.c.debit_fen), func.sum(pt.c.credit_fen)
    rows = conn.execute(select(pt.c.entry_id, cast(d, BigInteger), cast(c, BigInteger))
                        .group_by(pt.c.entry_id).having(d != c).order_by(pt.c.entry_id))
    return [(int(i), int(dd), int(cc)) for i, dd, cc in rows]


def _without_postings(conn: Connection) -> list[int]:
    q = select(je.c.id).where(~exists().where(pt.c.entry_id == je.c.id)).order_by(je.c.id)
    return [int(i) for i in conn.execute(q).scalars()]


def _loan_principal_mismatches(conn: Connection) -> list[tuple[int, str, int, int]]:
    ledger = (
        select(je.c.loan_id.label("loan_id"),
               cast(func.sum(pt.c.debit_fen - pt.c.credit_fen), BigInteger).label("bal"))
        .join(pt, pt.c.entry_id == je.c.id)
        .where(and_(je.c.loan_id.is_not(None),
                    pt.c.account_code == Account.PRINCIPAL_RECEIVABLE.code))
        .group_by(je.c.loan_id)
        .subquery()
    )
    bal = func.coalesce(ledger.c.bal, 0)
    expected = case((loans.c.status == checks.CHARGED_OFF, 0),
                    else_=loans.c.principal_outstanding_fen)
    q = (select(loans.c.id, loans.c.status, loans.c.principal_outstanding_fen, bal)
         .outerjoin(ledger, ledger.c.loan_id == loans.c.id)
         .where(bal != expected).order_by(loans.c.id))
    return [(int(i), s, int(o), int(b)) for i, s, o, b in conn.execute(q)]


def _unknown_loans(conn: Connection) -> list[int]:
    q = (select(je.c.loan_id).distinct()
         .where(je.c.loan_id.is_not(None), ~exists().where(loans.c.id == je.c.loan_id))
         .order_by(je.c.loan_id))
    return [int(i) for i in conn.execute(q).scalars()]


def audit(conn: Connection) -> list[Problem]:
    """Every problem in the book, in the order documented in :mod:`lendcore.ledger.audit`."""
    lines = trial_balance(conn)
    return [
        *checks.trial_balance_problems(lines),
        *checks.entry_problems(_unbalanced(conn), _without_postings(conn)),
        *checks.control_problems(lines, _subledger(conn)),
        *checks.loan_problems(_loan_principal_mismatches(conn)),
        *checks.unknown_loan_problems(_unknown_loans(conn)),
    ]
