"""The embedded ledger: one SQLite file, nothing to install, safe for many processes.

Writes run in `BEGIN IMMEDIATE` transactions, which take the database's write lock at once,
so a reservation's read and write cannot interleave with another process's. A lock held
longer than the busy timeout makes the operation fail with `StoreUnavailable`, and the
engine then refuses: the ledger never answers "allowed" by default.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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

DEFAULT_PATH = Path("contactengine.db")


class SQLiteStore:
    """The ledger in a SQLite file (WAL mode); `timeout` bounds every wait for the lock."""

    def __init__(self, path: str | Path = DEFAULT_PATH, timeout: float = 5.0) -> None:
        self.path = str(path)
        self.timeout = timeout
        self._local = threading.local()
        self._upgraded = False

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
    def _transaction(self, write: bool = True) -> Iterator[sqlite3.Connection]:
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

    # --- schema -------------------------------------------------------------------------

    def upgrade(self) -> int:
        with self._transaction() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)"
            )
            done = {row[0] for row in db.execute("SELECT version FROM schema_migrations")}
            for version, script in MIGRATIONS:
                if version in done:
                    continue
                for statement in sql_statements(script):
                    db.execute(statement)
                db.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    (version, time.time()),
                )
            row = db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    # --- idempotency --------------------------------------------------------------------

    def _seen(self, db: sqlite3.Connection, key: str | None, operation: str, payload: Any) -> Any:
        """The stored result when `key` already did this; None when it is new."""
        if key is None:
            return None
        expected = fingerprint(operation, payload)
        row = db.execute(
            "SELECT fingerprint, result FROM idempotency WHERE key = ?", (key,)
        ).fetchone()
        if row is not None and check_key(key, row[0], expected):
            return json.loads(row[1])
        return None

    def _remember(
        self, db: sqlite3.Connection, key: str | None, operation: str, payload: Any, result: Any
    ) -> None:
        if key is not None:
            db.execute(
                "INSERT INTO idempotency (key, fingerprint, result) VALUES (?, ?, ?)",
                (key, fingerprint(operation, payload), json.dumps(result)),
            )

    # --- writes -------------------------------------------------------------------------

    def put_debtor(self, debtor: Debtor, key: str | None = None) -> None:
        payload = debtor.model_dump(mode="json")
        with self._transaction() as db:
            if self._seen(db, key, "put_debtor", payload) is not None:
                return
            db.execute(
                "INSERT INTO debtors (id, profile) VALUES (?, ?)"
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
            self._profile(db, debtor_id)
            db.execute(
                "INSERT INTO debts (id, debtor_id, type, actor, account_id) VALUES (?, ?, ?, ?, ?)"
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
            changed = db.execute(
                "UPDATE attempts SET outcome = ?, message_left = ? WHERE id = ?",
                (outcome, message_left, attempt_id),
            ).rowcount
            if not changed:
                raise NotFound(f"no attempt `{attempt_id}`")
            self._remember(db, key, "record_outcome", payload, True)

    def record_consent(self, debtor_id: str, consent: Consent, key: str | None = None) -> None:
        payload = [debtor_id, consent.model_dump(mode="json")]
        with self._transaction() as db:
            if self._seen(db, key, "record_consent", payload) is not None:
                return
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
            self._profile(db, debtor_id)
            revoked = db.execute(
                "UPDATE consents SET revoked_at = ? WHERE debtor_id = ? AND channel = ?"
                " AND (? IS NULL OR contact IS NULL OR contact = ?)"
                " AND (revoked_at IS NULL OR revoked_at > ?)",
                (at, debtor_id, channel, to, to, at),
            ).rowcount
            self._remember(db, key, "revoke_consent", payload, revoked)
        return int(revoked)

    def record_opt_out(self, debtor_id: str, opt_out: OptOut, key: str | None = None) -> None:
        payload = [debtor_id, opt_out.model_dump(mode="json")]
        with self._transaction() as db:
            if self._seen(db, key, "record_opt_out", payload) is not None:
                return
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
            debtor = with_flag(self._profile(db, debtor_id), flag, value)
            db.execute(
                "UPDATE debtors SET profile = ? WHERE id = ?", (profile_json(debtor), debtor_id)
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
        """Read, decide and record under the write lock: no other writer can slip between."""
        with self._transaction() as db:
            decision = decide(self._snapshot(db, debtor_id, debt_id))
            reserved = attempt.id if decision.get("allowed") else None
            if reserved is not None:
                self._insert_attempt(db, attempt)
            if log is not None:
                self._append(db, log(decision))
            return decision, reserved

    def append_decision(self, entry: dict[str, Any]) -> LogEntry:
        with self._transaction() as db:
            return self._append(db, entry)

    def decision_log(self, debtor_id: str | None = None) -> Iterator[LogEntry]:
        with self._transaction(write=False) as db:
            if debtor_id is None:
                rows = db.execute(f"{_LOG} ORDER BY seq").fetchall()
            else:
                rows = db.execute(
                    f"{_LOG} WHERE debtor_id = ? ORDER BY seq", (debtor_id,)
                ).fetchall()
        for row in rows:
            yield log_entry_from_row(row)

    # --- helpers ------------------------------------------------------------------------

    def _profile(self, db: sqlite3.Connection, debtor_id: str) -> Debtor:
        row = db.execute("SELECT profile FROM debtors WHERE id = ?", (debtor_id,)).fetchone()
        if row is None:
            raise NotFound(f"no debtor `{debtor_id}`")
        return parse_profile(row[0])

    def _snapshot(self, db: sqlite3.Connection, debtor_id: str, debt_id: str) -> Snapshot:
        debtor = self._profile(db, debtor_id)
        row = db.execute(
            "SELECT id, type, actor, account_id FROM debts WHERE id = ? AND debtor_id = ?",
            (debt_id, debtor_id),
        ).fetchone()
        if row is None:
            raise NotFound(f"no debt `{debt_id}` for debtor `{debtor_id}`")
        debt = Debt(id=row[0], type=row[1], actor=row[2], account_id=row[3])
        kinds = contact_kinds(debtor)
        events = tuple(event_from_row(row, kinds) for row in db.execute(_ATTEMPTS, (debtor_id,)))
        consents = tuple(
            consent_from_row(row)
            for row in db.execute(
                "SELECT channel, contact, given_at, revoked_at, source, given_to, kind"
                " FROM consents WHERE debtor_id = ? ORDER BY id",
                (debtor_id,),
            )
        )
        opt_outs = tuple(
            opt_out_from_row(row)
            for row in db.execute(
                "SELECT channel, contact, at FROM opt_outs WHERE debtor_id = ? ORDER BY id",
                (debtor_id,),
            )
        )
        return Snapshot(debtor, debt, events, consents, opt_outs)

    def _insert_attempt(self, db: sqlite3.Connection, attempt: AttemptRecord) -> None:
        db.execute(
            "INSERT INTO attempts (id, debtor_id, debt_ids, channel, contact, at, direction,"
            " outcome, message_left, purpose, in_reply_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                attempt.id,
                attempt.debtor_id,
                json.dumps(list(attempt.debt_ids)),
                attempt.channel,
                attempt.to,
                attempt.at,
                attempt.direction,
                attempt.outcome,
                attempt.message_left,
                attempt.purpose,
                attempt.in_reply_to,
            ),
        )

    def _insert_consent(self, db: sqlite3.Connection, debtor_id: str, consent: Consent) -> None:
        db.execute(
            "INSERT INTO consents (debtor_id, channel, contact, given_at, revoked_at, source,"
            " given_to, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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

    def _insert_opt_out(self, db: sqlite3.Connection, debtor_id: str, opt_out: OptOut) -> None:
        db.execute(
            "INSERT INTO opt_outs (debtor_id, channel, contact, at) VALUES (?, ?, ?, ?)",
            (debtor_id, opt_out.channel, opt_out.to, opt_out.at.timestamp()),
        )

    def _append(self, db: sqlite3.Connection, entry: dict[str, Any]) -> LogEntry:
        row = db.execute("SELECT seq, hash FROM decision_log ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
        digest = chain_hash(prev, entry, seq)
        db.execute(
            "INSERT INTO decision_log (seq, at, debtor_id, decision_id, ruleset, facts, decision,"
            " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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


_ATTEMPTS = (
    "SELECT id, debtor_id, debt_ids, channel, contact, at, direction, outcome, message_left,"
    " purpose, in_reply_to FROM attempts WHERE debtor_id = ? ORDER BY at, id"
)
_LOG = (
    "SELECT seq, at, debtor_id, decision_id, ruleset, facts, decision, prev_hash, hash"
    " FROM decision_log"
)
