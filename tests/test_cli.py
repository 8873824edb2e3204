"""The command line, run as a user runs it: a subprocess with real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contactengine.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_check_shipped_rules_exits_zero() -> None:
    result = run("check", "rules/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok:")


def test_check_reports_errors_with_exit_one(tmp_path: Path) -> None:
    broken = tmp_path / "broken.rules"
    broken.write_text(
        'rule x\n  title "x"\n  channels smss\n  jurisdiction US\n  deny when bankruptcy\nend\n'
    )
    result = run("check", str(broken))
    assert result.returncode == 1
    assert f"{broken}:3:12" in result.stdout
    assert "did you mean `sms`?" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_decide_answers_every_line_in_order() -> None:
    lines = (ROOT / "examples" / "requests.jsonl").read_text().splitlines()
    result = run("decide", "--rules", "rules", "examples/requests.jsonl")
    assert result.returncode == 1, result.stderr  # its last line is invalid on purpose
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == len(lines)
    assert answers[0]["allowed"] is True
    assert answers[1]["reasons"][0]["rule"] == "fdcpa-convenient-hours"
    assert answers[-1]["error"] == "invalid request"
    assert answers[-1]["line"] == len(lines)
    assert answers[-1]["fields"][0]["field"] == "at"


def test_decide_survives_garbage_lines() -> None:
    good = (ROOT / "examples" / "requests.jsonl").read_text().splitlines()[0]
    result = run("decide", "--rules", "rules", stdin=f"{{not json\n{good}\n[1, 2]\n")
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert answers[0]["error"] == "invalid JSON" and answers[0]["line"] == 1
    assert answers[1]["allowed"] is True
    assert answers[2]["error"] == "invalid request"
    assert "Traceback" not in result.stderr


def test_decide_refuses_to_start_on_broken_rules(tmp_path: Path) -> None:
    (tmp_path / "bad.rules").write_text("rule x\n")
    result = run("decide", "--rules", str(tmp_path), stdin="")
    assert result.returncode == 2
    assert "error[E006]" in result.stderr


def test_explain_tells_the_story() -> None:
    result = run("explain", "--rules", "rules", "examples/request.json")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "America/New_York" in out and "address zip 02108" in out
    assert "DENIES  reg-f-call-after-conversation" in out
    assert "allows  fdcpa-convenient-hours" in out
    assert "Decision: REFUSED" in out
    assert "Next allowed: 2026-06-09T12:00:00Z" in out


def test_explain_names_bad_fields(tmp_path: Path) -> None:
    request = json.loads((ROOT / "examples" / "request.json").read_text())
    request["channel"] = "pigeon"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(request))
    result = run("explain", "--rules", "rules", str(path))
    assert result.returncode == 1
    assert "channel:" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_input_file_is_named_with_exit_two() -> None:
    result = run("decide", "--rules", "rules", "no-such-requests.jsonl")
    assert result.returncode == 2
    assert result.stderr == (
        "contactengine: cannot open no-such-requests.jsonl: No such file or directory\n"
    )


def test_check_names_the_places_no_pack_covers(tmp_path: Path) -> None:
    rule = (
        'rule house\n  title "house"\n  citation "house policy"\n  jurisdiction US-TX\n'
        "  channels call\n  deny when bankruptcy\nend\n"
    )
    (tmp_path / "house.rules").write_text(rule)
    result = run("check", str(tmp_path))
    assert result.returncode == 0, result.stdout
    assert "warning: no pack covers US-TX: every request there is refused" in result.stdout
