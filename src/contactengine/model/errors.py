"""A request that cannot be decided: every bad field named, with what is wrong with it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Self, TypedDict

from pydantic import ValidationError


class FieldErrorJSON(TypedDict):
    field: str
    message: str


class RequestErrorJSON(TypedDict):
    error: str
    fields: list[FieldErrorJSON]


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str  # dotted path: `debtor.phones.0.number`; `request` for the whole
    message: str

    def to_json(self) -> FieldErrorJSON:
        return {"field": self.field, "message": self.message}


class RequestError(Exception):
    """A request that cannot be decided: each bad field named, with what is wrong."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))

    @classmethod
    def single(cls, field: str, message: str) -> Self:
        return cls([FieldError(field, message)])

    kind = "invalid request"

    def to_json(self) -> RequestErrorJSON:
        return {"error": self.kind, "fields": [e.to_json() for e in self.errors]}

    @classmethod
    def from_validation(cls, exc: ValidationError) -> Self:
        errors: list[FieldError] = []
        for item in exc.errors(include_url=False):
            error = FieldError(field_path(item["loc"]) or "request", readable(item))
            if error not in errors:  # each member of a union tried says the same
                errors.append(error)
        return cls(errors)


class JSONError(RequestError):
    """Text that is not a JSON document within the bounds: nothing in it could be read."""

    kind = "invalid JSON"


def field_path(location: Sequence[int | str]) -> str:
    """A pydantic error's location as the dotted field path users write."""
    return ".".join(str(p) for p in location if not _is_union_tag(p))


def _is_union_tag(part: Any) -> bool:
    """pydantic names the member of a union it tried (`function-plain[...]`): not a field."""
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


def readable(item: Any) -> str:
    """pydantic's message in the product's words: no Python names, no echo of a long input."""
    kind = item.get("type", "")
    if kind == "literal_error":
        expected = item.get("ctx", {}).get("expected", "")
        given = item.get("input")
        shown = f"`{given}`" if isinstance(given, str) and len(given) <= 40 else "this value"
        return f"{shown} is not allowed here; expected {expected}"
    if kind == "missing":
        return "this field is required"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "an object is needed here"
    message = str(item.get("msg", "invalid value")).removeprefix("Value error, ")
    return message if len(message) <= 400 else message[:400] + "…"
