"""A seeded, deterministic workload for the `can_contact()` benchmark.

10,000 debtors and 100,000 contact requests spread over one week (day and night, across
call, sms and email), each a JSON-able dict in the SPEC §5 request shape. The same seed
always gives the same workload, byte for byte.

Debtors live at real US ZIP codes in several states and zones (at least a fifth in
Massachusetts); their phones carry real area codes, which for some debtors disagree with
the address (a mobile kept after a move), so a debtor has 1-3 candidate zones; a few have
confirmed their zone. Each has 0-40 past contacts over the 30 days before the workload
week: outbound calls with realistic outcomes, texts and emails, inbound texts, calls and
emails for some. Consents are given to the debt collector or the creditor, some revoked;
some debtors opted out of a medium, a few asked to cease or have an attorney.

History entries are shared between a debtor's requests (the same list object), which keeps
100,000 requests in memory cheaply; `json.dumps` writes each request out in full.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

SEED = 20260608
WEEK_START = dt.datetime(2026, 6, 8, tzinfo=dt.UTC)  # a Monday
WEEK_SECONDS = 7 * 86400
HISTORY_DAYS = 30
DAY = 86400

DEBTORS = 10_000
REQUESTS = 100_000
MAX_HISTORY = 40


@dataclass(frozen=True)
class Place:
    """A real US city: its ZIP, the zone of that ZIP, and area codes that serve it."""

    state: str
    city: str
    zip: str
    zone: str
    area_codes: tuple[str, ...]


# Massachusetts gets a quarter of the debtors; the rest spread over the other zones.
STATE_WEIGHTS: dict[str, float] = {
    "MA": 25,
    "NY": 12,
    "CA": 12,
    "TX": 10,
    "FL": 7,
    "IL": 6,
    "PA": 5,
    "GA": 4,
    "AZ": 4,
    "CO": 3,
    "WA": 3,
    "IN": 2,
    "TN": 2,
    "MI": 2,
    "HI": 1.5,
    "AK": 1.5,
}

PLACES: tuple[Place, ...] = (
    Place("MA", "Boston", "02108", "America/New_York", ("617", "857")),
    Place("MA", "Cambridge", "02139", "America/New_York", ("617", "857")),
    Place("MA", "Quincy", "02169", "America/New_York", ("617", "781", "339")),
    Place("MA", "Worcester", "01608", "America/New_York", ("508", "774")),
    Place("MA", "Springfield", "01103", "America/New_York", ("413",)),
    Place("MA", "Lowell", "01852", "America/New_York", ("978", "351")),
    Place("MA", "New Bedford", "02740", "America/New_York", ("508", "774")),
    Place("NY", "New York", "10001", "America/New_York", ("212", "646", "917")),
    Place("NY", "Brooklyn", "11201", "America/New_York", ("718", "347", "929")),
    Place("NY", "Buffalo", "14202", "America/New_York", ("716",)),
    Place("CA", "San Francisco", "94103", "America/Los_Angeles", ("415", "628")),
    Place("CA", "Los Angeles", "90012", "America/Los_Angeles", ("213", "323")),
    Place("CA", "San Diego", "92101", "America/Los_Angeles", ("619", "858")),
    Place("TX", "Dallas", "75201", "America/Chicago", ("214", "469", "972")),
    Place("TX", "Houston", "77002", "America/Chicago", ("713", "281", "832")),
    Place("TX", "El Paso", "79901", "America/Denver", ("915",)),
    Place("FL", "Miami", "33101", "America/New_York", ("305", "786")),
    # The Florida panhandle: a Central ZIP whose area code straddles two zones.
    Place("FL", "Pensacola", "32501", "America/Chicago", ("850",)),
    Place("IL", "Chicago", "60601", "America/Chicago", ("312", "773", "872")),
    Place("PA", "Philadelphia", "19103", "America/New_York", ("215", "267")),
    Place("GA", "Atlanta", "30303", "America/New_York", ("404", "470")),
    Place("AZ", "Phoenix", "85004", "America/Phoenix", ("602", "480")),
    Place("CO", "Denver", "80202", "America/Denver", ("303", "720")),
    Place("WA", "Seattle", "98101", "America/Los_Angeles", ("206",)),
    Place("IN", "Indianapolis", "46204", "America/Indiana/Indianapolis", ("317",)),
    Place("TN", "Nashville", "37203", "America/Chicago", ("615",)),
    Place("MI", "Detroit", "48226", "America/Detroit", ("313",)),
    Place("HI", "Honolulu", "96813", "Pacific/Honolulu", ("808",)),
    # Alaska's one area code maps to two zones (Anchorage and Adak).
    Place("AK", "Anchorage", "99501", "America/Anchorage", ("907",)),
)

# Area codes a debtor may have brought from elsewhere: one zone each, so a debtor with one
# foreign number has at most three candidate zones.
FOREIGN_AREA_CODES = tuple(
    code for p in PLACES if p.state not in ("AK", "FL") for code in p.area_codes
)
TOLL_FREE = ("800", "888", "877")

DEBT_TYPES = ("credit_card", "medical", "student_loan", "auto_loan", "personal_loan", "utility")
DEBT_TYPE_WEIGHTS = (35, 25, 10, 10, 12, 8)
CALL_OUTCOMES = (
    "no_answer",
    "voicemail",
    "not_connected",
    "conversation",
    "limited_content_message",
    "wrong_party",
)
CALL_OUTCOME_WEIGHTS = (36, 24, 15, 12, 8, 5)
FIRST_NAMES = ("pat", "sam", "alex", "jo", "maria", "li", "omar", "ana", "chris", "dana")
EMAIL_DOMAINS = ("example.com", "mail.example.org", "inbox.example.net")


@dataclass
class DebtorRecord:
    """A generated debtor: the request's `debtor` dict and what the generator knows of it."""

    index: int
    place: Place
    debtor: dict[str, Any]
    debts: list[dict[str, Any]]
    phones: list[dict[str, Any]]
    emails: list[dict[str, Any]]
    texts_us: bool
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Workload:
    seed: int
    debtors: list[DebtorRecord]
    requests: list[dict[str, Any]]


