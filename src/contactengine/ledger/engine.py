"""The Python entry points: `can_contact()`, `decide_many()` and an `Engine` holding rules."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from contactengine.engine.evaluate import decide as decide_facts
from contactengine.engine.facts import Facts
from contactengine.engine.loader import load_ruleset
from contactengine.engine.ruleset import RuleSet
from contactengine.ledger.decide import decide
from contactengine.model.decision import Decision
from contactengine.model.errors import RequestError
from contactengine.model.request import ContactRequest

DEFAULT_RULES = Path("rules")
Request = ContactRequest | Mapping[str, Any] | bytes | str


class Engine:
    """A compiled rule set ready to answer; cheap to share, safe to reuse.

    `clock` gives the current instant (epoch seconds): a request further ahead of it than
    the packs can speak for is refused (`outside-coverage`). Tests and replays inject one.
    """

    def __init__(self, ruleset: RuleSet, clock: Callable[[], float] = time.time) -> None:
        self.ruleset = ruleset
        self.clock = clock

    @classmethod
    def from_paths(cls, *paths: str | Path) -> Engine:
        return cls(load_ruleset(list(paths) or [DEFAULT_RULES]))

    def can_contact(self, request: Request) -> Decision:
        """Decide one request carrying its facts. Raises `RequestError` naming each bad field."""
        return decide(request, self.ruleset, now=self.clock())

    def decide_facts(self, facts: Facts) -> Decision:
        """Decide from facts already in memory (the store-bound path)."""
        return decide_facts(facts, self.ruleset, self.clock())

    def decide_many(self, requests: Iterable[Request | Facts]) -> list[Decision | RequestError]:
        """Decide a batch; a bad request gets its `RequestError` in its place, never a crash."""
        out: list[Decision | RequestError] = []
        ruleset, now = self.ruleset, self.clock()
        for item in requests:
            if isinstance(item, Facts):
                out.append(decide_facts(item, ruleset, now))
                continue
            try:
                out.append(decide(item, ruleset, now=now))
            except RequestError as exc:
                out.append(exc)
        return out


_default: Engine | None = None


def load_engine(*paths: str | Path) -> Engine:
    """Load rules and make them the default for `can_contact()` and `decide_many()`."""
    global _default
    _default = Engine.from_paths(*paths)
    return _default


def _engine() -> Engine:
    return _default if _default is not None else load_engine()


def can_contact(request: Request, engine: Engine | None = None) -> Decision:
    return (engine or _engine()).can_contact(request)


def decide_many(
    requests: Iterable[Request | Facts], engine: Engine | None = None
) -> list[Decision | RequestError]:
    return (engine or _engine()).decide_many(requests)
