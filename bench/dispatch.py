"""Benchmark of a dispatch run: `python -m bench.dispatch [--backend B] [--messages N]`.

Seeds a ledger with debtors in Texas (the federal rules and Texas's, nothing stricter) and
plans N messages for now (40% texts, 40% emails, 20% calls, at most one of each a debtor),
starts the Twilio and SendGrid stub servers in processes of their own, then runs 4
dispatch workers at once and reports messages a second from the moment every worker is
ready until the last one finds nothing left. A separate single-worker run on a slice of
the messages times each stage: claiming, the debtor's profile, rendering, the rule check
(the engine's decision alone), the rest of the reservation (reading the facts, recording
the attempt and its logged decision), the provider's SDK and HTTP, and settling.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contactengine.channels import adapter_for, load_channels  # noqa: E402
from contactengine.dispatch.run import Dispatcher  # noqa: E402
from contactengine.engine.loader import load_ruleset  # noqa: E402
from contactengine.ledger import Ledger  # noqa: E402
from contactengine.ledger import ledger as ledger_module  # noqa: E402
from contactengine.model import Debtor, PlannedMessage  # noqa: E402
from contactengine.store.common import profile_json  # noqa: E402
from contactengine.store.connect import open_store  # noqa: E402
from contactengine.templates import TemplateSet  # noqa: E402
from tests.dispatch_setup import VARIABLES, channel_files, environment  # noqa: E402

NOW = dt.datetime(2026, 6, 9, 16, tzinfo=dt.UTC).timestamp()  # 11:00 in Houston
MIX = (("sms", 0.4), ("email", 0.4), ("call", 0.2))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def phone(number: int) -> str:
    return f"+1713{number:07d}"


def profile(number: int) -> tuple[str, str]:
    debtor = Debtor.model_validate(
        {
            "id": f"C-{number}",
            "first_name": "Pat",
            "address": {"city": "Houston", "state": "TX", "zip": "77002", "country": "US"},
            "phones": [
                {
                    "number": phone(number),
                    "kind": "mobile",
                    "reassignment_checked_at": "2026-06-01T15:00:00Z",
                }
            ],
            "emails": [{"address": f"pat{number}@example.com"}],
        }
    )
    return debtor.id, profile_json(debtor)


def seed(url: str, messages: int) -> None:
    """Debtors, debts, their consents to texts and calls, and the planned messages."""
    debtors = messages * 2 // 5  # the texts: one a debtor; emails and calls to the same ones
    store = open_store(url, timeout=600.0)
    store.upgrade()
    given = dt.datetime(2026, 5, 1, 15, tzinfo=dt.UTC).timestamp()
    rows: dict[str, list[tuple[Any, ...]]] = {
        "debtors (id, profile)": [profile(n) for n in range(debtors)],
        "debts (id, debtor_id, type, actor)": [
            (f"D-{n}", f"C-{n}", "credit_card", "debt_collector") for n in range(debtors)
        ],
        "consents (debtor_id, channel, contact, given_at, given_to, kind)": [
            (f"C-{n}", channel, phone(n), given, "debt_collector", "express")
            for n in range(debtors)
            for channel in ("sms", "call")
        ],
    }
    _bulk(store, url, rows)
    planned = []
    counts = {channel: int(messages * share) for channel, share in MIX}
    for n in range(debtors):  # interleaved, so that any slice of the run has the same mix
        for channel in ("sms", "email", "call"):
            if n < counts[channel]:
                planned.append(
                    PlannedMessage(
                        id=f"M-{channel}-{n}",
                        debtor_id=f"C-{n}",
                        debt_id=f"D-{n}",
                        channel=channel,
                        template="payment_reminder",
                        not_before=NOW - 7200 + len(planned) * 0.01,
                        variables=VARIABLES,
                    )
                )
    for start in range(0, len(planned), 5000):
        store.plan_messages(planned[start : start + 5000])
    store.close()


def _bulk(store: Any, url: str, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    if url.startswith("postgresql"):
        with store._transaction() as db, db.cursor() as cursor:
            for table, values in rows.items():
                with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
        with store._transaction() as db:
            db.execute("ANALYZE")
        return
    connection = store._connection()
    connection.execute("BEGIN IMMEDIATE")
    for table, values in rows.items():
        marks = ", ".join("?" * len(values[0]))
        connection.executemany(f"INSERT INTO {table} VALUES ({marks})", values)
    connection.execute("COMMIT")


@contextmanager
def stubs() -> Iterator[dict[str, str]]:
    """Both providers' stubs, each in a process of its own, and the environment for them."""
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.stubs", name],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("twilio", "sendgrid")
    ]
    try:
        urls = [process.stdout.readline().strip() for process in started if process.stdout]
        yield environment(urls[0], urls[1])
    finally:
        for process in started:
            process.terminate()
            process.wait()


