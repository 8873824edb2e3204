"""A compiled rule set: its rules indexed by scope, one generated plan per scope.

`RuleSet.plan(channel, jurisdictions, actor, debt type)` gives the rules that can apply to
a decision and one generated function testing them all, so a decision touches only the
rules of its scope. The compiler (`engine.compiler`) makes a `RuleSet` from checked files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from contactengine.engine import nodes as n
from contactengine.engine.context import EvalContext
from contactengine.engine.jurisdictions import EVERY, covers
from contactengine.engine.timeutil import INF


@dataclass(frozen=True)
class CompiledRule:
    id: str
    title: str
    citation: str | None
    message: str | None
    source: str
    channels: frozenset[str]
    jurisdictions: tuple[str, ...]
    actors: frozenset[str]
    debt_types: frozenset[str] | None
    deny: n.Gate | None
    warn: n.Gate | None
    requires: tuple[str, ...]
    requires_when: n.Node | None
    # Purposes an `unless purpose is ...` clause exempts outright: what a template of that
    # purpose need not carry (templates are checked against the rest, conservatively).
    exempt_purposes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PackCoverage:
    """A pack's places and the first local date from which its rules state the law there."""

    id: str
    jurisdictions: tuple[str, ...]
    start: dt.date
    citation: str | None
    source: str


@dataclass
class RuleSet:
    """Compiled rules, their packs, their content hash, and caches of per-scope rule lists."""

    rules: tuple[CompiledRule, ...]
    digest: str
    packs: tuple[PackCoverage, ...] = ()
    _index: dict[tuple[str, tuple[str, ...], str, str], tuple[CompiledRule, ...]] = field(
        default_factory=dict
    )
    _plans: dict[tuple[str, tuple[str, ...], str, str], Plan] = field(default_factory=dict)
    # How far back any rule can look into the history, in seconds (infinite when a count
    # has no window): a ledger reads no older attempt. Unknown is everything, failing closed.
    history_reach: float = INF
    _coverage: dict[tuple[str, ...], tuple[dt.date, str] | None] = field(default_factory=dict)

    def coverage_start(self, jurisdictions: tuple[str, ...]) -> tuple[dt.date, str] | None:
        """The first local date any pack covering these jurisdictions speaks for, with that
        pack's id; None when no loaded pack covers them (nothing can be decided there)."""
        if jurisdictions in self._coverage:
            return self._coverage[jurisdictions]
        covering = [p for p in self.packs if any(covers(jurisdictions, j) for j in p.jurisdictions)]
        first = min(covering, key=lambda p: p.start, default=None)
        found = None if first is None else (first.start, first.id)
        self._coverage[jurisdictions] = found
        return found

    def uncovered(self) -> list[str]:
        """Jurisdictions some rule names that no pack covers: decisions there are refused."""
        named = {j: None for rule in self.rules for j in rule.jurisdictions}
        packed = {j for pack in self.packs for j in pack.jurisdictions}
        return [j for j in named if not packed.intersection(_path(j))]

    def applicable(
        self, channel: str, jurisdictions: tuple[str, ...], actor: str, debt_type: str
    ) -> tuple[CompiledRule, ...]:
        """Rules whose scope matches: the same few tuples are reused across decisions."""
        key = (channel, jurisdictions, actor, debt_type)
        found = self._index.get(key)
        if found is None:
            found = tuple(
                rule
                for rule in self._by_channel(channel)
                if actor in rule.actors
                and any(covers(jurisdictions, j) for j in rule.jurisdictions)
                and (rule.debt_types is None or debt_type in rule.debt_types)
            )
            self._index[key] = found
        return found

    def plan(
        self, channel: str, jurisdictions: tuple[str, ...], actor: str, debt_type: str
    ) -> Plan:
        """The deciding rules for this scope with one generated function testing them all."""
        key = (channel, jurisdictions, actor, debt_type)
        found = self._plans.get(key)
        if found is None:
            rules = self.applicable(channel, jurisdictions, actor, debt_type)
            found = Plan(rules, jurisdictions)
            self._plans[key] = found
        return found

    def content_required(self, channel: str, purpose: str) -> frozenset[str]:
        """Every content name some rule may require of a message on this channel for this
        purpose, anywhere and for any actor: what a template must be able to carry."""
        return frozenset(
            name
            for rule in self.rules
            if rule.requires and channel in rule.channels and purpose not in rule.exempt_purposes
            for name in rule.requires
        )

    def _by_channel(self, channel: str) -> tuple[CompiledRule, ...]:
        key = (channel, (), "", "")
        found = self._index.get(key)
        if found is None:
            found = tuple(r for r in self.rules if channel in r.channels)
            self._index[key] = found
        return found


Hits = list[tuple[int, int]]


class Plan:
    """The rules that apply to one scope, and a generated function that tests them all.

    `deny(c, t, zones)` returns (rule index, first refusing zone) pairs for the rules in
    `deciding` that refuse at `t`; `warn` likewise for `warning`. Fact tests run inline;
    time and zone tests call their nodes. Generated once per scope, deterministically.
    """

    def __init__(self, rules: tuple[CompiledRule, ...], jurisdictions: tuple[str, ...]) -> None:
        self.rules = rules
        # The jurisdictions that applied: the debtor's, or for an unknown state (`US-*`),
        # those of the rules it brought in.
        if any(j.endswith(f"-{EVERY}") for j in jurisdictions):
            named = {j for r in rules for j in r.jurisdictions if covers(jurisdictions, j)}
            self.jurisdictions = [j for j in jurisdictions if not j.endswith(EVERY)]
            self.jurisdictions += sorted(named - set(self.jurisdictions))
        else:
            self.jurisdictions = list(jurisdictions)
        self.deciding = tuple(r for r in rules if r.deny is not None)
        self.warning = tuple(r for r in rules if r.warn is not None)
        self.requiring = tuple(
            (r.requires_when, r.requires) for r in rules if r.requires_when is not None
        )
        self.deny = _emit_plan([r.deny for r in self.deciding if r.deny is not None])
        self.warn = _emit_plan([r.warn for r in self.warning if r.warn is not None])


def _emit_plan(gates: list[n.Gate]) -> Callable[[EvalContext, float, int], Hits]:
    namespace: dict[str, Any] = {}
    names: dict[int, str] = {}

    def bind(value: Any) -> str:
        name = names.get(id(value))
        if name is None:
            name = names[id(value)] = f"_b{len(names)}"
            namespace[name] = value
        return name

    lines = ["def plan(c, t, zones):", "    f = c.facts", "    hits = []"]
    for index, gate in enumerate(gates):
        once = " and ".join(p.emit(bind, "0") for p in gate.once) or "True"
        if gate.per_zone is None:
            lines += [f"    if {once}:", f"        hits.append(({index}, 0))"]
            continue
        lines += [
            f"    if {once}:",
            "        for z in range(zones):",
            f"            if {gate.per_zone.emit(bind, 'z')}:",
            f"                hits.append(({index}, z))",
            "                break",
        ]
    lines.append("    return hits")
    source = "\n".join(lines)
    exec(compile(source, "<rule plan>", "exec"), namespace)
    plan: Callable[[EvalContext, float, int], Hits] = namespace["plan"]
    plan.__doc__ = source  # what was generated, for anyone reading a profile
    return plan


def _path(jurisdiction: str) -> tuple[str, ...]:
    """A jurisdiction and those above it: `US-NY-NYC` → `US`, `US-NY`, `US-NY-NYC`."""
    parts = jurisdiction.split("-")
    return tuple("-".join(parts[: i + 1]) for i in range(len(parts)))
