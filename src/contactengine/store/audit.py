"""Checking the decision log's hash chain, and a debtor's history for an examiner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contactengine.model.instant import iso
from contactengine.model.masking import mask_contact
from contactengine.store.base import Store
from contactengine.store.common import GENESIS, entry_hash


@dataclass(frozen=True)
class Verification:
    entries: int
    broken_at: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(store: Store) -> Verification:
    """Walk the chain from the first entry; name the first entry whose hash does not hold."""
    prev = GENESIS
    count = 0
    for entry in store.decision_log():
        count += 1
        if entry.prev_hash != prev:
            return Verification(count, entry.seq, "it does not follow the entry before it")
        if entry_hash(prev, vars(entry), entry.seq) != entry.hash:
            return Verification(count, entry.seq, "its content does not match its hash")
        prev = entry.hash
    return Verification(count, None, None)


def export(store: Store, debtor_id: str) -> dict[str, Any]:
    """Every attempt on file for the debtor, with the logged decision that allowed it."""
    allowed_by: dict[str, dict[str, Any]] = {}
    for entry in store.decision_log(debtor_id):
        attempt = entry.decision.get("attempt_id")
        if attempt:
            allowed_by[attempt] = {
                "decision_id": entry.decision_id,
                "ruleset": entry.ruleset,
                "rules": entry.decision.get("rules_applied", []),
                "jurisdictions": entry.decision.get("jurisdictions", []),
                "logged_seq": entry.seq,
            }
    return {
        "debtor": debtor_id,
        "attempts": [
            {
                "id": a.id,
                "at": iso(a.at),
                "channel": a.channel,
                "to": mask_contact(a.to),
                "debts": list(a.debt_ids),
                "direction": a.direction,
                "outcome": a.outcome,
                "allowed_by": allowed_by.get(a.id),
            }
            for a in store.attempts(debtor_id)
        ],
    }
