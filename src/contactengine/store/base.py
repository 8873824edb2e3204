"""What every back end of the ledger offers, and the plain records it hands back.

The records themselves (attempts, planned messages, consents, opt-outs, events) are the
model's (`model.records`); a store keeps and returns them in their normal form.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from contactengine.model.debtor import Consent, Debt, Debtor, InconvenientTime, OptOut
from contactengine.model.decision import Decision
from contactengine.model.records import (
    AttemptRecord,
    ConsentRecord,
    Event,
    OptOutRecord,
    PlannedMessage,
)


class StoreError(Exception):
    """Anything the ledger cannot do."""


class StoreUnavailable(StoreError):
    """The back end did not answer within its timeout."""


class NotFound(StoreError):
    """No such debtor, debt or attempt."""


class UnreadableRecord(StoreError):
    """A stored record the models refuse (written by hand, or by a release that checked
    less): decisions about it are refused until it is corrected."""


class ConflictingKey(StoreError):
    """An idempotency key already used for a different operation or payload."""


API_SCOPES = ("read", "write")


@dataclass(frozen=True)
class ApiKeyRecord:
    """An API key as the ledger keeps it: never the secret, only its digest."""

    id: str
    name: str
    digest: str
    scope: str
    created_at: float
    revoked_at: float | None = None


@dataclass(frozen=True)
class Snapshot:
    """Everything the engine needs about one debtor and debt, read in one transaction."""

    debtor: Debtor
    debt: Debt
    events: tuple[Event, ...]
    consents: tuple[ConsentRecord, ...]
    opt_outs: tuple[OptOutRecord, ...]


@dataclass(frozen=True)
class LogEntry:
    """One decision in the tamper-evident log: each entry hashes the one before."""

    seq: int
    at: float
    debtor_id: str
    decision_id: str
    ruleset: str
    facts: dict[str, Any]
    decision: dict[str, Any]
    prev_hash: str
    hash: str


Decider = Callable[[Snapshot], Decision]
Logger = Callable[[Decision], dict[str, Any]]


class Store(Protocol):
    """The ledger. Every write taking a `key` is idempotent under it."""

    def upgrade(self) -> int:
        """Apply pending migrations; returns the schema version. Safe to run concurrently."""
        ...

    def put_debtor(self, debtor: Debtor, key: str | None = None) -> None: ...

    def put_debt(self, debtor_id: str, debt: Debt, key: str | None = None) -> None: ...

    def record_attempt(self, attempt: AttemptRecord, key: str | None = None) -> str: ...

    def record_outcome(
        self,
        attempt_id: str,
        outcome: str,
        message_left: bool | None = None,
        key: str | None = None,
    ) -> None: ...

    def release_attempt(self, attempt_id: str, now: float, window: float) -> tuple[str, bool]:
        """Withdraw a reservation that was never placed, if it may still be withdrawn.

        Only an attempt with no outcome, released no later than `window` seconds after its
        time: after that it stands for good (a reservation nobody confirmed still counts).
        Returns the attempt's debtor and whether it was withdrawn; raises `NotFound` for an
        unknown attempt.
        """
        ...

    def record_consent(self, debtor_id: str, consent: Consent, key: str | None = None) -> None: ...

    def revoke_consent(
        self, debtor_id: str, channel: str, to: str | None, at: float, key: str | None = None
    ) -> int: ...

    def record_opt_out(self, debtor_id: str, opt_out: OptOut, key: str | None = None) -> None: ...

    def set_flag(
        self, debtor_id: str, flag: str, value: bool | list[str], key: str | None = None
    ) -> None: ...

    def record_inconvenient_time(
        self, debtor_id: str, time: InconvenientTime, key: str | None = None
    ) -> None:
        """Add a time the consumer said is inconvenient (1006.6(b)(1)(i))."""
        ...

    def set_inconvenient_times(
        self, debtor_id: str, times: list[InconvenientTime], key: str | None = None
    ) -> None:
        """Replace the debtor's inconvenient times (an empty list clears them)."""
        ...

    def debtor(self, debtor_id: str) -> Debtor:
        """The debtor's profile (without consents and opt-outs, which are records)."""
        ...

    def snapshot(
        self, debtor_id: str, debt_id: str, since: float = -math.inf, reply_to: str | None = None
    ) -> Snapshot:
        """The debtor's facts; attempts from `since` on, plus those about `reply_to`.

        The engine asks only as far back as its rules can see (`RuleSet.history_reach`), so
        a debtor with years of history costs no more than one with a month's.
        """
        ...

    def reserve(
        self,
        debtor_id: str,
        debt_id: str,
        decide: Decider,
        attempt: AttemptRecord,
        log: Logger | None = None,
        since: float = -math.inf,
    ) -> tuple[Decision, str | None]:
        """Decide and, when allowed, record the attempt, atomically for this debtor.

        `log(decision)` gives the decision-log entry, appended in the same transaction: a
        reservation and its logged decision are written together or not at all.
        """
        ...

    def plan_messages(self, messages: list[PlannedMessage]) -> int:
        """Plan every message or none; returns how many were new.

        A message whose id is already planned with the same content is skipped (importing a
        file twice plans it once); with other content it raises `ConflictingKey`.
        """
        ...

    def claim_messages(
        self, worker: str, now: float, limit: int, lease: float
    ) -> list[PlannedMessage]:
        """Take up to `limit` due messages for `lease` seconds: pending ones, ones whose
        claim expired, and ones this worker still holds (it restarted after a crash).

        Workers claiming at once never get the same message.
        """
        ...

    def settle_message(
        self,
        message_id: str,
        worker: str,
        status: str,
        *,
        due_at: float | None = None,
        reason: str | None = None,
        attempt_id: str | None = None,
        provider_id: str | None = None,
    ) -> bool:
        """End `worker`'s claim: sent, closed, failed, or pending again from `due_at`.

        False (and nothing changed) when the claim is no longer this worker's.
        """
        ...

    def planned_messages(
        self, debtor_id: str | None = None, status: str | None = None
    ) -> list[PlannedMessage]: ...

    def append_decision(self, entry: dict[str, Any]) -> LogEntry: ...

    def decision_log(self, debtor_id: str | None = None) -> Iterator[LogEntry]: ...

    def attempts(self, debtor_id: str) -> list[AttemptRecord]: ...

    def attempt(self, attempt_id: str) -> AttemptRecord | None:
        """One attempt by id, or None when there is none (never made, or released)."""
        ...

    def debtors_at(self, contact: str) -> list[str]:
        """The debtors with this phone number or email address on file."""
        ...

    def debts_of(self, debtor_id: str) -> list[str]:
        """The ids of the debtor's debts."""
        ...

    def planned_message(self, message_id: str) -> PlannedMessage | None: ...

    def message_by_provider_id(self, provider_id: str) -> PlannedMessage | None:
        """The planned message a provider's id (a Twilio SID) belongs to."""
        ...

    def first_time(self, key: str, now: float) -> bool:
        """True the first time an event key is seen: webhooks act once per provider event."""
        ...

    def put_api_key(self, record: ApiKeyRecord) -> None: ...

    def api_key(self, key_id: str) -> ApiKeyRecord | None: ...

    def api_keys(self) -> list[ApiKeyRecord]: ...

    def revoke_api_key(self, key_id: str, at: float) -> bool: ...

    def close(self) -> None: ...
