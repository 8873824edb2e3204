"""Past contacts as the contract writes them: a request's history, an attempt reported."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, ValidationInfo, field_validator

from contactengine.model.debtor import DebtIds, Model, channel_contact_point
from contactengine.model.instant import Instant
from contactengine.model.limits import MAX_DEBT_IDS, Id
from contactengine.model.records import AttemptRecord, Event, event_of
from contactengine.model.vocabulary import Channel, Direction, Outcome, Purpose


class HistoryEntry(Model):
    """One past contact, either way; `to` is read by its channel."""

    id: Id | None = None
    channel: Channel
    debt_ids: DebtIds = Field(default_factory=list)
    to: Annotated[str, StringConstraints(max_length=1000)] | None = None
    at: Instant
    direction: Direction = "outbound"
    outcome: Outcome | None = None
    message_left: bool | None = None
    in_reply_to: Id | None = None
    purpose: Purpose | None = None

    @field_validator("to")
    @classmethod
    def _to(cls, value: str | None, info: ValidationInfo) -> str | None:
        return channel_contact_point(value, info)

    def event(self, kinds: dict[str, str]) -> Event:
        """The entry as the rules see it."""
        return event_of(self, kinds)

    def attempt(self, debtor_id: str, default_id: str) -> AttemptRecord:
        """The entry as the ledger keeps it, under its own id or `default_id`."""
        return AttemptRecord(
            id=self.id or default_id,
            debtor_id=debtor_id,
            debt_ids=tuple(self.debt_ids),
            channel=self.channel,
            to=self.to,
            at=self.at,
            direction=self.direction,
            outcome=self.outcome,
            message_left=self.message_left,
            purpose=self.purpose,
            in_reply_to=self.in_reply_to,
        )


class Attempt(HistoryEntry):
    """An attempt a caller reports to the ledger: its own id, its debtor and debts."""

    id: Id
    debt_ids: Annotated[list[Id], Field(min_length=1, max_length=MAX_DEBT_IDS)]
    debtor_id: Id

    def record(self) -> AttemptRecord:
        return self.attempt(self.debtor_id, self.id)
