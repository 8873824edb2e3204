"""Evaluable rule conditions: each node says its value at an instant and when it may change.

`value(ctx, zi, t)` is the condition at instant `t` in candidate zone `zi`.
`next_change(ctx, zi, t)` is an instant after `t` before which the value cannot change
(`INF` when it never will). The next-allowed-time search jumps by these, so it is exact:
it never passes an instant where the decision could differ.
"""

from __future__ import annotations

import datetime as dt
import operator
from abc import ABC, abstractmethod
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contactengine.engine import timeutil
from contactengine.engine.context import EvalContext
from contactengine.engine.timeutil import INF
from contactengine.model.instant import RESOLUTION
from contactengine.model.records import ConsentRecord, Event, OptOutRecord

COMPARATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class Node(ABC):
    """A boolean condition over facts and time."""

    zonal = False  # True when the value depends on the candidate zone
    cost = 1  # rough evaluation cost, so cheap tests run first

    @abstractmethod
    def value(self, ctx: EvalContext, zi: int, t: float) -> bool:
        """The condition at instant `t` in candidate zone `zi`."""

    def next_change(self, ctx: EvalContext, zi: int, t: float) -> float:
        return INF

    def counts(self) -> list[CountNode]:
        return []

    def emit(self, bind: Bind, zone: str) -> str:
        """A Python expression for this condition over `c` (context), `f` (facts), `t`.

        The default calls the node; plain fact tests inline themselves (see `Static`).
        """
        return f"{bind(self)}.value(c, {zone}, t)"


Bind = Callable[[Any], str]


class Const(Node):
    cost = 0

    def __init__(self, constant: bool) -> None:
        self.constant = constant

    def value(self, ctx: EvalContext, zi: int, t: float) -> bool:
        return self.constant

    def emit(self, bind: Bind, zone: str) -> str:
        return "True" if self.constant else "False"


class Static(Node):
    """A condition on facts that do not change with time (flags, channel, purpose).

    `code` is a Python expression over `f` (the facts) and `c` (the context), with `{0}`,
    `{1}` standing for `values`: inlined into rule plans, and compiled once here for the
    rule-by-rule path, so the test is written once.
    """

    cost = 0

    def __init__(self, code: str, values: tuple[Any, ...] = ()) -> None:
        self.code = code
        self.values = values
        names = {f"_v{i}": value for i, value in enumerate(values)}
        source = f"def test(c):\n    f = c.facts\n    return bool({code.format(*names)})"
        exec(compile(source, "<fact test>", "exec"), names)
        self.test: Callable[[EvalContext], bool] = names["test"]

    def value(self, ctx: EvalContext, zi: int, t: float) -> bool:
        return self.test(ctx)

    def emit(self, bind: Bind, zone: str) -> str:
        return "(" + self.code.format(*(bind(v) for v in self.values)) + ")"


class Not(Node):
    def __init__(self, operand: Node) -> None:
        self.operand = operand
        self.zonal = operand.zonal
        self.cost = operand.cost

    def value(self, ctx: EvalContext, zi: int, t: float) -> bool:
        return not self.operand.value(ctx, zi, t)

    def next_change(self, ctx: EvalContext, zi: int, t: float) -> float:
        return self.operand.next_change(ctx, zi, t)

    def counts(self) -> list[CountNode]:
        return self.operand.counts()

    def emit(self, bind: Bind, zone: str) -> str:
        return f"(not {self.operand.emit(bind, zone)})"


