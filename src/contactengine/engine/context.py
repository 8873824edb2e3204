"""Per-decision scratch space: the facts, their zones, and caches the rules share."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from contactengine.engine.facts import Facts


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
