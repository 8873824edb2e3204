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
  debts, consents, opt-outs, attempts, outcomes, flags) takes the same lock, so the reads
  inside a reservation see no half-done change. These transactions run at READ COMMITTED
  on purpose: each statement after the lock sees everything committed before the lock was
  granted (a REPEATABLE READ snapshot would be taken before the wait, and go stale).
* `upgrade()` takes a fixed advisory lock inside the migration transaction, so processes
  upgrading at once apply each migration once: the others wait, then find it recorded.
* `append_decision()` takes another fixed advisory lock, so appends are serialized and the
  hash chain never forks.
* A write under an idempotency key locks that key first, so the same request sent twice
  at once runs once and the second gets the first's result.

Locks are taken in one order (idempotency key, then debtor, then the log), so they cannot
deadlock; a reservation takes the log's lock last, after deciding, to hold it briefly.
`timeout` sets `statement_timeout` and `lock_timeout` (and bounds connecting): a lock held
too long or a statement too slow raises `StoreUnavailable`, and the engine then refuses.
Both are enforced by the server; a server that stops answering altogether is bounded only
by the connection's TCP settings. Reads (`snapshot`, `attempts`, `decision_log`) run in
one REPEATABLE READ, read-only transaction each: one consistent view, no locks.

Connections are per thread, opened on first use with autocommit off; every operation is
one explicit transaction. A connection found broken is dropped and the next call opens a
new one. Like the embedded ledger, a store sets its database up on first connection.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import IsolationLevel
from psycopg.conninfo import conninfo_to_dict

from contactengine.engine.facts import contact_kinds
from contactengine.engine.models import Consent, Debt, Debtor, OptOut
from contactengine.store.base import (
    AttemptRecord,
    Decider,
    LogEntry,
    Logger,
    NotFound,
    Snapshot,
    StoreUnavailable,
)
from contactengine.store.common import (
    GENESIS,
    attempt_from_row,
    chain_hash,
    check_key,
    consent_from_row,
    event_from_row,
    fingerprint,
    log_entry_from_row,
    opt_out_from_row,
    parse_profile,
    profile_json,
    sql_statements,
    with_flag,
)
from contactengine.store.migrations import MIGRATIONS

# Fixed advisory locks live in the two-key space (class, object), which PostgreSQL keeps
# apart from the one-key space the per-debtor locks use.
LOCK_CLASS = 0x43454E47  # "CENG"
MIGRATION_LOCK = 1
LOG_LOCK = 2
KEY_LOCK_CLASS = LOCK_CLASS + 1

Connection = psycopg.Connection[tuple[Any, ...]]


