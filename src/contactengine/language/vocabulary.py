"""Every name the rules language knows: fields and their types, functions, units, calendars.

The closed sets of values (channels, purposes, places) are the domain's own
(`model.vocabulary`); this module adds the language's words for them. The checker resolves
names against these tables and suggests the nearest one on a typo; the compiler reads the
same tables, so a name means one thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from contactengine.model.vocabulary import (
    ACTORS,
    CHANNELS,
    CONSENT_GIVEN_TO,
    CONSENT_KINDS,
    CONTACT_KINDS,
    DEBT_TYPES,
    DIRECTIONS,
    JURISDICTIONS,
    OUTCOMES,
    PURPOSES,
    WEEKDAYS,
)

# The closed sets the checker and compiler name through this module.
__all__ = ["ACTORS", "CHANNELS", "DEBT_TYPES", "JURISDICTIONS"]

CHANNEL_PLURALS = {
    "call": ("call",),
    "calls": ("call",),
    "sms": ("sms",),
    "text": ("sms",),
    "texts": ("sms",),
    "email": ("email",),
    "emails": ("email",),
    "letter": ("letter",),
    "letters": ("letter",),
    "contacts": CHANNELS,
    "communications": CHANNELS,
}
WEEKDAY_ALIASES = {
    **{d: i for i, d in enumerate(WEEKDAYS)},
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}
DURATION_UNITS = {
    "minute": 60,
    "minutes": 60,
    "hour": 3600,
    "hours": 3600,
    "day": 86400,
    "days": 86400,
    "week": 7 * 86400,
    "weeks": 7 * 86400,
}
CALENDAR_UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7}
COUNT_KEYS = ("debt", "debtor", "household", "contact")


@dataclass(frozen=True)
class Type:
    """A value's type as the checker sees it; `values` lists an enumeration's members."""

    kind: str  # bool number duration time date text enum day
    label: str
    values: tuple[str, ...] = ()


BOOL = Type("bool", "true or false")
NUMBER = Type("number", "a count")
DURATION = Type("duration", "a duration")
TIME = Type("time", "a time of day")
DATE = Type("date", "a date")
TEXT = Type("text", "a text")
DAY = Type("day", "a day of the week", tuple(WEEKDAY_ALIASES))


def enum(label: str, values: tuple[str, ...]) -> Type:
    return Type("enum", label, values)


REQUEST_FIELDS: dict[str, Type] = {
    "channel": enum("a channel", CHANNELS),
    "automated": BOOL,
    "purpose": enum("a purpose", PURPOSES),
    "actor": enum("an actor", ACTORS),
    "debt.type": enum("a debt type", DEBT_TYPES),
    "to.kind": enum("a contact kind", CONTACT_KINDS),
    "to.employer_provided": BOOL,
    "cease_communication": BOOL,
    "attorney_represented": BOOL,
    "employer_prohibits_contact": BOOL,
    "bankruptcy": BOOL,
    "deceased": BOOL,
    "inconvenient_time": BOOL,
    "answering_consumer": BOOL,
}

HISTORY_FIELDS: dict[str, Type] = {
    "channel": enum("a channel", CHANNELS),
    "direction": enum("a direction", DIRECTIONS),
    "outcome": enum("an outcome", OUTCOMES),
    "message_left": BOOL,
    "purpose": enum("a purpose", PURPOSES),
    "to.kind": enum("a contact kind", CONTACT_KINDS),
}

CONSENT_FIELDS: dict[str, Type] = {
    "channel": enum("a channel", CHANNELS),
    "given_to": enum("who consent was given to", CONSENT_GIVEN_TO),
    "kind": enum("a consent kind", CONSENT_KINDS),
}

OPT_OUT_FIELDS: dict[str, Type] = {"channel": enum("a channel", CHANNELS)}


@dataclass(frozen=True)
class Function:
    """A counting function: what it looks at and what it returns."""

    name: str
    returns: Type
    fields: dict[str, Type]
    takes_channels: bool
    takes_key: bool
    help: str


FUNCTIONS: dict[str, Function] = {
    "count": Function("count", NUMBER, HISTORY_FIELDS, True, True, "how many past contacts match"),
    "any": Function("any", BOOL, HISTORY_FIELDS, True, True, "whether any past contact matches"),
    "consent": Function(
        "consent", BOOL, CONSENT_FIELDS, True, False, "whether unrevoked consent is on file"
    ),
    "opt_out": Function(
        "opt_out", BOOL, OPT_OUT_FIELDS, True, False, "whether the consumer opted out"
    ),
    "reassignment_check": Function(
        "reassignment_check",
        BOOL,
        {},
        False,
        False,
        "whether the number was checked against the reassigned-numbers database",
    ),
}


@cache
def holiday_calendar_exists(name: str) -> bool:
    """A calendar is a jurisdiction the `holidays` package knows: `US`, `CA-ON`, `GB`."""
    import holidays

    country, _, subdivision = name.partition("-")
    try:
        holidays.country_holidays(country, subdiv=subdivision or None, years=2026)
    except (NotImplementedError, KeyError, ValueError, AttributeError):
        return False
    return True


KNOWN_CALENDARS = ("US", "CA", "CA-ON", "CA-QC", "GB", "GB-ENG", "GB-SCT")
