"""The model floor's normal forms: one instant type, one form of every contact point."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import pytz
from dateutil import tz as dateutil_tz
from hypothesis import given
from hypothesis import strategies as st

from contactengine.ledger import Engine
from contactengine.model import RequestError, parse_request
from contactengine.model.contact import (
    ContactPointError,
    contact_point,
    email_address,
    phone_number,
)
from contactengine.model.instant import InstantError, _validate, instant, iso
from tests.helpers import make_request

JULY_15_0759_EDT = dt.datetime(2026, 7, 15, 11, 59, 59, tzinfo=dt.UTC).timestamp()


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("2026-07-15T07:59:59-04:00", id="text with offset"),
        pytest.param("2026-07-15T11:59:59Z", id="text in UTC"),
        pytest.param(" 2026-07-15T11:59:59+00:00 ", id="text with spaces"),
        pytest.param(
            dt.datetime(2026, 7, 15, 7, 59, 59, tzinfo=ZoneInfo("America/New_York")), id="zoneinfo"
        ),
        pytest.param(
            pytz.timezone("America/New_York").localize(dt.datetime(2026, 7, 15, 7, 59, 59)),
            id="pytz localize",
        ),
        pytest.param(
            dt.datetime(2026, 7, 15, 7, 59, 59, tzinfo=dateutil_tz.gettz("America/New_York")),
            id="dateutil",
        ),
        pytest.param(JULY_15_0759_EDT, id="epoch seconds"),
        pytest.param(int(JULY_15_0759_EDT), id="epoch seconds, whole"),
    ],
)
def test_every_way_to_write_an_instant_gives_the_same_one(value: object) -> None:
    assert _validate(value) == instant(value) == JULY_15_0759_EDT


@pytest.mark.parametrize(
    ("value", "says"),
    [
        pytest.param("2026-07-15T07:59:59", "has no offset", id="naive text"),
        pytest.param(dt.datetime(2026, 7, 15, 7, 59), "no UTC offset", id="naive datetime"),
        pytest.param(
            dt.datetime(2026, 7, 15, 7, 59, tzinfo=pytz.timezone("America/New_York")),
            "zone.localize",
            id="pytz attached with tzinfo=",
        ),
        pytest.param("0001-01-01T00:00:00+14:00", "outside 1900-2200", id="year 1"),
        pytest.param("9999-12-31T23:59:59-12:00", "outside 1900-2200", id="year 9999"),
        pytest.param("1899-12-31T23:59:59Z", "outside 1900-2200", id="1899"),
        pytest.param("2200-12-31T23:59:59-12:00", "outside the years 1900-2200", id="2201 in UTC"),
        pytest.param(1e12, "outside the years 1900-2200", id="epoch milliseconds"),
        pytest.param(float("nan"), "not an instant", id="nan"),
        pytest.param(True, "an instant is a date and time", id="a boolean"),
        pytest.param("tomorrow", "not a date and time", id="words"),
        pytest.param("2026-07-15T07:59:59Z" * 10, "at most 64 characters", id="too long"),
    ],
)
def test_what_is_not_an_instant_says_why(value: object, says: str) -> None:
    with pytest.raises(InstantError, match=says):
        _validate(value)


@given(
    st.datetimes(min_value=dt.datetime(1901, 1, 1), max_value=dt.datetime(2199, 12, 31)),
    st.integers(-14 * 60, 14 * 60),
)
def test_the_fast_path_agrees_with_the_parser(moment: dt.datetime, minutes: int) -> None:
    text = moment.replace(tzinfo=dt.timezone(dt.timedelta(minutes=minutes))).isoformat()
    assert _validate(text) == instant(text)
    assert instant(iso(instant(text))) == instant(text)  # iso is instant's inverse


def test_a_request_names_the_field_of_a_bad_instant() -> None:
    request = make_request(history=[{"channel": "call", "at": "2026-07-14T09:00:00"}])
    with pytest.raises(RequestError) as caught:
        parse_request(request)
    assert [e.field for e in caught.value.errors] == ["history.0.at"]


@pytest.mark.parametrize(
    "written",
    [
        "+16175550101",
        "+1 (617) 555-0101",
        "+1 617-555-0101",
        "+1.617.555.0101",
        "16175550101",
        "(617) 555-0101",
        "617 555 0101",
        "0016175550101",
        "00 1 617 555 0101",
        "011 1 617 555 0101",
    ],
)
def test_every_way_to_write_a_north_american_number_is_one_number(written: str) -> None:
    assert phone_number(written) == contact_point("sms", written) == "+16175550101"


@pytest.mark.parametrize(
    "written", ["+44 7700 900123", "0044 7700 900123", "+447700900123", "00447700900123"]
)
def test_a_number_from_elsewhere_with_its_country_code_is_one_number(written: str) -> None:
    assert phone_number(written) == "+447700900123"


@pytest.mark.parametrize(
    "written",
    [
        pytest.param("07700 900123", id="UK national form: refused, never misread as +1"),
        pytest.param("0412 345 678", id="Australian national form"),
        pytest.param("555-CALL-NOW", id="letters"),
        pytest.param("12345", id="too short"),
        pytest.param("+1 617 555 0101 0101 0101 0101", id="too long"),
    ],
)
def test_what_is_not_a_number_is_refused(written: str) -> None:
    with pytest.raises(ContactPointError, match="not a possible phone number"):
        phone_number(written)


def test_an_email_address_is_lower_cased_and_checked() -> None:
    assert email_address("  Pat.Doe+Bills@Example.COM ") == "pat.doe+bills@example.com"
    assert contact_point("email", "PAT@example.com") == "pat@example.com"
    for bad in (
        "pat",
        "pat@",
        "@example.com",
        "pat@example",
        "pat doe@example.com",
        "pat@exa_mple.com",
    ):
        with pytest.raises(ContactPointError, match="not an email address"):
            email_address(bad)


def test_every_field_carrying_a_contact_point_keeps_its_normal_form() -> None:
    request = parse_request(
        make_request(
            to="(212) 555-0101",
            channel="call",
            debtor={
                "phones": [{"number": "+1 212-555-0101", "kind": "mobile"}],
                "emails": [{"address": "Pat@Example.com"}],
                "consents": [
                    {"channel": "sms", "to": "212.555.0101", "given_at": "2026-01-01T00:00:00Z"}
                ],
                "opt_outs": [
                    {"channel": "email", "to": "PAT@EXAMPLE.COM", "at": "2026-01-01T00:00:00Z"}
                ],
            },
            history=[{"channel": "sms", "to": "0012125550101", "at": "2026-07-01T14:00:00Z"}],
        )
    )
    debtor = request.debtor
    assert request.to == debtor.phones[0].number == debtor.consents[0].to == "+12125550101"
    assert request.history[0].to == "+12125550101"
    assert debtor.emails[0].address == debtor.opt_outs[0].to == "pat@example.com"


def test_a_letters_address_is_one_address_however_it_is_written() -> None:
    written = [
        "1 Main St., Boston, MA 02108",
        "1 MAIN ST BOSTON MA 02108",
        " 1 main st,  boston ma 02108 ",
    ]
    assert {contact_point("letter", w) for w in written} == {"1 MAIN ST BOSTON MA 02108"}


def test_a_letter_opt_out_matches_its_address_in_any_case(engine: Engine) -> None:
    opt_out = {
        "channel": "letter",
        "to": "1 MAIN ST, BOSTON, MA 02108",
        "at": "2026-07-01T00:00:00Z",
    }
    request = make_request(
        channel="letter", to="1 Main St, Boston, MA 02108", debtor={"opt_outs": [opt_out]}
    )
    decision = engine.can_contact(request)
    assert not decision.allowed and [r.rule for r in decision.reasons] == ["reg-f-medium-opt-out"]