class And(Node):
    def __init__(self, parts: list[Node]) -> None:
        self.parts = sorted(parts, key=lambda p: p.cost)
        self.zonal = any(p.zonal for p in parts)
        self.cost = sum(p.cost for p in parts)

    def value(self, ctx: EvalContext, zi: int, t: float) -> bool:
        for part in self.parts:
            if not part.value(ctx, zi, t):
                return False
        return True

    def next_change(self, ctx: EvalContext, zi: int, t: float) -> float:
        false_parts = [p for p in self.parts if not p.value(ctx, zi, t)]
        if false_parts:  # stays false until every false part has changed at least once
            return max(p.next_change(ctx, zi, t) for p in false_parts)
        return min((p.next_change(ctx, zi, t) for p in self.parts), default=INF)

    def counts(self) -> list[CountNode]:
        return [c for p in self.parts for c in p.counts()]

    def emit(self, bind: Bind, zone: str) -> str:
        return "(" + " and ".join(p.emit(bind, zone) for p in self.parts) + ")"


class Or(Node):
    def __init__(self, parts: list[Node]) -> None:
        self.parts = sorted(parts, key=lambda p: p.cost)
        self.zonal = any(p.zonal for p in parts)
        self.cost = sum(p.cost for p in parts)

    def value(self, ctx: EvalContext, zi: int, t: float) -> bool:
        for part in self.parts:
            if part.value(ctx, zi, t):
                return True
        return False

    def next_change(self, ctx: EvalContext, zi: int, t: float) -> float:
        true_parts = [p for p in self.parts if p.value(ctx, zi, t)]
        if true_parts:  # stays true until every true part has changed at least once
            return max(p.next_change(ctx, zi, t) for p in true_parts)
        return min((p.next_change(ctx, zi, t) for p in self.parts), default=INF)

    def counts(self) -> list[CountNode]:
        return [c for p in self.parts for c in p.counts()]

    def emit(self, bind: Bind, zone: str) -> str:
        return "(" + " or ".join(p.emit(bind, zone) for p in self.parts) + ")"


class ClockWindow(Node):
    """Local time of day inside a union of half-open [start, end) intervals (seconds)."""

    zonal = True
    cost = 3

    def __init__(self, intervals: list[tuple[int, int]]) -> None:
        self.intervals = intervals
        self.boundaries = tuple(sorted({s % 86400 for iv in intervals for s in iv}))

    def value(self, ctx: EvalContext, zi: int, t: float) -> bool:
        now = timeutil.seconds_of_day(ctx.local(zi, t))
        return any(start <= now < end for start, end in self.intervals)

    def next_change(self, ctx: EvalContext, zi: int, t: float) -> float:
        return timeutil.next_clock_crossing(t, ctx.zones[zi], self.boundaries)


class DayTest(Node):
    """A test on the local date (weekday, holiday, date range): changes only at midnight."""

    zonal = True
    cost = 3

    def __init__(self, test: Callable[[Any], bool]) -> None:
        self.test = test

    def value(self, ctx: EvalContext, zi: int, t: float) -> bool:
        return self.test(ctx.local(zi, t).date())

    def next_change(self, ctx: EvalContext, zi: int, t: float) -> float:
        return timeutil.next_midnight(t, ctx.zones[zi])


class InForce(Node):
    """A rule's effective dates: from `start` (included) to `until` (excluded), local dates.

    Far from both dates the answer is the same in every zone, so no local time is needed.
    """

    zonal = True
    _MARGIN = 2 * 86400  # wider than any UTC offset

    def __init__(self, start: dt.date | None, until: dt.date | None) -> None:
        self.start = start
        self.until = until
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        self.safe_from = (
            -INF
            if start is None
            else (dt.datetime.combine(start, dt.time(), dt.UTC) - epoch).total_seconds()
            + self._MARGIN
        )
        self.safe_until = (
            INF
            if until is None
            else (dt.datetime.combine(until, dt.time(), dt.UTC) - epoch).total_seconds()
            - self._MARGIN
        )

    def emit(self, bind: Bind, zone: str) -> str:
        # Far from both dates no local date is needed: test the instant inline.
        inside = f"{bind(self.safe_from)} <= t < {bind(self.safe_until)}"
        return f"({inside} or {bind(self)}.value(c, {zone}, t))"

    def value(self, ctx: EvalContext, zi: int, t: float) -> bool:
        if self.safe_from <= t < self.safe_until:
            return True
        day = ctx.local(zi, t).date()
        return (self.start is None or day >= self.start) and (
            self.until is None or day < self.until
        )

    def next_change(self, ctx: EvalContext, zi: int, t: float) -> float:
        day = ctx.local(zi, t).date()
        zone = ctx.zones[zi]
        if self.start is not None and day < self.start:
            return timeutil.start_of_day(self.start, zone)
        if self.until is not None and day < self.until:
            return timeutil.start_of_day(self.until, zone)
        return INF


