"""What the decision log keeps of a decision: the facts it used, masked, and the rules asked."""

from __future__ import annotations

from typing import Any

from contactengine.engine.facts import Facts
from contactengine.engine.ruleset import RuleSet
from contactengine.model.decision import Decision
from contactengine.model.masking import mask_contact
from contactengine.model.records import NEVER


def log_entry(decision: Decision, facts: Facts, debtor_id: str, ruleset: RuleSet) -> dict[str, Any]:
    """The log entry for a decision: the facts it used, masked, and the rules asked."""
    return {
        "at": facts.at,
        "debtor_id": debtor_id,
        "decision_id": decision.decision_id,
        "ruleset": decision.ruleset,
        "facts": logged_facts(facts),
        "decision": {**decision.to_json(), "rules_applied": rules_applied(facts, ruleset)},
    }


def rules_applied(facts: Facts, ruleset: RuleSet) -> list[str]:
    """The rules that were asked: for an allowed contact, the ones that allowed it."""
    if not facts.jurisdictions:
        return []
    plan = ruleset.plan(facts.channel, facts.jurisdictions, facts.actor, facts.debt_type)
    return [rule.id for rule in plan.deciding]


def logged_facts(facts: Facts) -> dict[str, Any]:
    """The facts a decision used, for the log: contact points masked, times as epochs."""
    return {
        "debtor": facts.debtor_id,
        "debt": facts.debt_id,
        "actor": facts.actor,
        "channel": facts.channel,
        "to": mask_contact(facts.to),
        "automated": facts.automated,
        "purpose": facts.purpose,
        "at": facts.at,
        "jurisdictions": list(facts.jurisdictions),
        "zones": list(facts.zones.names) if facts.zones else [],
        "flags": {
            "cease_communication": facts.cease_communication,
            "attorney_represented": facts.attorney_represented,
            "employer_prohibits_contact": facts.employer_prohibits_contact,
            "bankruptcy": facts.bankruptcy,
            "deceased": facts.deceased,
        },
        "consents": [
            [c.channel, mask_contact(c.to), c.given_at, _finite(c.revoked_at), c.given_to]
            for c in facts.consents
        ],
        "opt_outs": [[o.channel, mask_contact(o.to), o.at] for o in facts.opt_outs],
        "history": [
            [e.id, e.channel, mask_contact(e.to), e.at, e.direction, e.outcome]
            for e in facts.history
        ],
    }


def _finite(value: float) -> float | None:
    return None if value == NEVER else value