def dispatcher(url: str, folder: str, env: dict[str, str], worker: str) -> Dispatcher:
    channels = load_channels(Path(folder) / "channels")
    adapters = {
        name: adapter_for(config, env, outbox=Path(folder) / "outbox")
        for name, config in channels.items()
    }
    return Dispatcher(
        Ledger(load_ruleset([ROOT / "rules"]), open_store(url, timeout=60.0)),
        TemplateSet(ROOT / "templates"),
        channels,
        adapters,
        worker=worker,
        signing_key=b"bench",
        clock=lambda: NOW,
        batch=50,
    )


def worker(
    url: str, folder: str, env: dict[str, str], name: str, start: Any
) -> tuple[int, float, float]:
    run = dispatcher(url, folder, env, name)
    run.store.planned_messages(debtor_id="C-0")  # connected, migrations checked
    start.wait()
    began = time.time()
    summary = run.run()
    return summary.handled, began, time.time()


def throughput(url: str, folder: str, env: dict[str, str], workers: int) -> dict[str, Any]:
    with multiprocessing.Manager() as manager, ProcessPoolExecutor(workers) as pool:
        start = manager.Barrier(workers)
        results = list(
            pool.map(
                worker,
                [url] * workers,
                [folder] * workers,
                [env] * workers,
                [f"w{n}" for n in range(workers)],
                [start] * workers,
            )
        )
    handled = sum(r[0] for r in results)
    seconds = max(r[2] for r in results) - min(r[1] for r in results)
    return {
        "workers": workers,
        "messages": handled,
        "seconds": round(seconds, 1),
        "per_second": round(handled / seconds),
    }


class Stages:
    """Wall time spent in each stage of a run, by wrapping what the dispatcher calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, owner: Any, attribute: str, stage: str) -> None:
        original: Callable[..., Any] = getattr(owner, attribute)

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - began

        setattr(owner, attribute, timed)


def stages(url: str, folder: str, env: dict[str, str], messages: int) -> dict[str, Any]:
    """One worker over `messages` messages, its time split by stage."""
    run = dispatcher(url, folder, env, "profile")
    split = Stages()
    split.wrap(run.store, "claim_messages", "claim")
    split.wrap(run.store, "debtor", "profile")
    split.wrap(run.templates, "render", "render")
    split.wrap(run.ledger, "reserve", "reserve")
    split.wrap(ledger_module, "decide", "rule check")  # inside reserve
    split.wrap(run.store, "settle_message", "settle")
    split.wrap(run.store, "record_outcome", "settle")
    for adapter in run.adapters.values():
        split.wrap(adapter, "send", "provider")
    began = time.perf_counter()
    handled = run.run(limit=messages).handled
    total = time.perf_counter() - began
    seconds = dict(split.seconds)
    seconds["reserve"] -= seconds.get("rule check", 0.0)  # reading, recording and logging
    seconds["other"] = total - sum(seconds.values())
    share = {k: round(100 * v / total, 1) for k, v in sorted(seconds.items(), key=lambda i: -i[1])}
    return {
        "messages": handled,
        "per_second_one_worker": round(handled / total),
        "ms_per_message": round(1000 * total / max(handled, 1), 2),
        "percent": share,
        "rule_check_and_render_percent": round(
            100 * (seconds.get("rule check", 0) + seconds.get("render", 0)) / total, 1
        ),
    }


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(prog="python -m bench.dispatch", description=__doc__)
    options.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    options.add_argument("--messages", type=int, default=100_000)
    options.add_argument("--workers", type=int, default=4)
    options.add_argument("--profile", type=int, default=2_000, help="messages in the staged run")
    args = options.parse_args(argv)
    os.chdir(ROOT)
    with tempfile.TemporaryDirectory() as folder, stubs() as env:
        channel_files(Path(folder) / "channels")
        url = str(Path(folder) / "ledger.db")
        if args.backend == "postgres":
            from tests.postgres_cluster import cluster

            url = cluster().url_for(cluster().create_database())
        log(f"seeding {args.messages:,} planned messages")
        began = time.perf_counter()
        seed(url, args.messages + args.profile)
        seeded = time.perf_counter() - began
        log(f"one worker, {args.profile:,} messages, timed by stage")
        staged = stages(url, folder, env, args.profile)
        log(f"{args.workers} workers over the remaining {args.messages:,}")
        overall = throughput(url, folder, env, args.workers)
    print(
        json.dumps(
            {
                "backend": args.backend,
                "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "seed_seconds": round(seeded, 1),
                "throughput": overall,
                "stages": staged,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