class PostgresStore:
    """The ledger in a PostgreSQL database; `timeout` (seconds) bounds every statement."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
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
                self.url, autocommit=False, connect_timeout=max(2, math.ceil(self.timeout))
            )
            connection.execute(
                "SELECT set_config('statement_timeout', %s, false),"
                " set_config('lock_timeout', %s, false)",
                (milliseconds, milliseconds),
            )
            connection.commit()
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
    def _transaction(self, write: bool = True) -> Iterator[Connection]:
        """One transaction: READ COMMITTED for writes (they lock first), else a snapshot."""
        connection = self._connection()
        try:
            connection.isolation_level = (
                IsolationLevel.READ_COMMITTED if write else IsolationLevel.REPEATABLE_READ
            )
            connection.read_only = not write
            with connection.transaction():
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
        """Held to commit: this debtor's records change in one transaction at a time."""
        db.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (debtor_id,))

    def _lock(self, db: Connection, lock: int) -> None:
        db.execute("SELECT pg_advisory_xact_lock(%s::integer, %s::integer)", (LOCK_CLASS, lock))

    # --- schema -------------------------------------------------------------------------

    def upgrade(self) -> int:
        with self._transaction() as db:
            self._lock(db, MIGRATION_LOCK)
            found = db.execute("SELECT to_regclass('schema_migrations')").fetchone()
            if found is None or found[0] is None:  # no DDL (nor its privilege) once set up
                db.execute(
                    "CREATE TABLE schema_migrations"
                    " (version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
                )
            done = {row[0] for row in db.execute("SELECT version FROM schema_migrations")}
            for version, script in MIGRATIONS:
                if version in done:
                    continue
                for statement in sql_statements(postgres_script(script)):
                    db.execute(statement)
                db.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (%s, %s)",
                    (version, time.time()),
                )
            row = db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0) if row else 0

    # --- idempotency --------------------------------------------------------------------

    def _seen(self, db: Connection, key: str | None, operation: str, payload: Any) -> Any:
        """The stored result when `key` already did this; None when it is new.

        Locks the key to commit: a concurrent request under the same key waits, then finds
        this one's result instead of failing on the primary key.
        """
        if key is None:
            return None
        db.execute("SELECT pg_advisory_xact_lock(%s::integer, hashtext(%s))", (KEY_LOCK_CLASS, key))
        expected = fingerprint(operation, payload)
        row = db.execute(
            "SELECT fingerprint, result FROM idempotency WHERE key = %s", (key,)
        ).fetchone()
        if row is not None and check_key(key, row[0], expected):
            return json.loads(row[1])
        return None

    def _remember(
        self, db: Connection, key: str | None, operation: str, payload: Any, result: Any
    ) -> None:
        if key is not None:
            db.execute(
                "INSERT INTO idempotency (key, fingerprint, result) VALUES (%s, %s, %s)",
                (key, fingerprint(operation, payload), json.dumps(result)),
            )

    # --- writes -------------------------------------------------------------------------

    def put_debtor(self, debtor: Debtor, key: str | None = None) -> None:
        payload = debtor.model_dump(mode="json")
        with self._transaction() as db:
            if self._seen(db, key, "put_debtor", payload) is not None:
                return
            self._lock_debtor(db, debtor.id)
            db.execute(
                "INSERT INTO debtors (id, profile) VALUES (%s, %s)"
                " ON CONFLICT (id) DO UPDATE SET profile = excluded.profile",
                (debtor.id, profile_json(debtor)),
            )
            for consent in debtor.consents:
                self._insert_consent(db, debtor.id, consent)
            for opt_out in debtor.opt_outs:
                self._insert_opt_out(db, debtor.id, opt_out)
            self._remember(db, key, "put_debtor", payload, True)

    def put_debt(self, debtor_id: str, debt: Debt, key: str | None = None) -> None:
        with self._transaction() as db:
            self._lock_debtor(db, debtor_id)
            self._profile(db, debtor_id)
            db.execute(
                "INSERT INTO debts (id, debtor_id, type, actor, account_id)"
                " VALUES (%s, %s, %s, %s, %s)"
                " ON CONFLICT (id) DO UPDATE SET debtor_id = excluded.debtor_id,"
                " type = excluded.type, actor = excluded.actor, account_id = excluded.account_id",
                (debt.id, debtor_id, debt.type, debt.actor, debt.account_id),
            )

    def record_attempt(self, attempt: AttemptRecord, key: str | None = None) -> str:
        payload = attempt.__dict__
        with self._transaction() as db:
            found = self._seen(db, key, "record_attempt", payload)
            if found is not None:
                return str(found)
            self._lock_debtor(db, attempt.debtor_id)
            self._profile(db, attempt.debtor_id)
            self._insert_attempt(db, attempt)
            self._remember(db, key, "record_attempt", payload, attempt.id)
        return attempt.id

    def record_outcome(
        self,
        attempt_id: str,
        outcome: str,
        message_left: bool | None = None,
        key: str | None = None,
    ) -> None:
        payload = [attempt_id, outcome, message_left]
        with self._transaction() as db:
            if self._seen(db, key, "record_outcome", payload) is not None:
                return
            row = db.execute(
                "SELECT debtor_id FROM attempts WHERE id = %s", (attempt_id,)
            ).fetchone()
            if row is None:
                raise NotFound(f"no attempt `{attempt_id}`")
            self._lock_debtor(db, row[0])
            db.execute(
                "UPDATE attempts SET outcome = %s, message_left = %s WHERE id = %s",
                (outcome, _integer(message_left), attempt_id),
            )
            self._remember(db, key, "record_outcome", payload, True)

    def record_consent(self, debtor_id: str, consent: Consent, key: str | None = None) -> None:
        payload = [debtor_id, consent.model_dump(mode="json")]
        with self._transaction() as db:
            if self._seen(db, key, "record_consent", payload) is not None:
                return
            self._lock_debtor(db, debtor_id)
            self._profile(db, debtor_id)
            self._insert_consent(db, debtor_id, consent)
            self._remember(db, key, "record_consent", payload, True)

    def revoke_consent(
        self, debtor_id: str, channel: str, to: str | None, at: float, key: str | None = None
    ) -> int:
        """Revoke every consent for this channel and contact point (or all, `to` None)."""
        payload = [debtor_id, channel, to, at]
        with self._transaction() as db:
            found = self._seen(db, key, "revoke_consent", payload)
            if found is not None:
                return int(found)
            self._lock_debtor(db, debtor_id)
            self._profile(db, debtor_id)
            revoked = db.execute(
                "UPDATE consents SET revoked_at = %s WHERE debtor_id = %s AND channel = %s"
                " AND (%s::text IS NULL OR contact IS NULL OR contact = %s)"
                " AND (revoked_at IS NULL OR revoked_at > %s)",
                (at, debtor_id, channel, to, to, at),
            ).rowcount
            self._remember(db, key, "revoke_consent", payload, revoked)
        return int(revoked)

    def record_opt_out(self, debtor_id: str, opt_out: OptOut, key: str | None = None) -> None:
        payload = [debtor_id, opt_out.model_dump(mode="json")]
        with self._transaction() as db:
            if self._seen(db, key, "record_opt_out", payload) is not None:
                return
            self._lock_debtor(db, debtor_id)
            self._profile(db, debtor_id)
            self._insert_opt_out(db, debtor_id, opt_out)
            self._remember(db, key, "record_opt_out", payload, True)

    def set_flag(
        self, debtor_id: str, flag: str, value: bool | list[str], key: str | None = None
    ) -> None:
        payload = [debtor_id, flag, value]
        with self._transaction() as db:
            if self._seen(db, key, "set_flag", payload) is not None:
                return
            self._lock_debtor(db, debtor_id)
            debtor = with_flag(self._profile(db, debtor_id), flag, value)
            db.execute(
                "UPDATE debtors SET profile = %s WHERE id = %s", (profile_json(debtor), debtor_id)
            )
            self._remember(db, key, "set_flag", payload, True)

    # --- reads --------------------------------------------------------------------------

    def snapshot(self, debtor_id: str, debt_id: str) -> Snapshot:
        with self._transaction(write=False) as db:
            return self._snapshot(db, debtor_id, debt_id)

    def attempts(self, debtor_id: str) -> list[AttemptRecord]:
        with self._transaction(write=False) as db:
            return [attempt_from_row(row) for row in db.execute(_ATTEMPTS, (debtor_id,))]

    def reserve(
        self,
        debtor_id: str,
        debt_id: str,
        decide: Decider,
        attempt: AttemptRecord,
        log: Logger | None = None,
    ) -> tuple[dict[str, Any], str | None]:
        """Lock the debtor, read, decide, record and log: no other reservation slips between.

        The log's lock is taken last, once the decision is made, so reservations for
        different debtors queue on it only for the append and the commit.
        """
        with self._transaction() as db:
            self._lock_debtor(db, debtor_id)
            decision = decide(self._snapshot(db, debtor_id, debt_id))
            reserved = attempt.id if decision.get("allowed") else None
            if reserved is not None:
                self._insert_attempt(db, attempt)
            if log is not None:
                entry = log(decision)
                self._lock(db, LOG_LOCK)
                self._append(db, entry)
            return decision, reserved

    def append_decision(self, entry: dict[str, Any]) -> LogEntry:
        with self._transaction() as db:
            self._lock(db, LOG_LOCK)
            return self._append(db, entry)

    def decision_log(self, debtor_id: str | None = None) -> Iterator[LogEntry]:
        with self._transaction(write=False) as db:
            if debtor_id is None:
                rows = db.execute(f"{_LOG} ORDER BY seq").fetchall()
            else:
                rows = db.execute(
                    f"{_LOG} WHERE debtor_id = %s ORDER BY seq", (debtor_id,)
                ).fetchall()
        for row in rows:
            yield log_entry_from_row(row)

    # --- helpers ------------------------------------------------------------------------

    def _profile(self, db: Connection, debtor_id: str) -> Debtor:
        row = db.execute("SELECT profile FROM debtors WHERE id = %s", (debtor_id,)).fetchone()
        if row is None:
            raise NotFound(f"no debtor `{debtor_id}`")
        return parse_profile(row[0])

    def _snapshot(self, db: Connection, debtor_id: str, debt_id: str) -> Snapshot:
        """Profile, debt, attempts, consents and opt-outs in one statement: one round trip."""
        row = db.execute(_SNAPSHOT, {"debtor": debtor_id, "debt": debt_id}).fetchone()
        if row is None:
            raise NotFound(f"no debtor `{debtor_id}`")
        profile, debt_row, attempts, consents, opt_outs = row
        if debt_row is None:
            raise NotFound(f"no debt `{debt_id}` for debtor `{debtor_id}`")
        debtor = parse_profile(profile)
        debt = Debt(id=debt_row[0], type=debt_row[1], actor=debt_row[2], account_id=debt_row[3])
        kinds = contact_kinds(debtor)
        return Snapshot(
            debtor,
            debt,
            tuple(event_from_row(row, kinds) for row in attempts),
            tuple(consent_from_row(row) for row in consents),
            tuple(opt_out_from_row(row) for row in opt_outs),
        )

    def _insert_attempt(self, db: Connection, attempt: AttemptRecord) -> None:
        db.execute(
            "INSERT INTO attempts (id, debtor_id, debt_ids, channel, contact, at, direction,"
            " outcome, message_left, purpose, in_reply_to)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                attempt.id,
                attempt.debtor_id,
                json.dumps(list(attempt.debt_ids)),
                attempt.channel,
                attempt.to,
                attempt.at,
                attempt.direction,
                attempt.outcome,
                _integer(attempt.message_left),
                attempt.purpose,
                attempt.in_reply_to,
            ),
        )

    def _insert_consent(self, db: Connection, debtor_id: str, consent: Consent) -> None:
        db.execute(
            "INSERT INTO consents (debtor_id, channel, contact, given_at, revoked_at, source,"
            " given_to, kind) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                debtor_id,
                consent.channel,
                consent.to,
                consent.given_at.timestamp(),
                consent.revoked_at.timestamp() if consent.revoked_at else None,
                consent.source,
                consent.given_to,
                consent.kind,
            ),
        )

    def _insert_opt_out(self, db: Connection, debtor_id: str, opt_out: OptOut) -> None:
        db.execute(
            "INSERT INTO opt_outs (debtor_id, channel, contact, at) VALUES (%s, %s, %s, %s)",
            (debtor_id, opt_out.channel, opt_out.to, opt_out.at.timestamp()),
        )

    def _append(self, db: Connection, entry: dict[str, Any]) -> LogEntry:
        row = db.execute("SELECT seq, hash FROM decision_log ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (int(row[0]) + 1, str(row[1])) if row else (1, GENESIS)
        digest = chain_hash(prev, entry, seq)
        db.execute(
            "INSERT INTO decision_log (seq, at, debtor_id, decision_id, ruleset, facts, decision,"
            " prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                seq,
                entry["at"],
                entry["debtor_id"],
                entry["decision_id"],
                entry["ruleset"],
                json.dumps(entry["facts"], sort_keys=True),
                json.dumps(entry["decision"], sort_keys=True),
                prev,
                digest,
            ),
        )
        return LogEntry(
            seq,
            entry["at"],
            entry["debtor_id"],
            entry["decision_id"],
            entry["ruleset"],
            entry["facts"],
            entry["decision"],
            prev,
            digest,
        )


