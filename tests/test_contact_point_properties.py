"""Properties of contact points and of malformed requests, with hypothesis.

1. A contact point has one meaning however it is written: a North American number
   (617-555-01xx, 212-555-01xx, 305-555-01xx...) with or without `+1`, `1` or `001`, with
   spaces, dashes, dots or brackets; a UK mobile (`+44 7700 900xxx`) after `+44`, `0044` or
   `00 44`, with or without its `(0)`; an email address in any letter case. Written so in
   `to`, the debtor's phones or emails, consents, opt-outs and history (each place in its
   own form), a request gets the decision the normal form gets.
2. Whatever the fuzzer makes of a valid request (fields dropped, wrong types, instants at
   and beyond the calendar's edges, odd zones, odd numbers, long strings, deep nesting,
   unknown channels, purposes and outcomes), `decide` answers with a `Decision` or raises
   `RequestError`, nothing else; an allowed decision has no reason at all, so no rule that
   could not be evaluated and no `engine-error`; a refusal's `next_allowed_at` is at or
   after `at`, or None.

The clock is frozen at `NOW`; every request falls within two years of it.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from contactengine.engine.ruleset import RuleSet
from contactengine.ledger import decide
from contactengine.model import Decision, RequestError, instant

NOW_DT = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
NOW = NOW_DT.timestamp()
ADDRESSES = [
    {"city": "Boston", "state": "MA", "zip": "02108", "country": "US"},
    {"city": "New York", "state": "NY", "zip": "10001", "country": "US"},
    {"city": "Miami", "state": "FL", "zip": "33130", "country": "US"},
    {"city": "Seattle", "state": "WA", "zip": "98101", "country": "US"},
]
AREA_CODES = ("617", "212", "305", "202", "206")
PHONE_KINDS = ("mobile", "landline", "voip", "work")
EMAIL_LOCALS = ("pat", "pat.smith", "jo_ann", "r.lee+debts", "casey99")
EMAIL_DOMAINS = ("example.com", "mail.example.org", "example.co.uk")
OTHER_PHONE = "+13125550188"  # a second number on file, always written in E.164
OTHER_EMAIL = "other@example.net"
CALL_OUTCOMES = ("not_connected", "no_answer", "voicemail", "conversation", "wrong_party")
MESSAGE_OUTCOMES = ("sent", "delivered", "failed", "bounced")
SLOT = object()  # where the contact point under test goes in a request being built


# --- contact points and the ways people write them ------------------------------------


@dataclass(frozen=True)
class Point:
    kind: str  # na | uk | email
    normal: str
    parts: tuple[str, ...]


@st.composite
def points(draw: st.DrawFn) -> Point:
    kind = draw(st.sampled_from(["na", "na", "uk", "email"]))
    if kind == "na":
        area, line = draw(st.sampled_from(AREA_CODES)), f"01{draw(st.integers(0, 99)):02d}"
        return Point(kind, f"+1{area}555{line}", (area, "555", line))
    if kind == "uk":
        line = f"{draw(st.integers(0, 999)):03d}"
        return Point(kind, f"+447700900{line}", ("7700", "900", line))
    local, domain = draw(st.sampled_from(EMAIL_LOCALS)), draw(st.sampled_from(EMAIL_DOMAINS))
    return Point(kind, f"{local}@{domain}", (local, domain))


SEPARATORS = st.sampled_from(["", " ", "-", "."])


@st.composite
def written(draw: st.DrawFn, point: Point) -> str:
    """`point` as someone might have typed it."""
    pad = draw(st.sampled_from(["", " ", "  "]))
    if point.kind == "email":
        cases = draw(
            st.lists(st.booleans(), min_size=len(point.normal), max_size=len(point.normal))
        )
        text = "".join(c.upper() if up else c for c, up in zip(point.normal, cases, strict=True))
        return pad + text + pad
    first, middle, last = point.parts
    if draw(st.booleans()):
        first = f"({first})"
    body = first + draw(SEPARATORS) + middle + draw(SEPARATORS) + last
    if point.kind == "na":
        prefix = draw(st.sampled_from(["+1", "1", "", "001", "00 1"]))
    else:
        prefix = draw(st.sampled_from(["+44", "0044", "00 44"]))
        body = draw(st.sampled_from(["", "(0)", "(0) "])) + body
    joiner = draw(SEPARATORS) if prefix else ""
    return pad + prefix + joiner + body + pad


# --- requests in which the point appears ------------------------------------------------


def iso(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Point, dict[str, Any]]:
    """A request about `point`, with `SLOT` wherever the point is written."""
    point = draw(points())
    at = NOW_DT + dt.timedelta(
        days=draw(st.integers(1, 60)), minutes=draw(st.integers(0, 24 * 60 - 1))
    )
    email = point.kind == "email"
    channels = ["email"] if email else ["call", "sms"]
    channel = draw(st.sampled_from(channels))
    checked = draw(st.none() | st.integers(0, 90))
    phones = [{"number": OTHER_PHONE, "kind": "landline"}]
    emails = [{"address": OTHER_EMAIL}]
    if email:
        emails.append({"address": SLOT, "employer_provided": draw(st.booleans())})
    else:
        phone: dict[str, Any] = {"number": SLOT, "kind": draw(st.sampled_from(PHONE_KINDS))}
        if checked is not None:
            phone["reassignment_checked_at"] = iso(at - dt.timedelta(days=checked))
        phones.append(phone)

    def before(max_days: int = 30) -> str:
        return iso(at - dt.timedelta(seconds=draw(st.integers(-3600, max_days * 86400))))

    consents = []
    for _ in range(draw(st.integers(0, 2))):
        consent: dict[str, Any] = {
            "channel": draw(st.sampled_from(channels)),
            "to": SLOT if draw(st.integers(0, 4)) else None,
            "given_at": before(400),
            "given_to": draw(st.sampled_from(["debt_collector", "creditor", "prior_collector"])),
        }
        if draw(st.booleans()):
            consent["revoked_at"] = before(20)
        consents.append(consent)
    opt_outs = [
        {"channel": draw(st.sampled_from(channels)), "to": SLOT, "at": before()}
        for _ in range(draw(st.integers(0, 1)))
    ]
    history = []
    for _ in range(draw(st.integers(0, 6))):
        past = draw(st.sampled_from(channels))
        outcomes = CALL_OUTCOMES if past == "call" else MESSAGE_OUTCOMES
        history.append(
            {
                "channel": past,
                "debt_ids": ["D1"],
                "to": SLOT,
                "at": iso(at - dt.timedelta(seconds=draw(st.integers(60, 10 * 86400)))),
                "direction": draw(st.sampled_from(["outbound", "outbound", "inbound"])),
                "outcome": draw(st.none() | st.sampled_from(outcomes)),
                "purpose": draw(
                    st.none() | st.sampled_from(["collection", "opt_out_confirmation"])
                ),
            }
        )
    request = {
        "debtor": {
            "id": "C-1",
            "address": draw(st.sampled_from(ADDRESSES)),
            "phones": phones,
            "emails": emails,
            "consents": consents,
            "opt_outs": opt_outs,
        },
        "debt": {
            "id": "D1",
            "type": "credit_card",
            "actor": draw(st.sampled_from(["debt_collector", "creditor"])),
        },
        "channel": channel,
        "to": SLOT,
        "automated": False if email else draw(st.booleans()),
        "at": iso(at),
        "purpose": draw(st.sampled_from(["collection", "collection", "opt_out_confirmation"])),
        "history": history,
    }
    return point, request


def fill(value: Any, forms: Callable[[], str]) -> Any:
    """`value` with each `SLOT` replaced by the next of `forms()`, in document order."""
    if value is SLOT:
        return forms()
    if isinstance(value, dict):
        return {key: fill(item, forms) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, forms) for item in value]
    return value


def slots(value: Any) -> int:
    if value is SLOT:
        return 1
    if isinstance(value, dict):
        return sum(slots(item) for item in value.values())
    if isinstance(value, list):
        return sum(slots(item) for item in value)
    return 0


@st.composite
def written_twice(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The same request with its contact point in normal form, and written other ways."""
    point, template = draw(scenarios())
    forms = draw(st.lists(written(point), min_size=slots(template), max_size=slots(template)))
    normal = fill(template, lambda: point.normal)
    given = iter(forms)
    return normal, fill(template, lambda: next(given)), forms


