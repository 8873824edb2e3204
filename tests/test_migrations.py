"""Migration 7 on a ledger the previous release left: contact points stored as written.

Each test builds the ledger as that release would have (migrations 1-6 applied by its
upgrade, rows inserted with raw SQL, as written by its callers), runs `upgrade()`, and looks
at the rows and at decisions made from them. SQLite and PostgreSQL (the run's throwaway
cluster, tests/postgres_cluster.py) alike.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from contactengine.engine.ruleset import RuleSet
from contactengine.ledger import Ledger
from contactengine.store import PostgresStore, SQLiteStore
from contactengine.store import normal_forms as normal_forms
from contactengine.store.common import sql_statements
from contactengine.store.migrations import LATEST, MIGRATIONS
from contactengine.store.postgres import postgres_script
from tests.postgres_cluster import fresh_database

UTC = dt.UTC
PREVIOUS = 6  # the last migration of the previous release


def instant(*parts: int) -> float:
    return dt.datetime(*parts, tzinfo=UTC).timestamp()


APPLIED = instant(2026, 5, 1)  # when the previous release set the ledger up
AT = instant(2026, 6, 9, 15)  # Tuesday, 11:00 in Boston: when the tests decide
WHEN = "2026-06-09T15:00:00Z"


# --- a ledger as the previous release left it ----------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where a ledger lives: a SQLite file or a PostgreSQL database."""

    kind: str
    target: str  # the file's path, or the database's URL


@pytest.fixture(params=["sqlite", "postgres"])
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Place]:
    if request.param == "sqlite":
        yield Place("sqlite", str(tmp_path / "ledger.db"))
    else:
        with fresh_database() as url:
            yield Place("postgres", url)


class Raw:
    """A plain connection to the ledger, outside any store: statements with `?`."""

    def __init__(self, place: Place) -> None:
        self.kind = place.kind
        self.connection: Any = (
            sqlite3.connect(place.target, isolation_level=None)
            if place.kind == "sqlite"
            else psycopg.connect(place.target, autocommit=True)
        )

    def script(self, text: str) -> str:
        return text if self.kind == "sqlite" else postgres_script(text)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.connection.execute(
            sql if self.kind == "sqlite" else sql.replace("?", "%s"), params
        )

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.execute(sql, params).fetchall()]


@contextmanager
def raw(place: Place) -> Iterator[Raw]:
    db = Raw(place)
    try:
        yield db
    finally:
        db.connection.close()


@contextmanager
def opened(place: Place) -> Iterator[SQLiteStore | PostgresStore]:
    store: SQLiteStore | PostgresStore = (
        SQLiteStore(place.target, timeout=5.0)
        if place.kind == "sqlite"
        else PostgresStore(place.target, timeout=5.0)
    )
    try:
        yield store
    finally:
        store.close()


def previous_schema(db: Raw) -> None:
    """Migrations 1-6, applied and recorded as the previous release's upgrade did."""
    db.execute(
        db.script(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)"
        )
    )
    for version, migration in MIGRATIONS[:PREVIOUS]:
        assert isinstance(migration, str)
        for statement in sql_statements(db.script(migration)):
            db.execute(statement)
        db.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
            (version, APPLIED),
        )


def profile(debtor_id: str, phones: list[str], emails: list[str]) -> str:
    """A profile as the previous release stored it (its model's JSON, compact)."""
    return json.dumps(
        {
            "id": debtor_id,
            "first_name": "Pat",
            "language": None,
            "address": {
                "line1": "1 Beacon St",
                "city": "Boston",
                "state": "MA",
                "zip": "02108",
                "country": "US",
            },
            "timezone": None,
            "phones": [
                {"number": n, "kind": "mobile", "reassignment_checked_at": None} for n in phones
            ],
            "emails": [{"address": a, "employer_provided": False} for a in emails],
            "consents": [],
            "opt_outs": [],
            "flags": {
                "cease_communication": [],
                "attorney_represented": [],
                "employer_prohibits_contact": False,
                "bankruptcy": False,
                "deceased": False,
            },
            "inconvenient_times": [],
        },
        separators=(",", ":"),
    )


def insert_debtor(db: Raw, debtor_id: str, phones: list[str], emails: list[str]) -> None:
    """A debtor written before migration 6: nothing of it in `contact_points`."""
    db.execute(
        "INSERT INTO debtors (id, profile) VALUES (?, ?)",
        (debtor_id, profile(debtor_id, phones, emails)),
    )
    db.execute(
        "INSERT INTO debts (id, debtor_id, type, actor, account_id) VALUES (?, ?, ?, ?, ?)",
        (f"D-{debtor_id}", debtor_id, "credit_card", "debt_collector", None),
    )