def iso(ts: float) -> str:
    """Epoch seconds as ISO 8601 UTC with `Z`, whole seconds."""
    return dt.datetime.fromtimestamp(int(ts), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _phone(rng: random.Random, area: str) -> str:
    exchange = rng.randint(200, 999)
    if exchange % 100 == 11:  # N11 codes are service codes, not exchanges
        exchange += 1
    return f"+1{area}{exchange}{rng.randint(0, 9999):04d}"


def _pick_place(rng: random.Random) -> Place:
    states = list(STATE_WEIGHTS)
    state = rng.choices(states, weights=[STATE_WEIGHTS[s] for s in states])[0]
    return rng.choice([p for p in PLACES if p.state == state])


def _local_daytime(rng: random.Random, zone: str, day_start: float) -> float:
    """An instant on the UTC day of `day_start`, between 08:00 and 21:00 in `zone`, mostly."""
    day = dt.datetime.fromtimestamp(day_start, dt.UTC).date()
    hour = rng.randint(8, 20) if rng.random() < 0.93 else rng.choice((6, 7, 21, 22))
    local = dt.datetime(
        day.year, day.month, day.day, hour, rng.randint(0, 59), tzinfo=ZoneInfo(zone)
    )
    return local.timestamp() + rng.randint(0, 59)


def make_debtor(rng: random.Random, index: int) -> DebtorRecord:
    place = _pick_place(rng)
    debtor_id = f"C-{index:05d}"
    week = WEEK_START.timestamp()

    # Phones: the first is mostly local; about a quarter of debtors kept a number from
    # elsewhere, so address and area code disagree. A third number is toll-free or local.
    phone_count = rng.choices((1, 2, 3), weights=(45, 40, 15))[0]
    phones: list[dict[str, Any]] = []
    moved = rng.random() < 0.25
    if place.state == "AK":  # 907 alone may name two zones: one number, kept local
        phone_count, moved = 1, False
    for slot in range(phone_count):
        if slot == 0:
            kind = rng.choices(("mobile", "landline", "voip"), weights=(72, 22, 6))[0]
            area = rng.choice(FOREIGN_AREA_CODES) if moved else rng.choice(place.area_codes)
            while moved and area in place.area_codes:
                area = rng.choice(FOREIGN_AREA_CODES)
        elif slot == 1:
            kind = rng.choices(("landline", "work", "mobile"), weights=(45, 35, 20))[0]
            area = rng.choice(place.area_codes)
        else:
            kind = rng.choice(("toll_free", "work"))
            area = rng.choice(TOLL_FREE) if kind == "toll_free" else rng.choice(place.area_codes)
        phone: dict[str, Any] = {"number": _phone(rng, area), "kind": kind}
        if kind in ("mobile", "voip") and rng.random() < 0.3:
            phone["reassignment_checked_at"] = iso(week - rng.randint(1, 90) * DAY)
        phones.append(phone)

    emails: list[dict[str, Any]] = []
    name = f"{rng.choice(FIRST_NAMES)}.{index}"
    if rng.random() < 0.8:
        emails.append({"address": f"{name}@{rng.choice(EMAIL_DOMAINS)}"})
    if rng.random() < 0.12:
        emails.append({"address": f"{name}@work.example.com", "employer_provided": True})

    debt_count = rng.choices((1, 2), weights=(75, 25))[0]
    actor = "debt_collector" if rng.random() < 0.85 else "creditor"
    debts: list[dict[str, Any]] = []
    for k in range(debt_count):
        kind = rng.choices(DEBT_TYPES, weights=DEBT_TYPE_WEIGHTS)[0]
        debt: dict[str, Any] = {"id": f"D-{index:05d}-{k}", "type": kind, "actor": actor}
        if kind == "student_loan":
            debt["account_id"] = f"ACC-{index:05d}"
        debts.append(debt)

    consents: list[dict[str, Any]] = []
    for phone in phones:
        if phone["kind"] not in ("mobile", "voip"):
            continue
        for channel, chance in (("sms", 0.5), ("call", 0.3)):
            if rng.random() >= chance:
                continue
            given = week - rng.randint(1, 400) * DAY - rng.randint(0, DAY)
            consent: dict[str, Any] = {
                "channel": channel,
                "to": phone["number"],
                "given_at": iso(given),
                "revoked_at": None,
                "source": rng.choice(("web form", "call recording", "application")),
                "given_to": "debt_collector" if rng.random() < 0.4 else "creditor",
                "kind": rng.choice(("express", "esign")),
            }
            if rng.random() < 0.08:
                consent["revoked_at"] = iso(given + (week - given) * rng.random())
            consents.append(consent)
    for email in emails:
        if email.get("employer_provided") and rng.random() < 0.3:
            consents.append(
                {
                    "channel": "email",
                    "to": email["address"],
                    "given_at": iso(week - rng.randint(1, 200) * DAY),
                    "given_to": "debt_collector",
                    "kind": "esign",
                }
            )
    if rng.random() < 0.04:  # consent to calls given to us in the past week: calls exempt
        consents.append(
            {
                "channel": "call",
                "to": phones[0]["number"],
                "given_at": iso(week - rng.randint(0, 6) * DAY - rng.randint(0, DAY)),
                "given_to": "debt_collector",
                "kind": "call_time",
            }
        )

    opt_outs: list[dict[str, Any]] = []
    if rng.random() < 0.07:
        channel = rng.choice(("sms", "email", "call"))
        target = None
        if channel in ("sms", "call") and rng.random() < 0.6:
            target = rng.choice(phones)["number"]
        elif channel == "email" and emails and rng.random() < 0.6:
            target = emails[0]["address"]
        opt_outs.append(
            {"channel": channel, "to": target, "at": iso(week - rng.randint(1, 60) * DAY)}
        )

    debt_ids = [d["id"] for d in debts]
    flags: dict[str, Any] = {
        "cease_communication": [],
        "attorney_represented": [],
        "employer_prohibits_contact": rng.random() < 0.03,
        "bankruptcy": rng.random() < 0.005,
        "deceased": rng.random() < 0.002,
    }
    if rng.random() < 0.01:
        flags["cease_communication"] = [rng.choice(("*", debt_ids[0]))]
    if rng.random() < 0.01:
        flags["attorney_represented"] = [debt_ids[-1]]

    inconvenient: list[dict[str, Any]] = []
    if rng.random() < 0.05:
        inconvenient.append(
            rng.choice(
                (
                    {"start": "09:00", "end": "17:00", "days": ["mon", "tue", "wed", "thu", "fri"]},
                    {"start": "18:00", "end": "20:00", "days": None, "channels": ["call"]},
                    {"start": "20:00", "end": "09:00", "days": None, "channels": None},
                    {"start": "12:00", "end": "13:00", "days": ["sat", "sun"]},
                )
            )
        )

    address: dict[str, Any] = {
        "line1": f"{rng.randint(1, 999)} Main St",
        "city": place.city,
        "state": place.state,
        "zip": place.zip,
        "country": "US",
    }
    debtor: dict[str, Any] = {
        "id": debtor_id,
        "address": address,
        "timezone": place.zone if rng.random() < 0.03 else None,
        "phones": phones,
        "emails": emails,
        "consents": consents,
        "opt_outs": opt_outs,
        "flags": flags,
        "inconvenient_times": inconvenient,
    }
    record = DebtorRecord(
        index=index,
        place=place,
        debtor=debtor,
        debts=debts,
        phones=phones,
        emails=emails,
        texts_us=rng.random() < 0.3,
    )
    record.history = make_history(rng, record, rng.randint(0, MAX_HISTORY))
    return record


def make_history(rng: random.Random, record: DebtorRecord, count: int) -> list[dict[str, Any]]:
    """`count` past contacts with this debtor over the 30 days before the workload week."""
    week = WEEK_START.timestamp()
    mobiles = [p["number"] for p in record.phones if p["kind"] in ("mobile", "voip")]
    numbers = [p["number"] for p in record.phones if p["kind"] != "toll_free"] or [
        record.phones[0]["number"]
    ]
    addresses = [e["address"] for e in record.emails]
    entries: list[dict[str, Any]] = []
    for k in range(count):
        day_start = week - rng.randint(1, HISTORY_DAYS) * DAY
        at = _local_daytime(rng, record.place.zone, day_start)
        kind = rng.choices(
            ("call", "text", "email", "text_in", "call_in", "email_in"),
            weights=(55, 20, 12, 6 if record.texts_us and mobiles else 0, 4, 3 if addresses else 0),
        )[0]
        if kind == "email" and not addresses:
            kind = "call"
        if kind == "text" and not mobiles:
            kind = "call"
        debt_ids = [rng.choice(record.debts)["id"]]
        entry: dict[str, Any] = {"id": f"H-{record.index:05d}-{k:02d}", "debt_ids": debt_ids}
        if kind == "call":
            outcome = rng.choices(CALL_OUTCOMES, weights=CALL_OUTCOME_WEIGHTS)[0]
            entry.update(channel="call", to=rng.choice(numbers), direction="outbound")
            entry["outcome"] = outcome
            if outcome in ("voicemail", "limited_content_message"):
                entry["message_left"] = True
        elif kind == "call_in":
            entry.update(channel="call", to=rng.choice(numbers), direction="inbound")
            entry["outcome"] = "conversation"
        elif kind == "text":
            entry.update(channel="sms", to=rng.choice(mobiles), direction="outbound")
            entry["outcome"] = rng.choices(("delivered", "sent", "failed"), weights=(80, 15, 5))[0]
        elif kind == "text_in":
            entry.update(channel="sms", to=rng.choice(mobiles), direction="inbound")
        elif kind == "email":
            entry.update(channel="email", to=rng.choice(addresses), direction="outbound")
            entry["outcome"] = rng.choices(("delivered", "sent", "bounced"), weights=(85, 10, 5))[0]
        else:
            entry.update(channel="email", to=rng.choice(addresses), direction="inbound")
        entry["at"] = iso(at)
        entries.append(entry)
    entries.sort(key=lambda e: e["at"])
    return entries


def make_request(rng: random.Random, record: DebtorRecord, at: float) -> dict[str, Any]:
    debt = rng.choice(record.debts)
    channel = rng.choices(("call", "sms", "email"), weights=(55, 25, 20))[0]
    if channel == "email" and not record.emails:
        channel = "call"
    phones = record.phones
    if channel == "sms":
        texting = [p for p in phones if p["kind"] in ("mobile", "voip")] or phones
        to = rng.choice(texting)["number"]
    elif channel == "call":
        to = phones[0]["number"] if rng.random() < 0.7 else rng.choice(phones)["number"]
    else:
        to = rng.choice(record.emails)["address"]
    purpose = "collection"
    in_reply_to = None
    roll = rng.random()
    if roll < 0.04:
        inbound = [
            h["id"]
            for h in record.history
            if h["direction"] == "inbound" and h["channel"] == channel
        ]
        if inbound:
            purpose, in_reply_to = "response_to_consumer", rng.choice(inbound)
    elif roll < 0.06 and channel == "email":
        purpose = rng.choice(("validation_notice", "cease_exception_notice", "e_consent_request"))
    elif roll < 0.065 and channel in ("sms", "email"):
        purpose = "opt_out_confirmation"
    request: dict[str, Any] = {
        "debtor": record.debtor,
        "debt": debt,
        "channel": channel,
        "to": to,
        "automated": rng.random() < (0.35 if channel == "call" else 0.6),
        "at": iso(at),
        "purpose": purpose,
        "history": record.history,
    }
    if in_reply_to is not None:
        request["in_reply_to"] = in_reply_to
    return request


def generate(debtors: int = DEBTORS, requests: int = REQUESTS, seed: int = SEED) -> Workload:
    """The workload: `debtors` debtors and `requests` requests over one week."""
    rng = random.Random(seed)
    records = [make_debtor(rng, i) for i in range(debtors)]
    week = WEEK_START.timestamp()
    out: list[dict[str, Any]] = []
    for _ in range(requests):
        record = records[rng.randrange(debtors)]
        at = week + rng.randrange(WEEK_SECONDS)  # any second of the week, day or night
        out.append(make_request(rng, record, at))
    return Workload(seed, records, out)


def with_full_history(
    workload: Workload, count: int, history: int = MAX_HISTORY, seed: int = SEED + 1
) -> list[dict[str, Any]]:
    """`count` of the workload's requests, each carrying a `history`-entry history."""
    rng = random.Random(seed)
    full: dict[int, list[dict[str, Any]]] = {}
    by_id = {r.debtor["id"]: r for r in workload.debtors}
    out: list[dict[str, Any]] = []
    for request in workload.requests[:count]:
        record = by_id[request["debtor"]["id"]]
        entries = full.get(record.index)
        if entries is None:
            entries = make_history(rng, record, history)
            full[record.index] = entries
        out.append({**request, "history": entries, "in_reply_to": None, "purpose": _plain(request)})
    return out


def _plain(request: dict[str, Any]) -> str:
    """The request's purpose, except a reply, whose history entry may not exist any more."""
    purpose: str = request["purpose"]
    return "collection" if purpose == "response_to_consumer" else purpose


def summary(workload: Workload) -> dict[str, Any]:
    """What the workload holds, for the report."""
    records = workload.debtors
    requests = workload.requests
    channels: dict[str, int] = {}
    for request in requests:
        channels[request["channel"]] = channels.get(request["channel"], 0) + 1
    hours = {(int(r["at"][11:13])) for r in requests}
    lengths: Sequence[int] = [len(r.history) for r in records]
    return {
        "seed": workload.seed,
        "debtors": len(records),
        "requests": len(requests),
        "massachusetts_share": round(
            sum(r.place.state == "MA" for r in records) / max(len(records), 1), 3
        ),
        "states": len({r.place.state for r in records}),
        "confirmed_zone": sum(r.debtor["timezone"] is not None for r in records),
        "history_mean": round(sum(lengths) / max(len(lengths), 1), 1),
        "history_max": max(lengths, default=0),
        "channels": channels,
        "utc_hours_covered": len(hours),
        "week": f"{iso(WEEK_START.timestamp())} + 7 days",
    }
