"""Plain, fast facts for the hot path, built once per request (or from a ledger snapshot).

Everything time-like is an instant (float epoch seconds, `model.instant`) and every contact
point is in its normal form (`model.contact`): both were made so at the boundary, by the
models, and are only compared here. Everything a rule looks up is an attribute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter

from contactengine.engine.jurisdictions import resolve as resolve_jurisdictions
from contactengine.engine.zones import ZoneSet, resolve_zones
from contactengine.model.debtor import Debt, Debtor, InconvenientTime
from contactengine.model.history import HistoryEntry
from contactengine.model.records import ConsentRecord, Event, OptOutRecord, event_of
from contactengine.model.request import ContactRequest

WEEKDAY_INDEX = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


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
    consents: tuple[ConsentRecord, ...]
    opt_outs: tuple[OptOutRecord, ...]
    inconvenient: tuple[InconvenientFact, ...]
    cease_communication: bool
    attorney_represented: bool
    employer_prohibits_contact: bool
    bankruptcy: bool
    deceased: bool
    reassignment_checked_at: float | None
    contact_kinds: dict[str, str] = field(default_factory=dict)
    jurisdiction_note: str | None = None


def _seconds(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def facts_from_request(request: ContactRequest) -> Facts:
    """Turn a validated request into facts; the zone and jurisdiction work happens here."""
    debtor = request.debtor
    kinds = debtor.contact_kinds()
    return assemble(
        debtor,
        request.debt,
        channel=request.channel,
        to=request.to,
        automated=request.automated,
        at=request.at,
        purpose=request.purpose,
        in_reply_to=request.in_reply_to,
        history=events_of(request.history, kinds),
        consents=tuple(c.record() for c in debtor.consents),
        opt_outs=tuple(o.record() for o in debtor.opt_outs),
        kinds=kinds,
    )


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
    consents: tuple[ConsentRecord, ...],
    opt_outs: tuple[OptOutRecord, ...],
    kinds: dict[str, str],
) -> Facts:
    """Facts from a debtor's profile, the debt, the contact asked for and the records on file.

    Requests carry the records themselves; a store reads them from its tables.
    """
    address = debtor.address
    country = address.country_code if address else None
    jurisdictions, jurisdiction_note = resolve_jurisdictions(
        country, address.state if address else None, address.zip if address else None
    )
    zones = resolve_zones(
        debtor.timezone,
        address.zip if address else None,
        country,
        tuple(p.number for p in debtor.phones),
    )
    to_employer = any(e.employer_provided for e in debtor.emails if e.address == to)
    reassignment = next((p.reassignment_checked_at for p in debtor.phones if p.number == to), None)
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
        inconvenient=tuple(_inconvenient(i) for i in debtor.inconvenient_times),
        cease_communication=_applies_to_debt(flags.cease_communication, debt_keys),
        attorney_represented=_applies_to_debt(flags.attorney_represented, debt_keys),
        employer_prohibits_contact=flags.employer_prohibits_contact,
        bankruptcy=flags.bankruptcy,
        deceased=flags.deceased,
        reassignment_checked_at=reassignment,
        contact_kinds=kinds,
    )


def _inconvenient(time: InconvenientTime) -> InconvenientFact:
    return InconvenientFact(
        start=_seconds(time.start),
        end=_seconds(time.end),
        days=frozenset(WEEKDAY_INDEX[d] for d in time.days) if time.days else None,
        channels=frozenset(time.channels) if time.channels else None,
    )


def events_of(history: list[HistoryEntry], kinds: dict[str, str]) -> tuple[Event, ...]:
    """History entries as events, oldest first."""
    events = [event_of(entry, kinds) for entry in history]
    events.sort(key=_AT)
    return tuple(events)


_AT = attrgetter("at")


def _applies_to_debt(debt_ids: list[str], keys: frozenset[str]) -> bool:
    return "*" in debt_ids or any(d in keys for d in debt_ids)
