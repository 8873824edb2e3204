"""Benchmark of the ledger-bound engine: `python -m bench.store [--backend B] [--attempts N]`.

Seeds a ledger with debtors and their past attempts (1 million by default, 40 a debtor),
then measures `Ledger.can_contact` one call at a time (median and p99; each call reads the
debtor's facts in one transaction, decides, and appends to the decision log), and
`Ledger.reserve` from 8 worker processes at once (reservations a second).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from contactengine.engine.loader import load_ruleset
from contactengine.ledger import Ledger
from contactengine.model import Debtor
from contactengine.store.common import profile_json
from contactengine.store.connect import open_store
from contactengine.store.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parent.parent
ASK_DAY = dt.datetime(2026, 6, 8, tzinfo=dt.UTC).timestamp()
DAY = 86400.0
PER_DEBTOR = 40
OUTCOMES = ("no_answer", "voicemail", "not_connected", "conversation", "no_answer")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def phone(number: int) -> str:
    return f"+1617{number:07d}"


def seed(url: str, debtors: int, spread_days: int = 365) -> None:
    """Debtors, debts and their attempts in bulk, straight into the ledger's tables.

    Each debtor's attempts fall at random over the `spread_days` before the asks.
    """
    start = ASK_DAY - spread_days * DAY
    store = open_store(url, timeout=600.0)  # a bulk load is one long statement
    store.upgrade()
    rng = random.Random(7)
    profiles = [
        (
            f"C-{number}",
            profile_json(
                Debtor.model_validate(
                    {
                        "id": f"C-{number}",
                        "address": {
                            "city": "Boston",
                            "state": "MA",
                            "zip": "02108",
                            "country": "US",
                        },
                        "phones": [{"number": phone(number), "kind": "landline"}],
                    }
                )
            ),
        )
        for number in range(debtors)
    ]
    debts = [(f"D-{n}", f"C-{n}", "other", "debt_collector") for n in range(debtors)]
    attempts = [
        (
            f"A-{number}-{k}",
            f"C-{number}",
            json.dumps([f"D-{number}"]),
            "call",
            phone(number),
            start + rng.random() * spread_days * DAY,
            "outbound",
            rng.choice(OUTCOMES),
        )
        for number in range(debtors)
        for k in range(PER_DEBTOR)
    ]
    tables = (
        ("debtors (id, profile)", profiles),
        ("debts (id, debtor_id, type, actor)", debts),
        ("attempts (id, debtor_id, debt_ids, channel, contact, at, direction, outcome)", attempts),
    )
    if isinstance(store, SQLiteStore):
        connection = store._connection()
        connection.execute("BEGIN IMMEDIATE")
        for table, rows in tables:
            marks = ", ".join("?" * len(rows[0]))
            connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        connection.execute("COMMIT")
    else:
        from contactengine.store.postgres import PostgresStore

        assert isinstance(store, PostgresStore)
        with store._transaction() as db, db.cursor() as cursor:
            for table, rows in tables:
                with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        with store._transaction() as db:
            db.execute("ANALYZE")
    store.close()


def ask(number: int, at: float) -> dict[str, Any]:
    return {
        "debtor_id": f"C-{number}",
        "debt_id": f"D-{number}",
        "channel": "call",
        "to": phone(number),
        "at": dt.datetime.fromtimestamp(at, dt.UTC).isoformat(),
    }


def latency(url: str, debtors: int, calls: int) -> dict[str, float]:
    """One `can_contact` at a time; the median, p99 and share of allowed decisions."""
    ledger = Ledger(load_ruleset(["rules"]), open_store(url))
    rng = random.Random(11)
    samples = []
    allowed = 0
    for _ in range(calls):
        request = ask(rng.randrange(debtors), ASK_DAY + 14 * 3600 + rng.random() * 6 * 3600)
        began = time.perf_counter_ns()
        decision = ledger.can_contact(request)
        samples.append(time.perf_counter_ns() - began)
        allowed += decision.allowed
    samples.sort()
    return {
        "calls": calls,
        "allowed": allowed,
        "median_ms": round(statistics.median(samples) / 1e6, 3),
        "p99_ms": round(samples[int(len(samples) * 0.99)] / 1e6, 3),
    }


def reserve_worker(
    url: str, debtors: int, count: int, seed_value: int, start: Any
) -> tuple[int, float, float]:
    """Load the rules, wait for every worker, then reserve `count` times as fast as it can."""
    ledger = Ledger(load_ruleset(["rules"]), open_store(url, timeout=60.0))
    rng = random.Random(seed_value)
    asks = [
        ask(rng.randrange(debtors), ASK_DAY + 14 * 3600 + rng.random() * 6 * 3600)
        for _ in range(count)
    ]
    ledger.store.snapshot(asks[0]["debtor_id"], asks[0]["debt_id"])  # connected, set up
    start.wait()
    began = time.time()
    for request in asks:
        ledger.reserve(request)
    return count, began, time.time()


def reservations(url: str, debtors: int, workers: int, each: int) -> dict[str, float]:
    """Reservations a second from `workers` processes at once, once all have started."""
    with multiprocessing.Manager() as manager, ProcessPoolExecutor(workers) as pool:
        start = manager.Barrier(workers)
        results = list(
            pool.map(
                reserve_worker,
                [url] * workers,
                [debtors] * workers,
                [each] * workers,
                range(workers),
                [start] * workers,
            )
        )
    done = sum(r[0] for r in results)
    seconds = max(r[2] for r in results) - min(r[1] for r in results)
    return {
        "workers": workers,
        "reservations": done,
        "seconds": round(seconds, 2),
        "per_second": round(done / seconds),
    }


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(prog="python -m bench.store", description=__doc__)
    options.add_argument(
        "--backend",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="postgres starts a throwaway cluster on loopback, as the tests do",
    )
    options.add_argument("--attempts", type=int, default=1_000_000, help="past attempts to seed")
    options.add_argument("--calls", type=int, default=5_000, help="single can_contact calls")
    options.add_argument("--each", type=int, default=1000, help="reservations per worker")
    options.add_argument(
        "--spread-days",
        type=int,
        default=365,
        help="the past attempts fall over this many days before the asks (30: every ask"
        " meets a debtor at the Massachusetts caps)",
    )
    args = options.parse_args(argv)
    os.chdir(ROOT)
    debtors = max(1, args.attempts // PER_DEBTOR)
    with tempfile.TemporaryDirectory() as folder:
        url = str(Path(folder) / "ledger.db")
        if args.backend == "postgres":
            sys.path.insert(0, str(ROOT))
            from tests.postgres_cluster import cluster

            url = cluster().url_for(cluster().create_database())
        log(f"seeding {debtors:,} debtors with {debtors * PER_DEBTOR:,} attempts")
        began = time.perf_counter()
        seed(url, debtors, args.spread_days)
        seeded = time.perf_counter() - began
        log(f"can_contact latency over {args.calls:,} calls")
        single = latency(url, debtors, args.calls)
        log("reservations from 8 processes")
        reserved = reservations(url, debtors, 8, args.each)
    results = {
        "backend": args.backend,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "attempts": debtors * PER_DEBTOR,
        "spread_days": args.spread_days,
        "seed_seconds": round(seeded, 1),
        "can_contact": single,
        "reserve": reserved,
    }
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
