"""Engine semantics: fail closed, every zone, the index, and reasons that explain."""

from __future__ import annotations

from pathlib import Path

import pytest

from contactengine import Engine
from contactengine.engine import nodes
from contactengine.engine.loader import load_ruleset, load_sources
from tests.helpers import make_request, with_packs


def _engine(source: str) -> Engine:
    result = load_sources(with_packs(("test.rules", source)))
    assert result.ruleset is not None, result.diagnostics
    return Engine(result.ruleset)


HOURS = """
rule hours
  title "Calls from 08:00 to 21:00"
  citation "12 CFR 1006.6(b)(1)(i)"
  jurisdiction US
  channels call
  allow only when local time between 08:00 and 21:00
end
"""


def test_unknown_country_is_refused(engine: Engine) -> None:
    request = make_request(debtor={"address": {"country": None, "state": None, "zip": None}})
    decision = engine.can_contact(request)
    assert not decision.allowed
    assert decision.reasons[0].rule == "jurisdiction-unknown"
    assert decision.next_allowed_at is None


def test_a_channel_with_no_applicable_rules_is_refused() -> None:
    decision = _engine(HOURS).can_contact(make_request(channel="email", to="pat@example.com"))
    assert not decision.allowed
    assert decision.reasons[0].rule == "no-applicable-rules"


def test_rules_of_other_jurisdictions_do_not_apply() -> None:
    engine = _engine(HOURS.replace("jurisdiction US", "jurisdiction US-MA"))
    decision = engine.can_contact(make_request())  # a New York debtor
    assert decision.reasons[0].rule == "no-applicable-rules"


def test_every_candidate_zone_must_allow() -> None:
    engine = _engine(HOURS)
    request = make_request(
        debtor={
            "address": {"city": "Los Angeles", "state": "CA", "zip": "90012", "country": "US"},
            "phones": [{"number": "+12125550142", "kind": "mobile"}],
        },
        to="+12125550142",
        at="2026-07-15T14:30:00Z",  # 10:30 in New York, 07:30 in Los Angeles
    )
    decision = engine.can_contact(request)
    assert not decision.allowed
    assert [z.zone for z in decision.zones] == ["America/Los_Angeles", "America/New_York"]
    assert decision.to_json()["next_allowed_at"] == "2026-07-15T15:00:00Z"
    assert decision.to_json()["reasons"][0]["until"] == "2026-07-15T15:00:00Z"


def test_a_confirmed_zone_replaces_the_others() -> None:
    engine = _engine(HOURS)
    request = make_request(
        debtor={
            "address": {"city": "Los Angeles", "state": "CA", "zip": "90012", "country": "US"},
            "phones": [{"number": "+12125550142", "kind": "mobile"}],
            "timezone": "America/Chicago",
        },
        to="+12125550142",
        at="2026-07-15T13:15:00Z",
    )
    decision = engine.can_contact(request)
    assert decision.allowed
    assert [(z.zone, z.source) for z in decision.zones] == [
        ("America/Chicago", "confirmed by the debtor")
    ]


def test_a_rule_that_errors_refuses_with_the_error_as_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = _engine(HOURS)

    def broken(*args: object) -> bool:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(nodes.ClockWindow, "value", broken)
    decision = engine.can_contact(make_request())
    assert not decision.allowed
    assert "could not be evaluated" in decision.reasons[0].message
    assert decision.next_allowed_at is None


def test_warnings_do_not_refuse() -> None:
    engine = _engine(
        HOURS
        + """
rule busy-day
  title "Three calls in a day is a lot"
  citation "12 CFR 1006.14(a)"
  jurisdiction US
  channels call
  warn when count(calls within 1 calendar days) >= 3
  message "{count} calls today"
end
"""
    )
    history = [
        {
            "channel": "call",
            "debt_ids": ["D1"],
            "to": "+12125550101",
            "at": f"2026-07-15T1{h}:00:00Z",
        }
        for h in (1, 2, 3)
    ]
    decision = engine.can_contact(make_request(history=history))
    assert decision.allowed
    assert decision.warnings[0].rule == "busy-day"
    assert decision.warnings[0].message == "3 calls today"