def answer(request: Any, ruleset: RuleSet) -> tuple[Any, ...]:
    """What a comparison looks at: allowed, the refusing rules, the next allowed time; or
    the fields a request error names."""
    try:
        decision = decide(request, ruleset, now=NOW)
    except RequestError as exc:
        return ("error", sorted(e.field for e in exc.errors))
    check_decision(decision)
    reasons = sorted({r.rule for r in decision.reasons})
    return ("decision", decision.allowed, reasons, decision.next_allowed_at)


def check_decision(decision: Decision) -> None:
    """What every decision must be: an allow with nothing against it, or a refusal that
    waits forward or for ever. Its JSON contract must be writable."""
    assert isinstance(decision, Decision)
    json.dumps(decision.to_json())
    if decision.allowed:
        assert decision.reasons == ()
        assert not any(r.rule == "engine-error" for r in decision.reasons)
        assert not any("could not be evaluated" in r.message for r in decision.reasons)
        assert decision.next_allowed_at == decision.at
    else:
        assert decision.reasons, "a refusal says why"
        following = decision.next_allowed_at
        assert following is None or following >= decision.at, (following, decision.at)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=written_twice())
def test_a_contact_point_decides_the_same_however_it_is_written(
    case: tuple[dict[str, Any], dict[str, Any], list[str]], ruleset: RuleSet
) -> None:
    normal, as_written, forms = case
    expected = answer(normal, ruleset)
    assert expected[0] == "decision", expected  # the scenarios are all valid requests
    event("allowed" if expected[1] else "refused")
    assert answer(as_written, ruleset) == expected, forms


