"""The engine bound to a ledger: ids in, facts from the store, every decision logged."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from contactengine import Engine
from contactengine.engine.loader import load_ruleset
from contactengine.engine.ruleset import RuleSet
from contactengine.ledger import Ledger
from contactengine.model import Debt
from contactengine.store import AttemptRecord, NotFound, SQLiteStore, Store
from contactengine.store.audit import verify
from contactengine.store.connect import open_store
from tests import ledger_workers as workers
from tests.backends import BACKENDS
from tests.helpers import make_request

ROOT = Path(__file__).resolve().parent.parent
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(params=sorted(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with cast(AbstractContextManager[Store], BACKENDS[request.param](tmp_path)) as opened:
        yield opened


def ask(number: int = 0, at: str = "2026-06-07T20:00:00Z", **changes: Any) -> dict[str, Any]:
    return {
        "debtor_id": f"C-{number}",
        "debt_id": f"D-{number}",
        "channel": "call",
        "to": f"+1716555{number:04d}",
        "at": at,
        **changes,
    }


def seed_calls(store: Store, days: range) -> None:
    store.put_debtor(workers.debtor(0))
    store.put_debt("C-0", Debt(id="D-0", type="credit_card", actor="debt_collector"))
    for day in days:
        store.record_attempt(
            AttemptRecord(
                id=f"A-{day}",
                debtor_id="C-0",
                debt_ids=("D-0",),
                channel="call",
                to="+17165550000",
                at=dt.datetime(2026, 6, day, 14, tzinfo=dt.UTC).timestamp(),
                outcome="no_answer",
            )
        )


def test_deciding_by_ids_matches_deciding_from_a_request(store: Store, ruleset: RuleSet) -> None:
    seed_calls(store, range(1, 8))
    by_ids = Ledger(ruleset, store).can_contact(ask()).to_json()
    history = [
        {
            "channel": "call",
            "debt_ids": ["D-0"],
            "to": "+17165550000",
            "at": f"2026-06-0{d}T14:00:00Z",
            "outcome": "no_answer",
        }
        for d in range(1, 8)
    ]
    request = make_request(
        debtor=workers.debtor(0).model_dump(mode="json"),
        debt={"id": "D-0", "type": "credit_card", "actor": "debt_collector"},
        to="+17165550000",
        at="2026-06-07T20:00:00Z",
        history=history,
    )
    from_request = Engine(ruleset).can_contact(request).to_json()
    assert by_ids["allowed"] is False
    assert [r["rule"] for r in by_ids["reasons"]] == [r["rule"] for r in from_request["reasons"]]
    assert by_ids["next_allowed_at"] == from_request["next_allowed_at"] == "2026-06-08T12:00:00Z"


def test_every_decision_is_logged_with_masked_facts(store: Store, ruleset: RuleSet) -> None:
    seed_calls(store, range(1, 3))
    ledger = Ledger(ruleset, store)
    first = ledger.can_contact(ask(at="2026-06-05T15:00:00Z")).to_json()
    second = ledger.reserve(ask(at="2026-06-05T16:00:00Z")).to_json()
    entries = list(store.decision_log("C-0"))
    assert [e.decision_id for e in entries] == [first["decision_id"], second["decision_id"]]
    assert entries[1].decision["attempt_id"] == second["attempt_id"]
    assert entries[0].facts["to"] == "+1716•••0000"
    assert "+17165550000" not in json.dumps([e.facts for e in entries])
    assert "fdcpa-convenient-hours" in entries[0].decision["rules_applied"]
    assert verify(store).ok


def test_reservations_count_at_once(store: Store, ruleset: RuleSet) -> None:
    seed_calls(store, range(1, 6))  # five calls on June 1-5
    ledger = Ledger(ruleset, store)
    granted = [ledger.reserve(ask(at=f"2026-06-06T1{h}:00:00Z")).to_json() for h in range(4, 8)]
    assert [g["allowed"] for g in granted] == [True, True, False, False]
    assert granted[2]["reasons"][0]["rule"] == "reg-f-call-frequency"


def test_unknown_debtor_and_contact_point_are_refused(store: Store, ruleset: RuleSet) -> None:
    seed_calls(store, range(1, 2))
    ledger = Ledger(ruleset, store)
    assert ledger.can_contact(ask(number=9)).reasons[0].rule == "unknown-record"
    wrong = ledger.can_contact(ask(to="+12125550199")).to_json()
    assert wrong["reasons"][0]["rule"] == "unknown-contact-point"


def test_a_ledger_that_does_not_answer_refuses(tmp_path: Path, ruleset: RuleSet) -> None:
    ledger = Ledger(ruleset, SQLiteStore(tmp_path / "missing" / "ledger.db", timeout=0.1))
    decision = ledger.can_contact(ask()).to_json()
    assert decision["allowed"] is False
    assert decision["reasons"][0]["rule"] == "store-unavailable"
    assert decision["reasons"][0]["message"].startswith("store unavailable")


def test_a_locked_ledger_refuses_reservations(tmp_path: Path, ruleset: RuleSet) -> None:
    store = SQLiteStore(tmp_path / "ledger.db", timeout=0.2)
    seed_calls(store, range(1, 2))
    blocker = sqlite3.connect(tmp_path / "ledger.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        decision = Ledger(ruleset, store).reserve(ask(at="2026-06-05T15:00:00Z")).to_json()
    finally:
        blocker.execute("ROLLBACK")
    assert decision["allowed"] is False
    assert decision["reasons"][0]["rule"] == "store-unavailable"


def test_audit_verify_catches_a_single_edited_row(tmp_path: Path, ruleset: RuleSet) -> None:
    url = str(tmp_path / "ledger.db")
    store = SQLiteStore(url)
    seed_calls(store, range(1, 3))
    ledger = Ledger(ruleset, store)
    for hour in range(14, 18):
        ledger.reserve(ask(at=f"2026-06-05T{hour}:00:00Z"))
    assert verify(store).ok
    edit = sqlite3.connect(url)
    edit.execute(
        "UPDATE decision_log SET decision = replace(decision, '\"allowed\":true',"
        " '\"allowed\":false') WHERE seq = 2"
    )
    edit.commit()
    result = verify(store)
    assert (result.ok, result.broken_at) == (False, 2)
    cli = subprocess.run(
        [sys.executable, "-m", "contactengine.cli.main", "audit", "verify", "--database", url],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert cli.returncode == 1
    assert cli.stdout.startswith("broken: decision log entry 2")


@contextmanager
def shared_ledger(kind: str, tmp_path: Path) -> Iterator[str]:
    """A ledger URL several processes can open: a SQLite file, or a PostgreSQL database."""
    if kind == "sqlite":
        yield str(tmp_path / "ledger.db")
    else:
        from tests.postgres_cluster import fresh_database

        with fresh_database() as url:
            yield url


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_eight_processes_never_exceed_a_cap(kind: str, tmp_path: Path) -> None:
    """8 workers reserve calls for the same 50 debtors over a simulated week."""
    with shared_ledger(kind, tmp_path) as url:
        workers.seed(url, 50, talked_to=10)
        with ProcessPoolExecutor(8) as pool:
            granted = sum(pool.map(workers.reserve_week, [url] * 8, [50] * 8, range(8)))
        store = open_store(url)
        calls = 0
        for number in range(50):
            days = [
                dt.datetime.fromtimestamp(a.at, NEW_YORK).date()
                for a in store.attempts(f"C-{number}")
                if a.outcome != "conversation"
            ]
            calls += len(days)
            for day in set(days):  # 12 CFR 1006.14(b)(2)(i)(A): 7 calls in 7 consecutive days
                window = [d for d in days if 0 <= (day - d).days < 7]
                assert len(window) <= 7, (number, day, len(window))
            if number < 10:  # (b)(2)(i)(B): the conversation on 06-07 bars calls to 06-13
                assert all(d == dt.date(2026, 6, 14) for d in days), (number, days)
        assert calls == granted
        assert granted >= 40 * 7 + 10  # the caps, not the lock, decided who got calls
        assert verify(store).ok
        store.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_killed_reservation_leaves_nothing_half_written(kind: str, tmp_path: Path) -> None:
    with shared_ledger(kind, tmp_path) as url:
        workers.seed(url, 20)
        for round_number in range(5):
            worker = subprocess.Popen(
                [sys.executable, "-m", "tests.ledger_workers", url],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            assert worker.stdout is not None
            worker.stdout.readline()  # it is reserving
            time.sleep(0.05 + 0.07 * round_number)
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            store = open_store(url)
            if kind == "sqlite":
                check = sqlite3.connect(url).execute("PRAGMA integrity_check").fetchone()
                assert check == ("ok",)
            assert verify(store).ok
            logged = {e.decision.get("attempt_id") for e in store.decision_log()} - {None}
            recorded = {a.id for n in range(20) for a in store.attempts(f"C-{n}")}
            assert logged == recorded  # every attempt has its decision, no decision a ghost
            store.close()


WINDOWED = """
pack house
  jurisdiction US
  covers from 2020-01-01
  citation "house policy"
