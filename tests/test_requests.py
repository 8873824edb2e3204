"""Bad requests get errors naming the field, never a traceback; good ones get the contract."""

from __future__ import annotations

import datetime as dt

import pytest
import pytz

from contactengine import Decision, Engine, RequestError
from contactengine.model import parse_request
from tests.helpers import make_request


def _fields(request: dict[str, object]) -> dict[str, str]:
    with pytest.raises(RequestError) as caught:
        parse_request(request)
    return {e.field: e.message for e in caught.value.errors}


def test_naive_datetime_is_refused_with_the_field_named() -> None:
    fields = _fields(make_request(at="2026-07-15T14:00:00"))
    assert "at" in fields
    assert "UTC offset" in fields["at"]


def test_unknown_channel_names_the_field() -> None:
    fields = _fields(make_request(channel="fax"))
    assert "channel" in fields
    assert "`fax`" in fields["channel"]


def test_malformed_phone_names_its_position() -> None:
    request = make_request()
    request["debtor"]["phones"] = [{"number": "555-CALL-NOW", "kind": "mobile"}]
    fields = _fields(request)
    assert "debtor.phones.0.number" in fields


def test_unknown_zone_names_the_field() -> None:
    fields = _fields(make_request(debtor={"timezone": "Mars/Olympus_Mons"}))
    assert "debtor.timezone" in fields
    assert "IANA" in fields["debtor.timezone"]


def test_to_must_be_one_of_the_debtors_contact_points() -> None:
    fields = _fields(make_request(to="+13125550199"))
    assert fields == {"to": "`+13125550199` is not one of the debtor's phones"}


def test_email_to_must_be_a_known_address() -> None:
    fields = _fields(make_request(channel="email", to="someone@else.example"))
    assert fields == {"to": "`someone@else.example` is not one of the debtor's email addresses"}


def test_unknown_field_is_named() -> None:
    fields = _fields(make_request(debt={"id": "D1", "actor": "debt_collector", "colour": "red"}))
    assert fields.get("debt.colour") == "unknown field"


def test_phone_numbers_are_normalised_to_e164() -> None:
    request = make_request(to="+1 (212) 555-0101")
    assert parse_request(request).to == "+12125550101"


def test_pytz_datetimes_are_accepted(engine: Engine) -> None:
    eastern = pytz.timezone("America/New_York")
    at = eastern.localize(dt.datetime(2026, 7, 15, 7, 59, 59))
    request = make_request()
    request["at"] = at
    decision = engine.can_contact(request)
    assert not decision.allowed
    assert decision.to_json()["next_allowed_at"] == "2026-07-15T12:00:00Z"


def test_decision_follows_the_contract(engine: Engine) -> None:
    decision = engine.can_contact(make_request()).to_json()
    assert set(decision) >= {
        "allowed",
        "decision_id",
        "ruleset",
        "at",
        "reasons",
        "warnings",
        "next_allowed_at",
        "zones",
    }
    assert decision["allowed"] is True
    assert decision["decision_id"].startswith("dec_") and len(decision["decision_id"]) == 30
    assert decision["ruleset"].startswith("sha256:")
    assert decision["zones"] == [{"zone": "America/New_York", "from": "address zip 10001"}]
    assert decision["next_allowed_at"] == decision["at"] == "2026-07-15T14:00:00Z"


def test_decision_ids_are_unique(engine: Engine) -> None:
    ids = {engine.can_contact(make_request()).decision_id for _ in range(200)}
    assert len(ids) == 200


def test_decide_many_answers_bad_requests_in_place(engine: Engine) -> None:
    first, bad, last = engine.decide_many(
        [make_request(), make_request(channel="fax"), make_request()]
    )
    assert isinstance(first, Decision) and first.allowed is True
    assert isinstance(bad, RequestError)
    assert bad.to_json()["error"] == "invalid request"
    assert bad.to_json()["fields"][0]["field"] == "channel"
    assert isinstance(last, Decision) and last.allowed is True