# Attempts in the same order as SQLite's: by time, then id compared byte by byte (the
# database's collation might sort ids otherwise).
_ATTEMPTS = (
    "SELECT id, debtor_id, debt_ids, channel, contact, at, direction, outcome, message_left,"
    ' purpose, in_reply_to FROM attempts WHERE debtor_id = %s ORDER BY at, id COLLATE "C"'
)
_SNAPSHOT = """
SELECT d.profile,
  (SELECT json_build_array(b.id, b.type, b.actor, b.account_id)
     FROM debts b WHERE b.id = %(debt)s AND b.debtor_id = d.id),
  (SELECT coalesce(json_agg(json_build_array(a.id, a.debtor_id, a.debt_ids, a.channel,
            a.contact, a.at, a.direction, a.outcome, a.message_left, a.purpose, a.in_reply_to)
            ORDER BY a.at, a.id COLLATE "C"), '[]'::json)
     FROM attempts a WHERE a.debtor_id = d.id),
  (SELECT coalesce(json_agg(json_build_array(c.channel, c.contact, c.given_at, c.revoked_at,
            c.source, c.given_to, c.kind) ORDER BY c.id), '[]'::json)
     FROM consents c WHERE c.debtor_id = d.id),
  (SELECT coalesce(json_agg(json_build_array(o.channel, o.contact, o.at) ORDER BY o.id),
            '[]'::json)
     FROM opt_outs o WHERE o.debtor_id = d.id)
FROM debtors d WHERE d.id = %(debtor)s
"""
_LOG = (
    "SELECT seq, at, debtor_id, decision_id, ruleset, facts, decision, prev_hash, hash"
    " FROM decision_log"
)


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


def _integer(value: bool | None) -> int | None:
    """Booleans are stored as 0 and 1, as SQLite does (the column is INTEGER)."""
    return None if value is None else int(value)


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
