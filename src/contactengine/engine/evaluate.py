"""Facts + rule set → decision. Fails closed: every error is a refusal with its reason.

Before any rule is asked, the request must be one the rules can speak for: a known country,
a resolved location, an instant inside the period the loaded packs cover (and not absurdly
far ahead of the clock), and at least one rule approving the channel. Each failure is the
engine's own refusal, with no time to wait for.

A contact is allowed only if no applicable rule denies it in any candidate zone. The next
allowed time is found by jumping from `at` by the instants before which no denying rule
can change; because each jump is safe, the first instant with no denial is exact.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import replace

from contactengine.engine.context import EvalContext
from contactengine.engine.facts import Facts
from contactengine.engine.nodes import Gate
from contactengine.engine.ruleset import CompiledRule, Hits, Plan, RuleSet
from contactengine.engine.timeutil import INF
from contactengine.model.decision import ENGINE_SOURCE, Decision, Reason, ZoneEvidence
from contactengine.model.instant import iso
from contactengine.model.masking import mask_contact

MAX_STEPS = 2000
HORIZON_SECONDS = 400 * 86400
# How far past the clock a request may ask: further ahead, the packs cannot say what will be
# in force, so nothing is decided. Two years and a day (a leap day included).
AHEAD_SECONDS = 731 * 86400
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


def decide(facts: Facts, ruleset: RuleSet, now: float | None = None) -> Decision:
    """The decision for these facts; `now` is the clock (the wall clock when None)."""
    try:
        return _decide(facts, ruleset, time.time() if now is None else now)
    except Exception as exc:  # fail closed: a rule that cannot be evaluated refuses
        message = f"the rules could not be evaluated: {exc}"
        return refusal(ruleset, facts.at, "engine-error", message, facts)


def _decide(facts: Facts, ruleset: RuleSet, now: float) -> Decision:
    at = facts.at
    if not facts.jurisdictions:
        message = "the debtor's country is unknown, so no law pack can be chosen"
        return refusal(ruleset, at, "jurisdiction-unknown", message, facts)
    if facts.zones is None:
        message = "no time zone could be resolved for the debtor and the country has no fallback"
        return refusal(ruleset, at, "location-unknown", message, facts)
    ctx = EvalContext(facts)
    outside = _outside_coverage(ruleset, ctx, now)
    if outside is not None:
        return refusal(ruleset, at, "outside-coverage", outside, facts)
    plan = ruleset.plan(facts.channel, facts.jurisdictions, facts.actor, facts.debt_type)
    deciding = plan.deciding
    if not deciding:
        message = (
            f"no rule approves {facts.channel} contact in {', '.join(facts.jurisdictions)}"
            f" for a {facts.actor}"
        )
        return refusal(ruleset, at, "no-applicable-rules", message, facts)
    zone_count = len(ctx.zones)
    reasons: list[Reason] = []
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
    warnings: list[Reason] = []
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
        tuple(
            sorted(
                {name for node, names in plan.requiring if node.value(ctx, 0, at) for name in names}
            )
        )
        if plan.requiring
        else ()
    )
    next_allowed: float | None = at
    if broken:
        next_allowed = None
    elif denying:
        by_id = {r.id: r for r in denying}
        start: float | None = at
        for position, reason in enumerate(reasons):
            until = _search([by_id[reason.rule]], ctx, at, zone_count)
            reasons[position] = replace(reason, until=until)
            start = None if until is None or start is None else max(start, until)
        # Each rule alone refuses until its `until`, so nothing is allowed before the latest.
        next_allowed = None if start is None else _search(plan, ctx, start, zone_count, at)
    return Decision(
        allowed=not (denying or broken),
        decision_id=decision_id(),
        ruleset=ruleset.digest,
        at=at,
        reasons=tuple(reasons),
        warnings=tuple(warnings),
        next_allowed_at=next_allowed,
        zones=_zones(facts),
        jurisdictions=tuple(plan.jurisdictions),
        required_content=required,
    )


def _outside_coverage(ruleset: RuleSet, ctx: EvalContext, now: float) -> str | None:
    """Why the loaded packs cannot speak for this request's instant, or None when they can.

    The instant must fall, in every candidate zone, on or after the first local date that a
    pack covering the debtor's jurisdictions speaks for, and no further ahead of the clock
    than `AHEAD_SECONDS`.
    """
    facts = ctx.facts
    at = facts.at
    if at > now + AHEAD_SECONDS:
        return (
            f"{iso(at)} is more than two years after the clock ({iso(now)}): no pack can say"
            " what will be in force then"
        )
    first = ruleset.coverage_start(facts.jurisdictions)
    if first is None:
        places = ", ".join(facts.jurisdictions)
        return f"no loaded pack says from when it speaks for {places}"
    start, pack = first
    for zi, zone in enumerate(ctx.zone_names):
        local: dt.date = ctx.local(zi, at).date()
        if local < start:
            return (
                f"it is {local.isoformat()} in {zone}: the packs loaded for"
                f" {', '.join(facts.jurisdictions)} speak from {start.isoformat()}"
                f" (pack `{pack}`), so no decision can be made for an earlier date"
            )
    return None


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
) -> Reason:
    return _rule_reason(rule, _message(rule, ctx, t, zi, node or rule.deny))


def _broken(rule: CompiledRule, exc: Exception) -> Reason:
    """The reason given by a rule that raised: named, cited, with the error, never a time."""
    return _rule_reason(rule, f"this rule could not be evaluated: {exc}")


def _rule_reason(rule: CompiledRule, message: str) -> Reason:
    return Reason(rule.id, rule.citation, message, rule.source)


def engine_reason(rule_id: str, message: str) -> Reason:
    """A reason (or warning) given by the engine itself rather than by a rule."""
    return Reason(rule_id, None, message, ENGINE_SOURCE)


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


def _zones(facts: Facts) -> tuple[ZoneEvidence, ...]:
    if facts.zones is None:
        return ()
    return tuple(ZoneEvidence(zone, source) for zone, source in facts.zones.evidence)


def refusal(
    ruleset: RuleSet, at: float, rule_id: str, message: str, facts: Facts | None = None
) -> Decision:
    """A refusal by the engine itself, before any rule could be asked: never a time to wait for.

    With `facts`, the zones and jurisdictions resolved so far are reported too.
    """
    return Decision(
        allowed=False,
        decision_id=decision_id(),
        ruleset=ruleset.digest,
        at=at,
        reasons=(engine_reason(rule_id, message),),
        warnings=(),
        next_allowed_at=None,
        zones=_zones(facts) if facts is not None else (),
        jurisdictions=tuple(facts.jurisdictions) if facts is not None else (),
    )
