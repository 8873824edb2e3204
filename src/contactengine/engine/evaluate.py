"""Facts + rule set → decision. Fails closed: every error is a refusal with its reason.

A contact is allowed only if no applicable rule denies it in any candidate zone. The next
allowed time is found by jumping from `at` by the instants before which no denying rule
can change; because each jump is safe, the first instant with no denial is exact.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

from contactengine.engine.context import EvalContext
from contactengine.engine.facts import Facts
from contactengine.engine.masking import mask_contact
from contactengine.engine.models import iso
from contactengine.engine.nodes import Gate
from contactengine.engine.timeutil import INF
from contactengine.language.compiler import CompiledRule, RuleSet

MAX_STEPS = 2000
HORIZON_SECONDS = 400 * 86400
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(slots=True)
class Finding:
    """One rule's verdict: a reason dict ready for the decision."""

    rule: CompiledRule | None
    reason: dict[str, Any]


_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]  # 10 bits → 2 characters
_RANDOM = random.SystemRandom()
_SEED = _RANDOM.getrandbits(80)
_STREAM = random.Random(_SEED)


def decision_id(now_ms: int | None = None) -> str:
    """`dec_` + 26 Crockford base-32 characters: 48 bits of milliseconds, 80 random bits.

    Sortable by creation time and unique without coordination, like a ULID. The random
    part comes from a generator seeded from the OS once per process: ids need to be unique,
    not secret, and a system call per decision would cost more than the decision.
    """
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    value = (ms << 80) | _STREAM.getrandbits(80)
    pairs = _PAIRS
    return "dec_" + "".join([pairs[(value >> shift) & 1023] for shift in range(120, -10, -10)])


def decide(facts: Facts, ruleset: RuleSet) -> dict[str, Any]:
    """The SPEC §5 decision for these facts, as a plain dict."""
    try:
        return _decide(facts, ruleset)
    except Exception as exc:  # fail closed: a rule that cannot be evaluated refuses
        return _refusal(
            facts, ruleset, "engine-error", f"the rules could not be evaluated: {exc}", None
        )


def _decide(facts: Facts, ruleset: RuleSet) -> dict[str, Any]:
    if not facts.jurisdictions:
        return _refusal(
            facts,
            ruleset,
            "jurisdiction-unknown",
            "the debtor's country is unknown, so no law pack can be chosen",
            None,
        )
    if facts.zones is None:
        return _refusal(
            facts,
            ruleset,
            "location-unknown",
            "no time zone could be resolved for the debtor and the country has no fallback",
            None,
        )
    rules = ruleset.applicable(facts.channel, facts.jurisdictions, facts.actor, facts.debt_type)
    deciding = [r for r in rules if r.deny is not None]
    if not deciding:
        return _refusal(
            facts,
            ruleset,
            "no-applicable-rules",
            f"no rule approves {facts.channel} contact in {', '.join(facts.jurisdictions)}"
            f" for a {facts.actor}",
            None,
        )
    ctx = EvalContext(facts)
    at = facts.at
    zone_count = len(ctx.zones)
    reasons: list[dict[str, Any]] = []
    denying: list[CompiledRule] = []
    broken = False
    for rule in deciding:
        assert rule.deny is not None
        try:
            failure = rule.deny.first_zone(ctx, at, zone_count)
        except Exception as exc:  # fail closed: a rule that cannot be evaluated refuses
            broken = True
            reason = _reason(rule, ctx, at, 0)
            reason["message"] = f"this rule could not be evaluated: {exc}"
            reasons.append(reason)
            continue
        if failure is not None:
            denying.append(rule)
            reasons.append(_reason(rule, ctx, at, failure))
    warnings = [
        _reason(rule, ctx, at, zi, rule.warn)
        for rule in rules
        if rule.warn is not None
        for zi in [rule.warn.first_zone(ctx, at, zone_count)]
        if zi is not None
    ]
    required = sorted(
        {
            name
            for rule in rules
            if rule.requires_when is not None and rule.requires_when.value(ctx, 0, at)
            for name in rule.requires
        }
    )
    next_allowed: float | None = at
    if broken:
        next_allowed = None
    elif denying:
        by_id = {r.id: r for r in denying}
        for reason in reasons:
            until = _rule_clears(by_id[reason["rule"]], ctx, at, zone_count)
            reason["until"] = None if until is None else iso(until)
        next_allowed = _next_allowed(deciding, ctx, at, zone_count)
    return {
        "allowed": not (denying or broken),
        "decision_id": decision_id(),
        "ruleset": ruleset.digest,
        "at": iso(at),
        "reasons": reasons,
        "warnings": warnings,
        "next_allowed_at": None if next_allowed is None else iso(next_allowed),
        "zones": _zones(facts),
        "jurisdictions": list(facts.jurisdictions),
        "required_content": required,
    }


