"""The one function that turns a request into a decision, for every entry point.

The Python API, `contactengine decide`, the HTTP service and the ledger's callers all come
through here: the request is read once by its model (`model.request.read_request`), then
decided by the engine from its own facts, or by the ledger from the facts on file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from contactengine.engine.evaluate import decide as decide_facts
from contactengine.engine.facts import facts_from_request
from contactengine.engine.ruleset import RuleSet
from contactengine.model.decision import Decision
from contactengine.model.errors import RequestError
from contactengine.model.request import AnyRequest, LedgerRequest, read_request

if TYPE_CHECKING:
    from contactengine.ledger.ledger import Ledger


def decide(
    request: AnyRequest | Mapping[str, Any] | bytes | str,
    ruleset: RuleSet,
    *,
    ledger: Ledger | None = None,
    now: float | None = None,
) -> Decision:
    """Decide `request`: JSON text or bytes, a mapping or a model, carrying its facts or
    naming them by ids (then `ledger` reads, decides and logs). `now` is the clock.

    Raises `RequestError` naming every bad field; never answers an unreadable request.
    """
    parsed = read_request(request)
    if isinstance(parsed, LedgerRequest):
        if ledger is None:
            raise RequestError.single(
                "debtor_id",
                "a request by ids is decided from a ledger, and none is open here;"
                " send the debtor's facts instead",
            )
        return ledger.can_contact(parsed, now=now)
    return decide_facts(facts_from_request(parsed), ruleset, now)
