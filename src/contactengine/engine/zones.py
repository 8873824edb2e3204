"""Candidate time zones for a debtor, each with the evidence it came from (SPEC §4).

A zone the debtor confirmed replaces the rest. Otherwise the address ZIP and the area code
of every phone on file each add theirs; non-geographic numbers add nothing. With nothing
resolved, the jurisdiction's fallback set applies; with no jurisdiction, nothing does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import zipcodes
from phonenumbers import timezone as phone_timezone

from contactengine.model.masking import mask_phone

FALLBACK_ZONES: dict[str, tuple[str, ...]] = {
    "US": (
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "America/Adak",
        "Pacific/Honolulu",
        "America/Puerto_Rico",
    ),
    "CA": (
        "America/St_Johns",
        "America/Halifax",
        "America/Toronto",
        "America/Winnipeg",
        "America/Regina",
        "America/Edmonton",
        "America/Vancouver",
    ),
    "GB": ("Europe/London",),
}

# An area code served by more zones than this is not geographic (toll-free, non-geographic).
MAX_ZONES_PER_NUMBER = 2
NON_GEOGRAPHIC = {
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.SHARED_COST,
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
    phonenumbers.PhoneNumberType.UAN,
}


@dataclass(frozen=True)
class ZoneSet:
    """Zones in a stable order with where each came from; `fallback` when none resolved."""

    names: tuple[str, ...]
    evidence: tuple[tuple[str, str], ...]
    fallback: bool
    zones: tuple[ZoneInfo, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Resolved once per debtor, here, so no decision looks a zone up again.
        object.__setattr__(self, "zones", tuple(zone_info(n) for n in self.names))


@cache
def zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=65536)
def zip_matches(zip_code: str) -> tuple[dict[str, Any], ...]:
    """The offline table's entries for a US ZIP (five digits, or ZIP+4), none when unknown."""
    digits = zip_code.strip()[:5]
    if len(digits) != 5 or not digits.isdigit():
        return ()
    try:
        return tuple(zipcodes.matching(digits))  # type: ignore[no-untyped-call]
    except (ValueError, TypeError):
        return ()


def zone_for_zip(zip_code: str) -> str | None:
    """The IANA zone of a US ZIP from the offline table, or None when unknown."""
    for match in zip_matches(zip_code):
        zone = match.get("timezone")
        if zone:
            return str(zone)
    return None


@lru_cache(maxsize=65536)
def zones_for_phone(number: str) -> tuple[str, ...]:
    """Zones the number's area code indicates; empty for non-geographic numbers."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return ()
    zones = tuple(z for z in phone_timezone.time_zones_for_number(parsed) if z != "Etc/Unknown")
    # In the North American plan only a geographic area code maps to a single zone (toll-free
    # and other non-geographic codes map to every zone of the plan), so the costly type
    # lookup is needed only for the rest.
    single_nanp_zone = parsed.country_code == 1 and len(zones) == 1
    if not single_nanp_zone and phonenumbers.number_type(parsed) in NON_GEOGRAPHIC:
        return ()
    if len(zones) > MAX_ZONES_PER_NUMBER:
        return ()
    return zones


def resolve_zones(
    confirmed: str | None,
    zip_code: str | None,
    country: str | None,
    phones: tuple[str, ...],
) -> ZoneSet | None:
    """The debtor's candidate zones, or None when nothing, not even a country, is known."""
    if confirmed:
        return ZoneSet((confirmed,), ((confirmed, "confirmed by the debtor"),), False)
    names: list[str] = []
    evidence: list[tuple[str, str]] = []

    def add(zone: str, source: str) -> None:
        if zone not in names:
            names.append(zone)
            evidence.append((zone, source))

    if zip_code and (country or "US") == "US":
        zone = zone_for_zip(zip_code)
        if zone:
            add(zone, f"address zip {zip_code}")
    for number in phones:
        for zone in zones_for_phone(number):
            add(zone, f"area code of phone {mask_phone(number)}")
    if names:
        return ZoneSet(tuple(names), tuple(evidence), False)
    fallback = FALLBACK_ZONES.get((country or "").upper())
    if fallback is None:
        return None
    source = f"fallback: every {country} zone (no location on file)"
    return ZoneSet(fallback, tuple((z, source) for z in fallback), True)
