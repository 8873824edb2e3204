"""The embedded ledger: one SQLite file, nothing to install, safe for many processes.

Writes run in `BEGIN IMMEDIATE` transactions, which take the database's write lock at once,
so a reservation's read and write cannot interleave with another process's (the lock hooks
of `SQLStore` have nothing left to do). A lock held longer than the busy timeout makes the
operation fail with `StoreUnavailable`, and the engine then refuses: the ledger never
answers "allowed" by default.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from contactengine.store.base import StoreUnavailable
from contactengine.store.sql import (
    ATTEMPT_COLUMNS,
    CONSENT_COLUMNS,
    OPT_OUT_COLUMNS,
    VISIBLE_ATTEMPTS,
    SnapshotRows,
    SQLStore,
)

DEFAULT_PATH = Path("contactengine.db")


class SQLiteStore(SQLStore):
    """The ledger in a SQLite file (WAL mode); `timeout` bounds every wait for the lock."""

    def __init__(self, path: str | Path = DEFAULT_PATH, timeout: float = 5.0) -> None:
        super().__init__()
        self.path = str(path)
        self.timeout = timeout
        self._local = threading.local()
        self._upgraded = False

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    # --- connections and transactions ---------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            try:
                connection = sqlite3.connect(
                    self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
                )
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
                connection.execute("PRAGMA foreign_keys=ON")
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"cannot open the ledger {self.path}: {exc}") from exc
            self._local.connection = connection
            if not self._upgraded:  # the embedded ledger sets itself up: nothing to install
                self._upgraded = True
                self.upgrade()
        return connection

    @contextmanager
    def _transaction(self, write: bool = True, batch: bool = False) -> Iterator[sqlite3.Connection]:
        """`BEGIN IMMEDIATE` for writes; `batch` changes nothing in process."""
        connection = self._connection()
        try:
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"the ledger is busy: {exc}") from exc
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        else:
            try:
                connection.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                connection.execute("ROLLBACK")
                raise StoreUnavailable(f"the ledger could not commit: {exc}") from exc

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    # --- dialect --------------------------------------------------------------------------

    def _has_migrations_table(self, db: sqlite3.Connection) -> bool:
        row = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ).fetchone()
        return row is not None

    def _snapshot_rows(
        self,
        db: sqlite3.Connection,
        debtor_id: str,
        debt_id: str,
        since: float,
        reply_to: str | None,
    ) -> SnapshotRows | None:
        """Five statements in one read transaction: in-process, each costs microseconds."""
        found = db.execute("SELECT profile FROM debtors WHERE id = ?", (debtor_id,)).fetchone()
        if found is None:
            return None
        debt = db.execute(
            "SELECT id, type, actor, account_id FROM debts WHERE id = ? AND debtor_id = ?",
            (debt_id, debtor_id),
        ).fetchone()
        attempts = db.execute(
            f"SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE {VISIBLE_ATTEMPTS} ORDER BY at, id",
            (debtor_id, since, reply_to, reply_to),
        ).fetchall()
        consents = db.execute(
            f"SELECT {CONSENT_COLUMNS} FROM consents WHERE debtor_id = ? ORDER BY id",
            (debtor_id,),
        ).fetchall()
        opt_outs = db.execute(
            f"SELECT {OPT_OUT_COLUMNS} FROM opt_outs WHERE debtor_id = ? ORDER BY id",
            (debtor_id,),
        ).fetchall()
        return found[0], debt, attempts, consents, opt_outs
