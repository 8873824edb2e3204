"""The ledger on a PostgreSQL server, for several hosts deciding at once.

Same schema, same behaviour as the SQLite back end; what SQLite gets from its single write
lock, this one gets from transaction-scoped advisory locks, each released at commit or
rollback (never left behind by a crashed client):

* `reserve()` takes `pg_advisory_xact_lock(hashtext(debtor_id))` before it reads, so two
  reservations for one debtor run one after the other and neither decides on a history
  missing the other's attempt. A row lock (`SELECT ... FOR UPDATE`) would not do: what a
  reservation must exclude is an attempt that does not exist yet, so there is no row to
  lock, and the debtor's profile row stands for something else (locking it would make
  reservations and profile updates block each other for no reason). The advisory lock is
  per debtor (two debtors whose ids hash alike merely take turns), never blocks readers,
  and is held only for the transaction. Every other write to a debtor's records (profile,
  debts, consents, opt-outs, attempts, flags) takes the same lock, so the reads inside a
  reservation see no half-done change. An outcome is one statement changing one row, so
  it cannot be seen half-done and needs no lock. These transactions run at READ COMMITTED
  on purpose: each statement after the lock sees everything committed before the lock was
  granted (a REPEATABLE READ snapshot would be taken before the wait, and go stale).
* `upgrade()` takes a fixed advisory lock inside the migration transaction, so processes
  upgrading at once apply each migration once: the others wait, then find it recorded.
* Appending to the decision log takes another fixed advisory lock, so appends are
  serialized and the hash chain never forks. The append itself is one statement that reads
  the last entry and computes the new hash in the server (`sha256`), so the lock is held
  for that statement and the commit, not for round trips to the client.
* A write under an idempotency key locks that key first, so the same request sent twice
  at once runs once and the second gets the first's result.

Locks are taken in one order (idempotency key, then debtor, then the log), so they cannot
deadlock; a reservation takes the log's lock last, after deciding, to hold it briefly.
`timeout` sets `statement_timeout` and `lock_timeout` (and bounds connecting): a lock held
too long or a statement too slow raises `StoreUnavailable`, and the engine then refuses.
Both are enforced by the server; a server that stops answering altogether is bounded only
by the connection's TCP settings. Reads (`snapshot`, `attempts`, `decision_log`) run in
one REPEATABLE READ, read-only transaction each: one consistent view, no locks.

Connections are per thread, opened on first use in autocommit mode; every operation opens
its own transaction with `BEGIN` (psycopg's transaction blocks cost extra round trips).
`snapshot` is one statement, which sees one consistent state by itself, so it runs without
a transaction: one round trip. `reserve` and `append_decision` send their statements in
pipeline mode: a reservation is two round trips (lock and read; record, log and commit),
an append one. A connection found broken is dropped and the next call opens a
new one. Like the embedded ledger, a store sets its database up on first connection.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from contactengine.store.base import LogEntry, StoreUnavailable
from contactengine.store.common import GENESIS, chained_body, log_texts
from contactengine.store.sql import LOG_COLUMNS, SnapshotRows, SQLStore, logged

# Fixed advisory locks live in the two-key space (class, object), which PostgreSQL keeps
# apart from the one-key space the per-debtor locks use.
LOCK_CLASS = 0x43454E47  # "CENG"
MIGRATION_LOCK = 1
LOG_LOCK = 2
KEY_LOCK_CLASS = LOCK_CLASS + 1

Connection = psycopg.Connection[tuple[Any, ...]]

# Transactions are opened by statement, on a connection in autocommit mode, so that they can
# travel in a pipeline with the statements they hold.
_BEGIN_WRITE = "BEGIN ISOLATION LEVEL READ COMMITTED"
_BEGIN_READ = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"


class PostgresStore(SQLStore):
    """The ledger in a PostgreSQL database; `timeout` (seconds) bounds every statement."""

    placeholder = "%s"
    skip_locked = " FOR UPDATE SKIP LOCKED"
    by_id = 'id COLLATE "C"'

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        super().__init__()
        self.url = url
        self.timeout = timeout
        self._local = threading.local()
        self._opened: list[Connection] = []
        self._opened_lock = threading.Lock()
        self._upgraded = False

    def __repr__(self) -> str:
        return f"PostgresStore({_display(self.url)!r})"

    # --- connections and transactions ---------------------------------------------------

    def _connection(self) -> Connection:
        connection: Connection | None = getattr(self._local, "connection", None)
        if connection is not None and not connection.closed:
            return connection
        milliseconds = str(max(1, round(self.timeout * 1000)))
        try:
            connection = psycopg.connect(
                self.url, autocommit=True, connect_timeout=max(2, math.ceil(self.timeout))
            )
            connection.execute(
                "SELECT set_config('statement_timeout', %s, false),"
                " set_config('lock_timeout', %s, false)",
                (milliseconds, milliseconds),
            )
        except psycopg.Error as exc:
            raise StoreUnavailable(f"cannot open the ledger {_display(self.url)}: {exc}") from exc
        self._local.connection = connection
        with self._opened_lock:
            self._opened = [c for c in self._opened if not c.closed]
            self._opened.append(connection)
        if not self._upgraded:  # as the embedded ledger does: a new database sets itself up
            self._upgraded = True
            try:
                self.upgrade()
            except BaseException:
                self._upgraded = False
                raise
        return connection

    @contextmanager
    def _transaction(self, write: bool = True, batch: bool = False) -> Iterator[Connection]:
        """One transaction: READ COMMITTED for writes (they lock first), else a snapshot.

        `batch` sends the statements in pipeline mode, `BEGIN` and `COMMIT` included: the
        client waits only when it fetches rows, so a block of writes is one round trip.
        """
        connection = self._connection()
        begin = _BEGIN_WRITE if write else _BEGIN_READ
        try:
            try:
                if batch:
                    with connection.pipeline():
                        connection.execute(begin)
                        yield connection
                        connection.execute("COMMIT")
                else:
                    connection.execute(begin)
                    yield connection
                    connection.execute("COMMIT")
            except BaseException:
                if not (connection.broken or connection.closed):
                    connection.execute("ROLLBACK")  # only warns when nothing is open
                raise
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            if connection.broken or connection.closed:
                connection.close()
                self._local.connection = None
            raise StoreUnavailable(f"the ledger did not answer: {_first_line(exc)}") from exc

    def _single_write(self) -> AbstractContextManager[Connection]:
        """In autocommit mode one statement is its own transaction: one round trip."""
        return self._reader()

    @contextmanager
    def _reader(self) -> Iterator[Connection]:
        """No transaction: every read run here is one statement (the snapshot, a profile),
        which sees one consistent state by itself. One round trip."""
        connection = self._connection()
        try:
            yield connection
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            if connection.broken or connection.closed:
                connection.close()
                self._local.connection = None
            raise StoreUnavailable(f"the ledger did not answer: {_first_line(exc)}") from exc

    def close(self) -> None:
        """Close every connection this store opened, in any thread."""
        with self._opened_lock:
            opened, self._opened = self._opened, []
        for connection in opened:
            connection.close()
        self._local.connection = None

    # --- locks --------------------------------------------------------------------------

    def _lock_debtor(self, db: Connection, debtor_id: str) -> None:
        db.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (debtor_id,))

    def _lock_key(self, db: Connection, key: str) -> None:
        """A concurrent request under the same key waits, then finds this one's result
        instead of failing on the primary key."""
        db.execute("SELECT pg_advisory_xact_lock(%s::integer, hashtext(%s))", (KEY_LOCK_CLASS, key))

    def _lock_log(self, db: Connection) -> None:
        self._lock(db, LOG_LOCK)

    def _lock_migrations(self, db: Connection) -> None:
        self._lock(db, MIGRATION_LOCK)

    def _lock(self, db: Connection, lock: int) -> None:
        db.execute("SELECT pg_advisory_xact_lock(%s::integer, %s::integer)", (LOCK_CLASS, lock))

    # --- dialect --------------------------------------------------------------------------

    def _has_migrations_table(self, db: Connection) -> bool:
        """Looked up, not `CREATE ... IF NOT EXISTS`: no DDL (nor its privilege) once set up."""
        found = db.execute("SELECT to_regclass('schema_migrations')").fetchone()
        return found is not None and found[0] is not None

    def _script(self, script: str) -> str:
        return postgres_script(script)

    def _snapshot_rows(
        self, db: Connection, debtor_id: str, debt_id: str, since: float, reply_to: str | None
    ) -> SnapshotRows | None:
        """Profile, debt, attempts, consents and opt-outs in one statement: one round trip.

        The statement stacks the five kinds of row in one shape (`UNION ALL`), which the
        server produces several times faster than aggregating them as JSON.
        """
        rows = db.execute(
            _SNAPSHOT, {"debtor": debtor_id, "debt": debt_id, "since": since, "reply": reply_to}
        ).fetchall()
        profile: str | None = None
        debt: tuple[Any, ...] | None = None
        attempts: list[tuple[Any, ...]] = []
        consents: list[tuple[int, tuple[Any, ...]]] = []
        opt_outs: list[tuple[int, tuple[Any, ...]]] = []
        for kind, t1, t2, t3, t4, t5, t6, t7, t8, t9, f1, f2, n in rows:
            if kind == 2:
                attempts.append((t1, t2, t3, t4, t5, f1, t6, t7, n, t8, t9))
            elif kind == 0:
                profile = t1
            elif kind == 1:
                debt = (t1, t2, t3, t4)
            elif kind == 3:
                consents.append((n, (t1, t2, f1, f2, t3, t4, t5)))
            else:
                opt_outs.append((n, (t1, t2, f1)))
        if profile is None:
            return None
        attempts.sort(key=lambda a: (a[5], a[0].encode()))  # as SQLite orders them
        consents.sort(key=lambda c: c[0])
        opt_outs.sort(key=lambda o: o[0])
        return (
            profile,
            debt,
            attempts,
            [row for _, row in consents],
            [row for _, row in opt_outs],
        )

    def _append(self, db: Connection, entry: dict[str, Any]) -> Callable[[], LogEntry]:
        """One statement reads the last entry, hashes this one to it in the server (the
        same digest as `common.chain_hash`) and inserts it."""
        head, facts, decision = log_texts(entry)
        self._lock_log(db)
        cursor = db.execute(
            _APPEND,
            {
                "at": entry["at"],
                "debtor": entry["debtor_id"],
                "decision_id": entry["decision_id"],
                "ruleset": entry["ruleset"],
                "facts": facts,
                "decision": decision,
                "body": chained_body(head, facts, decision),
                "genesis": GENESIS,
            },
        )

        def appended() -> LogEntry:
            row = cursor.fetchone()
            assert row is not None, "an INSERT ... RETURNING returns its row"
            return logged(entry, int(row[0]), str(row[1]), str(row[2]))

        return appended


# One row shape for every kind: k (0 profile, 1 debt, 2 attempt, 3 consent, 4 opt-out),
# nine text columns, two times and a number.
_SNAPSHOT = """
SELECT 0 AS k, profile AS t1, NULL::text AS t2, NULL::text AS t3, NULL::text AS t4,
  NULL::text AS t5, NULL::text AS t6, NULL::text AS t7, NULL::text AS t8, NULL::text AS t9,
  NULL::float8 AS f1, NULL::float8 AS f2, NULL::bigint AS n
  FROM debtors WHERE id = %(debtor)s
