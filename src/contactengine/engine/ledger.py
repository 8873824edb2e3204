"""The engine bound to a ledger: ask with ids, and reserve an attempt atomically.

Facts come from the store in one transaction; every decision is appended to the
hash-chained log with its facts masked. A ledger that does not answer gives a refusal with
reason `store unavailable`, never an allow.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from contactengine.engine.evaluate import decide, decision_id, refusal
from contactengine.engine.facts import (
    Facts,
    assemble,
    consent_fact,
    contact_kinds,
    events_of,
    opt_out_fact,
)
from contactengine.engine.models import (
    Consent,
    Flags,
    HistoryEntry,
    InconvenientTime,
    OptOut,
    RequestError,
    contact_point,
)
from contactengine.language.compiler import RuleSet
from contactengine.language.vocabulary import Channel, Purpose
from contactengine.store.base import AttemptRecord, NotFound, Snapshot, Store, StoreError
from contactengine.store.common import logged_facts


class LedgerRequest(BaseModel):
    """A request by ids: the facts are the ledger's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    debtor_id: str = Field(min_length=1)
    debt_id: str = Field(min_length=1)
    channel: Channel
    to: str | None = None
    at: AwareDatetime
    automated: bool = False
    purpose: Purpose = "collection"
    in_reply_to: str | None = None
    # Facts the caller knows better than the ledger: each, when given, replaces the ledger's.
    history: list[HistoryEntry] | None = None
    consents: list[Consent] | None = None
    opt_outs: list[OptOut] | None = None
    flags: Flags | None = None
    inconvenient_times: list[InconvenientTime] | None = None


