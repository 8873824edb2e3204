"""Load TOML scenario files and run them against a rule set."""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contactengine.engine.evaluate import decide
from contactengine.engine.facts import facts_from_request
from contactengine.engine.models import RequestError, parse_request
from contactengine.language.compiler import RuleSet

DEFAULT_REQUEST: dict[str, Any] = {
    "debtor": {
        "id": "C-1",
        "address": {"city": "New York", "state": "NY", "zip": "10001", "country": "US"},
        "timezone": None,
        "phones": [{"number": "+12125550101", "kind": "landline"}],
        "emails": [{"address": "pat@example.com", "employer_provided": False}],
    },
    "debt": {"id": "D1", "type": "credit_card", "actor": "debt_collector"},
    "channel": "call",
    "to": "+12125550101",
    "automated": False,
}


class ScenarioFileError(Exception):
    """A scenario file that cannot be read; the message names the file and the problem."""


@dataclass
class Scenario:
    id: str
    title: str
    file: str
    request: dict[str, Any]
    expect: str
    rules: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    next_allowed_at: str | None = None
    checks_next: bool = False


@dataclass
class Outcome:
    scenario: Scenario
    passed: bool
    problems: list[str]
    decision: dict[str, Any] | None


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge tables; lists and plain values in `override` replace the base's."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_scenarios(path: str | Path) -> list[Scenario]:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioFileError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioFileError(f"{path}: {exc}") from None
    defaults = merge(DEFAULT_REQUEST, data.get("defaults", {}))
    scenarios = []
    for index, table in enumerate(data.get("scenario", []), start=1):
        where = f"{path}: scenario {index}"
        if "id" not in table or "at" not in table or "expect" not in table:
            raise ScenarioFileError(f"{where}: needs `id`, `at` and `expect`")
        if table["expect"] not in ("allow", "deny"):
            raise ScenarioFileError(f"{where}: `expect` is `allow` or `deny`")
        request = merge(defaults, table.get("request", {}))
        request["at"] = table["at"]
        scenarios.append(
            Scenario(
                id=str(table["id"]),
                title=str(table.get("title", "")),
                file=str(path),
                request=request,
                expect=table["expect"],
                rules=list(table.get("rules", [])),
                warnings=list(table.get("warnings", [])),
                next_allowed_at=_next(table.get("next_allowed_at")),
                checks_next="next_allowed_at" in table,
            )
        )
    return scenarios


def _next(value: Any) -> str | None:
    if value is None or value == "never":
        return None
    return str(value)


def run_scenario(scenario: Scenario, ruleset: RuleSet) -> Outcome:
    try:
        request = parse_request(scenario.request)
    except RequestError as exc:
        return Outcome(scenario, False, [f"the request is invalid: {exc}"], None)
    decision = decide(facts_from_request(request), ruleset)
    problems: list[str] = []
    allowed = scenario.expect == "allow"
    if decision["allowed"] != allowed:
        got = "allowed" if decision["allowed"] else "refused"
        problems.append(f"expected {scenario.expect}, got {got}")
    deciding = sorted({r["rule"] for r in decision["reasons"]})
    if scenario.rules and deciding != sorted(set(scenario.rules)):
        problems.append(f"expected exactly {sorted(set(scenario.rules))} to refuse, got {deciding}")
    warned = {w["rule"] for w in decision["warnings"]}
    for rule in scenario.warnings:
        if rule not in warned:
            problems.append(f"expected warning `{rule}`, got {sorted(warned)}")
    if scenario.checks_next and decision["next_allowed_at"] != scenario.next_allowed_at:
        problems.append(
            f"expected next_allowed_at {scenario.next_allowed_at or 'never'},"
            f" got {decision['next_allowed_at'] or 'never'}"
        )
    return Outcome(scenario, not problems, problems, decision)
