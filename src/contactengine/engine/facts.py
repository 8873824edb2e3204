"""Plain, fast facts for the hot path, built once per request (or loaded from a store).

Everything time-like is float epoch seconds; everything a rule looks up is an attribute.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from contactengine.engine.jurisdictions import resolve as resolve_jurisdictions
from contactengine.engine.models import (
    Consent,
    ContactRequest,
    Debt,
    Debtor,
    HistoryEntry,
    OptOut,
)
from contactengine.engine.zones import ZoneSet, resolve_zones
from contactengine.language.vocabulary import US_STATES

NEVER = float("inf")
WEEKDAY_INDEX = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


@dataclass(slots=True)
class Event:
    """One past contact (a history entry)."""

    at: float
    channel: str
    debt_ids: frozenset[str]
    to: str | None
    direction: str
    outcome: str | None
    message_left: bool | None
    purpose: str | None
    to_kind: str | None
    id: str | None = None
    in_reply_to: str | None = None


@dataclass(slots=True)
class ConsentFact:
    channel: str
    to: str | None
    given_at: float
    revoked_at: float
    given_to: str
    kind: str


@dataclass(slots=True)
class OptOutFact:
    channel: str
    to: str | None
    at: float


@dataclass(slots=True)
class InconvenientFact:
    """A consumer-designated inconvenient time: local [start, end) seconds, half-open."""

    start: int
    end: int
    days: frozenset[int] | None
    channels: frozenset[str] | None


@dataclass(slots=True)
class Facts:
    """What one decision needs to know; rules read these attributes directly."""

    debtor_id: str
    debt_id: str
    debt_keys: frozenset[str]
    debt_type: str
    actor: str
    channel: str
    to: str | None
    to_kind: str | None
    to_employer_provided: bool
    automated: bool
    at: float
    purpose: str
    in_reply_to: str | None
    country: str | None
    jurisdictions: tuple[str, ...]
    zones: ZoneSet | None
    history: tuple[Event, ...]
    consents: tuple[ConsentFact, ...]
    opt_outs: tuple[OptOutFact, ...]
    inconvenient: tuple[InconvenientFact, ...]
    cease_communication: bool
    attorney_represented: bool
    employer_prohibits_contact: bool
    bankruptcy: bool
    deceased: bool
    reassignment_checked_at: float | None
    contact_kinds: dict[str, str] = field(default_factory=dict)
    jurisdiction_note: str | None = None


def _country_of(debtor: Debtor) -> str | None:
    address = debtor.address
    if address is None:
        return None
    if address.country:
        code = address.country.strip().upper()
        return {"USA": "US", "UK": "GB", "CAN": "CA"}.get(code, code)
    if address.state and address.state.upper() in US_STATES and address.zip:
        return "US"
    return None


def _ts(value: dt.datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def facts_from_request(request: ContactRequest) -> Facts:
    """Turn a validated request into facts; the zone and jurisdiction work happens here."""
    debtor = request.debtor
    kinds = contact_kinds(debtor)
    return assemble(
        debtor,
        request.debt,
        channel=request.channel,
        to=request.to,
        automated=request.automated,
        at=request.at.timestamp(),
        purpose=request.purpose,
        in_reply_to=request.in_reply_to,
        history=events_of(request.history, kinds),
        consents=tuple(consent_fact(c) for c in debtor.consents),
        opt_outs=tuple(opt_out_fact(o) for o in debtor.opt_outs),
        kinds=kinds,
    )


def contact_kinds(debtor: Debtor) -> dict[str, str]:
    """Each of the debtor's numbers and addresses with its kind; addresses lower-cased."""
    kinds: dict[str, str] = {p.number: p.kind for p in debtor.phones}
    kinds.update({e.address.lower(): "email" for e in debtor.emails})
    return kinds


def consent_fact(consent: Consent) -> ConsentFact:
    return ConsentFact(
        channel=consent.channel,
        to=contact_key(consent.to),
        given_at=consent.given_at.timestamp(),
        revoked_at=consent.revoked_at.timestamp() if consent.revoked_at else NEVER,
        given_to=consent.given_to,
        kind=consent.kind,
    )