class InconvenientTime(Node):
    """Inside a time the consumer said is inconvenient, on this channel, in this zone."""

    zonal = True
    cost = 2

    def emit(self, bind: Bind, zone: str) -> str:
        return f"(bool(f.inconvenient) and {bind(self)}.value(c, {zone}, t))"

    def value(self, ctx: EvalContext, zi: int, t: float) -> bool:
        facts = ctx.facts
        if not facts.inconvenient:
            return False
        here = ctx.local(zi, t)
        now = timeutil.seconds_of_day(here)
        weekday = here.weekday()
        for item in facts.inconvenient:
            if item.channels is not None and facts.channel not in item.channels:
                continue
            if item.start < item.end:
                inside = item.start <= now < item.end
                day = weekday
            else:  # wraps midnight: the part after midnight belongs to the day it started
                inside = now >= item.start or now < item.end
                day = weekday if now >= item.start else (weekday - 1) % 7
            if inside and (item.days is None or day in item.days):
                return True
        return False

    def next_change(self, ctx: EvalContext, zi: int, t: float) -> float:
        items = ctx.facts.inconvenient
        if not items:
            return INF
        boundaries = tuple(sorted({b % 86400 for i in items for b in (i.start, i.end)} | {0}))
        return timeutil.next_clock_crossing(t, ctx.zones[zi], boundaries)


# --- counting over history ---------------------------------------------------------------

EventTest = Callable[[EvalContext, int, Event], bool]


@dataclass(frozen=True)
class Window:
    """Rolling `seconds`, or `calendar` days/weeks counted in local dates (day of `t` = 1).

    A rolling window is `[t - seconds, t]` when `closed` (a contact exactly `seconds` old
    is inside) and `(t - seconds, t]` when not; the compiler chooses the reading that
    refuses. Contacts after `t` are always inside (the conservative reading of a record
    dated ahead of the request).
    """

    seconds: float | None = None
    calendar_days: int | None = None
    calendar_weeks: int | None = None
    closed: bool = True

    def oldest(self, times: list[float], t: float) -> int:
        """The index of the first of sorted `times` a rolling window at `t` holds."""
        assert self.seconds is not None
        edge = t - self.seconds
        return bisect_left(times, edge) if self.closed else bisect_right(times, edge)

    def leaves(self, start: float) -> float:
        """The first instant at which a contact at `start` is out of a rolling window."""
        assert self.seconds is not None
        return start + self.seconds + (RESOLUTION if self.closed else 0.0)

    @property
    def is_calendar(self) -> bool:
        return self.seconds is None and (self.calendar_days or self.calendar_weeks) is not None

    @property
    def reach(self) -> float:
        """How far before `t` an event can still count, for any zone on Earth."""
        if self.seconds is not None:
            return self.seconds
        if self.calendar_days is not None:
            return (self.calendar_days + 2) * 86400.0
        if self.calendar_weeks is not None:
            return (self.calendar_weeks * 7 + 8) * 86400.0
        return INF


def _week(ordinal: int) -> int:
    return (ordinal - 1) // 7  # weeks start on Monday (date.toordinal() of a Monday ≡ 1 mod 7)


