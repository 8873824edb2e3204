"""`contactengine test`: what a compliance officer sees when scenarios pass, fail or break."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = "tests/fixtures/scenarios"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contactengine.cli.main", "test", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_table_driven_cases_all_pass() -> None:
    result = run(f"{FIXTURES}/table.toml", "--verbose")
    assert result.returncode == 0, result.stdout
    assert "ok     tests/fixtures/scenarios/table.toml:11  HOURS[07:59:59]" in result.stdout
    assert "HOURS[08:00]" in result.stdout and "HOURS[21:00]" in result.stdout
    assert result.stdout.endswith("3 scenarios in 1 files: 3 passed, 0 failed\n")


def test_a_failure_shows_expected_against_actual_and_the_reasons() -> None:
    result = run(f"{FIXTURES}/failing.toml")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FAIL   tests/fixtures/scenarios/failing.toml:2  WRONG-1")
    assert "expected: allow" in lines[1]
    assert lines[2] == (
        "       actual:   deny by fdcpa-convenient-hours; next allowed 2026-07-15T12:00:00Z"
    )
    assert any("because fdcpa-convenient-hours" in line and "07:30" in line for line in lines)
    assert lines[-1] == "1 scenarios in 1 files: 0 passed, 1 failed"


def test_an_unknown_key_is_a_broken_file_with_its_line() -> None:
    result = run(f"{FIXTURES}/broken_key.toml")
    assert result.returncode == 2
    assert result.stdout.startswith(
        "BROKEN tests/fixtures/scenarios/broken_key.toml:1: unknown key `expected`"
    )
    assert "did you mean `expect`?" in result.stdout


def test_invalid_toml_is_a_broken_file_with_its_line() -> None:
    result = run(f"{FIXTURES}/broken_toml.toml")
    assert result.returncode == 2
    assert result.stdout.startswith(
        "BROKEN tests/fixtures/scenarios/broken_toml.toml:4: not valid TOML"
    )


def test_json_report() -> None:
    result = run(FIXTURES, "--format", "json")
    assert result.returncode == 2  # one broken file outranks the failures
    report = json.loads(result.stdout)
    assert report["files"] == 4
    assert report["failed"] == 1 and report["passed"] == 3
    assert {b["file"] for b in report["broken"]} == {
        f"{FIXTURES}/broken_key.toml",
        f"{FIXTURES}/broken_toml.toml",
    }
    failing = next(r for r in report["results"] if not r["passed"])
    assert failing["id"] == "WRONG-1"
    assert failing["decision"]["reasons"][0]["rule"] == "fdcpa-convenient-hours"