def opt_out_fact(opt_out: OptOut) -> OptOutFact:
    return OptOutFact(
        channel=opt_out.channel, to=contact_key(opt_out.to), at=opt_out.at.timestamp()
    )


def contact_key(value: str | None) -> str | None:
    """A contact point as facts compare them: email addresses lower-cased, numbers as given."""
    return value.lower() if value and "@" in value else value


def assemble(
    debtor: Debtor,
    debt: Debt,
    *,
    channel: str,
    to: str | None,
    automated: bool,
    at: float,
    purpose: str,
    in_reply_to: str | None,
    history: tuple[Event, ...],
    consents: tuple[ConsentFact, ...],
    opt_outs: tuple[OptOutFact, ...],
    kinds: dict[str, str],
) -> Facts:
    """Facts from a debtor's profile, the debt, the contact asked for and the records on file.

    Requests carry the records themselves; a store reads them from its tables.
    """
    address = debtor.address
    country = _country_of(debtor)
    jurisdictions, jurisdiction_note = resolve_jurisdictions(
        country, address.state if address else None, address.zip if address else None
    )
    zones = resolve_zones(
        debtor.timezone,
        address.zip if address else None,
        country,
        tuple(p.number for p in debtor.phones),
    )
    to = contact_key(to) if channel == "email" else to
    to_employer = any(e.employer_provided for e in debtor.emails if e.address.lower() == to)
    reassignment = next(
        (_ts(p.reassignment_checked_at) for p in debtor.phones if p.number == to), None
    )
    debt_keys = frozenset(k for k in (debt.id, debt.account_id) if k)
    flags = debtor.flags
    return Facts(
        debtor_id=debtor.id,
        debt_id=debt.id,
        debt_keys=debt_keys,
        debt_type=debt.type,
        actor=debt.actor,
        channel=channel,
        to=to,
        to_kind="email" if channel == "email" else kinds.get(to or ""),
        to_employer_provided=to_employer,
        automated=automated,
        at=at,
        purpose=purpose,
        in_reply_to=in_reply_to,
        country=country,
        jurisdictions=jurisdictions,
        jurisdiction_note=jurisdiction_note,
        zones=zones,
        history=history,
        consents=consents,
        opt_outs=opt_outs,
        inconvenient=tuple(
            InconvenientFact(
                start=_minutes(i.start),
                end=_minutes(i.end),
                days=frozenset(WEEKDAY_INDEX[d] for d in i.days) if i.days else None,
                channels=frozenset(i.channels) if i.channels else None,
            )
            for i in debtor.inconvenient_times
        ),
        cease_communication=_applies_to_debt(flags.cease_communication, debt_keys),
        attorney_represented=_applies_to_debt(flags.attorney_represented, debt_keys),
        employer_prohibits_contact=flags.employer_prohibits_contact,
        bankruptcy=flags.bankruptcy,
        deceased=flags.deceased,
        reassignment_checked_at=reassignment,
        contact_kinds=kinds,
    )


def events_of(history: list[HistoryEntry], kinds: dict[str, str]) -> tuple[Event, ...]:
    """History entries as events, oldest first; emails compared case-insensitively."""
    events = []
    for entry in history:
        to = entry.to
        if to is not None and "@" in to:
            to = to.lower()
        events.append(
            Event(
                entry.at.timestamp(),
                entry.channel,
                frozenset(entry.debt_ids),
                to,
                entry.direction,
                entry.outcome,
                entry.message_left,
                entry.purpose,
                kinds.get(to) if to is not None else None,
                entry.id,
                entry.in_reply_to,
            )
        )
    events.sort(key=_event_time)
    return tuple(events)


def _event_time(event: Event) -> float:
    return event.at


def _applies_to_debt(debt_ids: list[str], keys: frozenset[str]) -> bool:
    return "*" in debt_ids or any(d in keys for d in debt_ids)
