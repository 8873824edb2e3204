"""Fail-closed regressions: inputs that once turned a refusal into an allow, or crashed.

Each bug is one parametrised test run through every way a request reaches the rules:

- `engine-dict`, `engine-json`: `Engine.can_contact` with a mapping, and with JSON text;
- `ledger-memory`, `ledger-sqlite`, `ledger-postgres`: the facts written into a store,
  the contact decided by ids through a `Ledger`;
- `http-facts`, `http-ids`: the service over real HTTP, a request carrying its facts, or
  the facts written through the ledger's routes and the contact decided by ids;
- `cli` (malformed input only): `contactengine decide`, one answer per line.

The bugs:

1. A contact point written in any of its usual forms (`+1 (617) 555-0101`, `16175550101`,
   `PAT@Example.COM`...) in an opt-out, a consent revocation or a history entry must
   match the contact in E.164 (or lower case): the refusal is the one the normal form gives.
2. A call at 03:00 in Boston is never allowed, whatever the year: out of the years
   instants may take it is a request error, outside the packs' coverage it is refused
   `outside-coverage`, inside it `fdcpa-convenient-hours` refuses it.
3. Input that used to crash (deep nesting, a huge zone name, instants at the edge of the
   calendar, huge strings) is a request error naming the field, a 4xx problem naming it,
   and on the command line an error object on its line with every other line decided.

Time is frozen: every engine, ledger and service here reads `NOW`. (The command line has
no clock to inject; its good lines are only checked to be decided, not how.)
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from contactengine.api.app import create_app
from contactengine.api.keys import create_key
from contactengine.engine.ruleset import RuleSet
from contactengine.ledger import Engine, Ledger
from contactengine.model import (
    AttemptRecord,
    Consent,
    Debt,
    Debtor,
    OptOut,
    RequestError,
    instant,
)
from contactengine.store import SQLiteStore, Store
from tests.backends import BACKENDS
from tests.live_server import serving

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 7, 1, tzinfo=dt.UTC).timestamp()


def frozen() -> float:
    return NOW


NUMBER = "+16175550101"
EMAIL = "pat@example.com"
DEBT_ID = "D-1"
DEBT = {"id": DEBT_ID, "type": "credit_card", "actor": "debt_collector"}
BOSTON = {"city": "Boston", "state": "MA", "zip": "02108", "country": "US"}
AT = "2026-07-15T14:00:00Z"  # 10:00 in Boston, a Wednesday
_ids = itertools.count(1)


def boston_debtor(debtor_id: str) -> dict[str, Any]:
    """A Boston debtor with one mobile (checked for reassignment) and one personal email."""
    return {
        "id": debtor_id,
        "address": dict(BOSTON),
        "phones": [
            {"number": NUMBER, "kind": "mobile", "reassignment_checked_at": "2026-07-01T00:00:00Z"}
        ],
        "emails": [{"address": EMAIL}],
        "consents": [],
        "opt_outs": [],
    }


def fresh_id() -> str:
    return f"C-fc-{next(_ids)}"


# --- the ways in ------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """Something on the debtor's file: a consent, a revocation, an opt-out, a past contact."""

    kind: str  # consent | revocation | opt_out | history
    body: dict[str, Any]


@dataclass
class Answer:
    """A decision (its JSON contract), or the fields a request error named."""

    decision: dict[str, Any] | None = None
    fields: list[str] = field(default_factory=list)


class Way:
    """One way a request reaches the rules."""

    by_ids = False  # requests name the debtor by id; the facts are on file
    document = "request"  # what an error names when the JSON text itself is unreadable
    text = False  # requests travel as JSON text

    def put_debtor(self, debtor_id: str) -> None:
        raise NotImplementedError

    def record(self, debtor_id: str, fact: Fact) -> None:
        raise NotImplementedError

    def answer(self, request: Any) -> Answer:
        raise NotImplementedError


class EngineWay(Way):
    def __init__(self, ruleset: RuleSet, text: bool) -> None:
        self.engine = Engine(ruleset, clock=frozen)
        self.text = text

    def answer(self, request: Any) -> Answer:
        if self.text and not isinstance(request, str):
            request = json.dumps(request)
        try:
            return Answer(dict(self.engine.can_contact(request).to_json()))
        except RequestError as exc:
            return Answer(fields=[e.field for e in exc.errors])


