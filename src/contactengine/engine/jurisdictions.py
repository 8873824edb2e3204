"""Jurisdictions from an address: country, state or province, and a city with its own rules.

New York City is found by its five boroughs' counties, read from the offline ZIP table.
A state or province that is missing or unknown makes every pack of the country apply
(written `US-*`), with a note saying so: the strictest reading rather than none.
"""

from __future__ import annotations

from contactengine.engine.zones import zip_matches
from contactengine.model.vocabulary import CA_PROVINCES, US_STATES

SUBDIVISIONS: dict[str, tuple[str, ...]] = {"US": US_STATES, "CA": CA_PROVINCES}
NYC_COUNTIES = frozenset(
    {"New York County", "Kings County", "Queens County", "Bronx County", "Richmond County"}
)
EVERY = "*"


def _county(zip_code: str) -> str | None:
    matches = zip_matches(zip_code)
    return str(matches[0]["county"]) if matches else None


def resolve(
    country: str | None, state: str | None, zip_code: str | None
) -> tuple[tuple[str, ...], str | None]:
    """The jurisdiction path, widest first, and a note when part of it had to be assumed."""
    if not country:
        return (), None
    country = country.upper()
    known = SUBDIVISIONS.get(country)
    code = (state or "").strip().upper()
    if known is None:  # a country whose regions we do not know: the country's packs only
        return ((country, f"{country}-{code}") if code else (country,)), None
    if code not in known:
        shown = f"`{state}`" if state else "missing"
        note = (
            f"the debtor's state or province is {shown}: every {country} state, province"
            " and city pack applies"
        )
        return (country, f"{country}-{EVERY}"), note
    path = [country, f"{country}-{code}"]
    if country == "US" and code == "NY" and zip_code and _county(zip_code) in NYC_COUNTIES:
        path.append("US-NY-NYC")
    return tuple(path), None


def covers(jurisdictions: tuple[str, ...], rule_jurisdiction: str) -> bool:
    """Whether a rule written for `rule_jurisdiction` applies to a debtor in `jurisdictions`."""
    if rule_jurisdiction in jurisdictions:
        return True
    country, _, rest = rule_jurisdiction.partition("-")
    return bool(rest) and f"{country}-{EVERY}" in jurisdictions
