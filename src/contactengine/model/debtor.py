"""A debtor and what is on file about them, as the contract writes them (SPEC §5).

Each model checks and normalises what it carries, once, when it is made: numbers to E.164,
addresses lower-cased (`model.contact`), instants to epoch seconds (`model.instant`). A
consent's or an opt-out's `to` is read by its channel: a number for calls and texts, an
address for email.
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from contactengine.model.contact import contact_point, email_address, phone_number
from contactengine.model.instant import Instant
from contactengine.model.limits import (
    MAX_CONTACT_POINTS,
    MAX_DEBT_IDS,
    MAX_RECORDS,
    MAX_ZONE,
    Id,
    Text,
)
from contactengine.model.records import NEVER, ConsentRecord, OptOutRecord
from contactengine.model.vocabulary import (
    COUNTRY_ALIASES,
    US_STATES,
    Actor,
    Channel,
    ConsentGivenTo,
    ConsentKind,
    PhoneKind,
    Weekday,
)

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$"

PhoneNumber = Annotated[str, StringConstraints(max_length=64), AfterValidator(phone_number)]
EmailAddress = Annotated[str, StringConstraints(max_length=320), AfterValidator(email_address)]


class Model(BaseModel):
    """What every contract shape shares: unknown fields refused, values immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def channel_contact_point(value: str | None, info: ValidationInfo) -> str | None:
    """A `to` read by the `channel` validated before it: the field validator of every shape
    whose contact point depends on its channel."""
    if value is None:
        return None
    channel = info.data.get("channel")
    return value if channel is None else contact_point(channel, value)


class Address(Model):
    line1: Text | None = None
    city: Text | None = None
    state: Text | None = None
    zip: Annotated[str, StringConstraints(max_length=20)] | None = None
    country: Annotated[str, StringConstraints(max_length=20)] | None = None

    @property
    def country_code(self) -> str | None:
        """ISO 3166 alpha-2 (`USA` read as `US`); a US state with a ZIP implies `US`."""
        if self.country:
            code = self.country.strip().upper()
            return COUNTRY_ALIASES.get(code, code)
        if self.state and self.state.upper() in US_STATES and self.zip:
            return "US"
        return None


class Phone(Model):
    number: PhoneNumber
    kind: PhoneKind
    reassignment_checked_at: Instant | None = None


class Email(Model):
    address: EmailAddress
    employer_provided: bool = False


class Consent(Model):
    channel: Channel
    to: Annotated[str, StringConstraints(max_length=1000)] | None = None
    given_at: Instant
    revoked_at: Instant | None = None
    source: Text | None = None
    given_to: ConsentGivenTo = "creditor"
    kind: ConsentKind = "express"

    @field_validator("to")
    @classmethod
    def _to(cls, value: str | None, info: ValidationInfo) -> str | None:
        return channel_contact_point(value, info)

    def record(self) -> ConsentRecord:
        revoked = NEVER if self.revoked_at is None else self.revoked_at
        return ConsentRecord(
            self.channel, self.to, self.given_at, revoked, self.given_to, self.kind
        )


class ChannelStop(Model):
    """A channel stopped at a contact point (or at every one, `to` None) from `at` on."""

    channel: Channel
    to: Annotated[str, StringConstraints(max_length=1000)] | None = None
    at: Instant

    @field_validator("to")
    @classmethod
    def _to(cls, value: str | None, info: ValidationInfo) -> str | None:
        return channel_contact_point(value, info)


class OptOut(ChannelStop):
    """The consumer asked us not to use a medium (at a contact point, or at all)."""

    def record(self) -> OptOutRecord:
        return OptOutRecord(self.channel, self.to, self.at)


class Revocation(ChannelStop):
    """Consent withdrawn for a channel (at a contact point, or at every one)."""


DebtIds = Annotated[list[Id], Field(max_length=MAX_DEBT_IDS)]


class Flags(Model):
    cease_communication: DebtIds = Field(default_factory=list)
    attorney_represented: DebtIds = Field(default_factory=list)
    employer_prohibits_contact: bool = False
    bankruptcy: bool = False
    deceased: bool = False


class InconvenientTime(Model):
    start: str = Field(pattern=HHMM)
    end: str = Field(pattern=HHMM)
    days: list[Weekday] | None = Field(default=None, max_length=7)
    channels: list[Channel] | None = Field(default=None, max_length=4)
    stated_at: Instant | None = None
    source: Text | None = None


class Debtor(Model):
    id: Id
    # How messages address the consumer: the first name and the language of the templates.
    first_name: Text | None = None
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    address: Address | None = None
    timezone: str | None = None
    phones: list[Phone] = Field(default_factory=list, max_length=MAX_CONTACT_POINTS)
    emails: list[Email] = Field(default_factory=list, max_length=MAX_CONTACT_POINTS)
    consents: list[Consent] = Field(default_factory=list, max_length=MAX_RECORDS)
    opt_outs: list[OptOut] = Field(default_factory=list, max_length=MAX_RECORDS)
    flags: Flags = Field(default_factory=Flags)
    inconvenient_times: list[InconvenientTime] = Field(default_factory=list, max_length=MAX_RECORDS)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        problem = f"`{value[:MAX_ZONE]}` is not an IANA time zone such as America/Chicago"
        if len(value) > MAX_ZONE:
            raise ValueError(problem)
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(problem) from None
        return value

    def contact_kinds(self) -> dict[str, str]:
        """Each number and address on file with its kind (`mobile`, ..., `email`)."""
        kinds: dict[str, str] = {p.number: p.kind for p in self.phones}
        kinds.update({e.address: "email" for e in self.emails})
        return kinds

    def points(self) -> list[str]:
        """The numbers and addresses the debtor can be found by, sorted."""
        return sorted({p.number for p in self.phones} | {e.address for e in self.emails})


class Debt(Model):
    id: Id
    type: Annotated[str, StringConstraints(max_length=100)] = "other"
    actor: Actor
    account_id: Id | None = None