def _rule_jump(rule: CompiledRule, ctx: EvalContext, t: float, zone_count: int) -> float | None:
    """If the rule denies at `t`: the instant before which it keeps denying; else None."""
    assert rule.deny is not None
    node = rule.deny.node
    zones = range(zone_count) if node.zonal else range(1)
    jump: float | None = None
    for zi in zones:
        if node.value(ctx, zi, t):
            change = node.next_change(ctx, zi, t)
            jump = change if jump is None else max(jump, change)
    return jump


def _search(
    rules: list[CompiledRule], ctx: EvalContext, at: float, zone_count: int
) -> float | None:
    t = at
    for _ in range(MAX_STEPS):
        jumps = [j for r in rules if (j := _rule_jump(r, ctx, t, zone_count)) is not None]
        if not jumps:
            return t
        t = max(jumps)
        if t == INF or t - at > HORIZON_SECONDS:
            return None
    return None


def _next_allowed(
    rules: list[CompiledRule], ctx: EvalContext, at: float, zone_count: int
) -> float | None:
    return _search(rules, ctx, at, zone_count)


def _rule_clears(rule: CompiledRule, ctx: EvalContext, at: float, zone_count: int) -> float | None:
    return _search([rule], ctx, at, zone_count)


def _reason(
    rule: CompiledRule, ctx: EvalContext, t: float, zi: int, node: Gate | None = None
) -> dict[str, Any]:
    return {
        "rule": rule.id,
        "citation": rule.citation,
        "message": _message(rule, ctx, t, zi, node or rule.deny),
        "source": rule.source,
        "until": None,
    }


def _message(rule: CompiledRule, ctx: EvalContext, t: float, zi: int, node: Gate | None) -> str:
    template = rule.message or rule.title
    if "{" not in template:
        return template
    facts = ctx.facts
    here = ctx.local(zi, t) if ctx.zones else None
    counts = node.node.counts() if node is not None else []
    values = {
        "debt": facts.debt_id,
        "channel": facts.channel,
        "to": mask_contact(facts.to),
        "zone": ctx.zone_names[zi] if ctx.zone_names else "",
        "local_time": here.strftime("%H:%M") if here else "",
        "local_date": here.date().isoformat() if here else "",
        "count": str(counts[0].count(ctx, zi, t)) if counts else "",
    }
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def _zones(facts: Facts) -> list[dict[str, str]]:
    if facts.zones is None:
        return []
    return [{"zone": zone, "from": source} for zone, source in facts.zones.evidence]


def _refusal(
    facts: Facts, ruleset: RuleSet, rule_id: str, message: str, until: str | None
) -> dict[str, Any]:
    return {
        "allowed": False,
        "decision_id": decision_id(),
        "ruleset": ruleset.digest,
        "at": iso(facts.at),
        "reasons": [
            {
                "rule": rule_id,
                "citation": None,
                "message": message,
                "source": "engine",
                "until": until,
            }
        ],
        "warnings": [],
        "next_allowed_at": None,
        "zones": _zones(facts),
        "jurisdictions": list(facts.jurisdictions),
        "required_content": [],
    }
