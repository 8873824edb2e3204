"""The ledger's schema, as numbered migrations applied in order and recorded.

Written in the SQL that SQLite and PostgreSQL share; times are epoch seconds (REAL), the
profile and list columns are JSON text. A migration that needs Python is a step
(`store.normal_forms`), run in the same transaction and under the same lock.
"""

from __future__ import annotations

from contactengine.store.normal_forms import Step, normal_contact_points

MIGRATIONS: tuple[tuple[int, str | Step], ...] = (
    (
        1,
        """
        CREATE TABLE debtors (
            id TEXT PRIMARY KEY,
            profile TEXT NOT NULL
        );
        CREATE TABLE debts (
            id TEXT PRIMARY KEY,
            debtor_id TEXT NOT NULL REFERENCES debtors(id),
            type TEXT NOT NULL,
            actor TEXT NOT NULL,
            account_id TEXT
        );
        CREATE TABLE consents (
            id INTEGER PRIMARY KEY,
            debtor_id TEXT NOT NULL REFERENCES debtors(id),
            channel TEXT NOT NULL,
            contact TEXT,
            given_at REAL NOT NULL,
            revoked_at REAL,
            source TEXT,
            given_to TEXT NOT NULL,
            kind TEXT NOT NULL
        );
        CREATE INDEX consents_debtor ON consents (debtor_id);
        CREATE TABLE opt_outs (
            id INTEGER PRIMARY KEY,
            debtor_id TEXT NOT NULL REFERENCES debtors(id),
            channel TEXT NOT NULL,
            contact TEXT,
            at REAL NOT NULL
        );
        CREATE INDEX opt_outs_debtor ON opt_outs (debtor_id);
        CREATE TABLE attempts (
            id TEXT PRIMARY KEY,
            debtor_id TEXT NOT NULL REFERENCES debtors(id),
            debt_ids TEXT NOT NULL,
            channel TEXT NOT NULL,
            contact TEXT,
            at REAL NOT NULL,
            direction TEXT NOT NULL,
            outcome TEXT,
            message_left INTEGER,
            purpose TEXT,
            in_reply_to TEXT
        );
        CREATE INDEX attempts_debtor_at ON attempts (debtor_id, at);
        CREATE TABLE idempotency (
            key TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            result TEXT NOT NULL
        );
        CREATE TABLE decision_log (
            seq INTEGER PRIMARY KEY,
            at REAL NOT NULL,
            debtor_id TEXT NOT NULL,
            decision_id TEXT NOT NULL,
            ruleset TEXT NOT NULL,
            facts TEXT NOT NULL,
            decision TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE INDEX decision_log_debtor ON decision_log (debtor_id, seq);
        """,
    ),
    (
        2,
        """
        CREATE TABLE planned_messages (
            id TEXT PRIMARY KEY,
            debtor_id TEXT NOT NULL REFERENCES debtors(id),
            debt_id TEXT NOT NULL REFERENCES debts(id),
            channel TEXT NOT NULL,
            template TEXT NOT NULL,
            contact TEXT,
            variables TEXT NOT NULL,
            not_before REAL NOT NULL,
            status TEXT NOT NULL,
            due_at REAL NOT NULL,
            tries INTEGER NOT NULL,
            reason TEXT,
            attempt_id TEXT,
            claimed_by TEXT,
            claim_until REAL,
            planned_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE INDEX planned_messages_due ON planned_messages (status, due_at);
        CREATE INDEX planned_messages_claims ON planned_messages (status, claim_until);
        CREATE INDEX planned_messages_debtor ON planned_messages (debtor_id);
        """,
    ),
    (
        3,
        """
        ALTER TABLE planned_messages ADD COLUMN provider_id TEXT;
        """,
    ),
    (
        4,
        """
        DROP INDEX planned_messages_due;
        CREATE INDEX planned_messages_due ON planned_messages (status, due_at, id);
        """,
    ),
    (
        5,
        """
        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            digest TEXT NOT NULL,
            scope TEXT NOT NULL,
            created_at REAL NOT NULL,
            revoked_at REAL
        );
        """,
    ),
    (
        6,
        """
        CREATE TABLE contact_points (
            contact TEXT NOT NULL,
            debtor_id TEXT NOT NULL REFERENCES debtors(id),
            PRIMARY KEY (contact, debtor_id)
        );
        CREATE TABLE webhook_events (
            key TEXT PRIMARY KEY,
            received_at REAL NOT NULL
        );
        CREATE INDEX planned_messages_provider ON planned_messages (provider_id);
        """,
    ),
    (7, normal_contact_points),
)

LATEST = MIGRATIONS[-1][0]
