"""The decision contract (SPEC §5) as pydantic models: the boundary of every entry point.

Requests are validated here once; the hot path works on the plain `Facts` built from them.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from contactengine.language.vocabulary import (
    Actor,
    Channel,
    ConsentGivenTo,
    ConsentKind,
    Direction,
    Outcome,
    PhoneKind,
    Purpose,
    Weekday,
)

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Address(_Model):
    line1: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None


class Phone(_Model):
    number: str
    kind: PhoneKind
    reassignment_checked_at: AwareDatetime | None = None

    @field_validator("number")
    @classmethod
    def _e164(cls, value: str) -> str:
        normalized = e164_or_none(value)
        if normalized is None:
            raise ValueError(f"`{value}` is not a possible phone number in +E.164 form")
        return normalized


class Email(_Model):
    address: str
    employer_provided: bool = False

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        local, at, domain = value.partition("@")
        if not at or not local or "." not in domain or " " in value:
            raise ValueError(f"`{value}` is not an email address")
        return value


class Consent(_Model):
    channel: Channel
    to: str | None = None
    given_at: AwareDatetime
    revoked_at: AwareDatetime | None = None
    source: str | None = None
    given_to: ConsentGivenTo = "creditor"
    kind: ConsentKind = "express"


class OptOut(_Model):
    channel: Channel
    to: str | None = None
    at: AwareDatetime


class Flags(_Model):
    cease_communication: list[str] = Field(default_factory=list)
    attorney_represented: list[str] = Field(default_factory=list)
    employer_prohibits_contact: bool = False
    bankruptcy: bool = False
    deceased: bool = False


class InconvenientTime(_Model):
    start: str = Field(pattern=HHMM)
    end: str = Field(pattern=HHMM)
    days: list[Weekday] | None = None
    channels: list[Channel] | None = None
    stated_at: AwareDatetime | None = None
    source: str | None = None


class Debtor(_Model):
    id: str = Field(min_length=1)
    # How messages address the consumer: the first name and the language of the templates.
    first_name: str | None = None
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    address: Address | None = None
    timezone: str | None = None
    phones: list[Phone] = Field(default_factory=list)
    emails: list[Email] = Field(default_factory=list)
    consents: list[Consent] = Field(default_factory=list)
    opt_outs: list[OptOut] = Field(default_factory=list)
    flags: Flags = Field(default_factory=Flags)
    inconvenient_times: list[InconvenientTime] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"`{value}` is not an IANA time zone such as America/Chicago") from exc
        return value


class Debt(_Model):
    id: str = Field(min_length=1)
    type: str = "other"
    actor: Actor
    account_id: str | None = None


class HistoryEntry(_Model):
    id: str | None = None
    channel: Channel
    debt_ids: list[str] = Field(default_factory=list)
    to: str | None = None
    at: AwareDatetime
    direction: Direction = "outbound"
    outcome: Outcome | None = None
    message_left: bool | None = None
    in_reply_to: str | None = None
    purpose: Purpose | None = None


class ContactRequest(_Model):
    debtor: Debtor
    debt: Debt
    channel: Channel
    to: str | None = None
    automated: bool = False
    at: AwareDatetime
    purpose: Purpose = "collection"
    in_reply_to: str | None = None
    history: list[HistoryEntry] = Field(default_factory=list)

    @field_validator("to")
    @classmethod
    def _to_is_a_contact_point(cls, value: str | None, info: ValidationInfo) -> str | None:
        """`to` must name one of the debtor's own phones (calls, texts) or addresses (email)."""
        debtor, channel = info.data.get("debtor"), info.data.get("channel")
        if debtor is None or channel is None:
            return value  # the debtor or channel is itself invalid and reported as such
        if channel in ("call", "sms"):
            if value is None:
                raise ValueError(f"a {channel} needs `to`: one of the debtor's phones")
            normalized = _normalize_phone(value)
            if normalized not in {p.number for p in debtor.phones}:
                raise ValueError(f"`{value}` is not one of the debtor's phones")
            return normalized
        emails = {e.address.lower() for e in debtor.emails}
        if channel == "email" and (value is None or value.lower() not in emails):
            raise ValueError(f"`{value}` is not one of the debtor's email addresses")
        return value


def _normalize_phone(value: str) -> str:
    return e164_or_none(value) or value


def contact_point(channel: str, to: str) -> str:
    """A contact point as the ledger keeps it and decisions compare it: an email address
    lower-cased, a phone number in E.164 when it is a possible one (else as given)."""
    return to.lower() if channel == "email" else to if channel == "letter" else _normalize_phone(to)


@lru_cache(maxsize=65536)
def e164_or_none(value: str) -> str | None:
    """The number in E.164 form, or None when it is not a possible number (cached: slow)."""
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


class Reason(BaseModel):
    rule: str
    citation: str | None
    message: str
    source: str
    until: str | None = None


class ZoneEvidence(BaseModel):
    zone: str
    from_: str = Field(alias="from", serialization_alias="from")

    model_config = ConfigDict(populate_by_name=True)


class Decision(BaseModel):
    """SPEC §5 decision; `jurisdictions` and `required_content` extend the contract."""

    allowed: bool
    decision_id: str
    ruleset: str
    at: str
    reasons: list[Reason]
    warnings: list[Reason]
    next_allowed_at: str | None
    zones: list[ZoneEvidence]
    jurisdictions: list[str] = Field(default_factory=list)
    required_content: list[str] = Field(default_factory=list)

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)


class FieldError(BaseModel):
    field: str
    message: str


class RequestError(Exception):
    """A request that cannot be decided: each bad field named, with what is wrong."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors

    def to_json_dict(self) -> dict[str, Any]:
        return {"error": "invalid request", "fields": [e.model_dump() for e in self.errors]}

    @classmethod
    def from_validation(cls, exc: ValidationError) -> RequestError:
        errors = []
        for item in exc.errors():
            location = ".".join(str(p) for p in item["loc"]) or "request"
            errors.append(FieldError(field=location, message=_readable(item)))
        return cls(errors)


def _readable(item: Any) -> str:
    kind = item.get("type", "")
    if kind == "timezone_aware":
        return "this time has no UTC offset; write it like 2026-06-08T14:00:00Z"
    if kind == "literal_error":
        expected = item.get("ctx", {}).get("expected", "")
        return f"`{item.get('input')}` is not allowed here; expected {expected}"
    if kind == "missing":
        return "this field is required"
    if kind == "extra_forbidden":
        return "unknown field"
    message = str(item.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def parse_request(data: Any) -> ContactRequest:
    """A validated request, or a `RequestError` naming every bad field."""
    try:
        return ContactRequest.model_validate(data)
    except ValidationError as exc:
        raise RequestError.from_validation(exc) from None


def instant(text: str) -> float:
    """An ISO 8601 instant with its offset (`Z` allowed) as epoch seconds: `iso`'s inverse.

    `ValueError` says which is wrong: not a date and time, or no offset.
    """
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"`{text}` is not a date and time such as 2026-06-08T09:00:00-04:00"
        ) from None
    if moment.tzinfo is None:
        raise ValueError(f"`{text}` has no offset; write it as 2026-06-08T09:00:00-04:00")
    return moment.timestamp()


def iso(ts: float) -> str:
    """An epoch instant as ISO 8601 UTC with `Z`, seconds precision unless finer is needed."""
    value = dt.datetime.fromtimestamp(ts, dt.UTC)
    text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return text.replace("+00:00", "Z")
