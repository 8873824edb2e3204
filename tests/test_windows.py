"""Windows at their edges: every form of `within`, one instant either side of the edge.

A rolling window's edge (a contact or record exactly N old) is read the way that refuses:
inside where being inside makes the rule refuse (caps, cool-downs), outside where being
inside would make it allow (a consent, an inbound text, an opt-out's confirmation window).
Calendar windows count local dates, today being day 1: their edge is local midnight.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from contactengine.api.app import create_app
from contactengine.api.keys import create_key
from contactengine.engine.loader import load_sources
from contactengine.ledger import Engine, Ledger
from contactengine.model import AttemptRecord, Debt, Debtor
from contactengine.model.instant import iso
from contactengine.store import SQLiteStore, Store
from tests.backends import BACKENDS
from tests.helpers import make_request, with_packs
from tests.live_server import serving

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC).timestamp()
CONTACT = dt.datetime(2026, 7, 8, 14, 0, tzinfo=dt.UTC)  # a Wednesday, 10:00 in New York
MICRO = dt.timedelta(microseconds=1)
HOURS_168 = dt.timedelta(hours=168)


def engine(body: str) -> Engine:
    source = f"""
rule house
  title "house rule"
  citation "house policy"
  jurisdiction US
  channels call, sms, email
{body}
end
"""
    result = load_sources(with_packs(("house.rules", source)))
    assert result.ruleset is not None, result.diagnostics
    return Engine(result.ruleset, clock=lambda: NOW)


def decide(rules: Engine, at: dt.datetime, **request: Any) -> tuple[bool, str | None]:
    decision = rules.can_contact(make_request(at=at.isoformat(), **request))
    return decision.allowed, decision.to_json()["next_allowed_at"]


def call(at: dt.datetime, **fields: Any) -> dict[str, Any]:
    return {
        "channel": "call",
        "debt_ids": ["D1"],
        "to": "+12125550101",
        "at": at.isoformat(),
        **fields,
    }


CAP = engine("  deny when count(calls per debt within 168 hours) >= 1")
COOL_DOWN = engine("  deny when any(calls within 7 days where outcome is conversation)")
IN_MINUTES = engine("  deny when count(calls within 90 minutes) >= 1")
IN_WEEKS = engine("  deny when count(calls within 1 weeks) >= 1")


@pytest.mark.parametrize(
    ("rules", "length", "outcome"),
    [
        pytest.param(CAP, HOURS_168, "no_answer", id="count-within-168-hours"),
        pytest.param(COOL_DOWN, dt.timedelta(days=7), "conversation", id="any-within-7-days"),
        pytest.param(
            IN_MINUTES, dt.timedelta(minutes=90), "no_answer", id="count-within-90-minutes"
        ),
        pytest.param(IN_WEEKS, dt.timedelta(weeks=1), "no_answer", id="count-within-1-weeks"),
    ],
)
def test_a_contact_exactly_n_old_counts_against_a_cap(
    rules: Engine, length: dt.timedelta, outcome: str
) -> None:
    """Regression: `within 168 hours` left out a contact exactly 168 hours old."""
    history = [call(CONTACT, outcome=outcome)]
    edge = CONTACT + length
    assert decide(rules, edge - MICRO, history=history)[0] is False
    allowed, following = decide(rules, edge, history=history)
    assert allowed is False, "exactly N old: still inside the window"
    assert following == iso((edge + MICRO).timestamp())
    assert decide(rules, edge + MICRO, history=history) == (True, iso((edge + MICRO).timestamp()))


def test_a_contact_after_the_request_counts() -> None:
    """A record dated after the instant asked about is counted: the conservative reading."""
    later = [call(CONTACT + dt.timedelta(hours=2))]
    assert decide(CAP, CONTACT, history=later)[0] is False


PERMIT_TEXT = engine(
    "  deny when channel is sms and not any(texts per contact within 60 days"
    " where direction is inbound)"
)


def test_an_inbound_text_exactly_n_old_no_longer_permits() -> None:
    """Where being inside the window allows, its edge is outside: at exactly 60 days the
    consumer's text no longer permits a reply by text."""
    inbound = {
        "channel": "sms",
        "debt_ids": ["D1"],
        "to": "+12125550101",
        "at": CONTACT.isoformat(),
        "direction": "inbound",
    }
    edge = CONTACT + dt.timedelta(days=60)
    sms = {"channel": "sms", "history": [inbound]}
    assert decide(PERMIT_TEXT, edge - MICRO, **sms)[0] is True
    assert decide(PERMIT_TEXT, edge, **sms) == (False, None)


CONSENT_FRESH = engine("  deny when not consent(sms within 60 days)")
CONFIRMATION = engine(
    "  deny when purpose is opt_out_confirmation and not opt_out(sms within 5 minutes)"
)
CHECKED = engine("  deny when channel is sms and not reassignment_check(within 60 days)")


def test_a_consent_exactly_n_old_no_longer_holds() -> None:
    consent = {"channel": "sms", "to": "+12125550101", "given_at": CONTACT.isoformat()}
    edge = CONTACT + dt.timedelta(days=60)
    request = {"channel": "sms", "debtor": {"consents": [consent]}}
    assert decide(CONSENT_FRESH, edge - MICRO, **request)[0] is True
    assert decide(CONSENT_FRESH, edge, **request) == (False, None)


def test_an_opt_out_confirmation_exactly_five_minutes_late_is_refused() -> None:
    opt_out = {"channel": "sms", "to": "+12125550101", "at": CONTACT.isoformat()}
    edge = CONTACT + dt.timedelta(minutes=5)
    request = {
        "channel": "sms",
        "purpose": "opt_out_confirmation",
        "debtor": {"opt_outs": [opt_out]},
    }
    assert decide(CONFIRMATION, edge - MICRO, **request)[0] is True
    assert decide(CONFIRMATION, edge, **request) == (False, None)


