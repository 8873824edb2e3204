"""Requests: a contact to decide, carrying its facts (SPEC §5) or naming them by ids.

`read_request` is the one way in: JSON text or bytes, a mapping, or a model, checked
against the limits and the contract; every bad field is named in one `RequestError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from contactengine.model.debtor import (
    Consent,
    Debt,
    Debtor,
    Flags,
    InconvenientTime,
    Model,
    OptOut,
    channel_contact_point,
)
from contactengine.model.errors import JSONError, RequestError
from contactengine.model.history import HistoryEntry
from contactengine.model.instant import Instant
from contactengine.model.limits import MAX_HISTORY, MAX_JSON, MAX_RECORDS, Id, json_error, load_json
from contactengine.model.vocabulary import Channel, Purpose

ContactPointText = Annotated[str, StringConstraints(max_length=1000)]


class ContactRequest(Model):
    """A contact to decide with every fact it needs: the debtor, the debt, the history."""

    debtor: Debtor
    debt: Debt
    channel: Channel
    to: ContactPointText | None = None
    automated: bool = False
    at: Instant
    purpose: Purpose = "collection"
    in_reply_to: Id | None = None
    history: list[HistoryEntry] = Field(default_factory=list, max_length=MAX_HISTORY)

    @field_validator("to")
    @classmethod
    def _to_is_a_contact_point(cls, value: str | None, info: ValidationInfo) -> str | None:
        """`to` must name one of the debtor's own phones (calls, texts) or addresses (email)."""
        debtor, channel = info.data.get("debtor"), info.data.get("channel")
        if debtor is None or channel is None:
            return value  # the debtor or channel is itself invalid and reported as such
        if channel in ("call", "sms") and value is None:
            raise ValueError(f"a {channel} needs `to`: one of the debtor's phones")
        if channel == "email" and value is None:
            raise ValueError("an email needs `to`: one of the debtor's email addresses")
        normal = channel_contact_point(value, info)
        if channel in ("call", "sms") and normal not in {p.number for p in debtor.phones}:
            raise ValueError(f"`{value}` is not one of the debtor's phones")
        if channel == "email" and normal not in {e.address for e in debtor.emails}:
            raise ValueError(f"`{value}` is not one of the debtor's email addresses")
        return normal


class LedgerRequest(Model):
    """A contact to decide from the ledger's facts, named by ids.

    Facts the caller knows better than the ledger may come along: each, when given,
    replaces the ledger's.
    """

    debtor_id: Id
    debt_id: Id
    channel: Channel
    to: ContactPointText | None = None
    at: Instant
    automated: bool = False
    purpose: Purpose = "collection"
    in_reply_to: Id | None = None
    history: list[HistoryEntry] | None = Field(default=None, max_length=MAX_HISTORY)
    consents: list[Consent] | None = Field(default=None, max_length=MAX_RECORDS)
    opt_outs: list[OptOut] | None = Field(default=None, max_length=MAX_RECORDS)
    flags: Flags | None = None
    inconvenient_times: list[InconvenientTime] | None = Field(default=None, max_length=MAX_RECORDS)

    @field_validator("to")
    @classmethod
    def _to(cls, value: str | None, info: ValidationInfo) -> str | None:
        return channel_contact_point(value, info)


AnyRequest = ContactRequest | LedgerRequest
M = TypeVar("M", bound=BaseModel)


def read_request(data: AnyRequest | Mapping[str, Any] | bytes | str) -> AnyRequest:
    """A request with its facts, or one by ids (it names `debtor_id`); `RequestError` naming
    every bad field otherwise."""
    if isinstance(data, ContactRequest | LedgerRequest):
        return data
    if isinstance(data, bytes | str) and _BY_IDS[type(data)] not in data:
        return validated_json(ContactRequest, data)  # cannot be by ids: read in one pass
    document = load_json(data) if isinstance(data, bytes | str) else data
    if not isinstance(document, Mapping):
        raise RequestError.single("request", "a request is a JSON object")
    model: type[AnyRequest] = LedgerRequest if "debtor_id" in document else ContactRequest
    return validated(model, document)


def parse_request(data: ContactRequest | Mapping[str, Any] | bytes | str) -> ContactRequest:
    """A request carrying its facts; `RequestError` naming every bad field otherwise."""
    if isinstance(data, ContactRequest):
        return data
    if isinstance(data, bytes | str):
        return validated_json(ContactRequest, data)
    return validated(ContactRequest, data)


def parse_ledger_request(data: LedgerRequest | Mapping[str, Any]) -> LedgerRequest:
    """A request by ids; `RequestError` naming every bad field otherwise."""
    return data if isinstance(data, LedgerRequest) else validated(LedgerRequest, data)


def validated(model: type[M], data: Any) -> M:
    """`data` as `model`, or `RequestError` naming every bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestError.from_validation(exc) from None


# A request by ids has this key; text without it is read straight into `ContactRequest`.
_BY_IDS: dict[type, Any] = {str: '"debtor_id"', bytes: b'"debtor_id"'}


def validated_json(model: type[M], text: bytes | str, what: str = "request") -> M:
    """JSON text read straight into `model` (pydantic's reader, one pass, no dicts between):
    `JSONError` when it is not JSON within the bounds, `RequestError` for bad fields."""
    if len(text) > MAX_JSON:
        raise JSONError.single(what, f"longer than {MAX_JSON} characters")
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        unreadable = [e for e in exc.errors(include_url=False) if e["type"] == "json_invalid"]
        if unreadable:
            raise json_error(what, str(unreadable[0].get("ctx", {}).get("error", ""))) from None
        raise RequestError.from_validation(exc) from None
