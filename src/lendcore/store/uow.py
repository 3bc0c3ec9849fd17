"""Unit of work: one command, one database transaction, committed once, rolled back by default.

    with UnitOfWork(engine) as uow:
        ... uow.conn.execute(...) ...
        uow.commit()

Leaving the block without ``commit()`` (an error, an early return) rolls everything back, so a
refused command changes nothing. Helpers never commit. ``uow.batch`` collects a command's closing
writes, sent together by ``commit()`` (one round trip on PostgreSQL; see ``store.batch``).
``UnitOfWork(engine, read_only=True)`` is for queries: on SQLite it begins deferred, so it reads
alongside a writer instead of queueing.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine

from lendcore.store.batch import WriteBatch


class UnitOfWork:
    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self.engine = engine
        self.read_only = read_only
        self._conn: Connection | None = None
        self._batch: WriteBatch | None = None
        self._committed = False

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("UnitOfWork used outside its with-block")
        return self._conn

    @property
    def batch(self) -> WriteBatch:
        """Closing writes nothing reads before the commit; ``commit()`` sends them first."""
        if self._batch is None:
            self._batch = WriteBatch(self.conn)
        return self._batch

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def __enter__(self) -> UnitOfWork:
        conn = self.engine.connect()
        if self.read_only:
            conn = conn.execution_options(lendcore_read_only=True)
        self._conn = conn
        self._conn.begin()
        return self

    def commit(self) -> None:
        if self._batch is not None:
            self._batch.run()
        self.conn.commit()
        self._committed = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self.conn
        try:
            if conn.in_transaction():
                conn.rollback()
        finally:
            conn.close()
            self._conn = None
            self._batch = None
