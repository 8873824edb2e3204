"""Running scenario files for `contactengine test`, and saying what happened.

Exit codes: 0 every scenario passed, 1 some failed, 2 a scenario file is broken (it names
the file and line) or the rules themselves do not load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contactengine.engine.ruleset import RuleSet
from contactengine.scenarios.runner import (
    Outcome,
    ScenarioFileError,
    load_scenarios,
    run_scenario,
)


@dataclass
class TestRun:
    outcomes: list[Outcome] = field(default_factory=list)
    broken: list[ScenarioFileError] = field(default_factory=list)
    files: int = 0

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    @property
    def exit_code(self) -> int:
        return 2 if self.broken else 1 if self.failed else 0


def scenario_files(paths: list[str | Path]) -> list[Path]:
    """The TOML files named, and those found under named folders, in a stable order."""
    found: list[Path] = []
    for path in map(Path, paths):
        found.extend(sorted(path.rglob("*.toml")) if path.is_dir() else [path])
    return found


def run_files(paths: list[str | Path], ruleset: RuleSet) -> TestRun:
    run = TestRun()
    for path in scenario_files(paths):
        run.files += 1
        try:
            scenarios = load_scenarios(path)
        except ScenarioFileError as exc:
            run.broken.append(exc)
            continue
        run.outcomes.extend(run_scenario(s, ruleset) for s in scenarios)
    return run


def render_human(run: TestRun, verbose: bool = False) -> str:
    lines: list[str] = []
    for error in run.broken:
        lines.append(f"BROKEN {error.path}:{error.line}: {error.message}")
    for outcome in run.outcomes:
        scenario = outcome.scenario
        where = f"{scenario.file}:{scenario.line}"
        if outcome.passed:
            if verbose:
                lines.append(f"ok     {where}  {scenario.id}  {scenario.title}")
            continue
        lines.append(f"FAIL   {where}  {scenario.id}  {scenario.title}")
        lines += [f"       {line}" for line in _story(outcome)]
    passed = len(run.outcomes) - len(run.failed)
    summary = (
        f"{len(run.outcomes)} scenarios in {run.files} files: {passed} passed,"
        f" {len(run.failed)} failed"
    )
    if run.broken:
        summary += f", {len(run.broken)} broken files"
    lines.append(summary)
    return "\n".join(lines) + "\n"


def _story(outcome: Outcome) -> list[str]:
    """Expected against actual, then the engine's reasons in its own words."""
    scenario, decision = outcome.scenario, outcome.decision
    expected = scenario.expect + (f" by {', '.join(scenario.rules)}" if scenario.rules else "")
    if scenario.checks_next:
        expected += f"; next allowed {scenario.next_allowed_at or 'never'}"
    lines = [f"expected: {expected}"]
    if decision is None:
        return [*lines, *outcome.problems]
    refusing = sorted({r["rule"] for r in decision["reasons"]})
    actual = "allow" if decision["allowed"] else "deny"
    actual += f" by {', '.join(refusing)}" if refusing else ""
    if scenario.checks_next or not decision["allowed"]:
        actual += f"; next allowed {decision['next_allowed_at'] or 'never'}"
    lines.append(f"actual:   {actual}")
    lines += [f"- {problem}" for problem in outcome.problems]
    for reason in decision["reasons"]:
        until = f" (until {reason['until']})" if reason.get("until") else ""
        cite = f" [{reason['citation']}]" if reason.get("citation") else ""
        lines.append(f"  because {reason['rule']}{cite}: {reason['message']}{until}")
    for warning in decision["warnings"]:
        lines.append(f"  warning {warning['rule']}: {warning['message']}")
    zones = ", ".join(z["zone"] for z in decision["zones"])
    lines.append(
        f"  zones: {zones or 'none'}; jurisdictions: {', '.join(decision['jurisdictions'])}"
    )
    return lines


def render_json(run: TestRun) -> str:
    results: list[dict[str, Any]] = []
    for outcome in run.outcomes:
        scenario, decision = outcome.scenario, outcome.decision
        results.append(
            {
                "file": scenario.file,
                "line": scenario.line,
                "id": scenario.id,
                "title": scenario.title,
                "passed": outcome.passed,
                "problems": outcome.problems,
                "expected": {
                    "decision": scenario.expect,
                    "rules": scenario.rules,
                    "warnings": scenario.warnings,
                    "next_allowed_at": scenario.next_allowed_at if scenario.checks_next else None,
                },
                "decision": decision,
            }
        )
    report = {
        "files": run.files,
        "scenarios": len(run.outcomes),
        "passed": len(run.outcomes) - len(run.failed),
        "failed": len(run.failed),
        "broken": [{"file": e.path, "line": e.line, "message": e.message} for e in run.broken],
        "results": results,
    }
    return json.dumps(report, indent=2) + "\n"