UNION ALL
SELECT 1, id, type, actor, account_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM debts WHERE id = %(debt)s AND debtor_id = %(debtor)s
UNION ALL
SELECT 2, id, debtor_id, debt_ids, channel, contact, direction, outcome, purpose, in_reply_to,
  at, NULL, message_left
  FROM attempts WHERE debtor_id = %(debtor)s
    AND (at >= %(since)s OR id = %(reply)s OR in_reply_to = %(reply)s)
UNION ALL
SELECT 3, channel, contact, source, given_to, kind, NULL, NULL, NULL, NULL,
  given_at, revoked_at, id
  FROM consents WHERE debtor_id = %(debtor)s
UNION ALL
SELECT 4, channel, contact, NULL, NULL, NULL, NULL, NULL, NULL, NULL, at, NULL, id
  FROM opt_outs WHERE debtor_id = %(debtor)s
"""
_APPEND = f"""
INSERT INTO decision_log ({LOG_COLUMNS})
SELECT p.seq + 1, %(at)s, %(debtor)s, %(decision_id)s, %(ruleset)s, %(facts)s, %(decision)s,
  p.hash,
  encode(sha256(convert_to(p.hash || (p.seq + 1)::text, 'UTF8') || %(body)s::bytea), 'hex')
FROM (SELECT coalesce(last.seq, 0) AS seq, coalesce(last.hash, %(genesis)s::text) AS hash
      FROM (SELECT 1) one
      LEFT JOIN LATERAL (SELECT seq, hash FROM decision_log ORDER BY seq DESC LIMIT 1) last
        ON true) p
RETURNING seq, prev_hash, hash
"""


def postgres_script(script: str) -> str:
    """A shared migration in PostgreSQL's dialect, with SQLite's meaning kept.

    SQLite's `INTEGER PRIMARY KEY` is a 64-bit rowid filled in when omitted: an identity
    column here. SQLite's `REAL` is an 8-byte float; PostgreSQL's is 4 bytes (epoch
    seconds would lose minutes), so `DOUBLE PRECISION`.
    """
    script = re.sub(
        r"\bINTEGER PRIMARY KEY\b", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", script
    )
    return re.sub(r"\bREAL\b", "DOUBLE PRECISION", script)


def _display(url: str) -> str:
    """The database's address without its password, for messages."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error:
        return "(unparsable database URL)"
    host = params.get("host") or "localhost"
    port = params.get("port") or 5432
    user = f"{params['user']}@" if params.get("user") else ""
    name = params.get("dbname") or ""
    return f"postgresql://{user}{host}:{port}/{name}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