class LedgerWay(Way):
    by_ids = True

    def __init__(self, ruleset: RuleSet, store: Store) -> None:
        self.store = store
        self.ledger = Ledger(ruleset, store, clock=frozen)

    def put_debtor(self, debtor_id: str) -> None:
        self.store.put_debtor(Debtor.model_validate(boston_debtor(debtor_id)))
        self.store.put_debt(debtor_id, Debt.model_validate(DEBT))

    def record(self, debtor_id: str, fact: Fact) -> None:
        """Each fact through the store's own write, its contact point as written."""
        body = fact.body
        if fact.kind == "consent":
            self.store.record_consent(debtor_id, Consent.model_validate(body))
        elif fact.kind == "revocation":
            self.store.revoke_consent(debtor_id, body["channel"], body["to"], instant(body["at"]))
        elif fact.kind == "opt_out":
            self.store.record_opt_out(debtor_id, OptOut.model_validate(body))
        else:
            self.store.record_attempt(
                AttemptRecord(
                    id=f"A-{next(_ids)}",
                    debtor_id=debtor_id,
                    debt_ids=tuple(body["debt_ids"]),
                    channel=body["channel"],
                    to=body["to"],
                    at=instant(body["at"]),
                    direction=body.get("direction", "outbound"),
                    outcome=body.get("outcome"),
                    purpose=body.get("purpose"),
                )
            )

    def answer(self, request: Any) -> Answer:
        try:
            return Answer(dict(self.ledger.can_contact(request).to_json()))
        except RequestError as exc:
            return Answer(fields=[e.field for e in exc.errors])


@dataclass
class Service:
    client: httpx.Client
    store: SQLiteStore


class HttpWay(Way):
    document = "body"
    text = True

    def __init__(self, service: Service, by_ids: bool) -> None:
        self.service = service
        self.by_ids = by_ids

    def put_debtor(self, debtor_id: str) -> None:  # the service has no route for profiles
        self.service.store.put_debtor(Debtor.model_validate(boston_debtor(debtor_id)))
        self.service.store.put_debt(debtor_id, Debt.model_validate(DEBT))

    def record(self, debtor_id: str, fact: Fact) -> None:
        """Each fact through its route, its contact point as written."""
        client = self.service.client
        if fact.kind == "consent":
            answer = client.post(f"/v1/debtors/{debtor_id}/consents", json=fact.body)
            assert answer.status_code == 201, answer.text
        elif fact.kind == "revocation":
            answer = client.post(f"/v1/debtors/{debtor_id}/consents/revocations", json=fact.body)
            assert answer.status_code == 200, answer.text
        elif fact.kind == "opt_out":
            answer = client.post(f"/v1/debtors/{debtor_id}/opt-outs", json=fact.body)
            assert answer.status_code == 201, answer.text
        else:
            attempt = {"id": f"A-{next(_ids)}", "debtor_id": debtor_id, **fact.body}
            answer = client.post("/v1/attempts", json=attempt)
            assert answer.status_code == 201, answer.text

    def answer(self, request: Any) -> Answer:
        body = request if isinstance(request, str) else json.dumps(request)
        reply = self.service.client.post(
            "/v1/decisions", content=body.encode(), headers={"Content-Type": "application/json"}
        )
        if reply.status_code == 200:
            return Answer(reply.json())
        return Answer(fields=problem_fields(reply))


def problem_fields(reply: httpx.Response) -> list[str]:
    """The fields a problem names; asserts it is a 4xx problem, never a server error."""
    assert 400 <= reply.status_code < 500, (reply.status_code, reply.text[:500])
    assert reply.headers["content-type"] == "application/problem+json"
    return [e["field"] for e in reply.json().get("errors", [])]


