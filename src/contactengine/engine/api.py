"""The Python entry points: `can_contact()`, `decide_many()` and an `Engine` holding rules."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from contactengine.engine.evaluate import decide
from contactengine.engine.facts import Facts, facts_from_request
from contactengine.engine.models import ContactRequest, Decision, RequestError, parse_request
from contactengine.language.compiler import RuleSet
from contactengine.language.loader import load_ruleset

DEFAULT_RULES = Path("rules")


class Engine:
    """A compiled rule set ready to answer; cheap to share, safe to reuse."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset

    @classmethod
    def from_paths(cls, *paths: str | Path) -> Engine:
        return cls(load_ruleset(list(paths) or [DEFAULT_RULES]))

    def can_contact(self, request: ContactRequest | dict[str, Any]) -> Decision:
        """Decide one request. Raises `RequestError` naming each bad field."""
        model = request if isinstance(request, ContactRequest) else parse_request(request)
        return Decision.model_validate(decide(facts_from_request(model), self.ruleset))

    def decide_facts(self, facts: Facts) -> dict[str, Any]:
        """Decide from facts already in memory (the store-bound path): a plain dict."""
        return decide(facts, self.ruleset)

    def decide_many(
        self, requests: Iterable[ContactRequest | dict[str, Any] | Facts]
    ) -> list[dict[str, Any]]:
        """Decide a batch; a bad request gets its error object in its place, never a crash."""
        out: list[dict[str, Any]] = []
        ruleset = self.ruleset
        for item in requests:
            if isinstance(item, Facts):
                out.append(decide(item, ruleset))
                continue
            try:
                model = item if isinstance(item, ContactRequest) else parse_request(item)
            except RequestError as exc:
                out.append(exc.to_json_dict())
                continue
            out.append(decide(facts_from_request(model), ruleset))
        return out


_default: Engine | None = None


def load_engine(*paths: str | Path) -> Engine:
    """Load rules and make them the default for `can_contact()` and `decide_many()`."""
    global _default
    _default = Engine.from_paths(*paths)
    return _default


def _engine() -> Engine:
    return _default if _default is not None else load_engine()


def can_contact(request: ContactRequest | dict[str, Any], engine: Engine | None = None) -> Decision:
    return (engine or _engine()).can_contact(request)


def decide_many(
    requests: Iterable[ContactRequest | dict[str, Any] | Facts], engine: Engine | None = None
) -> list[dict[str, Any]]:
    return (engine or _engine()).decide_many(requests)
