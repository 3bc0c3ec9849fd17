"""Key rotation and key use over the owners' sealed columns.

Each owner of a table with sealed columns describes them as a :class:`SealedTable`: the table,
its sealed columns, and its own writer, a compare-and-set update (``SET col = new WHERE id = :id
AND col = old``) -- this module reads, the owner writes.

:func:`rotate` walks each table in id order, ``batch_size`` rows at a time: it reads the rows
holding a value not sealed with the active key, opens each such value and seals it again with
the active key, and has the owner write the batch, **one transaction per batch**. Killed at any
point, every committed batch is on the new key and the batch in flight rolled back whole, still
on its old key (which stays in the ring): run again, it finds what is left and goes on. A value
that changed meanwhile (a returning customer's new mobile) is left alone by the compare-and-set
and, if still on an old key, found by the next run. ``max_batches`` stops early on purpose (a
maintenance window; the tests' interrupted run).

:func:`key_use` counts the values per key id and column (``lendcore keys status``): a retired
key may leave the ring only when it counts zero.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Column, Connection, Engine, and_, case, func, or_, select
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ColumnElement

from lendcore.pii.keyring import KeyRing, current
from lendcore.pii.sealing import SealError, key_id_of, prefix, seal, unseal
from lendcore.store.uow import UnitOfWork

NOT_SEALED = "(not a sealed value)"


@dataclass(frozen=True, slots=True)
class Resealed:
    """One value re-sealed: the row, the column, the value read and its replacement."""

    row_id: int
    column: str
    old: str
    new: str


Writer = Callable[[Connection, Sequence[Resealed]], int]



def reseal_rows(conn: Connection, statements: dict[str, Executable],
                changes: Sequence[Resealed]) -> int:
    """An owner's rotation batch: run its compare-and-set statement per column (``rid``,
    ``old``, ``new``); each value is replaced only if it is still the one read. Rows written
    (both drivers report an executemany's total row count)."""
    written = 0
    for column, statement in statements.items():
        params = [{"rid": c.row_id, "old": c.old, "new": c.new}
                  for c in changes if c.column == column]
        if params:
            written += conn.execute(statement, params).rowcount
    return written


@dataclass(frozen=True, slots=True)
class SealedTable:
    """A table's sealed columns and its owner's compare-and-set writer (rows written)."""

    table: object  # sqlalchemy Table (typed loosely: the owners pass their own)
    columns: tuple[str, ...]
    write: Writer
    key: str = "id"

    @property
    def name(self) -> str:
        return str(getattr(self.table, "name"))  # noqa: B009

    def column(self, name: str) -> Column[str]:
        found: Column[str] = getattr(self.table, "c")[name]  # noqa: B009
        return found

    def aad(self, column: str) -> str:
        """The associated-data name of a column: ``table.column``."""
        return f"{self.name}.{column}"


@dataclass(slots=True)
class Rotation:
    """What a rotation did: values re-sealed, batches committed, whether it finished."""

    active: str
    resealed: int = 0
    batches: int = 0
    finished: bool = False
    skipped: int = 0  # changed by another writer during the batch (compare-and-set missed)
    per_table: Counter[str] = field(default_factory=Counter)


def _on_old_key(col: ColumnElement[str], active: str) -> ColumnElement[bool]:
    p = prefix(active)
    return and_(col.is_not(None), func.substr(col, 1, len(p)) != p)


def rotate(engine: Engine, tables: Sequence[SealedTable], ring: KeyRing | None = None, *,
           batch_size: int = 500, max_batches: int | None = None,
           progress: Callable[[Rotation], None] | None = None) -> Rotation:
    """Re-seal every value not on the ring's active key; one committed transaction per batch
    (see the module's docstring). Resumable: run again after any stop."""
    ring = ring or current()
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    done = Rotation(ring.active)
    for spec in tables:
        pk = spec.column(spec.key)
        cols = [spec.column(c) for c in spec.columns]
        pending = or_(*(_on_old_key(c, ring.active) for c in cols))
        after = 0
        while True:
            if max_batches is not None and done.batches >= max_batches:
                return done
            with UnitOfWork(engine) as uow:
                rows = uow.conn.execute(select(pk, *cols).where(pk > after, pending)
                                        .order_by(pk).limit(batch_size)).all()
                if not rows:
                    break
                changes = [Resealed(int(row[0]), name, value,
                                    seal(unseal(value, spec.aad(name), ring), spec.aad(name),
                                         ring))
                           for row in rows
                           for name, value in zip(spec.columns, row[1:], strict=True)
                           if value is not None and not value.startswith(prefix(ring.active))]
                written = spec.write(uow.conn, changes)
                uow.commit()
            after = int(rows[-1][0])
            done.batches += 1
            done.resealed += written
            done.skipped += len(changes) - written
            done.per_table[spec.name] += written
            if progress is not None:
                progress(done)
    done.finished = True
    return done


@dataclass(frozen=True, slots=True)
class KeyUse:
    """Values per key id, per ``table.column``; keys of the ring no value uses."""

    active: str
    ring_keys: tuple[str, ...]
    counts: dict[str, Counter[str]]  # table.column -> key id -> values

    def by_key(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for per_key in self.counts.values():
            total.update(per_key)
        return total

    def removable(self) -> list[str]:
        """Retired keys of the ring that no value uses: they may leave the ring."""
        used = self.by_key()
        return [k for k in self.ring_keys if k != self.active and used[k] == 0]

    def missing(self) -> list[str]:
        """Key ids values name that the ring does not hold (those values cannot be opened)."""
        return sorted(k for k, n in self.by_key().items() if n and k not in self.ring_keys)


def key_use(engine: Engine, tables: Sequence[SealedTable], ring: KeyRing | None = None
            ) -> KeyUse:
    """Count the sealed values per key id: one aggregate per column for the ring's keys, then
    (only if some value names another key) a look at those values."""
    ring = ring or current()
    ids = sorted(ring.keys)
    counts: dict[str, Counter[str]] = {}
    with engine.connect() as conn:
        for spec in tables:
            for name in spec.columns:
                col = spec.column(name)
                sums = [func.coalesce(func.sum(case(
                    (func.substr(col, 1, len(prefix(k))) == prefix(k), 1), else_=0)), 0)
                    for k in ids]
                row = conn.execute(select(func.count(col), *sums)).one()
                per_key: Counter[str] = Counter({k: int(n) for k, n in zip(ids, row[1:],
                                                                              strict=True)})
                if int(row[0]) > sum(per_key.values()):
                    known = [func.substr(col, 1, len(prefix(k))) != prefix(k) for k in ids]
                    for (value,) in conn.execute(select(col).where(col.is_not(None), *known)):
                        per_key[_key_id_or_unreadable(value)] += 1
                counts[spec.aad(name)] = per_key
    return KeyUse(ring.active, tuple(ids), counts)


def _key_id_or_unreadable(value: str) -> str:
    try:
        return key_id_of(value)
    except SealError:
        return NOT_SEALED