# --- the fuzzer -------------------------------------------------------------------------


def nested(depth: int, dicts: bool) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value} if dicts else [value]
    return value


ODD_INSTANTS = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "1899-12-31T23:59:59Z",
    "1900-01-01T00:00:00+14:00",
    "1900-01-01T00:00:00Z",
    "1977-09-20T12:00:00-04:00",
    "1978-03-19T23:59:59-05:00",
    "1978-03-20T08:00:00-05:00",
    "2021-11-29T23:59:59-05:00",
    "2028-07-02T12:00:00Z",
    "2200-12-31T23:59:59Z",
    "2201-01-01T00:00:00Z",
    "2026-07-15T14:00:00",
    "2026-02-30T10:00:00Z",
    "2026-07-15T14:00:00+23:59",
    "2026-07-15T14:00:00-23:59",
    "2026-03-08T07:30:00Z",
    "2026-11-01T06:30:00Z",
    "2026-07-15",
    "14:00",
    "",
    "now",
    0,
    -1,
    1e300,
    -1e300,
    float("nan"),
    float("inf"),
    -2208988800.0,
    7289567999.999999,
    7289568000,
    1784124000.0000005,
]
ODD_ZONES = [
    "",
    " ",
    "UTC",
    "Etc/GMT+12",
    "Etc/GMT-14",
    "Pacific/Kiritimati",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Antarctica/Troll",
    "Mars/Olympus",
    "America/New_York ",
    "america/new_york",
    "../../../etc/passwd",
    "/etc/localtime",
    "localtime",
    "posixrules",
    "Factory",
    "EST5EDT",
    "America/Argentina/ComodRivadavia",
    "Europe/London\x00",
    "A" * 65,
    "America/" + "x" * 300,
]
ODD_NUMBERS = [
    "+1",
    "+",
    "911",
    "+1 800 555 0199",
    "+1 900 555 0100",
    "0016175550101",
    "+16175550101x123",
    "+1 617 555 0101 ext. 5",
    "tel:+16175550101",
    "+999 123",
    "+44 20 7946 0958",
    "07700 900123",
    "+1６１７５５５０１０１",
    "+1\u200b6175550101",
    "+1 (617) 555-0101",
    "6175550101",
    "2125550101",
    "PAT@EXAMPLE.COM",
    "pat@",
    "@example.com",
    "a@b@example.com",
    "pat@example..com",
    "p" * 65 + "@example.com",
]
VOCABULARY = [
    "call",
    "sms",
    "email",
    "letter",
    "fax",
    "SMS",
    "Call",
    "collection",
    "opt_out_confirmation",
    "response_to_consumer",
    "cease_exception_notice",
    "validation_notice",
    "e_consent_request",
    "limited_content",
    "marketing",
    "conversation",
    "voicemail",
    "not_connected",
    "delivered",
    "bounced",
    "hung_up",
    "inbound",
    "outbound",
    "sideways",
    "mobile",
    "landline",
    "toll_free",
    "satellite",
    "debt_collector",
    "creditor",
    "prior_collector",
    "lawyer",
    "US",
    "USA",
    "us",
    "GB",
    "UK",
    "CA",
    "ZZ",
    "MA",
    "ON",
    "XX",
    "00000",
    "99999",
    "A1A 1A1",
]
JUNK: list[Any] = [None, True, False, 0, -1, 1.5, "", " ", "x", [], {}, [1, 2], {"a": 1}]
LONG = [65, 201, 1001, 2001, 100_000]


def fresh(values: list[Any]) -> st.SearchStrategy[Any]:
    """One of `values`, a copy: mutations must never change what later examples draw."""
    return st.sampled_from(values).map(copy.deepcopy)


def odd_values() -> st.SearchStrategy[Any]:
    aware = st.datetimes(
        min_value=dt.datetime(1, 1, 2),
        max_value=dt.datetime(9999, 12, 30),
        timezones=st.timezones(),
    )
    return st.one_of(
        fresh(JUNK),
        st.sampled_from(ODD_INSTANTS),
        st.sampled_from(ODD_ZONES),
        st.sampled_from(ODD_NUMBERS),
        st.sampled_from(VOCABULARY),
        st.sampled_from(LONG).map(lambda n: "x" * n),
        st.tuples(st.integers(30, 600), st.booleans()).map(lambda t: nested(*t)),
        st.text(max_size=30),
        st.integers(),
        st.floats(),
        aware,
    )


