"""Instants: the one form a point in time takes inside contactengine, epoch seconds (UTC).

Every boundary hands its instants to `instant()` once: ISO 8601 text with an offset (`Z`
allowed), an aware `datetime` from any zone library (zoneinfo, pytz, dateutil) or epoch
seconds. Inside, everything compares and adds floats; `iso()` writes one back as text.

Instants are kept to the microsecond, the finest the contract writes, so two different
instants are at least `RESOLUTION` apart. Years outside 1900-2200 are refused: no law pack
speaks for them, and beyond them the calendar arithmetic of the platform overflows.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

import pytz
from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

EARLIEST_YEAR = 1900
LATEST_YEAR = 2200
EARLIEST = dt.datetime(EARLIEST_YEAR, 1, 1, tzinfo=dt.UTC).timestamp()
LATEST = dt.datetime(LATEST_YEAR + 1, 1, 1, tzinfo=dt.UTC).timestamp()  # excluded
RESOLUTION = 1e-6
MAX_TEXT = 64  # characters: the longest ISO 8601 instant is 32
EXAMPLE = "2026-06-08T09:00:00-04:00"


class InstantError(ValueError):
    """A value that is not an instant; the message says what is wrong and shows one."""


def instant(value: object) -> float:
    """An instant as epoch seconds, rounded to the microsecond; `InstantError` otherwise."""
    if isinstance(value, str):
        moment = _parse_text(value)
        if moment.tzinfo is None:
            raise InstantError(f"`{value}` has no offset; give its UTC offset, as in {EXAMPLE}")
        return _bounded(_from_datetime(moment), value)
    if isinstance(value, dt.datetime):
        return _bounded(_from_datetime(value), value.isoformat())
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise InstantError(f"`{value}` is not an instant")
        return _bounded(round(float(value), 6), f"{value} seconds")
    raise InstantError(f"an instant is a date and time with its offset, such as {EXAMPLE}")


def iso(ts: float) -> str:
    """An instant as ISO 8601 UTC with `Z`, to the second unless finer is needed."""
    value = dt.datetime.fromtimestamp(ts, dt.UTC)
    text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def _parse_text(text: str) -> dt.datetime:
    if len(text) > MAX_TEXT:
        raise InstantError(f"an instant is at most {MAX_TEXT} characters, such as {EXAMPLE}")
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InstantError(f"`{text}` is not a date and time such as {EXAMPLE}") from None


def _from_datetime(value: dt.datetime) -> float:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InstantError(
            "this datetime has no zone, so no UTC offset: attach one (zoneinfo, pytz's"
            " `localize`, dateutil)"
        )
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise InstantError(_out_of_range(value.year))
    _check_pytz(value)
    return round(value.timestamp(), 6)


def _check_pytz(value: dt.datetime) -> None:
    """A pytz zone attached with `tzinfo=` keeps the zone's first offset (local mean time,
    -04:56 in New York): the instant would be minutes off. pytz's own `normalize` says so."""
    zone = value.tzinfo
    if not isinstance(zone, pytz.tzinfo.BaseTzInfo):
        return
    if zone.normalize(value).utcoffset() != value.utcoffset():
        raise InstantError(
            f"the offset {_offset_text(value)} is not one `{value.tzinfo}` uses at this"
            " time: a pytz zone must be attached with `zone.localize(datetime)`, not `tzinfo=`"
        )


def _offset_text(value: dt.datetime) -> str:
    """An aware datetime's offset as ISO 8601 writes it: `-04:56`."""
    text = value.strftime("%z")  # `-0456`
    return f"{text[:3]}:{text[3:5]}"


def _bounded(ts: float, shown: str) -> float:
    if not EARLIEST <= ts < LATEST:
        raise InstantError(f"`{shown}` is outside the years {EARLIEST_YEAR}-{LATEST_YEAR} (in UTC)")
    return ts


def _out_of_range(year: int) -> str:
    return f"the year {year} is outside {EARLIEST_YEAR}-{LATEST_YEAR}"


_FIXED = dt.timezone
_from_text = dt.datetime.fromisoformat


def _validate(value: Any) -> float:
    """`instant()` with a fast path for the common case, ISO text with a fixed offset: a
    request carries one instant per history entry, and this runs for each."""
    if type(value) is str and len(value) <= MAX_TEXT:
        try:
            moment = _from_text(value)
        except ValueError:
            return instant(value)  # the slow path says what is wrong
        if type(moment.tzinfo) is _FIXED and EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            ts = moment.timestamp()
            if EARLIEST <= ts < LATEST:
                return ts
    return instant(value)


# A field holding an instant: parsed by `instant()`, written as ISO text in JSON.
Instant = Annotated[
    float,
    PlainValidator(_validate),
    PlainSerializer(iso, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": [EXAMPLE]}),
]
