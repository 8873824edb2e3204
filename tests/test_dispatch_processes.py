"""`contactengine dispatch` as processes: killed at random points, and several at once."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from contactengine.store.connect import open_store
from tests.dispatch_setup import NOW, ROOT, channel_files, environment, message, seed
from tests.stubs.sendgrid_stub import SendGridStub
from tests.stubs.twilio_stub import TwilioStub
from tests.test_ledger import shared_ledger

MESSAGES_PER_DEBTOR = ("sms", "email", "call")


def prepare(url: str, debtors: int) -> None:
    store = open_store(url)
    seed(store, debtors)
    store.plan_messages([message(n, c) for n in range(debtors) for c in MESSAGES_PER_DEBTOR])
    store.close()


def command(url: str, tmp_path: Path, worker: str) -> list[str]:
    iso_now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW))
    return [
        sys.executable, "-m", "contactengine.cli.main", "dispatch", "--once",
        "--now", iso_now, "--worker", worker, "--lease", "10m",
        "--database", url, "--rules", str(ROOT / "rules"),
        "--templates", str(ROOT / "templates"), "--channels", str(tmp_path / "channels"),
        "--outbox", str(tmp_path / "outbox"), "--log", str(tmp_path / f"{worker}.log"),
        "--format", "json",
    ]  # fmt: skip


def sends(twilio: TwilioStub, sendgrid: SendGridStub) -> int:
    return len(twilio.sends) + len(sendgrid.sends)


def sent_once(twilio: TwilioStub, sendgrid: SendGridStub) -> Counter[str]:
    """How many times each message reached a provider."""
    counts: Counter[str] = Counter(str(s["idempotency_token"]) for s in twilio.sends)
    counts.update(str(s["custom_args"]["message_id"]) for s in sendgrid.sends)
    return counts


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_dispatch_killed_at_random_points_sends_everything_exactly_once(
    kind: str, tmp_path: Path
) -> None:
    debtors = 15
    rng = random.Random(5)
    channel_files(tmp_path / "channels")
    with TwilioStub() as twilio, SendGridStub() as sendgrid, shared_ledger(kind, tmp_path) as url:
        prepare(url, debtors)
        env = {**os.environ, **environment(twilio.base_url, sendgrid.base_url)}
        env["PYTHONPATH"] = str(ROOT)
        kills = 0
        for _ in range(10):
            run = subprocess.Popen(
                command(url, tmp_path, "w1"), cwd=tmp_path, env=env, stdout=subprocess.DEVNULL
            )
            target = sends(twilio, sendgrid) + rng.randint(1, 5)
            deadline = time.monotonic() + 30
            while sends(twilio, sendgrid) < target and run.poll() is None:
                assert time.monotonic() < deadline, "the run sent nothing"
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.03))  # anywhere: mid-request, before the record, after
            if run.poll() is not None:
                break  # it finished everything first
            run.send_signal(signal.SIGKILL)
            run.wait()
            kills += 1
        assert kills >= 5  # killed mid-run, with messages sent and others still to go
        final = subprocess.run(
            command(url, tmp_path, "w1"), cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert final.returncode == 0, final.stderr
        store = open_store(url)
        planned = store.planned_messages()
        assert {m.status for m in planned} == {"sent"}  # none lost
        counts = sent_once(twilio, sendgrid)
        assert set(counts) == {m.id for m in planned}
        assert set(counts.values()) == {1}, counts.most_common(3)  # none sent twice
        for number in range(debtors):  # one attempt a message: no reservation left over
            assert sorted(a.channel for a in store.attempts(f"C-{number}")) == [
                "call",
                "email",
                "sms",
            ]
        store.close()


def test_parallel_runs_on_postgresql_never_take_the_same_message(tmp_path: Path) -> None:
    debtors = 20
    channel_files(tmp_path / "channels")
    with (
        TwilioStub() as twilio,
        SendGridStub() as sendgrid,
        shared_ledger("postgres", tmp_path) as url,
    ):
        prepare(url, debtors)
        env = {**os.environ, **environment(twilio.base_url, sendgrid.base_url)}
        env["PYTHONPATH"] = str(ROOT)
        runs = [
            subprocess.Popen(
                command(url, tmp_path, f"w{n}"),
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(3)
        ]
        outputs = [run.communicate(timeout=120) for run in runs]
        assert all(run.returncode == 0 for run in runs), [err for _, err in outputs]
        counts = sent_once(twilio, sendgrid)
        assert len(counts) == debtors * len(MESSAGES_PER_DEBTOR)
        assert set(counts.values()) == {1}
        # SendGrid has no idempotency key: a message taken by two runs would show here twice
        assert len(sendgrid.sends) == debtors
        summaries = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
        assert sum(s["sent"] for s in summaries) == debtors * len(MESSAGES_PER_DEBTOR)