def test_a_reassignment_check_exactly_n_old_no_longer_holds() -> None:
    phones = [
        {"number": "+12125550101", "kind": "mobile", "reassignment_checked_at": CONTACT.isoformat()}
    ]
    edge = CONTACT + dt.timedelta(days=60)
    request = {"channel": "sms", "debtor": {"phones": phones}}
    assert decide(CHECKED, edge - MICRO, **request)[0] is True
    assert decide(CHECKED, edge, **request) == (False, None)


CALENDAR_DAYS = engine("  deny when count(calls within 7 calendar days) >= 1")
CALENDAR_WEEKS = engine("  deny when count(calls within 1 calendar weeks) >= 1")
CONSENT_DAYS = engine("  deny when channel is sms and not consent(sms within 7 calendar days)")
NEW_YORK_MIDNIGHT = dt.timedelta(hours=4)  # EDT: local midnight is 04:00Z


def test_calendar_days_end_at_local_midnight() -> None:
    """A call on Wed 07-08 (day 1) counts through Tue 07-14 (day 7), to local midnight."""
    history = [call(CONTACT)]
    midnight = dt.datetime(2026, 7, 15, tzinfo=dt.UTC) + NEW_YORK_MIDNIGHT
    assert decide(CALENDAR_DAYS, midnight - MICRO, history=history) == (
        False,
        iso(midnight.timestamp()),
    )
    assert decide(CALENDAR_DAYS, midnight, history=history)[0] is True


def test_calendar_weeks_end_at_monday_midnight() -> None:
    history = [call(CONTACT)]
    monday = dt.datetime(2026, 7, 13, tzinfo=dt.UTC) + NEW_YORK_MIDNIGHT
    assert decide(CALENDAR_WEEKS, monday - MICRO, history=history) == (
        False,
        iso(monday.timestamp()),
    )
    assert decide(CALENDAR_WEEKS, monday, history=history)[0] is True


def test_a_consent_counted_in_calendar_days_holds_to_local_midnight_of_day_seven() -> None:
    consent = {"channel": "sms", "to": "+12125550101", "given_at": CONTACT.isoformat()}
    midnight = dt.datetime(2026, 7, 15, tzinfo=dt.UTC) + NEW_YORK_MIDNIGHT
    request = {"channel": "sms", "debtor": {"consents": [consent]}}
    assert decide(CONSENT_DAYS, midnight - MICRO, **request)[0] is True
    assert decide(CONSENT_DAYS, midnight, **request) == (False, None)


def test_a_count_compared_both_ways_reads_its_edge_inside() -> None:
    """`count(...) = 1` refuses on both sides of the edge: the edge is read as inside."""
    rules = engine("  deny when count(calls within 168 hours) = 1")
    history = [call(CONTACT)]
    assert decide(rules, CONTACT + HOURS_168, history=history)[0] is False
    assert decide(rules, CONTACT + HOURS_168 + MICRO, history=history)[0] is True


# --- the same edge through the ledger on every store, and over HTTP ----------------------

BOSTON_DEBTOR = {
    "id": "C-1",
    "address": {"city": "Boston", "state": "MA", "zip": "02108", "country": "US"},
    "phones": [{"number": "+16175550101", "kind": "mobile"}],
}


@pytest.fixture(params=sorted(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with cast(AbstractContextManager[Store], BACKENDS[request.param](tmp_path)) as opened:
        opened.put_debtor(Debtor.model_validate(BOSTON_DEBTOR))
        opened.put_debt("C-1", Debt(id="D1", type="credit_card", actor="debt_collector"))
        opened.record_attempt(
            AttemptRecord(
                id="A-1",
                debtor_id="C-1",
                debt_ids=("D1",),
                channel="call",
                to="+16175550101",
                at=CONTACT.timestamp(),
                outcome="no_answer",
            )
        )
        yield opened


def by_ids(at: dt.datetime) -> dict[str, Any]:
    return {
        "debtor_id": "C-1",
        "debt_id": "D1",
        "channel": "call",
        "to": "+16175550101",
        "at": at.isoformat(),
    }


def test_a_call_exactly_168_hours_old_counts_in_the_ledger(store: Store) -> None:
    """Regression, through `Ledger.can_contact` on every store and through the HTTP service."""
    ledger = Ledger(CAP.ruleset, store, clock=lambda: NOW)
    edge = CONTACT + HOURS_168
    at_edge = ledger.can_contact(by_ids(edge))
    assert not at_edge.allowed and [r.rule for r in at_edge.reasons] == ["house"]
    assert at_edge.to_json()["next_allowed_at"] == iso((edge + MICRO).timestamp())
    assert ledger.can_contact(by_ids(edge + MICRO)).allowed
    if isinstance(store, SQLiteStore):  # and over HTTP, with the ledger on SQLite
        key = create_key(store, "dialer", "read")
        app = create_app(Engine(CAP.ruleset, clock=lambda: NOW), ledger)
        with serving(app) as url, httpx.Client(base_url=url, timeout=10) as client:
            headers = {"Authorization": f"Bearer {key}"}
            refused = client.post("/v1/decisions", json=by_ids(edge), headers=headers).json()
            allowed = client.post("/v1/decisions", json=by_ids(edge + MICRO), headers=headers)
        assert refused["allowed"] is False
        assert refused["next_allowed_at"] == iso((edge + MICRO).timestamp())
        assert allowed.json()["allowed"] is True