def insert_attempt(db: Raw, attempt_id: str, channel: str, contact: str | None, at: float) -> None:
    db.execute(
        "INSERT INTO attempts (id, debtor_id, debt_ids, channel, contact, at, direction,"
        " outcome, message_left, purpose, in_reply_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (attempt_id, "C-1", '["D-C-1"]', channel, contact, at, "outbound", "no_answer", 0,
         "collection", None),
    )  # fmt: skip


def insert_message(db: Raw, message_id: str, channel: str, contact: str, status: str) -> None:
    db.execute(
        "INSERT INTO planned_messages (id, debtor_id, debt_id, channel, template, contact,"
        " variables, not_before, status, due_at, tries, reason, attempt_id, claimed_by,"
        " claim_until, planned_at, updated_at, provider_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (message_id, "C-1", "D-C-1", channel, "first-notice", contact, "{}", AT, status, AT,
         0 if status == "pending" else 1, None, None, None, None, APPLIED, APPLIED, None),
    )  # fmt: skip


def previous_ledger(db: Raw) -> None:
    """The previous release's ledger, its contact points as its callers wrote them."""
    previous_schema(db)
    insert_debtor(db, "C-1", ["+16175550101"], ["Pat@Example.com", "pat at example dot com"])
    db.execute(
        "INSERT INTO opt_outs (debtor_id, channel, contact, at) VALUES (?, ?, ?, ?)",
        ("C-1", "sms", "+1 (617) 555-0101", instant(2026, 6, 1, 15)),
    )
    db.execute(
        "INSERT INTO opt_outs (debtor_id, channel, contact, at) VALUES (?, ?, ?, ?)",
        ("C-1", "call", "the number I gave you", instant(2026, 6, 2, 15)),
    )
    for channel, contact, revoked in (
        ("sms", "617-555-0101", instant(2026, 5, 20, 15)),
        ("call", "ask for Pat", None),
    ):
        db.execute(
            "INSERT INTO consents (debtor_id, channel, contact, given_at, revoked_at, source,"
            " given_to, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ("C-1", channel, contact, instant(2026, 5, 1, 15), revoked, "web", "creditor",
             "express"),
        )  # fmt: skip
    insert_attempt(db, "A-1", "call", "16175550101", instant(2026, 6, 3, 15))
    insert_attempt(db, "A-2", "sms", "16175550101", instant(2026, 6, 4, 15))
    insert_attempt(db, "A-3", "call", "the office line", instant(2026, 6, 5, 15))
    insert_attempt(db, "A-4", "call", "+16175550101", instant(2026, 6, 8, 15))
    insert_message(db, "M-1", "sms", "not a number", "pending")
    insert_message(db, "M-2", "sms", "not a number", "sent")
    insert_message(db, "M-3", "email", "Pat@Example.com", "pending")


TABLES = {
    "debtors": "id",
    "debts": "id",
    "contact_points": "contact, debtor_id",
    "consents": "id",
    "opt_outs": "id",
    "attempts": "id",
    "planned_messages": "id",
    "decision_log": "seq",
}


def contents(db: Raw) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the ledger's tables (the record of migrations aside)."""
    return {
        table: db.rows(f"SELECT * FROM {table} ORDER BY {key}") for table, key in TABLES.items()
    }


# --- the tests ----------------------------------------------------------------------------


def test_upgrade_normalises_the_previous_releases_contact_points(place: Place) -> None:
    with raw(place) as db:
        previous_ledger(db)
    with opened(place) as store:
        assert store.upgrade() == LATEST == 7
        with raw(place) as db:
            versions = db.rows("SELECT version FROM schema_migrations ORDER BY version")
            assert versions == [(v,) for v in range(1, 8)]
            (stored,) = db.rows("SELECT profile FROM debtors WHERE id = 'C-1'")
            saved = json.loads(stored[0])
            assert saved["emails"] == [{"address": "pat@example.com", "employer_provided": False}]
            assert [p["number"] for p in saved["phones"]] == ["+16175550101"]
            assert saved["address"]["zip"] == "02108"  # the rest as it was
            assert db.rows("SELECT contact, debtor_id FROM contact_points ORDER BY contact") == [
                ("+16175550101", "C-1"),
                ("pat@example.com", "C-1"),
            ]
            assert db.rows("SELECT channel, contact FROM opt_outs ORDER BY id") == [
                ("sms", "+16175550101"),
                ("call", None),  # unreadable: now every number's
            ]
            assert db.rows("SELECT channel, contact, revoked_at FROM consents ORDER BY id") == [
                ("sms", "+16175550101", instant(2026, 5, 20, 15)),
                ("call", "ask for Pat", None),  # unreadable: left as written
            ]
            assert db.rows("SELECT id, contact FROM attempts ORDER BY id") == [
                ("A-1", "+16175550101"),
                ("A-2", "+16175550101"),
                ("A-3", None),
                ("A-4", "+16175550101"),
            ]
            messages = db.rows(
                "SELECT id, contact, status, reason, claimed_by FROM planned_messages ORDER BY id"
            )
        closed, sent, pending = messages
        assert closed[:3] == ("M-1", None, "closed")
        assert closed[3].startswith("contact-point: `not a number` is not a possible phone number")
        assert sent == ("M-2", None, "sent", None, None)  # final: stays sent, readable again
        assert pending == ("M-3", "pat@example.com", "pending", None, None)
        assert [m.id for m in store.planned_messages("C-1")] == ["M-1", "M-2", "M-3"]

        assert store.debtors_at("+16175550101") == ["C-1"]
        assert store.debtors_at("Pat@Example.com") == ["C-1"]
        snapshot = store.snapshot("C-1", "D-C-1")
        assert [(e.id, e.to, e.to_kind) for e in snapshot.events] == [
            ("A-1", "+16175550101", "mobile"),
            ("A-2", "+16175550101", "mobile"),
            ("A-3", None, None),
            ("A-4", "+16175550101", "mobile"),
        ]


