"""Contact points in their one normal form: numbers in E.164, email addresses lower-cased,
letters' addresses in capitals.

Every shape that carries a contact point (a debtor's phones and emails, a request's `to`,
consents, opt-outs, history, attempts, planned messages) normalises it here, in its own
validator, once. Everything inside compares the normal form, so `+1 (617) 555-0101`,
`617-555-0101`, `16175550101` and `0016175550101` are one number everywhere.

A number written without its country code is read as a North American one (+1), the
plan of every US and Canadian pack; it must then be a valid number there, so a number from
elsewhere written in its national form (`07700 900123`) is refused, never misread.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import CountryCodeSource

DEFAULT_REGION = "US"
MAX_PHONE_TEXT = 64
MAX_EMAIL = 254  # RFC 5321's limit on a path
MAX_LOCAL_PART = 64
MAX_ADDRESS_TEXT = 1000  # a postal address, for letters

_DOMAIN_LABEL = re.compile(r"^[^\W_](?:(?:[^\W_]|-)*[^\W_])?$")
_LOCAL_FORBIDDEN = re.compile(r'[\s<>()\[\]\\,;:"@]')
_ADDRESS_PUNCTUATION = re.compile(r"[.,]")


class ContactPointError(ValueError):
    """A value that is not a contact point of the kind its channel needs."""


@lru_cache(maxsize=65536)
def phone_number(value: str) -> str:
    """The number in E.164 form; `ContactPointError` when it is not a possible one."""
    text = value.strip()
    if len(text) > MAX_PHONE_TEXT:
        raise ContactPointError(f"a phone number is at most {MAX_PHONE_TEXT} characters")
    if text.startswith("00"):  # the international prefix of most of the world
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, DEFAULT_REGION, keep_raw_input=True)
    except phonenumbers.NumberParseException:
        raise ContactPointError(_not_a_number(value)) from None
    national = parsed.country_code_source == CountryCodeSource.FROM_DEFAULT_COUNTRY
    usable = phonenumbers.is_valid_number(parsed) if national else None
    if usable is None:
        usable = phonenumbers.is_possible_number(parsed)
    if not usable:
        raise ContactPointError(_not_a_number(value))
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def _not_a_number(value: str) -> str:
    return (
        f"`{value}` is not a possible phone number; write it in international form"
        " such as +16175550100"
    )


@lru_cache(maxsize=65536)
def email_address(value: str) -> str:
    """The address lower-cased; `ContactPointError` when it is not an email address."""
    text = value.strip().lower()
    local, at, domain = text.rpartition("@")
    problem = None
    if not at or not local or not domain:
        problem = "it needs a name, `@` and a domain"
    elif len(text) > MAX_EMAIL or len(local) > MAX_LOCAL_PART:
        problem = f"an address is at most {MAX_EMAIL} characters, {MAX_LOCAL_PART} before `@`"
    elif _LOCAL_FORBIDDEN.search(local):
        problem = "the part before `@` has a space or a character addresses cannot have"
    elif "." not in domain or not all(_DOMAIN_LABEL.match(p) for p in domain.split(".")):
        problem = "the domain is not a name such as example.com"
    if problem is not None:
        shown = value if len(value) <= 80 else value[:80] + "…"
        raise ContactPointError(f"`{shown}` is not an email address: {problem}")
    return text


def postal_address(value: str) -> str:
    """A letter's address as the postal services standardise it: capitals, no commas or
    full stops, single spaces (`1 Main St., Boston` is `1 MAIN ST BOSTON`)."""
    text = " ".join(_ADDRESS_PUNCTUATION.sub(" ", value).upper().split())
    if len(text) > MAX_ADDRESS_TEXT:
        raise ContactPointError(f"an address is at most {MAX_ADDRESS_TEXT} characters")
    return text


@lru_cache(maxsize=65536)
def contact_point(channel: str, value: str) -> str:
    """`value` in the normal form of `channel`'s contact points (`ContactPointError`)."""
    if channel == "call" or channel == "sms":
        return phone_number(value)
    if channel == "email":
        return email_address(value)
    return postal_address(value)


def any_contact_point(value: str) -> str:
    """A number or an address, told apart by `@`: for lookups that name no channel."""
    return email_address(value) if "@" in value else phone_number(value)
