"""The domain's closed sets of values, once: channels, actors, purposes, outcomes, places.

The request models use the `Literal` types, the rules language and the stores the tuples,
so a value means one thing everywhere.
"""

from __future__ import annotations

from typing import Literal, get_args

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
# One flat set, so that a bad value gets one error naming the field, not one per kind.
Outcome = Literal[
    "not_connected",
    "no_answer",
    "voicemail",
    "limited_content_message",
    "conversation",
    "wrong_party",
    "sent",
    "delivered",
    "failed",
    "bounced",
]
Direction = Literal["outbound", "inbound"]
ConsentGivenTo = Literal["debt_collector", "creditor", "prior_collector"]
ConsentKind = Literal["express", "esign", "call_time"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

CHANNELS: tuple[str, ...] = get_args(Channel)
PHONE_CHANNELS = ("call", "sms")
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
WEEKDAYS: tuple[str, ...] = get_args(Weekday)
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
# Country codes people write that are not ISO 3166 alpha-2, and the code they mean.
COUNTRY_ALIASES = {"USA": "US", "UK": "GB", "CAN": "CA"}