def zones() -> st.SearchStrategy[str]:
    return st.sampled_from(ODD_ZONES) | st.timezone_keys()


def instants() -> st.SearchStrategy[Any]:
    near = st.floats(NOW - 40 * 365 * 86400, NOW + 3 * 365 * 86400)
    return (
        st.sampled_from(ODD_INSTANTS)
        | near
        | near.map(lambda t: dt.datetime.fromtimestamp(t, dt.UTC).isoformat())
    )


# Where the interesting values go, and what goes there: the fuzzer aims here as often as
# at random places, with values that are odd but often valid, so that many get decided.
TARGETS: dict[str, Callable[[], st.SearchStrategy[Any]]] = {
    "at": instants,
    "to": lambda: st.sampled_from(ODD_NUMBERS),
    "channel": lambda: st.sampled_from(VOCABULARY),
    "purpose": lambda: st.sampled_from(VOCABULARY),
    "automated": odd_values,
    "in_reply_to": odd_values,
    "debtor.timezone": zones,
    "debtor.address": odd_values,
    "debtor.address.country": lambda: st.sampled_from(VOCABULARY),
    "debtor.address.state": lambda: st.sampled_from(VOCABULARY),
    "debtor.address.zip": lambda: st.sampled_from(VOCABULARY) | st.text("0123456789", max_size=10),
    "debtor.phones": odd_values,
    "debtor.emails": odd_values,
    "debtor.flags": odd_values,
    "debtor.flags.cease_communication": lambda: fresh([["D1"], ["D2"], [], "D1"]),
    "debtor.flags.bankruptcy": st.booleans,
    "debtor.inconvenient_times": lambda: fresh(
        [[{"start": "00:00", "end": "24:00"}], [{"start": "23:00", "end": "01:00"}], [{}], "x"]
    ),
    "debt.actor": lambda: st.sampled_from(VOCABULARY),
    "debt.type": lambda: st.sampled_from(["mortgage", "medical", "student_loan", "?", ""]),
    "history": odd_values,
}


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The places in a document, keys of objects and indices of lists, down to the depth
    of a request's own fields (not into the fuzzer's deeply nested values)."""
    out: list[tuple[Any, ...]] = []
    if len(prefix) >= 6:
        return out
    if isinstance(value, dict):
        for key, item in value.items():
            out.append((*prefix, key))
            out += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.append((*prefix, index))
            out += paths(item, (*prefix, index))
    return out


def container(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        document = document[part]
    return document


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A valid request, then one to four mutations (mostly one)."""
    document: Any = draw(written_twice())[1]
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 2, 3, 4]))):
        operation = draw(st.sampled_from(["drop", "replace", "aim", "aim", "aim", "add", "swap"]))
        if not isinstance(document, dict) or operation == "swap":
            if draw(st.integers(0, 9)) == 0:  # now and then, the whole request is odd
                document = draw(odd_values())
            continue
        if operation == "aim":
            target = draw(st.sampled_from(sorted(TARGETS)))
            path: tuple[Any, ...] = tuple(target.split("."))
            parent = document
            for part in path[:-1]:
                if not isinstance(parent.get(part), dict):
                    parent[part] = {}
                parent = parent[part]
            parent[path[-1]] = draw(TARGETS[target]())
            continue
        places = paths(document)
        if not places:
            continue
        path = draw(st.sampled_from(places))
        parent = container(document, path)
        if operation == "drop":
            del parent[path[-1]]
        elif operation == "replace":
            parent[path[-1]] = draw(odd_values())
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "notes", "debtor_id", "Channel"]))] = draw(
                odd_values()
            )
        else:
            parent.append(draw(odd_values()))
    return document


def as_json(document: Any) -> str | None:
    try:
        return json.dumps(document)
    except (TypeError, ValueError, RecursionError):  # a datetime inside: only a mapping
        return None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=mutated(), text=st.booleans())
def test_any_request_is_decided_or_refused_as_an_error_never_a_crash(
    document: Any, text: bool, ruleset: RuleSet
) -> None:
    payload = as_json(document) if text else None
    request = payload if payload is not None else document
    try:
        decision = decide(request, ruleset, now=NOW)
    except RequestError as exc:
        event("request error")
        assert exc.errors, "an error names at least one field"
        assert all(isinstance(e.field, str) and e.field for e in exc.errors)
        json.dumps(exc.to_json())
        return
    event("allowed" if decision.allowed else "refused")
    check_decision(decision)
    assert math.isfinite(decision.at)
    assert instant(decision.to_json()["at"]) == decision.at