class CountNode:
    """How many history events match: channels, key, filter, window; per zone if needed."""

    def __init__(
        self,
        channels: frozenset[str],
        key: str,
        window: Window,
        where: EventTest | None,
        where_zonal: bool,
    ) -> None:
        self.channels = channels
        self.key = key
        self.window = window
        self.where = where
        self.zonal = window.is_calendar or where_zonal

    def _selected(self, ctx: EvalContext, zi: int) -> tuple[list[float], list[int]]:
        cache_key = (id(self), zi if self.zonal else -1)
        found: tuple[list[float], list[int]] | None = ctx.cache.get(cache_key)
        if found is not None:
            return found
        facts = ctx.facts
        all_times, events = ctx.events_on(self.channels)
        # Searches only move forward from `at`: older events can never count again.
        first = bisect_left(all_times, facts.at - self.window.reach) if all_times else 0
        times: list[float] = []
        ordinals: list[int] = []
        key, where, calendar = self.key, self.where, self.window.is_calendar
        debt_keys, to = facts.debt_keys, facts.to
        for index in range(first, len(events)):
            event = events[index]
            if key == "debt" and debt_keys.isdisjoint(event.debt_ids):
                continue
            if key == "contact" and event.to != to:
                continue
            if where is not None and not where(ctx, zi, event):
                continue
            times.append(event.at)
        if calendar:
            ordinals = ctx.ordinals(zi, times)
            if self.window.calendar_weeks:
                ordinals = [_week(o) for o in ordinals]
        found = (times, ordinals)
        ctx.cache[cache_key] = found
        return found

    def upper_bound(self, ctx: EvalContext, t: float) -> int:
        """Contacts on these channels that could still count at `t`: cheap, no filtering."""
        times, _ = ctx.events_on(self.channels)
        return len(times) - bisect_left(times, t - self.window.reach)

    def count(self, ctx: EvalContext, zi: int, t: float) -> int:
        times, ordinals = self._selected(ctx, zi)
        window = self.window
        if window.seconds is not None:
            return len(times) - window.oldest(times, t)
        if window.calendar_days is not None:
            first = ctx.ordinal(zi, t) - window.calendar_days + 1
            return len(ordinals) - bisect_left(ordinals, first)
        if window.calendar_weeks is not None:
            first = _week(ctx.ordinal(zi, t)) - window.calendar_weeks + 1
            return len(ordinals) - bisect_left(ordinals, first)
        return len(times)

    def next_change(self, ctx: EvalContext, zi: int, t: float) -> float:
        times, _ = self._selected(ctx, zi)
        window = self.window
        if window.seconds is not None:
            index = window.oldest(times, t)
            return window.leaves(times[index]) if index < len(times) else INF
        if self.count(ctx, zi, t) == 0:
            return INF
        if window.calendar_days is not None:
            return timeutil.next_midnight(t, ctx.zones[zi])
        if window.calendar_weeks is not None:
            return timeutil.next_week_start(t, ctx.zones[zi])
        return INF


class CountCompare(Node):
    """`count(...) op N`, or `any(...)` as `count(...) >= 1`."""

    cost = 8

    def __init__(self, count: CountNode, op: str, number: int) -> None:
        self.count_node = count
        self.compare = COMPARATORS[op]
        self.number = number if op != ">" else number + 1
        if op == ">":
            self.compare = COMPARATORS[">="]
        # For `<`, `<=` and `!=` a small bound decides true; for `>=` and `=` it decides false.
        self.low = op in ("<", "<=", "!=")
        self.zonal = count.zonal

    def value(self, ctx: EvalContext, zi: int, t: float) -> bool:
        bound = self.count_node.upper_bound(ctx, t)
        if bound < self.number:  # too few contacts on these channels to reach the number
            return bool(self.compare(bound, self.number)) if self.low else False
        return self.compare(self.count_node.count(ctx, zi, t), self.number)

    def next_change(self, ctx: EvalContext, zi: int, t: float) -> float:
        return self.count_node.next_change(ctx, zi, t)

    def counts(self) -> list[CountNode]:
        return [self.count_node]


# --- consents, opt-outs, reassignment checks --------------------------------------------

Record = ConsentRecord | OptOutRecord


