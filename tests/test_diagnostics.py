"""Golden diagnostics: each broken rule file renders exactly as its `.expected` file says.

Every file in tests/fixtures/broken/ holds one realistic mistake; its `.expected` beside it
is what `contactengine check` prints for it, run from the repository root. After a
deliberate change to a message, regenerate with

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_diagnostics.py

and read the diff of the `.expected` files before committing it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from contactengine.engine.loader import load_paths, load_sources
from contactengine.language.diagnostics import render_all_human

ROOT = Path(__file__).resolve().parent.parent
BROKEN = Path("tests", "fixtures", "broken")  # relative: paths show as users see them
CASES = sorted(ROOT.joinpath(BROKEN).glob("*.rules"))
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def render(path: Path) -> str:
    result = load_paths([path])
    return render_all_human(result.diagnostics, result.sources)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contactengine.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_corpus_is_complete() -> None:
    assert len(CASES) >= 28
    orphans = [
        p.name
        for p in ROOT.joinpath(BROKEN).glob("*.expected")
        if not p.with_suffix(".rules").exists()
    ]
    assert not orphans, f"expected files without a rule file: {orphans}"


@pytest.mark.parametrize("case", [pytest.param(p.stem, id=p.stem) for p in CASES])
def test_golden_rendering(case: str) -> None:
    path = BROKEN / f"{case}.rules"
    expected_path = ROOT / BROKEN / f"{case}.expected"
    actual = render(path)
    if UPDATE:
        expected_path.write_text(actual, encoding="utf-8")
    assert expected_path.exists(), f"no {expected_path.name}: run with UPDATE_GOLDEN=1"
    expected = expected_path.read_text(encoding="utf-8")
    assert actual == expected


@pytest.mark.parametrize("case", [pytest.param(p.stem, id=p.stem) for p in CASES])
def test_every_problem_points_at_its_source(case: str) -> None:
    """Location, source line, carets and a help line for every diagnostic, no traceback."""
    result = load_paths([BROKEN / f"{case}.rules"])
    assert result.diagnostics, "a broken file must say what is wrong"
    for diagnostic in result.diagnostics:
        assert diagnostic.help, diagnostic
        assert not diagnostic.message.endswith("."), diagnostic
        assert diagnostic.message[:1] == diagnostic.message[:1].lower(), diagnostic
        block = render_all_human([diagnostic], result.sources)
        span = diagnostic.span
        assert f"--> {span.file}:{span.line}:{span.column}\n" in block
        assert f"\n{span.line} | " in block or f"\n{span.line} |\n" in block
        assert "^" in block
        assert "= help: " in block


def test_no_unexpected_rule_set_for_errors() -> None:
    for path in CASES:
        result = load_paths([BROKEN / path.name])
        assert (result.ruleset is None) == bool(result.errors), path.name


def test_json_format_for_errors() -> None:
    completed = run_cli("check", "--format", "json", str(BROKEN / "unknown_channel.rules"))
    assert completed.returncode == 1, completed.stderr
    problems = json.loads(completed.stdout)
    assert isinstance(problems, list) and len(problems) == 1
    problem = problems[0]
    for key in ("code", "severity", "message", "file", "line", "column", "help"):
        assert key in problem, key
    assert problem == {
        **problem,
        "code": "E010",
        "severity": "error",
        "message": "unknown channel `smss`",
        "file": str(BROKEN / "unknown_channel.rules"),
        "line": 7,
        "column": 18,
        "help": "did you mean `sms`?",
    }


def test_json_format_for_warnings_only() -> None:
    completed = run_cli("check", "--format", "json", str(BROKEN / "missing_citation.rules"))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    problems = json.loads(completed.stdout)
    assert [(p["code"], p["severity"], p["line"], p["column"]) for p in problems] == [
        ("W001", "warning", 3, 6)
    ]
    assert all(isinstance(p["help"], str) and p["help"] for p in problems)
    assert problems[0]["file"] == str(BROKEN / "missing_citation.rules")


def test_human_format_matches_golden_through_the_cli() -> None:
    completed = run_cli("check", str(BROKEN / "unknown_value.rules"))
    assert completed.returncode == 1
    assert completed.stdout == (ROOT / BROKEN / "unknown_value.expected").read_text()
    assert "Traceback" not in completed.stderr


def test_shipped_rules_check_clean() -> None:
    completed = run_cli("check", "rules/")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr


def test_several_problems_in_one_file_come_in_position_order() -> None:
    """The checker does not stop at the first problem: all of them, top to bottom."""
    text = """rule tx-evening-calls
  title "No calls after 20:00 in Texas"
  jurisdiction US-TXS
  actor debt_collector
  channels call, smss
  deny when local time >= 25:00 or count(calls per account within 0 days) >= 3
  warn when local day is sundy
end

rule tx-evening-calls
  title "Duplicate"
  citation "Company policy"
  jurisdiction US
  channels letter
  deny when attorney_representd
end
"""
    result = load_sources([("several.rules", text)])
    assert result.ruleset is None
    found = [(d.span.line, d.span.column, d.code) for d in result.diagnostics]
    assert found == [
        (1, 6, "W001"),  # no citation
        (3, 16, "E013"),  # US-TXS
        (5, 18, "E010"),  # smss
        (6, 27, "E020"),  # 25:00
        (6, 52, "E018"),  # per account
        (6, 67, "E022"),  # 0 days
        (7, 26, "E012"),  # sundy
        (10, 6, "E040"),  # the id again
        (15, 13, "E011"),  # attorney_representd
    ]
    assert found == sorted(found)
    rendered = render_all_human(result.diagnostics, result.sources)
    assert rendered.endswith("8 errors, 1 warning\n")


def test_deep_nesting_is_a_diagnostic_at_the_condition() -> None:
    """Once a crash risk (recursion in checker and compiler): now E005 where it happens."""
    condition = " and ".join(["bankruptcy"] * 150)
    text = f'rule deep\n  title "t"\n  citation "c"\n  jurisdiction US\n  channels call\n  deny when {condition}\nend\n'
    result = load_sources([("deep.rules", text)])
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("E005", 6)]
