"""Local-time arithmetic that survives DST gaps and overlaps and zones without DST.

Instants are float seconds since the epoch (UTC); local values come from zoneinfo. Every
"next" function returns an instant strictly after `t` at or before which the local quantity
first changes, so a search that jumps to it never skips an instant where a rule changes.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

INF = math.inf
DAY = 86400
_MIDNIGHT = dt.time(0)


def local(t: float, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, zone)


def seconds_of_day(value: dt.datetime) -> float:
    return value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6


def start_of_day(day: dt.date, zone: ZoneInfo) -> float:
    """The first instant whose local date is `day` (after the gap if midnight is skipped)."""
    first = dt.datetime.combine(day, _MIDNIGHT, zone).timestamp()
    if local(first, zone).date() < day:  # midnight fell in an overlap: take the later one
        first = dt.datetime.combine(day, _MIDNIGHT, zone).replace(fold=1).timestamp()
    return first


def next_midnight(t: float, zone: ZoneInfo) -> float:
    """The first instant after `t` that starts a new local date."""
    return start_of_day(local(t, zone).date() + dt.timedelta(days=1), zone)


def next_week_start(t: float, zone: ZoneInfo, week_starts: int = 0) -> float:
    """The first instant after `t` that starts a new local week (0 = Monday)."""
    today = local(t, zone).date()
    days_ahead = (week_starts - today.weekday()) % 7 or 7
    return start_of_day(today + dt.timedelta(days=days_ahead), zone)


def next_clock_crossing(t: float, zone: ZoneInfo, boundaries: tuple[int, ...]) -> float:
    """The first instant after `t` at which the local clock reaches any of `boundaries`.

    `boundaries` are seconds after midnight. A clock time that falls in a DST gap is met at
    the transition itself, which is found by looking for an offset change before the answer.
    """
    here = local(t, zone)
    now = seconds_of_day(here)
    ahead = [b - now for b in boundaries if b > now]
    wait = ahead[0] if ahead else DAY - now + boundaries[0]
    candidate = t + wait
    # Same offset at both ends of less than a day: no transition between, the clock is plain.
    if wait <= DAY and local(candidate, zone).utcoffset() == here.utcoffset():
        return candidate
    today = here.date()
    best = INF
    for offset in (0, 1, 2):
        day = today + dt.timedelta(days=offset)
        base = dt.datetime.combine(day, _MIDNIGHT)
        for seconds in boundaries:
            naive = base + dt.timedelta(seconds=seconds)
            for fold in (0, 1):
                candidate = naive.replace(tzinfo=zone, fold=fold).timestamp()
                if t < candidate < best:
                    best = candidate
        if best < INF:
            break
    if best == INF:
        return INF
    return min(best, next_offset_change(t, best, zone))


def next_offset_change(t: float, until: float, zone: ZoneInfo) -> float:
    """The first instant in (t, until] where the UTC offset differs from the one at `t`."""
    before = local(t, zone).utcoffset()
    if local(until, zone).utcoffset() == before:
        return INF
    low, high = math.floor(t), math.ceil(until)
    while high - low > 1:
        middle = (low + high) // 2
        if local(middle, zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return max(float(high), math.nextafter(t, INF))
