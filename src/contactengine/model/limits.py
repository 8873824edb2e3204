"""Bounds on what a request may hold, so that no input can exhaust the engine.

Every bound is enforced at the boundary with an error naming the field: nesting depth (JSON
text is read by pydantic's Rust reader, which refuses nesting deeper than about 240 levels
before it could exhaust anything; inside, the models' shapes bound it, and free-form values
such as a template's variables are checked by `check_depth`), the length of every string
and list the models accept, zone names, and the years instants may fall in
(`model.instant`). The bounds are far above anything real: a debtor with 20,000 past
contacts, an id of 200 characters.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import StringConstraints
from pydantic_core import from_json

from contactengine.model.errors import JSONError

MAX_DEPTH = 8  # nesting of a free-form value (a template's variables)
MAX_JSON = 16 * 1024 * 1024  # characters of one JSON document
MAX_ID = 200
MAX_TEXT = 2_000
MAX_ZONE = 64  # the longest IANA zone name is 32 characters
MAX_HISTORY = 20_000
MAX_RECORDS = 2_000  # consents, opt-outs, inconvenient times of one debtor
MAX_CONTACT_POINTS = 50  # phones, emails of one debtor
MAX_DEBT_IDS = 1_000

# A required id, and a free text (a source, a name): each bounded.
Id = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID)]
OptionalId = Annotated[str, StringConstraints(max_length=MAX_ID)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]


def load_json(raw: bytes | str, what: str = "request") -> Any:
    """A JSON document, within the bounds; `JSONError` naming `what` when it is not."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise JSONError.single(what, f"not UTF-8 text (byte {exc.start + 1})") from None
    if len(text) > MAX_JSON:
        raise JSONError.single(what, f"longer than {MAX_JSON} characters")
    try:
        return from_json(text)
    except ValueError as exc:
        raise json_error(what, str(exc)) from None


def json_error(what: str, problem: str) -> JSONError:
    """The error for text the JSON reader refused, as it said (`... at line 1 column 9`)."""
    if problem.startswith("recursion limit exceeded"):
        where = problem.removeprefix("recursion limit exceeded")
        return JSONError.single(what, f"objects and lists nest too deeply{where}")
    return JSONError.single(what, f"not JSON: {problem}")


def check_depth(value: Any, what: str, limit: int = MAX_DEPTH) -> None:
    """`ValueError` when a free-form value (a template's variables) nests too deeply."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                raise ValueError(f"{what} nest more than {limit} deep")
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
