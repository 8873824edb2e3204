"""The engine bound to a ledger: ask with ids, and reserve an attempt atomically.

Facts come from the store in one transaction; every decision is appended to the
hash-chained log with its facts masked. A ledger that does not answer gives a refusal with
reason `store unavailable`, never an allow.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from contactengine.engine.evaluate import decide, decision_id, refusal
from contactengine.engine.facts import Facts, assemble, events_of
from contactengine.engine.ruleset import RuleSet
from contactengine.ledger.log import log_entry
from contactengine.model.decision import Decision
from contactengine.model.masking import mask_contact
from contactengine.model.records import AttemptRecord
from contactengine.model.request import LedgerRequest, parse_ledger_request
from contactengine.store.base import NotFound, Snapshot, Store, StoreError, UnreadableRecord

Request = LedgerRequest | Mapping[str, Any]


class Ledger:
    """`can_contact` and `reserve` over a store, each decision logged.

    `confirm_within` (seconds) is how long after its time a reservation that was never
    placed may be released (`release`); after that, with or without an outcome, it counts
    for good. Nothing ever releases a reservation by itself: one nobody confirms still
    counts against every cap. `clock` gives the current instant (injected by tests).
    """

    def __init__(
        self,
        ruleset: RuleSet,
        store: Store,
        confirm_within: float = 600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ruleset = ruleset
        self.store = store
        self.confirm_within = confirm_within
        self.clock = clock

    def can_contact(self, request: Request, now: float | None = None) -> Decision:
        """Decide from the ledger's facts and log the decision (`RequestError` if unreadable)."""
        ask = parse_ledger_request(request)
        found = self._read(ask)
        if isinstance(found, Decision):
            return found
        decision, facts = self._decide(found, ask, now)
        return self._logged(decision, facts, ask)

    def preview(self, request: Request, now: float | None = None) -> Decision:
        """The decision `can_contact` would give, with nothing written: for dry runs."""
        ask = parse_ledger_request(request)
        found = self._read(ask)
        return found if isinstance(found, Decision) else self._decide(found, ask, now)[0]

    def _read(self, ask: LedgerRequest) -> Snapshot | Decision:
        """The debtor's facts, or the refusal to give when they cannot be read."""
        try:
            return self.store.snapshot(
                ask.debtor_id, ask.debt_id, self._since(ask), ask.in_reply_to
            )
        except StoreError as exc:
            return self._failed(ask, exc)

    def reserve(
        self, request: Request, attempt_id: str | None = None, now: float | None = None
    ) -> Decision:
        """Decide and record the attempt in one transaction; the decision says its id."""
        ask = parse_ledger_request(request)
        attempt = AttemptRecord(
            id=attempt_id or "att_" + uuid.uuid4().hex,
            debtor_id=ask.debtor_id,
            debt_ids=(ask.debt_id,),
            channel=ask.channel,
            to=ask.to,
            at=ask.at,
            purpose=ask.purpose,
            in_reply_to=ask.in_reply_to,
        )
        used: list[Facts] = []

        def decider(snapshot: Snapshot) -> Decision:
            decision, facts = self._decide(snapshot, ask, now)
            used.append(facts)
            return replace(decision, attempt_id=attempt.id) if decision.allowed else decision

        def log(decision: Decision) -> dict[str, Any]:
            return log_entry(decision, used[-1], ask.debtor_id, self.ruleset)

        try:
            decision, _ = self.store.reserve(
                ask.debtor_id, ask.debt_id, decider, attempt, log, self._since(ask)
            )
        except StoreError as exc:
            return self._failed(ask, exc)
        return decision

    def release(self, attempt_id: str, now: float | None = None) -> bool:
        """Withdraw a reservation that was never placed (the dialer crashed first, the
        agent skipped it), within `confirm_within` of its time; logged either way.

        False when it stands: it has an outcome, or the time to release it has passed.
        """
        when = self.clock() if now is None else now
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
        return ask.at - self.ruleset.history_reach - 86400.0

    def _decide(
        self, snapshot: Snapshot, ask: LedgerRequest, now: float | None
    ) -> tuple[Decision, Facts]:
        debtor = snapshot.debtor
        changes = {
            name: getattr(ask, name)
            for name in ("flags", "inconvenient_times")
            if getattr(ask, name) is not None
        }
        if changes:
            debtor = debtor.model_copy(update=changes)
        kinds = debtor.contact_kinds()
        facts = assemble(
            debtor,
            snapshot.debt,
            channel=ask.channel,
            to=ask.to,
            automated=ask.automated,
            at=ask.at,
            purpose=ask.purpose,
            in_reply_to=ask.in_reply_to,
            history=snapshot.events if ask.history is None else events_of(ask.history, kinds),
            consents=(
                snapshot.consents
                if ask.consents is None
                else tuple(c.record() for c in ask.consents)
            ),
            opt_outs=(
                snapshot.opt_outs
                if ask.opt_outs is None
                else tuple(o.record() for o in ask.opt_outs)
            ),
            kinds=kinds,
        )
        if not _known_contact(facts):
            message = f"`{mask_contact(ask.to)}` is not one of the debtor's contact points on file"
            return self._refuse(ask, "unknown-contact-point", message, facts), facts
        clock = self.clock() if now is None else now
        return decide(facts, self.ruleset, clock), facts

    def _failed(self, ask: LedgerRequest, exc: StoreError) -> Decision:
        """The refusal a store's failure gives: never a decision made without the facts."""
        if isinstance(exc, NotFound):
            return self._refuse(ask, "unknown-record", str(exc))
        if isinstance(exc, UnreadableRecord):
            return self._refuse(ask, "unreadable-record", str(exc))
        return self._refuse(ask, "store-unavailable", f"store unavailable: {exc}")

    def _refuse(
        self, ask: LedgerRequest, rule: str, message: str, facts: Facts | None = None
    ) -> Decision:
        return refusal(self.ruleset, ask.at, rule, message, facts)

    def _logged(self, decision: Decision, facts: Facts, ask: LedgerRequest) -> Decision:
        try:
            self.store.append_decision(log_entry(decision, facts, ask.debtor_id, self.ruleset))
        except StoreError as exc:  # a decision that cannot be logged is not given
            return self._refuse(ask, "store-unavailable", f"store unavailable: {exc}")
        return decision


def _known_contact(facts: Facts) -> bool:
    if facts.channel == "letter":
        return True
    return facts.to is not None and facts.to in facts.contact_kinds