def test_decisions_from_the_upgraded_ledger_see_its_records(place: Place, ruleset: RuleSet) -> None:
    with raw(place) as db:
        previous_ledger(db)
    with opened(place) as store:
        store.upgrade()
        ledger = Ledger(ruleset, store, clock=lambda: AT)
        ask = {"debtor_id": "C-1", "debt_id": "D-C-1", "at": WHEN}
        text = ledger.can_contact({**ask, "channel": "sms", "to": "+16175550101"}, now=AT)
        assert not text.allowed
        assert "reg-f-medium-opt-out" in [reason.rule for reason in text.reasons]
        email = ledger.can_contact({**ask, "channel": "email", "to": "pat@example.com"}, now=AT)
        rules = [reason.rule for reason in email.reasons]
        assert "unknown-contact-point" not in rules and "unknown-record" not in rules
        assert email.allowed, rules
        # An address not on file is refused as such: so is the unreadable one, now dropped.
        dropped = ledger.can_contact({**ask, "channel": "email", "to": "pat@example.org"}, now=AT)
        assert [reason.rule for reason in dropped.reasons] == ["unknown-contact-point"]


def test_upgrading_again_changes_nothing(place: Place) -> None:
    with raw(place) as db:
        previous_ledger(db)
    with opened(place) as store:
        assert store.upgrade() == LATEST
        with raw(place) as db:
            once = contents(db)
            assert store.upgrade() == LATEST
            assert contents(db) == once
            # Even applied again (its record lost), the step finds everything in normal form.
            db.execute("DELETE FROM schema_migrations WHERE version = ?", (LATEST,))
            assert store.upgrade() == LATEST
            assert contents(db) == once
            assert db.rows("SELECT count(*) FROM schema_migrations") == [(LATEST,)]


def test_a_fresh_ledger_reaches_the_latest_version(place: Place) -> None:
    with opened(place) as store:
        assert store.upgrade() == LATEST == 7
        with raw(place) as db:
            versions = db.rows("SELECT version FROM schema_migrations ORDER BY version")
            assert versions == [(version,) for version, _ in MIGRATIONS]
            assert contents(db) == {table: [] for table in TABLES}


def test_every_row_is_read_and_written_across_pages_and_chunks(
    place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of three rows and statements of two rows, over more of each."""
    monkeypatch.setattr(normal_forms, "PAGE", 3)
    monkeypatch.setattr(normal_forms, "CHUNK", 2)
    with raw(place) as db:
        previous_schema(db)
        insert_debtor(db, "C-1", ["+16175550101"], ["Pat@Example.com"])
        for n in range(2, 9):
            insert_debtor(db, f"C-{n}", [f"+1617555{n:04d}", "+1 212 555 0100"], [f"P{n}@X.com"])
        for n in range(11):
            contact = f"(617) 555-{n:04d}" if n % 4 else f"+1617555{n:04d}"  # some already normal
            insert_attempt(db, f"A-{n:02d}", "call", contact, instant(2026, 6, 1, 15) + n)
    with opened(place) as store:
        assert store.upgrade() == LATEST
        with raw(place) as db:
            attempts = db.rows("SELECT id, contact FROM attempts ORDER BY id")
            points = db.rows("SELECT contact, debtor_id FROM contact_points")
            emails = [json.loads(p)["emails"][0]["address"] for (p,) in db.rows(
                "SELECT profile FROM debtors ORDER BY id")]  # fmt: skip
        assert store.debtors_at("+12125550100") == [f"C-{n}" for n in range(2, 9)]
    assert attempts == [(f"A-{n:02d}", f"+1617555{n:04d}") for n in range(11)]
    expected = {("+16175550101", "C-1"), ("pat@example.com", "C-1")}
    for n in range(2, 9):
        expected |= {(f"+1617555{n:04d}", f"C-{n}"), ("+12125550100", f"C-{n}")}
        expected.add((f"p{n}@x.com", f"C-{n}"))
    assert sorted(points) == sorted(expected)
    assert emails == ["pat@example.com", *(f"p{n}@x.com" for n in range(2, 9))]
