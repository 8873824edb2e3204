"""The rules language's syntax tree: frozen dataclasses carrying a source span.

The span is ignored by equality so that parse → format → parse round trips compare equal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """Where a node came from: 1-based line and column, end exclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


NO_SPAN = Span("<unknown>", 1, 1, 1, 1)


@dataclass(frozen=True)
class Node:
    span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)


# --- expressions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Name(Node):
    """A field (`purpose`, `to.kind`) or a named value (`debt_collector`, `sun`)."""

    name: str


@dataclass(frozen=True)
class Number(Node):
    value: int


@dataclass(frozen=True)
class TimeOfDay(Node):
    """A local clock time, `08:00`; `text` keeps what was written for messages."""

    text: str


@dataclass(frozen=True)
class DateLit(Node):
    text: str


@dataclass(frozen=True)
class Duration(Node):
    """`7 days` (rolling) or `7 calendar days` (counted in the consumer's local dates)."""

    amount: int
    unit: str
    calendar: bool


@dataclass(frozen=True)
class String(Node):
    value: str


@dataclass(frozen=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True)
class ListExpr(Node):
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class LocalTime(Node):
    pass


@dataclass(frozen=True)
class LocalDay(Node):
    pass


@dataclass(frozen=True)
class LocalDate(Node):
    pass


@dataclass(frozen=True)
class Holiday(Node):
    calendar: Name


@dataclass(frozen=True)
class Events(Node):
    """The argument of a counting function: which events, keyed how, over what window.

    The window may name a duration setting; the settings pass replaces it by its value.
    """

    channels: tuple[Name, ...]
    key: Name | None
    window: Duration | Name | None
    where: Expr | None


@dataclass(frozen=True)
class Call(Node):
    function: Name
    events: Events


@dataclass(frozen=True)
class Not(Node):
    operand: Expr


@dataclass(frozen=True)
class And(Node):
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Or(Node):
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Compare(Node):
    """`left op right`; `op` is one of = != < <= > >=; `is` / `is not` are = / !=."""

    op: str
    left: Expr
    right: Expr
    op_span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True)
class Between(Node):
    """Half-open: `local time between 08:00 and 21:00` holds at 08:00, not at 21:00."""

    operand: Expr
    low: Expr
    high: Expr


@dataclass(frozen=True)
class In(Node):
    operand: Expr
    items: ListExpr
    negated: bool


Expr = (
    Name
    | Number
    | TimeOfDay
    | DateLit
    | Duration
    | String
    | Bool
    | ListExpr
    | LocalTime
    | LocalDay
    | LocalDate
    | Holiday
    | Call
    | Not
    | And
    | Or
    | Compare
    | Between
    | In
)


# --- rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clause(Node):
    """One keyword-led line of a rule. `kind` is the keyword (`title`, `deny`, ...)."""

    kind: str


@dataclass(frozen=True)
class TextClause(Clause):
    text: str


@dataclass(frozen=True)
class WordsClause(Clause):
    words: tuple[Name, ...]


@dataclass(frozen=True)
class EffectiveClause(Clause):
    """`effective from A until B` (a rule), or `covers from A` (a pack); a date may name a
    date setting."""

    start: DateLit | Name | None
    until: DateLit | Name | None


@dataclass(frozen=True)
class ExprClause(Clause):
    expr: Expr


@dataclass(frozen=True)
class Block(Node):
    """`KEYWORD ID ... end`: an id and its clauses, found by keyword."""

    id: Name
    clauses: tuple[Clause, ...]

    def first(self, kind: str) -> Clause | None:
        return next((c for c in self.clauses if c.kind == kind), None)

    def all(self, kind: str) -> list[Clause]:
        return [c for c in self.clauses if c.kind == kind]


@dataclass(frozen=True)
class Rule(Block):
    """`rule ID ... end`: who, where, when, and what it refuses."""


@dataclass(frozen=True)
class Pack(Block):
    """`pack ID ... end`: the places a pack of rules speaks for, and from when (`covers`)."""


@dataclass(frozen=True)
class Setting(Node):
    """`setting NAME is VALUE`: a reading of the law that rules refer to by name."""

    name: Name
    value: Duration | DateLit


@dataclass(frozen=True)
class RuleFile(Node):
    path: str
    source: str
    rules: tuple[Rule, ...]
    settings: tuple[Setting, ...] = ()
    packs: tuple[Pack, ...] = ()


def parse_date(text: str) -> dt.date | None:
    """The date a `DateLit` names, or None when it names none (`2026-02-30`)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def parse_time_of_day(text: str) -> int | None:
    """Seconds after local midnight for `HH:MM`, or None when out of range (`25:00`)."""
    hours, _, minutes = text.partition(":")
    h, m = int(hours), int(minutes)
    if h > 24 or m > 59 or (h == 24 and m != 0):
        return None
    return h * 3600 + m * 60
