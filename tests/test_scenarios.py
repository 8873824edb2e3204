"""Every scenario file under rules/tests runs against the shipped rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from contactengine.language.compiler import RuleSet
from contactengine.scenarios import Scenario, load_scenarios, run_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = [
    s
    for path in sorted(ROOT.joinpath("rules", "tests").rglob("*.toml"))
    for s in load_scenarios(path)
]


@pytest.mark.parametrize(
    "scenario", [pytest.param(s, id=f"{Path(s.file).stem}:{s.id}") for s in SCENARIOS]
)
def test_scenario(scenario: Scenario, ruleset: RuleSet) -> None:
    outcome = run_scenario(scenario, ruleset)
    assert outcome.passed, f"{scenario.id} {scenario.title}: " + "; ".join(outcome.problems)
