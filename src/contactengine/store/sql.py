"""The ledger's operations written once in SQL, for SQLite and PostgreSQL alike.

Statements use `?` placeholders; a back end whose driver wants another style translates
them once (`_q`). What differs between the two is kept behind a few hooks: how a
transaction is opened, which locks a write takes (SQLite's `BEGIN IMMEDIATE` already
serializes writers, so its lock hooks do nothing), how a snapshot is read in one round
trip, and how a log entry is appended.
"""

from __future__ import annotations

import json
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from contactengine.model.contact import any_contact_point
from contactengine.model.debtor import Consent, Debt, Debtor, InconvenientTime, OptOut
from contactengine.model.decision import Decision
from contactengine.model.records import AttemptRecord, PlannedMessage, check_settlement
from contactengine.store.base import (
    ApiKeyRecord,
    ConflictingKey,
    Decider,
    LogEntry,
    Logger,
    NotFound,
    Snapshot,
)
from contactengine.store.common import (
    GENESIS,
    attempt_from_row,
    chain_hash,
    chained_body,
    check_key,
    consent_from_row,
    event_from_row,
    fingerprint,
    log_entry_from_row,
    log_texts,
    opt_out_from_row,
    parse_profile,
    profile_json,
    revoked_point,
    sql_statements,
    with_flag,
    with_inconvenient_times,
)
from contactengine.store.migrations import MIGRATIONS

Row = Sequence[Any]
# The rows of one snapshot: profile, debt, attempts, consents, opt-outs.
SnapshotRows = tuple[str, Row | None, Sequence[Row], Sequence[Row], Sequence[Row]]

ATTEMPT_COLUMNS = (
    "id, debtor_id, debt_ids, channel, contact, at, direction, outcome, message_left,"
    " purpose, in_reply_to"
)
CONSENT_COLUMNS = "channel, contact, given_at, revoked_at, source, given_to, kind"
OPT_OUT_COLUMNS = "channel, contact, at"
API_KEY_COLUMNS = "id, name, digest, scope, created_at, revoked_at"
LOG_COLUMNS = "seq, at, debtor_id, decision_id, ruleset, facts, decision, prev_hash, hash"
MESSAGE_COLUMNS = (
    "id, debtor_id, debt_id, channel, template, not_before, contact, variables, status,"
    " due_at, tries, reason, attempt_id, claimed_by, claim_until, provider_id"
)
# Attempts a snapshot reads: those inside the rules' reach, and any about the contact
# being answered (a reply's exception looks at them however old they are).
VISIBLE_ATTEMPTS = "debtor_id = ? AND (at >= ? OR id = ? OR in_reply_to = ?)"