end

rule house-three-calls-a-week
  title "No more than 3 calls in 7 days"
  citation "house policy"
  jurisdiction US
  channels call
  deny when count(calls per debt within 7 days) >= 3
end
"""


def test_the_ledger_reads_only_as_far_back_as_the_rules_look(store: Store, tmp_path: Path) -> None:
    (tmp_path / "house.rules").write_text(WINDOWED)
    windowed = load_ruleset([tmp_path / "house.rules"])
    assert windowed.history_reach == 7 * 86400
    # the shipped packs look back without limit (Ontario's notice letter, federal texting
    # after an inbound text), so a ledger under them reads the whole history
    assert load_ruleset([ROOT / "rules"]).history_reach == float("inf")
    seed_calls(store, range(1, 11))
    decision = Ledger(windowed, store).can_contact(ask(at="2026-06-12T15:00:00Z")).to_json()
    assert [r["rule"] for r in decision["reasons"]] == ["house-three-calls-a-week"]
    [entry] = list(store.decision_log("C-0"))
    seen = [event[0] for event in entry.facts["history"]]
    assert seen == [f"A-{day}" for day in range(5, 11)]  # from a day before the window on


def test_a_reservation_never_placed_can_be_released_only_in_time(
    store: Store, ruleset: RuleSet
) -> None:
    """Released within `confirm_within` it stops counting; after, or with an outcome, it
    stands for good: a reservation nobody confirmed still counts."""
    seed_calls(store, range(1, 1))
    ledger = Ledger(ruleset, store, confirm_within=600.0)
    at = dt.datetime(2026, 6, 8, 15, tzinfo=dt.UTC).timestamp()
    first = ledger.reserve(ask(at="2026-06-08T15:00:00Z")).attempt_id
    second = ledger.reserve(ask(at="2026-06-08T15:05:00Z")).attempt_id
    third = ledger.reserve(ask(at="2026-06-08T15:10:00Z")).attempt_id
    store.record_outcome(second, "no_answer")
    assert ledger.release(first, now=at + 599.0) is True
    assert ledger.release(second, now=at + 301.0) is False  # it has an outcome: it happened
    assert ledger.release(third, now=at + 600.0 + 601.0) is False  # too late: it stands
    assert [a.id for a in store.attempts("C-0")] == [second, third]
    released = [
        e.decision for e in store.decision_log("C-0") if "released_attempt_id" in e.decision
    ]
    assert released == [
        {"released_attempt_id": first, "released": True},
        {"released_attempt_id": second, "released": False},
        {"released_attempt_id": third, "released": False},
    ]
    assert verify(store).ok
    with pytest.raises(NotFound):
        ledger.release("att_404")


def test_a_profile_the_models_refuse_is_a_refusal_not_a_crash(
    tmp_path: Path, ruleset: RuleSet
) -> None:
    """A profile edited by hand (or written by a release that checked less) is refused with
    the fields it gets wrong, never decided and never an exception."""
    store = SQLiteStore(tmp_path / "ledger.db")
    seed_calls(store, range(1, 2))
    with sqlite3.connect(tmp_path / "ledger.db") as db:
        (profile,) = db.execute("SELECT profile FROM debtors WHERE id = 'C-0'").fetchone()
        edited = json.loads(profile)
        edited["emails"] = [{"address": "not an address", "employer_provided": False}]
        db.execute("UPDATE debtors SET profile = ? WHERE id = 'C-0'", (json.dumps(edited),))
    ledger = Ledger(ruleset, store)
    for decision in (ledger.can_contact(ask()), ledger.reserve(ask())):
        [reason] = decision.reasons
        assert not decision.allowed and reason.rule == "unreadable-record"
        assert "emails.0.address" in reason.message
    assert store.attempts("C-0")[-1].id == "A-1"  # nothing reserved
