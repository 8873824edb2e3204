"""What every back end of the ledger offers, and the plain records it hands back."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from contactengine.engine.facts import ConsentFact, Event, OptOutFact
from contactengine.engine.models import Consent, Debt, Debtor, OptOut
from contactengine.language import vocabulary as v


class StoreError(Exception):
    """Anything the ledger cannot do."""


class StoreUnavailable(StoreError):
    """The back end did not answer within its timeout."""


class NotFound(StoreError):
    """No such debtor, debt or attempt."""


class ConflictingKey(StoreError):
    """An idempotency key already used for a different operation or payload."""


@dataclass(frozen=True)
class AttemptRecord:
    """An attempt (or an inbound contact) as the ledger keeps it; times in epoch seconds.

    Checked when made: a record naming an unknown channel, direction or outcome, or a time
    that is not a finite instant, raises `ValueError` naming the field.
    """

    id: str
    debtor_id: str
    debt_ids: tuple[str, ...]
    channel: str
    to: str | None
    at: float
    direction: str = "outbound"
    outcome: str | None = None
    message_left: bool | None = None
    purpose: str | None = None
    in_reply_to: str | None = None

    def __post_init__(self) -> None:
        problems = [
            f"{name}: `{value}` is not one of {', '.join(str(a) for a in allowed if a)}"
            for name, value, allowed in (
                ("channel", self.channel, v.CHANNELS),
                ("direction", self.direction, v.DIRECTIONS),
                ("outcome", self.outcome, (*v.OUTCOMES, None)),
                ("purpose", self.purpose, (*v.PURPOSES, None)),
            )
            if value not in allowed
        ]
        if not math.isfinite(self.at):
            problems.append(f"at: `{self.at}` is not an instant")
        if not self.id or not self.debtor_id:
            problems.append("id and debtor_id: both are required")
        if problems:
            raise ValueError("; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class Snapshot:
    """Everything the engine needs about one debtor and debt, read in one transaction."""

    debtor: Debtor
    debt: Debt
    events: tuple[Event, ...]
    consents: tuple[ConsentFact, ...]
    opt_outs: tuple[OptOutFact, ...]


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


Decider = Callable[[Snapshot], dict[str, Any]]
Logger = Callable[[dict[str, Any]], dict[str, Any]]


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

    def record_consent(self, debtor_id: str, consent: Consent, key: str | None = None) -> None: ...

    def revoke_consent(
        self, debtor_id: str, channel: str, to: str | None, at: float, key: str | None = None
    ) -> int: ...

    def record_opt_out(self, debtor_id: str, opt_out: OptOut, key: str | None = None) -> None: ...

    def set_flag(
        self, debtor_id: str, flag: str, value: bool | list[str], key: str | None = None
    ) -> None: ...

    def snapshot(self, debtor_id: str, debt_id: str) -> Snapshot: ...

    def reserve(
        self,
        debtor_id: str,
        debt_id: str,
        decide: Decider,
        attempt: AttemptRecord,
        log: Logger | None = None,
    ) -> tuple[dict[str, Any], str | None]:
        """Decide and, when allowed, record the attempt, atomically for this debtor.

        `log(decision)` gives the decision-log entry, appended in the same transaction: a
        reservation and its logged decision are written together or not at all.
        """
        ...

    def append_decision(self, entry: dict[str, Any]) -> LogEntry: ...

    def decision_log(self, debtor_id: str | None = None) -> Iterator[LogEntry]: ...

    def attempts(self, debtor_id: str) -> list[AttemptRecord]: ...

    def close(self) -> None: ...
