"""Per-decision scratch space: the facts, their zones, and caches the rules share."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from contactengine.engine.facts import Facts
from contactengine.model.records import Event

_FORTNIGHT = 14 * 86400
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


class EvalContext:
    """Caches local datetimes and pre-selected event lists for one set of facts."""

    __slots__ = ("_local", "cache", "facts", "zone_names", "zones")

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        zone_set = facts.zones
        self.zones: tuple[ZoneInfo, ...] = zone_set.zones if zone_set else ()
        self.zone_names: tuple[str, ...] = zone_set.names if zone_set else ()
        self._local: dict[tuple[int, float], dt.datetime] = {}
        self.cache: dict[Any, Any] = {}

    def local(self, zi: int, t: float) -> dt.datetime:
        key = (zi, t)
        value = self._local.get(key)
        if value is None:
            value = dt.datetime.fromtimestamp(t, self.zones[zi])
            if len(self._local) > 4096:
                self._local.clear()
            self._local[key] = value
        return value

    def ordinal(self, zi: int, t: float) -> int:
        return self.local(zi, t).toordinal()

    def ordinals(self, zi: int, times: list[float]) -> list[int]:
        """Local date ordinals of sorted instants; arithmetic when the UTC offset is constant.

        No zone changes its offset twice within a fortnight, so equal offsets at both ends of
        a shorter span mean one offset throughout; otherwise each instant is converted.
        """
        if not times:
            return []
        zone = self.zones[zi]
        first, last = times[0], max(times[-1], self.facts.at)
        offset = self.local(zi, first).utcoffset()
        if last - first < _FORTNIGHT and offset == self.local(zi, last).utcoffset():
            assert offset is not None
            shift = offset.total_seconds()
            return [int((t + shift) // 86400) + _EPOCH_ORDINAL for t in times]
        return [dt.datetime.fromtimestamp(t, zone).toordinal() for t in times]

    def events_on(self, channels: frozenset[str]) -> tuple[list[float], list[Event]]:
        """History on these channels, oldest first, with their times for bisection."""
        key = ("events", channels)
        found: tuple[list[float], list[Event]] | None = self.cache.get(key)
        if found is None:
            events = [e for e in self.facts.history if e.channel in channels]
            found = ([e.at for e in events], events)
            self.cache[key] = found
        return found