def test_required_content_is_reported_for_dispatch(engine: Engine) -> None:
    decision = engine.can_contact(make_request(channel="email", to="pat@example.com"))
    assert decision.required_content == ("debt_collector_disclosure", "opt_out_notice")


def test_a_limited_content_voicemail_carries_no_disclosure(engine: Engine) -> None:
    """12 CFR 1006.2(j): not a communication, so fdcpa-debt-collector-disclosure is not owed."""
    call = engine.can_contact(make_request(channel="call"))
    assert call.required_content == ("debt_collector_disclosure",)
    voicemail = engine.can_contact(make_request(channel="call", purpose="limited_content"))
    assert voicemail.allowed and voicemail.required_content == ()


def test_what_a_template_must_carry_follows_the_rules(engine: Engine) -> None:
    """`check` holds every template to this: exemptions by purpose are honoured."""
    assert engine.ruleset.content_required("email", "collection") == {
        "debt_collector_disclosure",
        "opt_out_notice",
    }
    assert engine.ruleset.content_required("call", "limited_content") == set()


def test_index_touches_only_rules_for_the_channel(engine: Engine) -> None:
    rules = engine.ruleset.applicable("email", ("US", "US-NY"), "debt_collector", "credit_card")
    assert rules and all("email" in r.channels for r in rules)
    assert "reg-f-call-frequency" not in {r.id for r in rules}


def test_ruleset_hash_depends_on_content_only() -> None:
    first = load_sources([("a.rules", HOURS)]).ruleset
    again = load_sources([("a.rules", HOURS)]).ruleset
    changed = load_sources([("a.rules", HOURS.replace("21:00", "20:00"))]).ruleset
    assert first and again and changed
    assert first.digest == again.digest != changed.digest


def test_a_warning_that_errors_is_shown_and_does_not_refuse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = _engine(
        HOURS
        + """
rule busy-day
  title "Three calls in a day is a lot"
  citation "12 CFR 1006.14(a)"
  jurisdiction US
  channels call
  warn when count(calls within 1 calendar days) >= 3
end
"""
    )

    def broken(*args: object) -> bool:
        raise RuntimeError("history unavailable")

    monkeypatch.setattr(nodes.CountCompare, "value", broken)
    decision = engine.can_contact(make_request())
    assert decision.allowed
    assert decision.warnings[0].rule == "busy-day"
    assert decision.warnings[0].message == "this rule could not be evaluated: history unavailable"


def test_an_unknown_state_brings_every_pack_of_the_country_and_says_so(engine: Engine) -> None:
    request = make_request(debtor={"address": {"city": "?", "state": "ZZ", "zip": None}})
    decision = engine.can_contact(request)
    assert decision.warnings[0].rule == "jurisdiction-assumed"
    assert "`ZZ`" in decision.warnings[0].message
    assert {"US", "US-MA", "US-WA", "US-DC", "US-NY-NYC"} <= set(decision.jurisdictions)


def test_new_york_city_is_found_by_borough(engine: Engine) -> None:
    brooklyn = make_request(debtor={"address": {"city": "Brooklyn", "zip": "11201"}})
    buffalo = make_request(debtor={"address": {"city": "Buffalo", "zip": "14201"}})
    assert engine.can_contact(brooklyn).jurisdictions == ("US", "US-NY", "US-NY-NYC")
    assert engine.can_contact(buffalo).jurisdictions == ("US", "US-NY")


def test_reasons_cite_rules_by_their_place_under_the_rules_folder(tmp_path: Path) -> None:
    """Never a server path: `rules/...` whether the folder was named relatively or not, and
    the rule set's hash is the same either way (it hashes content and these names)."""
    relative = load_ruleset(["rules"])
    absolute = load_ruleset([Path("rules").resolve()])
    assert relative.digest == absolute.digest
    request = make_request(at="2026-07-15T11:00:00Z")  # 07:00 in New York
    for ruleset in (relative, absolute):
        decision = Engine(ruleset).can_contact(request).to_json()
        sources = {r["source"] for r in decision["reasons"]}
        assert sources and all(s.startswith("rules/us/") for s in sources), sources
