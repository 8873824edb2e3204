"""Facts + rule set → decision. Fails closed: every error is a refusal with its reason.

A contact is allowed only if no applicable rule denies it in any candidate zone. The next
allowed time is found by jumping from `at` by the instants before which no denying rule
can change; because each jump is safe, the first instant with no denial is exact.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from contactengine.engine.context import EvalContext
from contactengine.engine.facts import Facts
from contactengine.engine.masking import mask_contact
from contactengine.engine.models import iso
from contactengine.engine.nodes import Gate
from contactengine.engine.timeutil import INF
from contactengine.language.compiler import CompiledRule, Hits, Plan, RuleSet

MAX_STEPS = 2000
HORIZON_SECONDS = 400 * 86400
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]  # 10 bits → 2 characters
_STREAM = random.Random(random.SystemRandom().getrandbits(80))


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
        message = f"the rules could not be evaluated: {exc}"
        return refusal(ruleset, facts.at, "engine-error", message, facts)


def _decide(facts: Facts, ruleset: RuleSet) -> dict[str, Any]:
    if not facts.jurisdictions:
        return refusal(
            ruleset,
            facts.at,
            "jurisdiction-unknown",
            "the debtor's country is unknown, so no law pack can be chosen",
            facts,
        )
    if facts.zones is None:
        return refusal(
            ruleset,
            facts.at,
            "location-unknown",
            "no time zone could be resolved for the debtor and the country has no fallback",
            facts,
        )
    plan = ruleset.plan(facts.channel, facts.jurisdictions, facts.actor, facts.debt_type)
    deciding = plan.deciding
    if not deciding:
        return refusal(
            ruleset,
            facts.at,
            "no-applicable-rules",
            f"no rule approves {facts.channel} contact in {', '.join(facts.jurisdictions)}"
            f" for a {facts.actor}",
            facts,
        )
    ctx = EvalContext(facts)
    at = facts.at
    zone_count = len(ctx.zones)
    reasons: list[dict[str, Any]] = []
    denying: list[CompiledRule] = []
    broken = False
    try:
        hits = plan.deny(ctx, at, zone_count)
    except Exception:  # some rule cannot be evaluated: find which, one by one
        hits, errors = _hits_one_by_one(deciding, ctx, at, zone_count)
        for rule, exc in errors:
            broken = True
            reasons.append(_broken(rule, exc))
    for index, zone in hits:
        rule = deciding[index]
        denying.append(rule)
        reasons.append(_reason(rule, ctx, at, zone))
    warnings: list[dict[str, Any]] = []
    if facts.jurisdiction_note:
        warnings.append(engine_reason("jurisdiction-assumed", facts.jurisdiction_note))
    if plan.warning:
        try:
            warned = plan.warn(ctx, at, zone_count)
        except Exception:  # a warning that cannot be evaluated is shown as such
            warned, failed = _hits_one_by_one(plan.warning, ctx, at, zone_count, warn=True)
            warnings += [_broken(rule, exc) for rule, exc in failed]
        warnings += [_reason(plan.warning[i], ctx, at, z, plan.warning[i].warn) for i, z in warned]
    required = (
        sorted({name for node, names in plan.requiring if node.value(ctx, 0, at) for name in names})
        if plan.requiring
        else []
    )
    next_allowed: float | None = at
    if broken:
        next_allowed = None
    elif denying:
        by_id = {r.id: r for r in denying}
        start: float | None = at
        for reason in reasons:
            until = _search([by_id[reason["rule"]]], ctx, at, zone_count)
            reason["until"] = None if until is None else iso(until)
            start = None if until is None or start is None else max(start, until)
        # Each rule alone refuses until its `until`, so nothing is allowed before the latest.
        next_allowed = None if start is None else _search(plan, ctx, start, zone_count, at)
    at_text = iso(at)
    return {
        "allowed": not (denying or broken),
        "decision_id": decision_id(),
        "ruleset": ruleset.digest,
        "at": at_text,
        "reasons": reasons,
        "warnings": warnings,
        "next_allowed_at": (
            None if next_allowed is None else at_text if next_allowed == at else iso(next_allowed)
        ),
        "zones": _zones(facts),
        "jurisdictions": list(plan.jurisdictions),
        "required_content": required,
    }


def _rule_jump(rule: CompiledRule, ctx: EvalContext, t: float, zone_count: int) -> float | None:
    """If the rule denies at `t`: the instant before which it keeps denying; else None."""
    gate = rule.deny
    assert gate is not None
    first = gate.first_zone(ctx, t, zone_count)
    if first is None:
        return None
    return _jump(rule, ctx, t, first, zone_count)


def _jump(rule: CompiledRule, ctx: EvalContext, t: float, first: int, zone_count: int) -> float:
    """For a rule refusing at `t` (first in zone `first`): when it may stop refusing."""
    assert rule.deny is not None
    node = rule.deny.node
    if not node.zonal:
        return node.next_change(ctx, 0, t)
    jump = node.next_change(ctx, first, t)
    for zi in range(first + 1, zone_count):
        if node.value(ctx, zi, t):
            jump = max(jump, node.next_change(ctx, zi, t))
    return jump


def _hits_one_by_one(
    rules: tuple[CompiledRule, ...],
    ctx: EvalContext,
    t: float,
    zone_count: int,
    warn: bool = False,
) -> tuple[Hits, list[tuple[CompiledRule, Exception]]]:
    """The slow path, rule by rule, so that one broken rule is named and refuses alone."""
    hits: Hits = []
    errors: list[tuple[CompiledRule, Exception]] = []
    for index, rule in enumerate(rules):
        gate = rule.warn if warn else rule.deny
        assert gate is not None
        try:
            zone = gate.first_zone(ctx, t, zone_count)
        except Exception as exc:
            errors.append((rule, exc))
            continue
        if zone is not None:
            hits.append((index, zone))
    return hits, errors


def _search(
    rules: list[CompiledRule] | Plan,
    ctx: EvalContext,
    start: float,
    zone_count: int,
    at: float | None = None,
) -> float | None:
    """The first instant from `start` at which none of `rules` refuses, or None.

    Every jump goes to an instant before which some refusing rule cannot change, so no
    allowed instant is ever skipped.
    """
    at = start if at is None else at
    t = start
    for _ in range(MAX_STEPS):
        if isinstance(rules, Plan):
            deciding = rules.deciding
            jumps = [
                _jump(deciding[i], ctx, t, z, zone_count) for i, z in rules.deny(ctx, t, zone_count)
            ]
        else:
            jumps = [j for r in rules if (j := _rule_jump(r, ctx, t, zone_count)) is not None]
        if not jumps:
            return t
        t = max(jumps)
        if t == INF or t - at > HORIZON_SECONDS:
            return None
    return None


def _reason(
    rule: CompiledRule, ctx: EvalContext, t: float, zi: int, node: Gate | None = None
) -> dict[str, Any]:
    return _rule_reason(rule, _message(rule, ctx, t, zi, node or rule.deny))


def _broken(rule: CompiledRule, exc: Exception) -> dict[str, Any]:
    """The reason given by a rule that raised: named, cited, with the error, never a time."""
    return _rule_reason(rule, f"this rule could not be evaluated: {exc}")


def _rule_reason(rule: CompiledRule, message: str) -> dict[str, Any]:
    return {
        "rule": rule.id,
        "citation": rule.citation,
        "message": message,
        "source": rule.source,
        "until": None,
    }


def engine_reason(rule_id: str, message: str) -> dict[str, Any]:
    """A reason (or warning) given by the engine itself rather than by a rule."""
    return {
        "rule": rule_id,
        "citation": None,
        "message": message,
        "source": "engine",
        "until": None,
    }


def _message(rule: CompiledRule, ctx: EvalContext, t: float, zi: int, node: Gate | None) -> str:
    template = rule.message or rule.title
    if "{" not in template:
        return template
    facts = ctx.facts
    here = ctx.local(zi, t) if ctx.zones else None
    makers: dict[str, Callable[[], str]] = {
        "debt": lambda: facts.debt_id,
        "channel": lambda: facts.channel,
        "to": lambda: mask_contact(facts.to),
        "zone": lambda: ctx.zone_names[zi] if ctx.zone_names else "",
        "local_time": lambda: f"{here.hour:02d}:{here.minute:02d}" if here else "",
        "local_date": lambda: here.date().isoformat() if here else "",
        "count": lambda: _first_count(node, ctx, zi, t),
    }
    values = {name: make() for name, make in makers.items() if "{" + name + "}" in template}
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def _first_count(gate: Gate | None, ctx: EvalContext, zi: int, t: float) -> str:
    counts = gate.node.counts() if gate is not None else []
    return str(counts[0].count(ctx, zi, t)) if counts else ""


def _zones(facts: Facts) -> list[dict[str, str]]:
    if facts.zones is None:
        return []
    return [{"zone": zone, "from": source} for zone, source in facts.zones.evidence]


def refusal(
    ruleset: RuleSet, at: float, rule_id: str, message: str, facts: Facts | None = None
) -> dict[str, Any]:
    """A refusal by the engine itself, before any rule could be asked: never a time to wait for.

    With `facts`, the zones and jurisdictions resolved so far are reported too.
    """
    return {
        "allowed": False,
        "decision_id": decision_id(),
        "ruleset": ruleset.digest,
        "at": iso(at),
        "reasons": [engine_reason(rule_id, message)],
        "warnings": [],
        "next_allowed_at": None,
        "zones": _zones(facts) if facts is not None else [],
        "jurisdictions": list(facts.jurisdictions) if facts is not None else [],
        "required_content": [],
    }