class CliWay(Way):
    """`contactengine decide` on three lines: a good one, the request, a good one."""

    text = True

    def answer(self, request: Any) -> Answer:
        line = request if isinstance(request, str) else json.dumps(request)
        good = json.dumps(
            facts_request(fresh_id(), [], {"channel": "call", "to": NUMBER, "at": AT})
        )
        result = subprocess.run(
            [sys.executable, "-m", "contactengine.cli.main", "decide", "--rules", "rules"],
            input=f"{good}\n{line}\n{good}\n",
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
        assert "Traceback" not in result.stderr, result.stderr[-2000:]
        answers = [json.loads(text) for text in result.stdout.splitlines()]
        assert len(answers) == 3, result.stdout[-2000:] + result.stderr[-2000:]
        assert "allowed" in answers[0] and "allowed" in answers[2], "the good lines are decided"
        if "allowed" in answers[1]:
            assert result.returncode == 0
            return Answer(answers[1])
        assert result.returncode == 1, "a bad line makes the run exit 1"
        assert answers[1]["line"] == 2
        assert answers[1]["error"] in ("invalid request", "invalid JSON")
        return Answer(fields=[f["field"] for f in answers[1]["fields"]])


@pytest.fixture(scope="module")
def service(ruleset: RuleSet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    store = SQLiteStore(tmp_path_factory.mktemp("fail-closed") / "ledger.db", timeout=5.0)
    store.upgrade()
    key = create_key(store, "fail-closed", "write", now=NOW)
    app = create_app(Engine(ruleset, clock=frozen), Ledger(ruleset, store, clock=frozen))
    with (
        serving(app) as url,
        httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        ) as client,
    ):
        yield Service(client, store)
    store.close()


@pytest.fixture
def way(request: pytest.FixtureRequest, ruleset: RuleSet, tmp_path: Path) -> Iterator[Way]:
    name: str = request.param
    if name.startswith("engine-"):
        yield EngineWay(ruleset, text=name == "engine-json")
    elif name.startswith("ledger-"):
        backend = BACKENDS[name.removeprefix("ledger-")]
        with cast(AbstractContextManager[Store], backend(tmp_path)) as store:
            yield LedgerWay(ruleset, store)
    elif name.startswith("http-"):
        yield HttpWay(request.getfixturevalue("service"), by_ids=name == "http-ids")
    else:
        yield CliWay()


DECIDING_WAYS = [
    "engine-dict",
    "engine-json",
    "ledger-memory",
    "ledger-sqlite",
    "ledger-postgres",
    "http-facts",
    "http-ids",
]


def facts_request(debtor_id: str, facts: list[Fact], ask: dict[str, Any]) -> dict[str, Any]:
    """A request carrying its facts. A request has no revocation of its own: a consent
    revoked is the consent with `revoked_at`, its contact point as the revocation wrote it."""
    debtor = boston_debtor(debtor_id)
    history: list[dict[str, Any]] = []
    for fact in facts:
        if fact.kind == "consent":
            debtor["consents"].append(fact.body)
        elif fact.kind == "opt_out":
            debtor["opt_outs"].append(fact.body)
        elif fact.kind == "history":
            history.append(fact.body)
        else:
            debtor["consents"] = [
                {**c, "to": fact.body["to"], "revoked_at": fact.body["at"]}
                if c["channel"] == fact.body["channel"]
                else c
                for c in debtor["consents"]
            ]
    return {"debtor": debtor, "debt": DEBT, **ask, "history": history}


def request_for(way: Way, facts: list[Fact], ask: dict[str, Any]) -> dict[str, Any]:
    """The request `way` takes for this contact: facts on file and ids, or facts carried."""
    debtor_id = fresh_id()
    if not way.by_ids:
        return facts_request(debtor_id, facts, ask)
    way.put_debtor(debtor_id)
    for fact in facts:
        way.record(debtor_id, fact)
    return {"debtor_id": debtor_id, "debt_id": DEBT_ID, **ask}


def decided(way: Way, facts: list[Fact], ask: dict[str, Any]) -> dict[str, Any]:
    answer = way.answer(request_for(way, facts, ask))
    assert answer.decision is not None, f"not decided: {answer.fields}"
    return answer.decision


def rules(decision: dict[str, Any]) -> set[str]:
    return {reason["rule"] for reason in decision["reasons"]}


def verdict(decision: dict[str, Any]) -> tuple[bool, list[str], str | None]:
    return decision["allowed"], sorted(rules(decision)), decision["next_allowed_at"]


def assert_refusal_waits_forward(decision: dict[str, Any]) -> None:
    following = decision["next_allowed_at"]
    if following is not None:
        assert instant(following) >= instant(decision["at"])


# --- 1. a contact point matches however it was written ----------------------------------

SMS_CONSENT = Fact(
    "consent",
    {
        "channel": "sms",
        "to": NUMBER,
        "given_at": "2026-01-05T15:00:00Z",
        "given_to": "debt_collector",
    },
)


@dataclass(frozen=True)
class Written:
    """A fact whose contact point is written `as_written`; `rule` must refuse the ask."""

    name: str
    rule: str
    ask: dict[str, Any]
    before: tuple[Fact, ...]  # on file already: the ask is allowed with these alone
    kind: str
    body: dict[str, Any]  # the fact, `to` filled in

    def facts(self, to: str) -> list[Fact]:
        return [*self.before, Fact(self.kind, {**self.body, "to": to})]


SMS = {"channel": "sms", "to": NUMBER, "at": AT}
WRITTEN = [
    Written(
        "sms-opt-out",
        "reg-f-medium-opt-out",
        SMS,
        (SMS_CONSENT,),
        "opt_out",
        {"channel": "sms", "at": "2026-07-10T12:00:00Z"},
    ),
    Written(
        "call-opt-out",
        "reg-f-medium-opt-out",
        {"channel": "call", "to": NUMBER, "at": AT},
        (),
        "opt_out",
        {"channel": "call", "at": "2026-07-10T12:00:00Z"},
    ),
    Written(
        "sms-consent-revocation",
        "tcpa-consent-automated-mobile",
        SMS,
        (SMS_CONSENT,),
        "revocation",
        {"channel": "sms", "at": "2026-07-10T12:00:00Z"},
    ),
    # One opt-out confirmation text only: the one already sent must count, however its
    # number was written, or a second "you are unsubscribed" goes out.
    Written(
        "sms-confirmation-in-history",
        "tcpa-opt-out-confirmation-window",
        {**SMS, "at": "2026-07-15T14:03:00Z", "purpose": "opt_out_confirmation"},
        (Fact("opt_out", {"channel": "sms", "to": NUMBER, "at": "2026-07-15T14:00:00Z"}),),
        "history",
        {
            "channel": "sms",
            "debt_ids": [DEBT_ID],
            "at": "2026-07-15T14:01:00Z",
            "direction": "outbound",
            "outcome": "delivered",
            "purpose": "opt_out_confirmation",
        },
    ),
]
EMAIL_OPT_OUT = Written(
    "email-opt-out",
    "reg-f-medium-opt-out",
    {"channel": "email", "to": EMAIL, "at": AT},
    (),
    "opt_out",
    {"channel": "email", "at": "2026-07-10T12:00:00Z"},
)
PHONE_FORMS = {
    "plus-one-parenthesised": "+1 (617) 555-0101",
    "plus-one-dashed": "+1 617-555-0101",
    "eleven-digits": "16175550101",
    "national-parenthesised": "(617) 555-0101",
}
EMAIL_FORMS = {"upper-case": "PAT@EXAMPLE.COM", "mixed-case": "Pat@Example.Com"}
WRITTEN_CASES = [
    pytest.param(case, form, id=f"{case.name}-{name}")
    for case in WRITTEN
    for name, form in PHONE_FORMS.items()
] + [
    pytest.param(EMAIL_OPT_OUT, form, id=f"{EMAIL_OPT_OUT.name}-{name}")
    for name, form in EMAIL_FORMS.items()
]


@pytest.mark.parametrize("way", DECIDING_WAYS, indirect=True)
@pytest.mark.parametrize(("case", "written"), WRITTEN_CASES)
def test_a_contact_point_matches_however_it_was_written(
    way: Way, case: Written, written: str
) -> None:
    before = decided(way, list(case.before), case.ask)
    assert before["allowed"] is True, before["reasons"]
    normal = decided(way, case.facts(case.ask["to"]), case.ask)
    assert normal["allowed"] is False
    assert case.rule in rules(normal)
    as_written = decided(way, case.facts(written), case.ask)
    assert verdict(as_written) == verdict(normal), f"`{written}` is not `{case.ask['to']}`"


# --- 2. 03:00 in Boston is never a time to call -------------------------------------------


@dataclass(frozen=True)
class Night:
    at: str
    rule: str | None = None  # the refusal's rule, or None: a request error naming `at`


NIGHTS = {
    "year-0001": Night("0001-01-15T03:00:00-05:00"),
    "year-1899": Night("1899-01-15T03:00:00-05:00"),
    "year-1977-before-the-fdcpa": Night("1977-01-15T03:00:00-05:00", "outside-coverage"),
    "year-1990": Night("1990-01-15T03:00:00-05:00", "fdcpa-convenient-hours"),
    "eve-of-reg-f-2021-11-29": Night("2021-11-29T03:00:00-05:00", "fdcpa-convenient-hours"),
    "year-2026": Night("2026-01-15T03:00:00-05:00", "fdcpa-convenient-hours"),
    "year-2031-beyond-the-clock": Night("2031-01-15T03:00:00-05:00", "outside-coverage"),
}


@pytest.mark.parametrize("way", DECIDING_WAYS, indirect=True)
@pytest.mark.parametrize("night", list(NIGHTS.values()), ids=list(NIGHTS))
def test_a_call_at_three_in_the_morning_in_boston_is_never_allowed(way: Way, night: Night) -> None:
    answer = way.answer(request_for(way, [], {"channel": "call", "to": NUMBER, "at": night.at}))
    if night.rule is None:
        assert answer.decision is None, answer.decision
        assert answer.fields == ["at"]
        return
    assert answer.decision is not None, answer.fields
    assert answer.decision["allowed"] is False
    assert night.rule in rules(answer.decision), answer.decision["reasons"]
    assert_refusal_waits_forward(answer.decision)


# --- 3. what used to crash is a request error naming the field ---------------------------


def nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


def with_field(request: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """`request` with `value` at the dotted `path` (no deep copy: values may nest deeply)."""
    out = json.loads(json.dumps(request))
    *parents, last = path.split(".")
    target = out
    for key in parents:
        target = target.setdefault(key, {})
    target[last] = value
    return out


@dataclass(frozen=True)
class Malformed:
    """A request with its facts, and the same fault in a request by ids (None: no such
    field there); `field` and `ids_field` are what the error must name. `deep`: the fault
    is nesting, which JSON text shows before it is parsed, so text names the document."""

    name: str
    facts: Any
    field: str
    ids: Any = None
    ids_field: str = ""
    deep: bool = False


def good_facts() -> dict[str, Any]:
    return facts_request("C-fc-bad", [], {"channel": "call", "to": NUMBER, "at": AT})


def good_ids() -> dict[str, Any]:
    return {"debtor_id": "C-fc-bad", "debt_id": DEBT_ID, "channel": "call", "to": NUMBER, "at": AT}


MALFORMED = [
    Malformed(
        "nested-500-deep-in-a-field",
        with_field(good_facts(), "debtor.first_name", nested(500)),
        "debtor.first_name",
        with_field(good_ids(), "in_reply_to", nested(500)),
        "in_reply_to",
        deep=True,
    ),
    Malformed(
        "nested-500-deep-as-the-request",
        nested(500),
        "request",
        ids=nested(500),
        ids_field="request",
        deep=True,
    ),
    Malformed(
        "timezone-of-300-characters",
        with_field(good_facts(), "debtor.timezone", "America/" + "x" * 292),
        "debtor.timezone",
    ),
    Malformed(
        "at-year-0001-plus-14",
        with_field(good_facts(), "at", "0001-01-01T00:00:00+14:00"),
        "at",
        with_field(good_ids(), "at", "0001-01-01T00:00:00+14:00"),
        "at",
    ),
    Malformed(
        "at-year-9999-minus-12",
        with_field(good_facts(), "at", "9999-12-31T23:59:59-12:00"),
        "at",
        with_field(good_ids(), "at", "9999-12-31T23:59:59-12:00"),
        "at",
    ),
    Malformed(
        "string-of-100000-characters",
        with_field(good_facts(), "debtor.first_name", "x" * 100_000),
        "debtor.first_name",
        with_field(good_ids(), "debtor_id", "C-" + "x" * 100_000),
        "debtor_id",
    ),
    Malformed(
        "to-of-100000-characters",
        with_field(good_facts(), "to", "+1617" + "5" * 100_000),
        "to",
        with_field(good_ids(), "to", "+1617" + "5" * 100_000),
        "to",
    ),
]
MALFORMED_WAYS = ["engine-dict", "engine-json", "http-facts", "cli"]
MALFORMED_BY_IDS_WAYS = ["ledger-memory", "ledger-sqlite", "ledger-postgres", "http-ids"]
MALFORMED_CASES = [
    pytest.param(way_name, case, id=f"{case.name}-via-{way_name}")
    for case in MALFORMED
    for way_name in MALFORMED_WAYS + (MALFORMED_BY_IDS_WAYS if case.ids is not None else [])
]


@pytest.mark.parametrize(("way", "case"), MALFORMED_CASES, indirect=["way"])
def test_what_used_to_crash_is_a_request_error_naming_the_field(way: Way, case: Malformed) -> None:
    request, named = (case.ids, case.ids_field) if way.by_ids else (case.facts, case.field)
    if case.deep and way.text:
        named = way.document
    answer = way.answer(request)
    assert answer.decision is None, answer.decision
    assert named in answer.fields, answer.fields


# The ledger's write routes take the same faults in their own bodies.
OPT_OUT = {"channel": "sms", "to": NUMBER, "at": "2026-07-10T12:00:00Z"}
ATTEMPT = {
    "id": "A-fc-write",
    "debtor_id": "C-fc-writes",
    "debt_ids": [DEBT_ID],
    "channel": "call",
    "to": NUMBER,
    "at": "2026-07-10T12:00:00Z",
}
CONSENT = {"channel": "sms", "to": NUMBER, "given_at": "2026-01-05T15:00:00Z"}
OPT_OUTS = "/v1/debtors/C-fc-writes/opt-outs"
CONSENTS = "/v1/debtors/C-fc-writes/consents"
WRITES = {
    "opt-out-at-year-0001-plus-14": (OPT_OUTS, {**OPT_OUT, "at": "0001-01-01T00:00:00+14:00"}, "at"),
    "opt-out-at-year-9999-minus-12": (OPT_OUTS, {**OPT_OUT, "at": "9999-12-31T23:59:59-12:00"}, "at"),
    "opt-out-to-nested-500-deep": (OPT_OUTS, {**OPT_OUT, "to": nested(500)}, "to"),
    "opt-out-to-of-100000-characters": (OPT_OUTS, {**OPT_OUT, "to": "+1" + "6" * 100_000}, "to"),
    "consent-source-of-100000-characters": (CONSENTS, {**CONSENT, "source": "x" * 100_000}, "source"),
    "consent-given-at-year-9999": (CONSENTS, {**CONSENT, "given_at": "9999-12-31T23:59:59-12:00"}, "given_at"),
    "attempt-outcome-nested-500-deep": ("/v1/attempts", {**ATTEMPT, "outcome": nested(500)}, "outcome"),
    "attempt-at-year-0001-plus-14": ("/v1/attempts", {**ATTEMPT, "at": "0001-01-01T00:00:00+14:00"}, "at"),
    "opt-out-raw-body-nested-5000-deep": (OPT_OUTS, "[" * 5000 + "]" * 5000, "body"),
    "attempt-raw-body-nested-5000-deep": ("/v1/attempts", "[" * 5000 + "]" * 5000, "body"),
}  # fmt: skip


@pytest.mark.parametrize(("route", "body", "named"), list(WRITES.values()), ids=list(WRITES))
def test_the_ledger_writes_refuse_what_used_to_crash_naming_the_field(
    service: Service, route: str, body: Any, named: str
) -> None:
    HttpWay(service, by_ids=True).put_debtor("C-fc-writes")
    text = body if isinstance(body, str) else json.dumps(body)
    reply = service.client.post(
        route, content=text.encode(), headers={"Content-Type": "application/json"}
    )
    assert named in problem_fields(reply), reply.text[:500]
