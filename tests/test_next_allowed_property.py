"""`next_allowed_at` is exact: allowed at it, refused at every sampled instant before it.

Random debtors (one to three candidate zones, DST and no-DST zones), random call histories
and random instants, many near the 2026 DST changes, against the shipped federal pack.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contactengine.engine.evaluate import decide
from contactengine.engine.facts import facts_from_request
from contactengine.engine.ruleset import RuleSet
from contactengine.model import parse_request

LOCATIONS = [
    ({"city": "New York", "state": "NY", "zip": "10001", "country": "US"}, ["+12125550101"], None),
    (
        {"city": "Los Angeles", "state": "CA", "zip": "90012", "country": "US"},
        ["+12125550142"],
        None,
    ),
    ({"city": "Phoenix", "state": "AZ", "zip": "85004", "country": "US"}, ["+16025550199"], None),
    ({"city": "Honolulu", "state": "HI", "zip": "96813", "country": "US"}, ["+18085550170"], None),
    (
        {"city": "Evansville", "state": "IN", "zip": "47708", "country": "US"},
        ["+13175550166"],
        None,
    ),
    (
        {"city": "Boston", "state": "MA", "zip": "02108", "country": "US"},
        ["+16175550100", "+13105550100"],
        None,
    ),
    (
        {"city": "Los Angeles", "state": "CA", "zip": "90012", "country": "US"},
        ["+12125550142"],
        "America/Chicago",
    ),
    ({"state": "NY", "country": "US"}, ["+18005550100"], None),  # fallback: every US zone
]
OUTCOMES = ["not_connected", "no_answer", "voicemail", "conversation", "limited_content_message"]
DST_DAYS = [dt.datetime(2026, 3, 8, tzinfo=dt.UTC), dt.datetime(2026, 11, 1, tzinfo=dt.UTC)]
YEAR_START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@st.composite
def instants(draw: st.DrawFn) -> dt.datetime:
    if draw(st.booleans()):
        day = draw(st.sampled_from(DST_DAYS))
        return day + dt.timedelta(seconds=draw(st.integers(-3 * 86400, 3 * 86400)))
    return YEAR_START + dt.timedelta(seconds=draw(st.integers(0, 364 * 86400)))


@st.composite
def requests(draw: st.DrawFn) -> dict[str, object]:
    address, phones, confirmed = draw(st.sampled_from(LOCATIONS))
    at = draw(instants())
    calls = draw(
        st.lists(
            st.tuples(
                st.integers(60, 10 * 86400),
                st.sampled_from(OUTCOMES),
                st.sampled_from(["D1", "D2"]),
            ),
            max_size=14,
        )
    )
    history = [
        {
            "channel": "call",
            "debt_ids": [debt],
            "to": phones[0],
            "at": (at - dt.timedelta(seconds=ago)).isoformat(),
            "direction": "outbound",
            "outcome": outcome,
        }
        for ago, outcome, debt in calls
    ]
    designated = draw(st.booleans())
    return {
        "debtor": {
            "id": "C-1",
            "address": address,
            "timezone": confirmed,
            "phones": [{"number": p, "kind": "landline"} for p in phones],
            "inconvenient_times": [{"start": "12:00", "end": "13:30"}] if designated else [],
        },
        "debt": {"id": "D1", "type": "credit_card", "actor": "debt_collector"},
        "channel": "call",
        "to": phones[0],
        "at": at.isoformat(),
        "history": history,
    }


def _allowed(facts: object, ruleset: RuleSet, at: float) -> bool:
    return decide(dataclasses.replace(facts, at=at), ruleset).allowed  # type: ignore[type-var]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    request=requests(),
    fractions=st.lists(st.floats(0, 1, exclude_max=True), min_size=12, max_size=12),
)
def test_next_allowed_at_is_exact(
    request: dict[str, object], fractions: list[float], ruleset: RuleSet
) -> None:
    facts = facts_from_request(parse_request(request))
    decision = decide(facts, ruleset)
    at = facts.at
    if decision.allowed:
        assert decision.next_allowed_at == decision.at
        return
    nxt = decision.next_allowed_at
    assert nxt is not None, "only cease-like facts make a call impossible forever"
    nxt_ts = nxt
    assert nxt_ts > at
    assert _allowed(facts, ruleset, nxt_ts), f"refused at next_allowed_at {nxt}"
    for sample in [at, nxt_ts - 1, nxt_ts - 0.001] + [at + f * (nxt_ts - at) for f in fractions]:
        if sample < nxt_ts:
            assert not _allowed(facts, ruleset, sample), f"allowed at {sample} before {nxt}"
