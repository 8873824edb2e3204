"""Every name the rules language knows: channels, fields and their types, values, places.

The checker resolves names against this module and suggests the nearest one on a typo;
the compiler and engine read the same tables, so a name means one thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal, get_args

# The contract's closed sets of values, once: the request models use the types, the
# language the tuples.
Channel = Literal["call", "sms", "email", "letter"]
Actor = Literal["debt_collector", "creditor"]
Purpose = Literal[
    "collection",
    "response_to_consumer",
    "opt_out_confirmation",
    "cease_exception_notice",
    "validation_notice",
    "e_consent_request",
    "limited_content",
]
PhoneKind = Literal["mobile", "landline", "work", "voip", "toll_free"]
CallOutcome = Literal[
    "not_connected",
    "no_answer",
    "voicemail",
    "limited_content_message",
    "conversation",
    "wrong_party",
]
MessageOutcome = Literal["sent", "delivered", "failed", "bounced"]
Outcome = CallOutcome | MessageOutcome
Direction = Literal["outbound", "inbound"]
ConsentGivenTo = Literal["debt_collector", "creditor", "prior_collector"]
ConsentKind = Literal["express", "esign", "call_time"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

CHANNELS: tuple[str, ...] = get_args(Channel)
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
ACTORS: tuple[str, ...] = get_args(Actor)
PURPOSES: tuple[str, ...] = get_args(Purpose)
PHONE_KINDS: tuple[str, ...] = get_args(PhoneKind)
CONTACT_KINDS = (*PHONE_KINDS, "email", "address")
CALL_OUTCOMES: tuple[str, ...] = get_args(CallOutcome)
MESSAGE_OUTCOMES: tuple[str, ...] = get_args(MessageOutcome)
OUTCOMES = CALL_OUTCOMES + MESSAGE_OUTCOMES
DIRECTIONS: tuple[str, ...] = get_args(Direction)
CONSENT_GIVEN_TO: tuple[str, ...] = get_args(ConsentGivenTo)
CONSENT_KINDS: tuple[str, ...] = get_args(ConsentKind)
DEBT_TYPES = (
    "credit_card",
    "medical",
    "mortgage",
    "student_loan",
    "auto_loan",
    "personal_loan",
    "utility",
    "telecom",
    "retail",
    "other",
)
WEEKDAYS: tuple[str, ...] = get_args(Weekday)
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

US_STATES = tuple(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP".split()
)
CA_PROVINCES = tuple("AB BC MB NB NL NS NT NU ON PE QC SK YT".split())
CITIES = ("US-NY-NYC",)
JURISDICTIONS = (
    "US",
    *(f"US-{s}" for s in US_STATES),
    *CITIES,
    "CA",
    *(f"CA-{p}" for p in CA_PROVINCES),
    "GB",
)


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
