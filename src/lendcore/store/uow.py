"""Unit of work: one command, one database transaction, committed once, rolled back by default.

    with UnitOfWork(engine) as uow:
        ... uow.conn.execute(...) ...
        uow.commit()

Leaving the block without ``commit()`` (an error, an early return) rolls everything back, so a
refused command changes nothing. Helpers never commit. ``uow.batch`` collects a command's closing
writes, sent together by ``commit()`` (one round trip on PostgreSQL; see ``store.batch``).
``UnitOfWork(engine, read_only=True)`` is for queries: on SQLite it begins deferred, so it reads
alongside a writer instead of queueing. SQLite writers queue on a lock file (``flock``) rather
than in SQLite's sleeping busy handler.
"""

from __future__ import annotations

import os
import threading
from types import TracebackType

from sqlalchemy import Connection, Engine

from lendcore.store.batch import WriteBatch

try:
    import fcntl
except ImportError:  # not on Windows: SQLite's own busy handler serialises writers there
    fcntl = None  # type: ignore[assignment]

_HELD = threading.local()


class _SqliteWriterLock:
    """One SQLite writer at a time across threads and processes, queued in the kernel.

    SQLite allows one writer; a second ``BEGIN IMMEDIATE`` sleeps in SQLite's busy handler,
    which backs off in steps of up to 100 ms: at a few hundred commands a second that sleep was
    the tail latency. Writers instead wait on ``flock`` of a lock file beside the database and
    wake the moment it is released. A unit of work nested in one already holding the lock (same
    thread) does not take it again; it falls back to the busy handler, as before.
    """

    def __init__(self, database: str) -> None:
        self.path = database + "-writer"
        self.fd: int | None = None

    def acquire(self) -> None:
        if fcntl is None or getattr(_HELD, "lock", False):
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self.fd, _HELD.lock = fd, True

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor releases the lock
            self.fd, _HELD.lock = None, False


def _writer_lock(engine: Engine, read_only: bool) -> _SqliteWriterLock | None:
    database = engine.url.database
    if read_only or engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return _SqliteWriterLock(database)


class UnitOfWork:
    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self.engine = engine
        self.read_only = read_only
        self._conn: Connection | None = None
        self._batch: WriteBatch | None = None
        self._committed = False
        self._lock: _SqliteWriterLock | None = None

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
        # The writer lock is taken after the pool's checkout and given up before its check-in:
        # neither is part of the database's serial section.
        conn = self.engine.connect()
        try:
            if self.read_only:
                conn = conn.execution_options(lendcore_read_only=True)
            self._lock = _writer_lock(self.engine, self.read_only)
            if self._lock is not None:
                self._lock.acquire()
            conn.begin()
        except BaseException:
            self._release()
            conn.close()
            raise
        self._conn = conn
        return self

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

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
            self._release()
            conn.close()
            self._conn = None
            self._batch = None