class RecordTest(Node):
    """Whether a matching consent or opt-out is in force at `t`, within an optional window.

    Consents hold from `given_at` until `revoked_at`; opt-outs hold from `at` on.
    """

    cost = 4

    def __init__(
        self,
        kind: str,
        channels: frozenset[str] | None,
        window: Window,
        where: Callable[[Record], bool] | None,
    ) -> None:
        self.kind = kind
        self.channels = channels
        self.window = window
        self.where = where
        self.zonal = window.is_calendar

    def _records(self, ctx: EvalContext) -> list[tuple[float, float]]:
        found: list[tuple[float, float]] | None = ctx.cache.get(self)
        if found is not None:
            return found
        facts = ctx.facts
        channels = self.channels or frozenset((facts.channel,))
        found = []
        if self.kind == "consent":
            for consent in facts.consents:
                if self._matches(consent, channels, facts.to):
                    found.append((consent.given_at, consent.revoked_at))
        elif self.kind == "opt_out":
            for opt_out in facts.opt_outs:
                if self._matches(opt_out, channels, facts.to):
                    found.append((opt_out.at, INF))
        elif facts.reassignment_checked_at is not None:
            found.append((facts.reassignment_checked_at, INF))
        ctx.cache[self] = found
        return found

    def _matches(self, record: Record, channels: frozenset[str], to: str | None) -> bool:
        if record.channel not in channels:
            return False
        if record.to is not None and record.to != to:
            return False
        return self.where is None or self.where(record)

    def holds_at(self, ctx: EvalContext, zi: int, t: float, start: float, end: float) -> bool:
        if not start <= t < end:
            return False
        window = self.window
        if window.seconds is not None:
            return t < window.leaves(start)
        if window.calendar_days is not None:
            return ctx.ordinal(zi, t) <= ctx.ordinal(zi, start) + window.calendar_days - 1
        if window.calendar_weeks is not None:
            return (
                _week(ctx.ordinal(zi, t))
                <= _week(ctx.ordinal(zi, start)) + window.calendar_weeks - 1
            )
        return True

    def value(self, ctx: EvalContext, zi: int, t: float) -> bool:
        for start, end in self._records(ctx):
            if self.holds_at(ctx, zi, t, start, end):
                return True
        return False

    def next_change(self, ctx: EvalContext, zi: int, t: float) -> float:
        best = INF
        for start, end in self._records(ctx):
            for edge in (start, end):
                if t < edge < best:
                    best = edge
            window = self.window
            if window.seconds is not None:
                edge = window.leaves(start)
                if t < edge < best:
                    best = edge
            elif window.is_calendar and start <= t < end:
                best = min(best, timeutil.next_midnight(t, ctx.zones[zi]))
        return best

    def at_event(self, ctx: EvalContext, zi: int, event: Event) -> bool:
        """The same test with the event's time as `now` (inside a `where`)."""
        for start, end in self._records(ctx):
            if self.holds_at(ctx, zi, event.at, start, end):
                return True
        return False


class Gate:
    """A rule's condition split for speed: zone-free conjuncts once, then the rest per zone.

    Most rules refuse on a flag that is false; testing it once spares the per-zone work.
    """

    __slots__ = ("node", "once", "per_zone")

    def __init__(self, node: Node) -> None:
        parts = node.parts if isinstance(node, And) else [node]
        self.node = node
        self.once = tuple(p for p in parts if not p.zonal)
        zonal = [p for p in parts if p.zonal]
        self.per_zone: Node | None = (
            None if not zonal else zonal[0] if len(zonal) == 1 else And(zonal)
        )

    def first_zone(self, ctx: EvalContext, t: float, zone_count: int) -> int | None:
        """The first candidate zone in which the condition holds, or None."""
        for part in self.once:
            if not part.value(ctx, 0, t):
                return None
        rest = self.per_zone
        if rest is None:
            return 0
        for zi in range(zone_count):
            if rest.value(ctx, zi, t):
                return zi
        return None
