"""What only the PostgreSQL ledger has to show: its locks, its timeouts, its server.

The contract every back end keeps is in test_store.py and test_ledger.py, which run on
PostgreSQL too (tests/backends.py); these tests use the same throwaway cluster.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pwd
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from contactengine.engine.ruleset import RuleSet
from contactengine.ledger import Ledger
from contactengine.model import Consent, Debt, Debtor
from contactengine.store import AttemptRecord, PostgresStore, Snapshot, StoreUnavailable
from contactengine.store.audit import verify
from contactengine.store.connect import open_store
from contactengine.store.migrations import LATEST, MIGRATIONS
from contactengine.store.postgres import LOCK_CLASS, MIGRATION_LOCK, postgres_script
from tests import postgres_cluster
from tests.postgres_cluster import Cluster, fresh_database

CAP = 3


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    return postgres_cluster.cluster()


@pytest.fixture
def url(cluster: Cluster) -> Iterator[str]:
    """A new, empty database: no schema yet."""
    with fresh_database() as address:
        yield address


@pytest.fixture
def store(url: str) -> Iterator[PostgresStore]:
    opened = PostgresStore(url, timeout=5.0)
    opened.upgrade()
    try:
        yield opened
    finally:
        opened.close()


def seed(store: PostgresStore, debtor_id: str = "C-1") -> None:
    store.put_debtor(
        Debtor.model_validate(
            {
                "id": debtor_id,
                "address": {"city": "Buffalo", "state": "NY", "zip": "14201", "country": "US"},
                "phones": [{"number": "+17165550100", "kind": "landline"}],
            }
        )
    )
    store.put_debt(debtor_id, Debt(id=f"D-{debtor_id}", type="credit_card", actor="debt_collector"))


def attempt(attempt_id: str, debtor_id: str = "C-1", at: float = 1_780_000_000.0) -> AttemptRecord:
    return AttemptRecord(
        id=attempt_id,
        debtor_id=debtor_id,
        debt_ids=(f"D-{debtor_id}",),
        channel="call",
        to="+17165550100",
        at=at,
    )


@dataclass(frozen=True)
class Verdict:
    """A decision as a store sees it: allowed or not (and, here, what it saw)."""

    allowed: bool
    seen: int


def slow_cap(snapshot: Snapshot) -> Any:
    """Allowed while fewer than CAP attempts exist, deciding slowly to widen any race."""
    count = len(snapshot.events)
    time.sleep(0.05)
    return Verdict(count < CAP, count)


def log_entry(decision: Verdict) -> dict[str, Any]:
    return {
        "at": 1_780_000_000.0,
        "debtor_id": "C-1",
        "decision_id": f"dec_{time.monotonic_ns()}_{os.getpid()}",
        "ruleset": "sha256:test",
        "facts": {"seen": decision.seen},
        "decision": {"allowed": decision.allowed, "seen": decision.seen},
    }


# --- the server ---------------------------------------------------------------------------


def test_the_cluster_runs_as_an_unprivileged_user(cluster: Cluster, url: str) -> None:
    with psycopg.connect(url) as connection:  # open while its backend is looked at
        row = connection.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        for pid in (cluster.server_pid(), int(row[0])):
            owner = os.stat(f"/proc/{pid}").st_uid
            assert owner != 0
            if os.geteuid() == 0:
                assert owner == pwd.getpwnam(postgres_cluster.SERVER_USER).pw_uid
            else:
                assert owner == os.geteuid()
    print(f"cluster started in {cluster.started_in:.2f}s")


def test_open_store_takes_postgres_urls(url: str) -> None:
    for scheme in ("postgresql://", "postgres://"):
        opened = open_store(scheme + url.removeprefix("postgresql://"))
        assert isinstance(opened, PostgresStore)
        assert opened.upgrade() == LATEST
        opened.close()


def test_the_shared_migrations_keep_their_meaning(store: PostgresStore, url: str) -> None:
    script = postgres_script(MIGRATIONS[0][1])
    assert "REAL" not in script and "INTEGER PRIMARY KEY" not in script
    seed(store)
    at = 1_780_000_000.123456  # a 4-byte REAL keeps this only to 128 s
    store.record_attempt(attempt("A-1", at=at))
    assert store.attempts("C-1")[0].at == at
    given = Consent(channel="call", to=None, given_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    store.record_consent("C-1", given)
    store.record_consent("C-1", given)
    with psycopg.connect(url) as connection:
        ids = connection.execute("SELECT id FROM consents ORDER BY id").fetchall()
    assert ids == [(1,), (2,)]  # filled in, as SQLite's rowid is


# --- upgrade ------------------------------------------------------------------------------


_UPGRADE = (
    "import sys; from contactengine.store.postgres import PostgresStore;"
    " print(PostgresStore(sys.argv[1], timeout=60).upgrade())"
)


def test_two_processes_upgrading_at_once_apply_each_migration_once(url: str) -> None:
    """Both start while the migration lock is held, so both really wait at the same time."""
    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_CLASS, MIGRATION_LOCK))
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", _UPGRADE, url],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        deadline = time.monotonic() + 60
        while _waiting_for_migration_lock(holder) < 2:
            assert all(w.poll() is None for w in workers), [w.communicate() for w in workers]
            assert time.monotonic() < deadline, "the upgrades never queued on the lock"
            time.sleep(0.05)
        holder.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_CLASS, MIGRATION_LOCK))
        results = [w.communicate(timeout=60) for w in workers]
        assert [w.returncode for w in workers] == [0, 0], results
        assert [out.strip() for out, _ in results] == [str(LATEST)] * 2
        rows = holder.execute(
            "SELECT version, count(*) FROM schema_migrations GROUP BY version ORDER BY version"
        ).fetchall()
    assert rows == [(version, 1) for version, _ in MIGRATIONS]


def _waiting_for_migration_lock(connection: psycopg.Connection[Any]) -> int:
    row = connection.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND classid = %s AND objid = %s AND objsubid = 2",
        (LOCK_CLASS, MIGRATION_LOCK),
    ).fetchone()
    return int(row[0]) if row else 0


# --- reserve ------------------------------------------------------------------------------


def _race(store: PostgresStore, tries: int = 8) -> list[str | None]:
    """`tries` threads, each with its own connection, reserve for one debtor at once."""
    start = threading.Barrier(tries)

    def one(number: int) -> str | None:
        store.attempts("C-1")  # this thread's connection, opened before the barrier
        start.wait()
        return store.reserve("C-1", "D-C-1", slow_cap, attempt(f"A-{number}"))[1]

    with ThreadPoolExecutor(tries) as pool:
        return list(pool.map(one, range(tries)))


def test_eight_threads_reserving_for_one_debtor_never_exceed_the_cap(
    store: PostgresStore,
) -> None:
    seed(store)
    granted = [r for r in _race(store) if r is not None]
    assert len(granted) == CAP
    assert sorted(a.id for a in store.attempts("C-1")) == sorted(granted)


class _Unlocked(PostgresStore):
    def _lock_debtor(self, db: Any, debtor_id: str) -> None:
        pass


def test_without_the_debtor_lock_the_same_race_overbooks(url: str) -> None:
    """The control: the test above passes because of the lock, not by luck of timing."""
    store = _Unlocked(url)
    try:
        seed(store)
        granted = [r for r in _race(store) if r is not None]
    finally:
        store.close()
    assert len(granted) > CAP


def _reserve_in_a_process(url: str, number: int) -> list[str | None]:
    store = PostgresStore(url, timeout=60)
    try:
        return [
            store.reserve("C-1", "D-C-1", slow_cap, attempt(f"A-{number}-{n}"), log_entry)[1]
            for n in range(3)
        ]
    finally:
        store.close()


def test_eight_processes_reserving_and_logging_keep_the_cap_and_one_chain(
    store: PostgresStore, url: str
) -> None:
    seed(store)
    with ProcessPoolExecutor(8) as pool:
        results = list(pool.map(_reserve_in_a_process, [url] * 8, range(8)))
    granted = [r for batch in results for r in batch if r is not None]
    assert len(granted) == CAP
    assert len(store.attempts("C-1")) == CAP
    log = list(store.decision_log())
    assert [e.seq for e in log] == list(range(1, 25))  # every decision, no gap, no fork
    assert [e.decision["seen"] for e in log] == sorted(e.decision["seen"] for e in log)
    assert verify(store).ok


def test_concurrent_appends_never_fork_the_chain(store: PostgresStore) -> None:
    def append(number: int) -> int:
        return store.append_decision(log_entry(Verdict(True, number))).seq

    with ThreadPoolExecutor(8) as pool:
        seqs = sorted(pool.map(append, range(40)))
    assert seqs == list(range(1, 41))
    result = verify(store)
    assert result.ok and result.entries == 40


def test_one_idempotency_key_sent_at_once_runs_once(store: PostgresStore) -> None:
    seed(store)
    start = threading.Barrier(8)

    def send(_: int) -> str:
        store.attempts("C-1")
        start.wait()
        return store.record_attempt(attempt("A-1"), key="same-request")

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(send, range(8))) == ["A-1"] * 8
    assert [a.id for a in store.attempts("C-1")] == ["A-1"]


# --- timeouts and failures ----------------------------------------------------------------


def test_a_held_debtor_lock_makes_reserve_unavailable(store: PostgresStore, url: str) -> None:
    seed(store)
    seed(store, "C-2")
    quick = PostgresStore(url, timeout=0.3)
    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(hashtext(%s))", ("C-1",))
        began = time.monotonic()
        with pytest.raises(StoreUnavailable, match="timeout"):
            quick.reserve("C-1", "D-C-1", slow_cap, attempt("A-1"))
        waited = time.monotonic() - began
        assert 0.25 <= waited < 3, waited
        # another debtor is not held up
        assert quick.reserve("C-2", "D-C-2", slow_cap, attempt("A-2", "C-2"))[1] == "A-2"
        holder.execute("SELECT pg_advisory_unlock(hashtext(%s))", ("C-1",))
    assert quick.reserve("C-1", "D-C-1", slow_cap, attempt("A-1"))[1] == "A-1"
    assert [a.id for a in store.attempts("C-1")] == ["A-1"]
    quick.close()


def test_a_ledger_whose_debtor_is_locked_refuses(
    store: PostgresStore, url: str, ruleset: RuleSet
) -> None:
    seed(store)
    ledger = Ledger(ruleset, PostgresStore(url, timeout=0.3))
    ask = {
        "debtor_id": "C-1",
        "debt_id": "D-C-1",
        "channel": "call",
        "to": "+17165550100",
        "at": "2026-06-08T15:00:00Z",
    }
    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(hashtext(%s))", ("C-1",))
        decision = ledger.reserve(ask).to_json()
    assert not decision["allowed"]
    assert decision["reasons"][0]["rule"] == "store-unavailable"
    assert store.attempts("C-1") == [] and list(store.decision_log()) == []
    assert "store-unavailable" not in json.dumps(ledger.reserve(ask).to_json()["reasons"])
    ledger.store.close()


def test_a_slow_statement_is_cut_at_the_timeout(store: PostgresStore, url: str) -> None:
    seed(store)
    quick = PostgresStore(url, timeout=0.3)
    with pytest.raises(StoreUnavailable, match="statement timeout"), quick._transaction() as db:
        db.execute("SELECT pg_sleep(2)")
    with psycopg.connect(url) as holder:  # a table lock makes reads wait, up to the timeout
        holder.execute("LOCK TABLE attempts IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(StoreUnavailable):
            quick.attempts("C-1")
        holder.rollback()
    assert quick.attempts("C-1") == []  # the same connection, usable again
    quick.close()


def test_an_unreachable_server_is_unavailable() -> None:
    port = postgres_cluster._free_port()
    store = PostgresStore(f"postgresql://someone:s3cret@127.0.0.1:{port}/ledger", timeout=1)
    began = time.monotonic()
    with pytest.raises(StoreUnavailable) as caught:
        store.snapshot("C-1", "D-1")
    assert time.monotonic() - began < 10
    assert "s3cret" not in str(caught.value)
    assert f"127.0.0.1:{port}/ledger" in str(caught.value)


def test_a_dropped_connection_is_replaced(store: PostgresStore, url: str) -> None:
    seed(store)
    assert store.attempts("C-1") == []
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    with pytest.raises(StoreUnavailable):
        store.attempts("C-1")
    assert store.attempts("C-1") == []  # a new connection


def test_attempts_keep_sqlites_order_whatever_the_collation(cluster: Cluster) -> None:
    """Ids compare byte by byte, as in SQLite, even in a database that sorts `b` before `C`."""
    name = f"icu_{os.getpid()}"
    with cluster.admin() as admin:
        try:
            admin.execute(
                f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu"
                f" ICU_LOCALE 'en-US' LOCALE 'C'".encode()
            )
        except psycopg.Error as exc:
            pytest.skip(f"no ICU collations in this server: {exc}")
    try:
        store = PostgresStore(cluster.url_for(name))
        seed(store)
        for attempt_id in ("A-b", "A-C", "A-a"):
            store.record_attempt(attempt(attempt_id))
        assert [a.id for a in store.attempts("C-1")] == ["A-C", "A-a", "A-b"]
        assert [e.id for e in store.snapshot("C-1", "D-C-1").events] == ["A-C", "A-a", "A-b"]
        store.close()
    finally:
        cluster.drop_database(name)


def test_no_server_outlives_the_run(cluster: Cluster) -> None:
    """A run killed outright still stops its cluster: the watchdog sees its parent go."""
    script = (
        "import sys, time; sys.path.insert(0, sys.argv[1]);"
        " from tests import postgres_cluster as pc; c = pc.cluster();"
        " print(c.server_pid(), c.root, flush=True); time.sleep(600)"
    )
    root = Path(__file__).resolve().parent.parent
    run = subprocess.Popen(
        [sys.executable, "-c", script, str(root)], stdout=subprocess.PIPE, text=True
    )
    assert run.stdout is not None
    pid, directory = run.stdout.readline().split()
    assert _alive(int(pid))
    run.kill()
    run.wait()
    deadline = time.monotonic() + 30
    while (_alive(int(pid)) or Path(directory).exists()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(int(pid)), "the killed run's server is still running"
    assert not Path(directory).exists()


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status
