"""Pieces every back end shares: flags on a profile, events from attempts, the log's hashes."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from contactengine.engine.facts import Event, Facts
from contactengine.engine.masking import mask_contact
from contactengine.engine.models import Debtor, Flags
from contactengine.store.base import AttemptRecord, ConflictingKey

GENESIS = "0" * 64
LIST_FLAGS = ("cease_communication", "attorney_represented")
BOOL_FLAGS = ("employer_prohibits_contact", "bankruptcy", "deceased")


def with_flag(debtor: Debtor, flag: str, value: bool | list[str]) -> Debtor:
    """The profile with one flag set; list flags name the debts they cover (`*` for all)."""
    if flag in LIST_FLAGS:
        if not isinstance(value, list):
            raise ValueError(f"`{flag}` takes the list of debt ids it covers")
    elif flag in BOOL_FLAGS:
        if not isinstance(value, bool):
            raise ValueError(f"`{flag}` is true or false")
    else:
        raise ValueError(f"unknown flag `{flag}`; known: {', '.join(LIST_FLAGS + BOOL_FLAGS)}")
    flags = Flags.model_validate({**debtor.flags.model_dump(), flag: value})
    return debtor.model_copy(update={"flags": flags})


@lru_cache(maxsize=8192)
def parse_profile(text: str) -> Debtor:
    """A stored profile as a model; the same text gives the same (immutable) model, once."""
    return Debtor.model_validate_json(text)


def profile_json(debtor: Debtor) -> str:
    """The profile as stored: records (consents, opt-outs) live in their own tables."""
    return debtor.model_copy(update={"consents": [], "opt_outs": []}).model_dump_json()


def event(attempt: AttemptRecord, kinds: dict[str, str]) -> Event:
    to = attempt.to.lower() if attempt.to and "@" in attempt.to else attempt.to
    return Event(
        attempt.at,
        attempt.channel,
        frozenset(attempt.debt_ids),
        to,
        attempt.direction,
        attempt.outcome,
        attempt.message_left,
        attempt.purpose,
        kinds.get(to) if to is not None else None,
        attempt.id,
        attempt.in_reply_to,
    )


def fingerprint(operation: str, payload: Any) -> str:
    """What an idempotency key promises: this operation with this payload."""
    text = json.dumps([operation, payload], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def check_key(key: str, found: str | None, expected: str) -> bool:
    """True when the key was already used for exactly this; raises when for something else."""
    if found is None:
        return False
    if found != expected:
        raise ConflictingKey(f"idempotency key `{key}` was already used for another request")
    return True


def chain_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    body = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


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
    return None if value == float("inf") else value
