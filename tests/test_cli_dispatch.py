"""`contactengine db load | plan | dispatch | check --templates --channels`, as a user runs them."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, cwd: Path, database: Path | None = None) -> subprocess.CompletedProcess[str]:
    env_args = ["--database", str(database)] if database is not None else []
    return subprocess.run(
        [sys.executable, "-m", "contactengine.cli.main", *args, *env_args],
        cwd=cwd,
        capture_output=True,
        text=True,
    )


def test_the_demo_day_loads_plans_and_dispatches_through_the_outbox(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    for name in ("rules", "templates", "channels"):
        shutil.copytree(ROOT / name, tmp_path / name)
    loaded = cli("db", "load", str(ROOT / "examples/ledger.jsonl"), cwd=tmp_path, database=ledger)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "loaded 15 debtors, 15 debts, 12 past contacts"
    planned = cli("plan", str(ROOT / "examples/plan.csv"), cwd=tmp_path, database=ledger)
    assert planned.stdout.strip() == "planned 28 new messages (0 already planned)"
    again = cli("plan", str(ROOT / "examples/plan.csv"), cwd=tmp_path, database=ledger)
    assert again.stdout.strip() == "planned 0 new messages (28 already planned)"
    morning = cli(
        "dispatch", "--once", "--outbox-only", "--now", "2026-06-09T15:00:00Z",
        "--format", "json", "--log", str(tmp_path / "log.jsonl"),
        cwd=tmp_path, database=ledger,
    )  # fmt: skip
    assert morning.returncode == 0, morning.stderr
    summary = json.loads(morning.stdout)
    assert summary["sent"] == 13
    assert summary["deferred"] == {
        "fdcpa-convenient-hours": 3,  # Honolulu at 05:00, Anchorage at 07:00
        "reg-f-call-after-conversation": 1,  # Miami: a conversation yesterday
        "reg-f-call-frequency": 1,  # Houston: 7 calls in 7 days
    }
    assert summary["closed"] == {
        "dc-electronic-consent": 1,
        "fdcpa-attorney-represented": 1,
        "fdcpa-cease-communication": 1,
        "reg-f-medium-opt-out": 2,
    }
    assert len(list((tmp_path / "outbox").iterdir())) == 13
    lines = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert len(lines) == 23
    logged = (tmp_path / "log.jsonl").read_text()
    assert "pat@example.com" not in logged and "+16175550101" not in logged  # masked
    evening = cli(
        "dispatch", "--once", "--outbox-only", "--now", "2026-06-09T21:30:00Z",
        "--format", "json", cwd=tmp_path, database=ledger,
    )  # fmt: skip
    assert json.loads(evening.stdout)["sent"] == 8


def test_a_plan_with_bad_rows_plans_nothing(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    cli("db", "load", str(ROOT / "examples/ledger.jsonl"), cwd=ROOT, database=ledger)
    bad = tmp_path / "plan.csv"
    rows = (ROOT / "examples/plan.csv").read_text().splitlines()
    rows[1] = rows[1].replace(",sms,", ",pigeon,")
    bad.write_text("\n".join(rows) + "\n")
    result = cli("plan", str(bad), cwd=ROOT, database=ledger)
    assert result.returncode == 1
    assert f"{bad}:line 2: channel: `pigeon` is not one of" in result.stderr
    unknown = tmp_path / "unknown.csv"
    unknown.write_text(rows[0] + "\n" + rows[2].replace("C-1001,D-1001", "C-9,D-9") + "\n")
    result = cli("plan", str(unknown), cwd=ROOT, database=ledger)
    assert result.returncode == 1
    assert f"{unknown}:line 2: no debt `D-9` for debtor `C-9` in the ledger" in result.stderr
    dry = cli("dispatch", "--dry-run", "--format", "json", cwd=ROOT, database=ledger)
    assert json.loads(dry.stdout)["sent"] == 0  # nothing was planned


def test_a_bad_debtor_line_loads_nothing(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    bad = tmp_path / "ledger.jsonl"
    lines = (ROOT / "examples/ledger.jsonl").read_text().splitlines()
    bad.write_text(lines[0] + "\n" + lines[1].replace('"+12125550102"', '"12"', 1) + "\n")
    result = cli("db", "load", str(bad), cwd=ROOT, database=ledger)
    assert result.returncode == 1
    assert f"{bad}:2: debtor.phones.0.number:" in result.stderr
    assert "nothing loaded" in result.stderr


def test_check_reports_a_template_that_can_never_carry_what_the_rules_require(
    tmp_path: Path,
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    sms = templates / "payment_reminder" / "sms.en.j2"
    sms.write_text(sms.read_text().replace('{{ disclosure("opt_out_notice") }}', ""))
    channels = tmp_path / "channels"
    shutil.copytree(ROOT / "channels", channels)
    (channels / "sms.toml").write_text(
        (channels / "sms.toml").read_text().replace("max_tries = 5", "max_tries = 0")
    )
    result = cli(
        "check", "rules/", "--templates", str(templates), "--channels", str(channels), cwd=ROOT
    )
    assert result.returncode == 1
    assert "payment_reminder/sms.en.j2" in result.stdout and "opt_out_notice" in result.stdout
    assert "sms.toml" in result.stdout and "max_tries" in result.stdout
    shipped = cli(
        "check", "rules/", "--templates", "templates/", "--channels", "channels/", cwd=ROOT
    )
    assert shipped.returncode == 0, shipped.stdout


def test_dispatch_refuses_an_unusable_invocation(tmp_path: Path) -> None:
    both = cli("dispatch", "--every", "5m", "--now", "2026-06-09T15:00:00Z", cwd=tmp_path)
    assert both.returncode == 2 and "--now fixes the clock" in both.stderr
    interval = cli("dispatch", "--every", "soon", cwd=tmp_path)
    assert interval.returncode == 2 and "is not an interval" in interval.stderr


def test_sigterm_stops_a_dispatch_that_runs_every_interval(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    cli("db", "load", str(ROOT / "examples/ledger.jsonl"), cwd=ROOT, database=ledger)
    cli("plan", str(ROOT / "examples/plan.csv"), cwd=ROOT, database=ledger)
    run = subprocess.Popen(
        [
            sys.executable, "-m", "contactengine.cli.main", "dispatch", "--every", "1s",
            "--outbox-only", "--outbox", str(tmp_path / "outbox"), "--format", "json",
            "--database", str(ledger), "--log", str(tmp_path / "log.jsonl"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert run.stdout is not None
    first = json.loads(run.stdout.readline())  # one run done, waiting for the next
    assert first["dry_run"] is False
    run.send_signal(signal.SIGTERM)
    assert run.wait(timeout=20) == 0
    handled = sum(1 for _ in (tmp_path / "log.jsonl").read_text().splitlines())
    assert handled >= 1
