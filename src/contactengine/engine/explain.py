"""A readable account of one decision for a compliance officer: zones, rules, next time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from contactengine.engine.context import EvalContext
from contactengine.engine.evaluate import decide
from contactengine.engine.facts import Facts
from contactengine.engine.ruleset import CompiledRule, RuleSet
from contactengine.model.decision import Decision
from contactengine.model.instant import RESOLUTION, iso
from contactengine.model.masking import mask_contact


def explain(facts: Facts, ruleset: RuleSet, now: float | None = None) -> dict[str, Any]:
    """The decision plus each applicable rule's verdict at the requested instant."""
    decision = decide(facts, ruleset, now)
    verdicts: list[dict[str, Any]] = []
    if facts.zones is not None and facts.jurisdictions:
        ctx = EvalContext(facts)
        denied = {r.rule: r for r in decision.reasons}
        warned = {r.rule for r in decision.warnings}
        rules = ruleset.applicable(facts.channel, facts.jurisdictions, facts.actor, facts.debt_type)
        for rule in rules:
            until: str | None
            if rule.id in denied:
                verdict, detail = "denies", denied[rule.id].message
                clears = denied[rule.id].until
                until = None if clears is None else iso(clears)
            elif rule.id in warned:
                verdict, detail, until = "warns", "allowed, but flagged for review", None
            elif rule.deny is None and rule.warn is None:
                verdict, detail, until = "requires", ", ".join(rule.requires), None
            else:
                verdict, detail, until = "allows", "", None
            verdicts.append(
                {
                    "rule": rule.id,
                    "title": rule.title,
                    "citation": rule.citation,
                    "source": rule.source,
                    "verdict": verdict,
                    "detail": detail,
                    "until": until,
                }
            )
        holding = _holding_rules(decision, rules, ctx)
        local_times = [
            {"zone": name, "local": ctx.local(i, facts.at).strftime("%Y-%m-%d %H:%M:%S %Z (%a)")}
            for i, name in enumerate(ctx.zone_names)
        ]
    else:
        local_times, holding = [], []
    return {
        "decision": decision.to_json(),
        "rules": verdicts,
        "local_times": local_times,
        "held_until_next_by": holding,
    }


def _holding_rules(
    decision: Decision, rules: tuple[CompiledRule, ...], ctx: EvalContext
) -> list[str]:
    """The rules still denying a moment before the next allowed time: why it is not sooner."""
    nxt = decision.next_allowed_at
    if decision.allowed or nxt is None:
        return []
    just_before = nxt - RESOLUTION
    zones = range(len(ctx.zones))
    return [
        rule.id
        for rule in rules
        if rule.deny is not None and any(rule.deny.node.value(ctx, zi, just_before) for zi in zones)
    ]


def render_explanation(facts: Facts, account: dict[str, Any]) -> str:
    decision = account["decision"]
    lines = [
        f"Request: {facts.channel} to {mask_contact(facts.to)} about debt {facts.debt_id} "
        f"(debtor {facts.debtor_id}, {facts.actor.replace('_', ' ')})",
        f"At: {decision['at']}",
        "",
        "Jurisdictions: " + (", ".join(decision["jurisdictions"]) or "unknown"),
        "Time zones:",
    ]
    local = {item["zone"]: item["local"] for item in account["local_times"]}
    for zone in decision["zones"]:
        lines.append(
            f"  {zone['zone']:<28} from {zone['from']}; there it is {local.get(zone['zone'], '?')}"
        )
    if not decision["zones"]:
        lines.append("  none resolved")
    lines += ["", "Rules that apply:"]
    marks = {"denies": "DENIES ", "warns": "WARNS  ", "allows": "allows ", "requires": "needs  "}
    for verdict in account["rules"]:
        lines.append(
            f"  {marks[verdict['verdict']]} {verdict['rule']}  ({verdict['citation'] or 'no citation'})"
        )
        lines.append(f"           {verdict['title']}  [{verdict['source']}]")
        if verdict["detail"]:
            lines.append(f"           {verdict['detail']}")
        if verdict["verdict"] == "denies":
            until = verdict["until"]
            clears = (
                f"{until}{_local_suffix(until, account)}"
                if until
                else "never, with the facts as they are"
            )
            lines.append(f"           clears: {clears}")
    if not account["rules"]:
        lines.append("  none")
    lines.append("")
    if decision["allowed"]:
        lines.append("Decision: ALLOWED")
    else:
        lines.append("Decision: REFUSED")
        for reason in decision["reasons"]:
            if reason["source"] == "engine":
                lines.append(f"  {reason['message']}")
    nxt = decision["next_allowed_at"]
    if not decision["allowed"]:
        if nxt is None:
            lines.append("Next allowed: never, unless the facts change (consent, flags, location)")
        else:
            lines.append(f"Next allowed: {nxt}{_local_suffix(nxt, account)}")
            lines.append("  the earliest instant at which no applicable rule denies this contact;")
            held = ", ".join(account["held_until_next_by"]) or "the rules above"
            lines.append(f"  until then it is held back by: {held}")
    for warning in decision["warnings"]:
        lines.append(f"Warning: {warning['rule']}: {warning['message']}")
    if decision["required_content"]:
        lines.append("Content required: " + ", ".join(decision["required_content"]))
    return "\n".join(lines) + "\n"


def _local_suffix(instant: str, account: dict[str, Any]) -> str:
    from contactengine.engine.zones import zone_info

    moment = dt.datetime.fromisoformat(instant.replace("Z", "+00:00"))
    parts = [
        moment.astimezone(zone_info(z["zone"])).strftime("%H:%M %Z %a")
        for z in account["decision"]["zones"][:4]
    ]
    return f" ({', '.join(parts)})" if parts else ""
