"""The public surface is pinned: a change to it is a deliberate, visible change."""

from __future__ import annotations

import contactengine
from contactengine.engine.facts import facts_from_request
from contactengine.model import parse_request
from tests.helpers import make_request


def test_public_names() -> None:
    assert sorted(contactengine.__all__) == [
        "ContactRequest",
        "Decision",
        "Engine",
        "RequestError",
        "can_contact",
        "decide",
        "decide_many",
        "load_engine",
    ]


def test_module_level_api_uses_the_loaded_rules() -> None:
    contactengine.load_engine("rules")
    decision = contactengine.can_contact(make_request(at="2026-07-15T11:59:59Z"))
    assert not decision.allowed
    assert decision.to_json()["next_allowed_at"] == "2026-07-15T12:00:00Z"


def test_decide_many_takes_prepared_facts(engine: contactengine.Engine) -> None:
    facts = facts_from_request(parse_request(make_request()))
    second = engine.decide_many([facts, facts])[1]
    assert isinstance(second, contactengine.Decision) and second.allowed is True
