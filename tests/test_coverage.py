"""Coverage in time: a request is decided only inside the period the loaded packs speak for.

Before the first date any pack covering the debtor speaks for, or more than two years after
the clock, the answer is the refusal `outside-coverage`, never whatever the rules in force
then happen to say (before the FDCPA, no rule refused a call at 03:00).
"""

from __future__ import annotations

import datetime as dt

import pytest

from contactengine.engine.loader import load_sources
from contactengine.engine.ruleset import RuleSet
from contactengine.ledger import Engine
from tests.helpers import make_request

CLOCK = dt.datetime(2026, 12, 4, tzinfo=dt.UTC).timestamp()
BOSTON = {"address": {"city": "Boston", "state": "MA", "zip": "02108", "country": "US"}}
TORONTO = {
    "address": {"city": "Toronto", "state": "ON", "zip": None, "country": "CA"},
    "phones": [{"number": "+14165550155", "kind": "mobile"}],
}


def boston_call(at: str) -> dict[str, object]:
    return make_request(
        debtor={**BOSTON, "phones": [{"number": "+16175550100", "kind": "mobile"}]},
        to="+16175550100",
        at=at,
    )


@pytest.fixture(scope="module")
def shipped(ruleset: RuleSet) -> Engine:
    return Engine(ruleset, clock=lambda: CLOCK)


def rules(engine: Engine, at: str, **request: object) -> list[str]:
    decision = engine.can_contact(make_request(at=at, **request) if request else boston_call(at))
    return [r.rule for r in decision.reasons] if not decision.allowed else []


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        pytest.param(
            "1978-03-20T04:00:00Z",
            ["outside-coverage"],
            id="1978-03-19 23:00 EST: the day before in Boston",
        ),
        pytest.param("1978-03-20T08:00:00Z", ["fdcpa-convenient-hours"], id="1978-03-20 03:00 EST"),
        pytest.param("1977-06-01T07:00:00Z", ["outside-coverage"], id="1977"),
        pytest.param("1990-06-01T07:00:00Z", ["fdcpa-convenient-hours"], id="1990"),
        pytest.param("2021-11-29T08:00:00Z", ["fdcpa-convenient-hours"], id="the day before Reg F"),
        pytest.param("2026-06-08T07:00:00Z", ["fdcpa-convenient-hours"], id="2026"),
        pytest.param("2028-12-03T15:00:00Z", [], id="731 days after the clock: decided"),
        pytest.param("2028-12-04T00:00:01Z", ["outside-coverage"], id="beyond 731 days: refused"),
    ],
)
def test_a_call_at_night_in_boston_is_never_allowed(
    shipped: Engine, at: str, expected: list[str]
) -> None:
    assert rules(shipped, at) == expected


def test_an_outside_coverage_refusal_says_why_and_offers_no_time(shipped: Engine) -> None:
    decision = shipped.can_contact(boston_call("1977-06-01T15:00:00Z"))
    [reason] = decision.reasons
    assert reason.rule == "outside-coverage" and reason.source == "engine"
    assert "speak from 1978-03-20" in reason.message and "us-federal" in reason.message
    assert decision.next_allowed_at is None


def test_every_candidate_zone_must_be_covered(shipped: Engine) -> None:
    """00:30 on 03-20 in New York is still 03-19 in Honolulu, whose number is on file."""
    request = make_request(
        debtor={
            "phones": [
                {"number": "+18085550170", "kind": "mobile"},
                {"number": "+12125550101", "kind": "mobile"},
            ]
        },
        at="1978-03-20T05:30:00Z",
    )
    [reason] = shipped.can_contact(request).reasons
    assert reason.rule == "outside-coverage" and "Pacific/Honolulu" in reason.message


def test_a_province_is_covered_from_its_own_pack(shipped: Engine) -> None:
    """Ontario's pack speaks from 2006-06-01: nothing decides an Ontario call before it."""
    debtor = TORONTO
    before = rules(shipped, "2005-06-01T15:00:00Z", debtor=debtor, to="+14165550155")
    assert before == ["outside-coverage"]
    after = rules(shipped, "2026-06-03T15:00:00Z", debtor=debtor, to="+14165550155")
    assert "outside-coverage" not in after


def _engine(*sources: tuple[str, str]) -> Engine:
    result = load_sources(list(sources))
    assert result.ruleset is not None, result.diagnostics
    return Engine(result.ruleset, clock=lambda: CLOCK)


HOURS = """
rule hours
  title "hours"
  citation "house policy"
  jurisdiction US
  channels call
  allow only when local time between 08:00 and 21:00
end
"""


def test_rules_with_no_pack_decide_nothing() -> None:
    engine = _engine(("hours.rules", HOURS))
    assert rules(engine, "2026-07-15T14:00:00Z") == ["outside-coverage"]
    [reason] = engine.can_contact(boston_call("2026-07-15T14:00:00Z")).reasons
    assert "no loaded pack says from when it speaks for US, US-MA" in reason.message


def test_the_earliest_pack_covering_the_debtor_opens_the_period() -> None:
    """A state pack dated later than its country's does not shut the state out before it:
    the period is the union of the packs covering the debtor."""
    packs = """
pack country
  jurisdiction US
  covers from 2000-01-01
  citation "test"
end

pack state
  jurisdiction US-MA
  covers from 2020-01-01
  citation "test"
end
"""
    engine = _engine(("hours.rules", HOURS), ("packs.rules", packs))
    assert rules(engine, "2010-07-15T14:00:00Z") == []
    assert rules(engine, "1999-07-15T14:00:00Z") == ["outside-coverage"]
    alone = _engine(("hours.rules", HOURS), ("packs.rules", packs.split("pack state")[0]))
    assert rules(alone, "1999-07-15T14:00:00Z") == ["outside-coverage"]


def test_a_pack_may_start_on_a_date_setting() -> None:
    packs = """
setting house-start is 2025-01-01

pack house
  jurisdiction US
  covers from house-start
  citation "test"
end
"""
    engine = _engine(("hours.rules", HOURS), ("packs.rules", packs))
    assert rules(engine, "2024-12-31T14:00:00Z") == ["outside-coverage"]
    assert rules(engine, "2025-01-02T14:00:00Z") == []
