"""What the decision module keeps per application: the kernel it serves, its engine (with the knowledge cache)
and a read-only way into the database for checks that run inside another module's transaction."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from his.kernel.db import is_sqlite

if TYPE_CHECKING:
    from his.decision.engine import Engine
    from his.kernel.runtime import Kernel


def _sqlite_reader_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


@dataclass(slots=True)
class DecisionState:
    kernel: Kernel | None = None
    _engine: Engine | None = None
    _reader: AsyncEngine | None = None
    _warming: threading.Thread | None = None

    def warm_up(self) -> None:
        """Compiles the shipped knowledge in the background once (about 1.5 s), so that the first doctor's check
        after a start does not wait for it."""
        if self._warming is None:
            self._warming = threading.Thread(target=self.engine.knowledge, args=((),), daemon=True, name="cdss-warm")
            self._warming.start()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from his.decision.engine import Engine

            self._engine = Engine()
        return self._engine

    def require_kernel(self) -> Kernel:
        if self.kernel is None:
            raise RuntimeError("decision support is not bound to an application (his.decision.api.bind)")
        return self.kernel

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """A read-only session that never waits for the write lock. Prescription checks run inside the
        prescribing module's transaction, which on SQLite holds the database's only write lock from its first
        statement (BEGIN IMMEDIATE): a second transaction of the kernel's would wait for it forever. A plain
        SQLite connection reads the last committed state beside that writer (WAL); PostgreSQL needs no trick."""
        kernel = self.require_kernel()
        if not is_sqlite(kernel.db.url):
            async with kernel.db.sessionmaker() as session:
                yield session
            return
        if self._reader is None:
            self._reader = create_async_engine(kernel.db.url, poolclass=NullPool, connect_args={"timeout": 30})
            event.listen(self._reader.sync_engine, "connect", _sqlite_reader_on_connect)
        async with AsyncSession(self._reader, expire_on_commit=False) as session:
            yield session
            await session.rollback()
