"""The records the ledger keeps and the engine reads, in their normal form.

Plain slotted dataclasses, not models: the ledger builds thousands of them a second from
its rows, which are already in normal form because every write came through a model.
Instants are epoch seconds (`model.instant`), contact points normal (`model.contact`).

`AttemptRecord` and `PlannedMessage` are also made by callers (the service, dispatch, the
planner), so they check and normalise themselves when made: a bad channel, outcome, time
or contact point raises `ValueError` naming the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from contactengine.model import vocabulary as v
from contactengine.model.contact import contact_point

NEVER = math.inf  # the revocation time of a consent that stands


@dataclass(slots=True)
class Event:
    """One past contact as the rules see it: a history entry or a recorded attempt.

    `to_kind` is the kind of the contact point on the debtor's file (`mobile`, `email`...),
    None when the point is not on file.
    """

    at: float
    channel: str
    debt_ids: frozenset[str]
    to: str | None
    direction: str
    outcome: str | None
    message_left: bool | None
    purpose: str | None
    to_kind: str | None
    id: str | None = None
    in_reply_to: str | None = None


@dataclass(slots=True)
class ConsentRecord:
    """Consent to a channel (at a contact point, or at every one when `to` is None),
    standing from `given_at` until `revoked_at` (`NEVER` while it stands)."""

    channel: str
    to: str | None
    given_at: float
    revoked_at: float
    given_to: str
    kind: str


@dataclass(slots=True)
class OptOutRecord:
    """A request to stop a channel (at a contact point, or at every one), from `at` on."""

    channel: str
    to: str | None
    at: float


def event_of(contact: Any, kinds: dict[str, str]) -> Event:
    """A past contact (a history entry, an attempt: anything with their fields) as the rules
    see it; `kinds` gives the kind of each contact point on the debtor's file."""
    to = contact.to
    return Event(
        contact.at,
        contact.channel,
        frozenset(contact.debt_ids),
        to,
        contact.direction,
        contact.outcome,
        contact.message_left,
        contact.purpose,
        kinds.get(to) if to is not None else None,
        contact.id,
        contact.in_reply_to,
    )


def _normalise_to(record: AttemptRecord | PlannedMessage, problems: list[str]) -> None:
    """Put a record's `to` in its channel's normal form, or add why it cannot be."""
    if problems or record.to is None:
        return
    try:
        object.__setattr__(record, "to", contact_point(record.channel, record.to))
    except ValueError as exc:
        problems.append(f"to: {exc}")


@dataclass(frozen=True)
class AttemptRecord:
    """An attempt (or an inbound contact) as the ledger keeps it."""

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
        if not isinstance(self.at, float | int) or not math.isfinite(self.at):
            problems.append(f"at: `{self.at}` is not an instant")
        if not self.id or not self.debtor_id:
            problems.append("id and debtor_id: both are required")
        _normalise_to(self, problems)
        if problems:
            raise ValueError("; ".join(problems))

    def event(self, kinds: dict[str, str]) -> Event:
        """The attempt as the rules see it."""
        return event_of(self, kinds)


MESSAGE_STATUSES = ("pending", "claimed", "sent", "closed", "failed")
FINAL_STATUSES = ("sent", "closed", "failed")


def check_settlement(status: str, due_at: float | None) -> None:
    """What settling a message accepts: a final status, `claimed`, or `pending` with a time."""
    if status not in (*FINAL_STATUSES, "pending", "claimed"):
        raise ValueError(f"status: `{status}` is not a status a message can be settled to")
    if status == "pending" and (due_at is None or not math.isfinite(due_at)):
        raise ValueError("due_at: a deferred message needs the instant it is due again")


@dataclass(frozen=True)
class PlannedMessage:
    """A message planned for dispatch: what to send, to whom, and from when.

    `status` moves pending -> claimed (a worker holds it until `claim_until`) -> sent,
    closed (never lawful, or refused for good) or failed (the provider refused it), or
    back to pending with a later `due_at` (deferred). A claim whose worker died expires,
    and the message is claimed again.
    """

    id: str
    debtor_id: str
    debt_id: str
    channel: str
    template: str
    not_before: float
    to: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    status: str = "pending"
    due_at: float | None = None
    tries: int = 0
    reason: str | None = None
    attempt_id: str | None = None
    claimed_by: str | None = None
    claim_until: float | None = None
    provider_id: str | None = None

    def __post_init__(self) -> None:
        problems = []
        for name in ("id", "debtor_id", "debt_id", "template"):
            if not getattr(self, name):
                problems.append(f"{name}: required")
        if self.channel not in v.CHANNELS:
            problems.append(f"channel: `{self.channel}` is not one of {', '.join(v.CHANNELS)}")
        if self.status not in MESSAGE_STATUSES:
            problems.append(f"status: `{self.status}` is not one of {', '.join(MESSAGE_STATUSES)}")
        if not isinstance(self.not_before, float | int) or not math.isfinite(self.not_before):
            problems.append(f"not_before: `{self.not_before}` is not an instant")
        if not isinstance(self.variables, dict):
            problems.append("variables: must be an object")
        _normalise_to(self, problems)
        if problems:
            raise ValueError("; ".join(problems))
        if self.due_at is None:
            object.__setattr__(self, "due_at", self.not_before)

    @property
    def plan(self) -> tuple[Any, ...]:
        """What the planner said, without what dispatch has done since: the idempotent part."""
        return (
            self.debtor_id,
            self.debt_id,
            self.channel,
            self.template,
            self.not_before,
            self.to,
            self.variables,
        )
