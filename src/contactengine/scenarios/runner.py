"""Load TOML scenario files and run them against a rule set."""

from __future__ import annotations

import copy
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contactengine.engine.ruleset import RuleSet
from contactengine.language.diagnostics import did_you_mean
from contactengine.ledger import decide
from contactengine.model.decision import DecisionJSON
from contactengine.model.errors import RequestError
from contactengine.model.request import parse_request

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
    """A scenario file that cannot be read; `line` is where the problem is (1 when unknown)."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


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
    line: int = 1


@dataclass
class Outcome:
    scenario: Scenario
    passed: bool
    problems: list[str]
    decision: DecisionJSON | None


SCENARIO_KEYS = ("id", "title", "at", "expect", "rules", "warnings", "next_allowed_at", "request")
CASE_KEYS = ("name", "title", "at", "expect", "rules", "warnings", "next_allowed_at", "request")
FILE_KEYS = ("defaults", "scenario")


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
    """Every scenario of a file, table rows (`[[scenario.cases]]`) expanded, in file order."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioFileError(name, 1, f"cannot read this file: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(exc))) else 1
        message = re.sub(r" \(at line \d+, column \d+\)", "", str(exc))
        raise ScenarioFileError(name, line, f"not valid TOML: {message}") from None
    _known_keys(data, FILE_KEYS, name, 1, "the file")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise ScenarioFileError(name, _line_of(text, "defaults", 0), "`defaults` is a table")
    base = merge(DEFAULT_REQUEST, defaults)
    tables = data.get("scenario", [])
    if not isinstance(tables, list):
        raise ScenarioFileError(name, 1, "write scenarios as `[[scenario]]` tables")
    scenarios: list[Scenario] = []
    for index, table in enumerate(tables):
        line = _line_of(text, "scenario", index)
        scenarios.extend(_scenario(table, base, name, line, text))
    return scenarios


def _scenario(
    table: dict[str, Any], base: dict[str, Any], path: str, line: int, text: str
) -> list[Scenario]:
    cases = table.get("cases")
    _known_keys(table, (*SCENARIO_KEYS, "cases"), path, line, "a scenario")
    if "id" not in table:
        raise ScenarioFileError(path, line, "this scenario has no `id`")
    if cases is None:
        return [_build(table, {}, base, path, line, str(table["id"]))]
    if not isinstance(cases, list) or not cases:
        raise ScenarioFileError(path, line, "`cases` are `[[scenario.cases]]` rows")
    first_case = _line_of(text, "scenario.cases", 0, after=line)
    built = []
    for number, case in enumerate(cases, start=1):
        case_line = _line_of(text, "scenario.cases", number - 1, after=line) or first_case
        _known_keys(case, CASE_KEYS, path, case_line, "a case")
        label = str(case.get("name", number))
        built.append(_build(table, case, base, path, case_line, f"{table['id']}[{label}]"))
    return built


def _build(
    table: dict[str, Any],
    case: dict[str, Any],
    base: dict[str, Any],
    path: str,
    line: int,
    scenario_id: str,
) -> Scenario:
    """One scenario: the case's values over the scenario's over the file's defaults."""

    def value(key: str, default: Any = None) -> Any:
        return case.get(key, table.get(key, default))

    if value("at") is None:
        raise ScenarioFileError(path, line, f"`{scenario_id}` has no `at` (the frozen clock)")
    expect = value("expect")
    if expect not in ("allow", "deny"):
        raise ScenarioFileError(path, line, f"`{scenario_id}`: `expect` is `allow` or `deny`")
    request = merge(merge(base, table.get("request", {})), case.get("request", {}))
    request["at"] = value("at")
    checks_next = "next_allowed_at" in case or "next_allowed_at" in table
    return Scenario(
        id=scenario_id,
        title=str(value("title", "")),
        file=path,
        request=request,
        expect=expect,
        rules=list(value("rules", [])),
        warnings=list(value("warnings", [])),
        next_allowed_at=_next(value("next_allowed_at")),
        checks_next=checks_next,
        line=line,
    )


def _known_keys(
    table: dict[str, Any], known: tuple[str, ...], path: str, line: int, what: str
) -> None:
    for key in table:
        if key not in known:
            hint = did_you_mean(key, known) or "known keys: " + ", ".join(f"`{k}`" for k in known)
            raise ScenarioFileError(path, line, f"unknown key `{key}` in {what}; {hint}")


def _line_of(text: str, header: str, index: int, after: int = 0) -> int:
    """The line of the `index`-th `[[header]]` (or `[header]`) table after line `after`."""
    pattern = re.compile(rf"^\s*\[\[?\s*{re.escape(header)}\s*\]\]?\s*(#.*)?$")
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if number <= after:
            continue
        if pattern.match(line):
            if header == "scenario.cases" and seen > index:
                break
            if seen == index:
                return number
            seen += 1
        elif header == "scenario.cases" and re.match(r"^\s*\[\[\s*scenario\s*\]\]", line):
            break  # the next scenario starts: its cases are not ours
    return after or 1


def _next(value: Any) -> str | None:
    if value is None or value == "never":
        return None
    return str(value)


def run_scenario(scenario: Scenario, ruleset: RuleSet) -> Outcome:
    """The scenario's request decided with its `at` as the clock, and every expectation
    compared with the decision's JSON form, as the scenario file writes it."""
    try:
        request = parse_request(scenario.request)
    except RequestError as exc:
        return Outcome(scenario, False, [f"the request is invalid: {exc}"], None)
    decision = decide(request, ruleset, now=request.at).to_json()
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