class SQLStore(ABC):
    """Every ledger operation, over a connection a back end opens (`_transaction`)."""

    placeholder = "?"
    skip_locked = ""  # appended to a claim's row selection where the dialect has it
    # Ids compare byte by byte, whatever the database's collation would do.
    by_id = "id"

    def __init__(self) -> None:
        self._statements: dict[str, str] = {}

    # --- what a back end provides ---------------------------------------------------------
    # The lock hooks do nothing by default: a back end whose writers lock the whole database
    # at BEGIN (SQLite) needs no more. PostgreSQL takes advisory locks in them.

    @abstractmethod
    def _transaction(self, write: bool = True, batch: bool = False) -> AbstractContextManager[Any]:
        """One transaction. `batch`: the caller reads only by fetching rows (never a
        rowcount), so a networked back end may send its statements without waiting."""

    def _lock_debtor(self, db: Any, debtor_id: str) -> None:
        """Held to commit: this debtor's records change in one transaction at a time."""
        return

    def _lock_key(self, db: Any, key: str) -> None:
        """Held to commit: one request under an idempotency key at a time."""
        return

    def _lock_log(self, db: Any) -> None:
        """Held to commit: appends to the hash chain one at a time."""
        return

    def _lock_migrations(self, db: Any) -> None:
        """Held to commit: one process applies migrations at a time."""
        return

    @abstractmethod
    def _has_migrations_table(self, db: Any) -> bool:
        """Whether the table recording applied migrations exists yet."""

    def _script(self, script: str) -> str:
        """A shared migration in this dialect."""
        return script

    @abstractmethod
    def _snapshot_rows(
        self, db: Any, debtor_id: str, debt_id: str, since: float, reply_to: str | None
    ) -> SnapshotRows | None:
        """The snapshot's rows, or None when there is no such debtor."""

    def _single_write(self) -> AbstractContextManager[Any]:
        """Where a write of one statement runs: a transaction, unless the back end makes
        each statement its own (one statement is atomic by itself)."""
        return self._transaction()

    def _reader(self) -> AbstractContextManager[Any]:
        """Where a read outside a write runs: a read transaction, unless the back end's
        version of the read is one statement, which sees one consistent state by itself."""
        return self._transaction(write=False)

    # --- statements -----------------------------------------------------------------------

    def _q(self, sql: str) -> str:
        """The statement in this driver's placeholder style (translated once, then cached)."""
        found = self._statements.get(sql)
        if found is None:
            found = sql.replace("?", self.placeholder)
            self._statements[sql] = found
        return found

    def _run(self, db: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        return db.execute(self._q(sql), params)

    # --- schema -----------------------------------------------------------------------------

    def upgrade(self) -> int:
        """Apply pending migrations; safe to run by several processes at once."""
        with self._transaction() as db:
            self._lock_migrations(db)
            if not self._has_migrations_table(db):
                self._run(
                    db,
                    self._script(
                        "CREATE TABLE schema_migrations"
                        " (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)"
                    ),
                )
            done = {row[0] for row in self._run(db, "SELECT version FROM schema_migrations")}
            for version, migration in MIGRATIONS:
                if version in done:
                    continue
                if isinstance(migration, str):
                    for statement in sql_statements(self._script(migration)):
                        db.execute(statement)
                else:  # a step in Python, given how to run `?` statements in this dialect
                    migration(db, self._run)
                self._run(
                    db,
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    (version, time.time()),
                )
            row = self._run(db, "SELECT MAX(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0) if row else 0

    # --- idempotency ----------------------------------------------------------------------

    def _seen(self, db: Any, key: str | None, operation: str, payload: Any) -> Any:
        """The stored result when `key` already did this; None when it is new."""
        if key is None:
            return None
        self._lock_key(db, key)
        row = self._run(
            db, "SELECT fingerprint, result FROM idempotency WHERE key = ?", (key,)
        ).fetchone()
        if row is not None and check_key(key, row[0], fingerprint(operation, payload)):
            return json.loads(row[1])
        return None

    def _remember(
        self, db: Any, key: str | None, operation: str, payload: Any, result: Any
    ) -> None:
        if key is not None:
            self._run(
                db,
                "INSERT INTO idempotency (key, fingerprint, result) VALUES (?, ?, ?)",
                (key, fingerprint(operation, payload), json.dumps(result)),
            )

    # --- writes -----------------------------------------------------------------------------

    def put_debtor(self, debtor: Debtor, key: str | None = None) -> None:
        payload = debtor.model_dump(mode="json")
        with self._transaction() as db:
            if self._seen(db, key, "put_debtor", payload) is not None:
                return
            self._lock_debtor(db, debtor.id)
            self._run(
                db,
                "INSERT INTO debtors (id, profile) VALUES (?, ?)"
                " ON CONFLICT (id) DO UPDATE SET profile = excluded.profile",
                (debtor.id, profile_json(debtor)),
            )
            self._run(db, "DELETE FROM contact_points WHERE debtor_id = ?", (debtor.id,))
            for contact in debtor.points():
                self._run(
                    db,
                    "INSERT INTO contact_points (contact, debtor_id) VALUES (?, ?)",
                    (contact, debtor.id),
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
            self._run(
                db,
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
        """Set what came of an attempt. Setting the same outcome again changes nothing, so
        without a key this is one statement (one round trip on a server)."""
        payload = [attempt_id, outcome, message_left]
        update = "UPDATE attempts SET outcome = ?, message_left = ? WHERE id = ? RETURNING id"
        values = (outcome, _integer(message_left), attempt_id)
        if key is None:
            with self._single_write() as db:
                found = self._run(db, update, values).fetchall()
        else:
            with self._transaction() as db:
                if self._seen(db, key, "record_outcome", payload) is not None:
                    return
                found = self._run(db, update, values).fetchall()
                if found:
                    self._remember(db, key, "record_outcome", payload, True)
        if not found:
            raise NotFound(f"no attempt `{attempt_id}`")

    def release_attempt(self, attempt_id: str, now: float, window: float) -> tuple[str, bool]:
        with self._transaction() as db:
            found = self._run(
                db, "SELECT debtor_id FROM attempts WHERE id = ?", (attempt_id,)
            ).fetchone()
            if found is None:
                raise NotFound(f"no attempt `{attempt_id}`")
            self._lock_debtor(db, found[0])
            deleted = self._run(
                db,
                "DELETE FROM attempts WHERE id = ? AND outcome IS NULL AND ? <= at + ?",
                (attempt_id, now, window),
            ).rowcount
        return str(found[0]), bool(deleted)

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
        to = revoked_point(channel, to)
        payload = [debtor_id, channel, to, at]
        with self._transaction() as db:
            found = self._seen(db, key, "revoke_consent", payload)
            if found is not None:
                return int(found)
            self._lock_debtor(db, debtor_id)
            self._profile(db, debtor_id)
            revoked = self._run(
                db,
                "UPDATE consents SET revoked_at = ? WHERE debtor_id = ? AND channel = ?"
                " AND (CAST(? AS TEXT) IS NULL OR contact IS NULL OR contact = ?)"
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
            self._put_profile(db, with_flag(self._profile(db, debtor_id), flag, value))
            self._remember(db, key, "set_flag", payload, True)

    def record_inconvenient_time(
        self, debtor_id: str, time: InconvenientTime, key: str | None = None
    ) -> None:
        payload = [debtor_id, time.model_dump(mode="json")]
        with self._transaction() as db:
            if self._seen(db, key, "record_inconvenient_time", payload) is not None:
                return
            self._lock_debtor(db, debtor_id)
            debtor = self._profile(db, debtor_id)
            times = [*debtor.inconvenient_times, time]
            self._put_profile(db, with_inconvenient_times(debtor, times))
            self._remember(db, key, "record_inconvenient_time", payload, True)

    def set_inconvenient_times(
        self, debtor_id: str, times: list[InconvenientTime], key: str | None = None
    ) -> None:
        payload = [debtor_id, [t.model_dump(mode="json") for t in times]]
        with self._transaction() as db:
            if self._seen(db, key, "set_inconvenient_times", payload) is not None:
                return
            self._lock_debtor(db, debtor_id)
            debtor = self._profile(db, debtor_id)
            self._put_profile(db, with_inconvenient_times(debtor, times))
            self._remember(db, key, "set_inconvenient_times", payload, True)

    # --- reads ------------------------------------------------------------------------------

    def snapshot(
        self, debtor_id: str, debt_id: str, since: float = -math.inf, reply_to: str | None = None
    ) -> Snapshot:
        with self._reader() as db:
            rows = self._snapshot_rows(db, debtor_id, debt_id, since, reply_to)
        return self._build_snapshot(rows, debtor_id, debt_id)

    def attempt(self, attempt_id: str) -> AttemptRecord | None:
        with self._reader() as db:
            row = self._run(
                db, f"SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE id = ?", (attempt_id,)
            ).fetchone()
        return None if row is None else attempt_from_row(row)

    def debtor(self, debtor_id: str) -> Debtor:
        with self._reader() as db:
            return self._profile(db, debtor_id)

    def attempts(self, debtor_id: str) -> list[AttemptRecord]:
        with self._transaction(write=False) as db:
            rows = self._run(
                db,
                f"SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE debtor_id = ?"
                f" ORDER BY at, {self.by_id}",
                (debtor_id,),
            ).fetchall()
        return [attempt_from_row(row) for row in rows]

    def decision_log(self, debtor_id: str | None = None) -> Iterator[LogEntry]:
        with self._transaction(write=False) as db:
            if debtor_id is None:
                rows = self._run(db, f"SELECT {LOG_COLUMNS} FROM decision_log ORDER BY seq")
            else:
                rows = self._run(
                    db,
                    f"SELECT {LOG_COLUMNS} FROM decision_log WHERE debtor_id = ? ORDER BY seq",
                    (debtor_id,),
                )
            found = rows.fetchall()
        for row in found:
            yield log_entry_from_row(row)

    # --- reservations and the decision log ------------------------------------------------

    def reserve(
        self,
        debtor_id: str,
        debt_id: str,
        decide: Decider,
        attempt: AttemptRecord,
        log: Logger | None = None,
        since: float = -math.inf,
    ) -> tuple[Decision, str | None]:
        """Lock the debtor, read, decide, record and log: no other reservation slips between.

        The log's lock is taken last, once the decision is made, so reservations for
        different debtors queue on it only for the append and the commit.
        """
        with self._transaction(batch=True) as db:
            self._lock_debtor(db, debtor_id)
            decision = decide(self._snapshot(db, debtor_id, debt_id, since, attempt.in_reply_to))
            reserved = attempt.id if decision.allowed else None
            if reserved is not None:
                self._insert_attempt(db, attempt)
            if log is not None:
                self._append(db, log(decision))
            return decision, reserved

    def append_decision(self, entry: dict[str, Any]) -> LogEntry:
        with self._transaction(batch=True) as db:
            appended = self._append(db, entry)
        return appended()

    def _append(self, db: Any, entry: dict[str, Any]) -> Callable[[], LogEntry]:
        """Chain the entry to the last one and insert it, under the log's lock.

        Returns how to get the appended entry once the transaction is over (a networked
        back end learns its place in the log only when the batch comes back).
        """
        head, facts, decision = log_texts(entry)
        self._lock_log(db)
        row = self._run(
            db, "SELECT seq, hash FROM decision_log ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        seq, prev = (int(row[0]) + 1, str(row[1])) if row else (1, GENESIS)
        digest = chain_hash(prev, seq, chained_body(head, facts, decision))
        self._run(
            db,
            f"INSERT INTO decision_log ({LOG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                seq,
                entry["at"],
                entry["debtor_id"],
                entry["decision_id"],
                entry["ruleset"],
                facts,
                decision,
                prev,
                digest,
            ),
        )
        appended = logged(entry, seq, prev, digest)
        return lambda: appended

    # --- planned messages -------------------------------------------------------------------

    def plan_messages(self, messages: list[PlannedMessage]) -> int:
        now = time.time()
        added = 0
        with self._transaction() as db:
            for message in messages:
                row = self._run(
                    db,
                    f"SELECT {MESSAGE_COLUMNS} FROM planned_messages WHERE id = ?",
                    (message.id,),
                ).fetchone()
                if row is not None:
                    if message_from_row(row).plan != message.plan:
                        raise ConflictingKey(
                            f"message `{message.id}` is already planned with other content"
                        )
                    continue
                self._debt_of(db, message.debtor_id, message.debt_id)
                self._run(
                    db,
                    f"INSERT INTO planned_messages ({MESSAGE_COLUMNS}, planned_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*message_row(message), now, now),
                )
                added += 1
        return added

    def claim_messages(
        self, worker: str, now: float, limit: int, lease: float
    ) -> list[PlannedMessage]:
        """Claims left by a dead worker (or this one, restarted) first, then due messages.

        Two statements, each answered from an index in order and stopped at `limit`: one
        statement with both conditions would sort every due message at every claim.
        """
        take = (
            "UPDATE planned_messages SET status = 'claimed', claimed_by = ?,"
            " claim_until = ?, tries = tries + 1, updated_at = ?"
            " WHERE id IN (SELECT id FROM planned_messages WHERE {where}"
            f" LIMIT ?{self.skip_locked}) RETURNING {MESSAGE_COLUMNS}"
        )
        changes = (worker, now + lease, time.time())
        with self._transaction() as db:
            rows = self._run(
                db,
                take.format(
                    where="status = 'claimed' AND (claim_until <= ? OR claimed_by = ?)"
                    " ORDER BY claim_until"
                ),
                (*changes, now, worker, limit),
            ).fetchall()
            if len(rows) < limit:
                rows += self._run(
                    db,
                    take.format(where="status = 'pending' AND due_at <= ? ORDER BY due_at, id"),
                    (*changes, now, limit - len(rows)),
                ).fetchall()
        claimed = [message_from_row(row) for row in rows]
        claimed.sort(key=lambda m: (m.due_at or 0.0, m.id.encode()))
        return claimed

    def settle_message(
        self,
        message_id: str,
        worker: str,
        status: str,
        *,
        due_at: float | None = None,
        reason: str | None = None,
        attempt_id: str | None = None,
        provider_id: str | None = None,
    ) -> bool:
        check_settlement(status, due_at)
        with self._single_write() as db:
            changed = self._run(
                db,
                "UPDATE planned_messages SET status = ?, due_at = COALESCE(?, due_at),"
                " reason = COALESCE(?, reason), attempt_id = COALESCE(?, attempt_id),"
                " provider_id = COALESCE(?, provider_id),"
                " claimed_by = CASE WHEN CAST(? AS TEXT) = 'claimed' THEN claimed_by END,"
                " claim_until = CASE WHEN CAST(? AS TEXT) = 'claimed' THEN claim_until END,"
                " updated_at = ?"
                " WHERE id = ? AND status = 'claimed' AND claimed_by = ?",
                (
                    status,
                    due_at,
                    reason,
                    attempt_id,
                    provider_id,
                    status,
                    status,
                    time.time(),
                    message_id,
                    worker,
                ),
            ).rowcount
        return bool(changed)

    def planned_messages(
        self, debtor_id: str | None = None, status: str | None = None
    ) -> list[PlannedMessage]:
        with self._transaction(write=False) as db:
            rows = self._run(
                db,
                f"SELECT {MESSAGE_COLUMNS} FROM planned_messages"
                " WHERE (CAST(? AS TEXT) IS NULL OR debtor_id = ?)"
                f" AND (CAST(? AS TEXT) IS NULL OR status = ?) ORDER BY due_at, {self.by_id}",
                (debtor_id, debtor_id, status, status),
            ).fetchall()
        return [message_from_row(row) for row in rows]

    # --- what webhooks look up ---------------------------------------------------------------

    def debtors_at(self, contact: str) -> list[str]:
        with self._reader() as db:
            rows = self._run(
                db,
                "SELECT debtor_id FROM contact_points WHERE contact = ? ORDER BY debtor_id",
                (any_contact_point(contact),),
            ).fetchall()
        return [str(row[0]) for row in rows]

    def debts_of(self, debtor_id: str) -> list[str]:
        with self._reader() as db:
            rows = self._run(
                db, "SELECT id FROM debts WHERE debtor_id = ? ORDER BY id", (debtor_id,)
            ).fetchall()
        return [str(row[0]) for row in rows]

    def planned_message(self, message_id: str) -> PlannedMessage | None:
        with self._reader() as db:
            row = self._run(
                db, f"SELECT {MESSAGE_COLUMNS} FROM planned_messages WHERE id = ?", (message_id,)
            ).fetchone()
        return None if row is None else message_from_row(row)

    def message_by_provider_id(self, provider_id: str) -> PlannedMessage | None:
        with self._reader() as db:
            row = self._run(
                db,
                f"SELECT {MESSAGE_COLUMNS} FROM planned_messages WHERE provider_id = ?",
                (provider_id,),
            ).fetchone()
        return None if row is None else message_from_row(row)

    def first_time(self, key: str, now: float) -> bool:
        with self._single_write() as db:
            rows = self._run(
                db,
                "INSERT INTO webhook_events (key, received_at) VALUES (?, ?)"
                " ON CONFLICT (key) DO NOTHING RETURNING key",
                (key, now),
            ).fetchall()
        return bool(rows)

    # --- API keys -------------------------------------------------------------------------

    def put_api_key(self, record: ApiKeyRecord) -> None:
        with self._transaction() as db:
            self._run(
                db,
                f"INSERT INTO api_keys ({API_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.name,
                    record.digest,
                    record.scope,
                    record.created_at,
                    record.revoked_at,
                ),
            )

    def api_key(self, key_id: str) -> ApiKeyRecord | None:
        with self._reader() as db:
            row = self._run(
                db, f"SELECT {API_KEY_COLUMNS} FROM api_keys WHERE id = ?", (key_id,)
            ).fetchone()
        return None if row is None else ApiKeyRecord(*row)

    def api_keys(self) -> list[ApiKeyRecord]:
        with self._reader() as db:
            rows = self._run(
                db, f"SELECT {API_KEY_COLUMNS} FROM api_keys ORDER BY created_at, id"
            ).fetchall()
        return [ApiKeyRecord(*row) for row in rows]

    def revoke_api_key(self, key_id: str, at: float) -> bool:
        with self._single_write() as db:
            found = self._run(
                db,
                "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"
                " RETURNING id",
                (at, key_id),
            ).fetchall()
        return bool(found)

    # --- helpers ------------------------------------------------------------------------------

    def _profile(self, db: Any, debtor_id: str) -> Debtor:
        row = self._run(db, "SELECT profile FROM debtors WHERE id = ?", (debtor_id,)).fetchone()
        if row is None:
            raise NotFound(f"no debtor `{debtor_id}`")
        return parse_profile(row[0])

    def _put_profile(self, db: Any, debtor: Debtor) -> None:
        self._run(
            db, "UPDATE debtors SET profile = ? WHERE id = ?", (profile_json(debtor), debtor.id)
        )

    def _debt_of(self, db: Any, debtor_id: str, debt_id: str) -> None:
        row = self._run(
            db, "SELECT 1 FROM debts WHERE id = ? AND debtor_id = ?", (debt_id, debtor_id)
        ).fetchone()
        if row is None:
            self._profile(db, debtor_id)
            raise NotFound(f"no debt `{debt_id}` for debtor `{debtor_id}`")

    def _snapshot(
        self, db: Any, debtor_id: str, debt_id: str, since: float, reply_to: str | None
    ) -> Snapshot:
        rows = self._snapshot_rows(db, debtor_id, debt_id, since, reply_to)
        return self._build_snapshot(rows, debtor_id, debt_id)

    def _build_snapshot(self, rows: SnapshotRows | None, debtor_id: str, debt_id: str) -> Snapshot:
        if rows is None:
            raise NotFound(f"no debtor `{debtor_id}`")
        profile, debt_row, attempts, consents, opt_outs = rows
        if debt_row is None:
            raise NotFound(f"no debt `{debt_id}` for debtor `{debtor_id}`")
        debtor = parse_profile(profile)
        debt = Debt(id=debt_row[0], type=debt_row[1], actor=debt_row[2], account_id=debt_row[3])
        kinds = debtor.contact_kinds()
        return Snapshot(
            debtor,
            debt,
            tuple(event_from_row(row, kinds) for row in attempts),
            tuple(consent_from_row(row) for row in consents),
            tuple(opt_out_from_row(row) for row in opt_outs),
        )

    def _insert_attempt(self, db: Any, attempt: AttemptRecord) -> None:
        self._run(
            db,
            f"INSERT INTO attempts ({ATTEMPT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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

    def _insert_consent(self, db: Any, debtor_id: str, consent: Consent) -> None:
        self._run(
            db,
            "INSERT INTO consents (debtor_id, channel, contact, given_at, revoked_at, source,"
            " given_to, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                debtor_id,
                consent.channel,
                consent.to,
                consent.given_at,
                consent.revoked_at,
                consent.source,
                consent.given_to,
                consent.kind,
            ),
        )

    def _insert_opt_out(self, db: Any, debtor_id: str, opt_out: OptOut) -> None:
        self._run(
            db,
            "INSERT INTO opt_outs (debtor_id, channel, contact, at) VALUES (?, ?, ?, ?)",
            (debtor_id, opt_out.channel, opt_out.to, opt_out.at),
        )


def logged(entry: dict[str, Any], seq: int, prev: str, digest: str) -> LogEntry:
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


def message_row(message: PlannedMessage) -> tuple[Any, ...]:
    """A message in `MESSAGE_COLUMNS` order."""
    return (
        message.id,
        message.debtor_id,
        message.debt_id,
        message.channel,
        message.template,
        message.not_before,
        message.to,
        json.dumps(message.variables, sort_keys=True),
        message.status,
        message.due_at,
        message.tries,
        message.reason,
        message.attempt_id,
        message.claimed_by,
        message.claim_until,
        message.provider_id,
    )


def message_from_row(row: Row) -> PlannedMessage:
    return PlannedMessage(
        id=row[0],
        debtor_id=row[1],
        debt_id=row[2],
        channel=row[3],
        template=row[4],
        not_before=row[5],
        to=row[6],
        variables=json.loads(row[7]),
        status=row[8],
        due_at=row[9],
        tries=row[10],
        reason=row[11],
        attempt_id=row[12],
        claimed_by=row[13],
        claim_until=row[14],
        provider_id=row[15],
    )


def _integer(value: bool | None) -> int | None:
    """Booleans are stored as 0 and 1 (the column is INTEGER in both dialects)."""
    return None if value is None else int(value)