class Ledger:
    """`can_contact` and `reserve` over a store, each decision logged.

    `confirm_within` (seconds) is how long after its time a reservation that was never
    placed may be released (`release`); after that, with or without an outcome, it counts
    for good. Nothing ever releases a reservation by itself: one nobody confirms still
    counts against every cap.
    """

    def __init__(self, ruleset: RuleSet, store: Store, confirm_within: float = 600.0) -> None:
        self.ruleset = ruleset
        self.store = store
        self.confirm_within = confirm_within

    def can_contact(self, request: LedgerRequest | dict[str, Any]) -> dict[str, Any]:
        ask = _parse(request)
        found = self._read(ask)
        if isinstance(found, dict):
            return found
        decision, facts = self._decide(found, ask)
        return self._logged(decision, facts, ask)

    def preview(self, request: LedgerRequest | dict[str, Any]) -> dict[str, Any]:
        """The decision `can_contact` would give, with nothing written: for dry runs."""
        ask = _parse(request)
        found = self._read(ask)
        return found if isinstance(found, dict) else self._decide(found, ask)[0]

    def _read(self, ask: LedgerRequest) -> Snapshot | dict[str, Any]:
        """The debtor's facts, or the refusal to give when they cannot be read."""
        try:
            return self.store.snapshot(
                ask.debtor_id, ask.debt_id, self._since(ask), ask.in_reply_to
            )
        except NotFound as exc:
            return self._refuse(ask, "unknown-record", str(exc))
        except StoreError as exc:
            return self._refuse(ask, "store-unavailable", f"store unavailable: {exc}")

    def reserve(
        self, request: LedgerRequest | dict[str, Any], attempt_id: str | None = None
    ) -> dict[str, Any]:
        """Decide and record the attempt in one transaction; the decision says its id."""
        ask = _parse(request)
        attempt = AttemptRecord(
            id=attempt_id or "att_" + uuid.uuid4().hex,
            debtor_id=ask.debtor_id,
            debt_ids=(ask.debt_id,),
            channel=ask.channel,
            to=_normalized_to(ask),
            at=ask.at.timestamp(),
            purpose=ask.purpose,
            in_reply_to=ask.in_reply_to,
        )
        used: list[Facts] = []

        def decider(snapshot: Snapshot) -> dict[str, Any]:
            decision, facts = self._decide(snapshot, ask)
            if decision["allowed"]:
                decision["attempt_id"] = attempt.id
            used.append(facts)
            return decision

        def log(decision: dict[str, Any]) -> dict[str, Any]:
            return self._entry(decision, used[-1], ask)

        try:
            decision, _ = self.store.reserve(
                ask.debtor_id, ask.debt_id, decider, attempt, log, self._since(ask)
            )
        except NotFound as exc:
            return self._refuse(ask, "unknown-record", str(exc))
        except StoreError as exc:
            return self._refuse(ask, "store-unavailable", f"store unavailable: {exc}")
        return decision

    def release(self, attempt_id: str, now: float | None = None) -> bool:
        """Withdraw a reservation that was never placed (the dialer crashed first, the
        agent skipped it), within `confirm_within` of its time; logged either way.

        False when it stands: it has an outcome, or the time to release it has passed.
        """
        when = time.time() if now is None else now
        debtor, released = self.store.release_attempt(attempt_id, when, self.confirm_within)
        attempt = {"released_attempt_id": attempt_id, "released": released}
        self.store.append_decision(
            {
                "at": when,
                "debtor_id": debtor,
                "decision_id": decision_id(),
                "ruleset": self.ruleset.digest,
                "facts": {"attempt": attempt_id, "confirm_within": self.confirm_within},
                "decision": attempt,
            }
        )
        return released

    def _since(self, ask: LedgerRequest) -> float:
        """The oldest attempt any rule can see from this request's time on (a day spare)."""
        return ask.at.timestamp() - self.ruleset.history_reach - 86400.0

    def _decide(self, snapshot: Snapshot, ask: LedgerRequest) -> tuple[dict[str, Any], Facts]:
        debtor = snapshot.debtor
        changes = {
            name: getattr(ask, name)
            for name in ("flags", "inconvenient_times")
            if getattr(ask, name) is not None
        }
        if changes:
            debtor = debtor.model_copy(update=changes)
        kinds = contact_kinds(debtor)
        facts = assemble(
            debtor,
            snapshot.debt,
            channel=ask.channel,
            to=_normalized_to(ask),
            automated=ask.automated,
            at=ask.at.timestamp(),
            purpose=ask.purpose,
            in_reply_to=ask.in_reply_to,
            history=snapshot.events if ask.history is None else events_of(ask.history, kinds),
            consents=(
                snapshot.consents
                if ask.consents is None
                else tuple(consent_fact(c) for c in ask.consents)
            ),
            opt_outs=(
                snapshot.opt_outs
                if ask.opt_outs is None
                else tuple(opt_out_fact(o) for o in ask.opt_outs)
            ),
            kinds=kinds,
        )
        if not _known_contact(facts):
            message = f"`{ask.to}` is not one of the debtor's contact points on file"
            return self._refuse(ask, "unknown-contact-point", message, facts), facts
        return decide(facts, self.ruleset), facts

    def _refuse(
        self, ask: LedgerRequest, rule: str, message: str, facts: Facts | None = None
    ) -> dict[str, Any]:
        return refusal(self.ruleset, ask.at.timestamp(), rule, message, facts)

    def _rules_applied(self, facts: Facts) -> list[str]:
        """The rules that were asked: for an allowed contact, the ones that allowed it."""
        if not facts.jurisdictions:
            return []
        plan = self.ruleset.plan(facts.channel, facts.jurisdictions, facts.actor, facts.debt_type)
        return [rule.id for rule in plan.deciding]

    def _entry(self, decision: dict[str, Any], facts: Facts, ask: LedgerRequest) -> dict[str, Any]:
        """The log entry for a decision: the facts it used, masked, and the rules asked."""
        return {
            "at": facts.at,
            "debtor_id": ask.debtor_id,
            "decision_id": decision["decision_id"],
            "ruleset": decision["ruleset"],
            "facts": logged_facts(facts),
            "decision": {**decision, "rules_applied": self._rules_applied(facts)},
        }

    def _logged(self, decision: dict[str, Any], facts: Facts, ask: LedgerRequest) -> dict[str, Any]:
        try:
            self.store.append_decision(self._entry(decision, facts, ask))
        except StoreError as exc:  # a decision that cannot be logged is not given
            return self._refuse(ask, "store-unavailable", f"store unavailable: {exc}")
        return decision


def _parse(request: LedgerRequest | dict[str, Any]) -> LedgerRequest:
    if isinstance(request, LedgerRequest):
        return request
    try:
        return LedgerRequest.model_validate(request)
    except ValidationError as exc:
        raise RequestError.from_validation(exc) from None


def _normalized_to(ask: LedgerRequest) -> str | None:
    if ask.to is None:
        return None
    return contact_point(ask.channel, ask.to)


def _known_contact(facts: Facts) -> bool:
    if facts.channel == "letter":
        return True
    return facts.to is not None and facts.to in facts.contact_kinds
