"""Checked AST → `RuleSet`: conditions become evaluable nodes.

Passes run in order over each rule: scope (who, where, which channels, when in force) and
conditions (deny / warn / allow only, with `unless` and `applies when` folded in). The
`RuleSet` (`engine.ruleset`) then indexes the rules by channel, jurisdiction and actor, so
a decision touches only rules that can apply.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import Any

from contactengine.engine import nodes as n
from contactengine.engine.context import EvalContext
from contactengine.engine.facts import Facts
from contactengine.engine.ruleset import CompiledRule, PackCoverage, RuleSet
from contactengine.language import ast
from contactengine.language import vocabulary as v
from contactengine.language.settings import resolve
from contactengine.model.records import Event


def ruleset_digest(sources: list[tuple[str, str]]) -> str:
    """`sha256:` of every file's name and text, in name order: the same rules, the same hash."""
    digest = hashlib.sha256()
    for name, text in sorted(sources):
        digest.update(name.encode(errors="surrogatepass"))
        digest.update(b"\0")
        digest.update(text.encode(errors="surrogatepass"))
        digest.update(b"\0")
    return "sha256:" + digest.hexdigest()


def compile_files(
    files: list[ast.RuleFile], digest: str, origins: Mapping[str, str] | None = None
) -> RuleSet:
    """The rule set of checked files. `origins` renames files in the `source` decisions
    give (`rules/us/federal.rules:41:1`): relative to the rules' root, never a server path."""
    resolved = resolve(files)
    names = origins or {}

    def where(span: ast.Span) -> str:
        return f"{names.get(span.file, span.file)}:{span.line}:{span.column}"

    rules = tuple(compile_rule(rule, where) for f in resolved for rule in f.rules)
    packs = tuple(compile_pack(pack, where) for f in resolved for pack in f.packs)
    reach = max(
        (_window(call.events.window).reach for call in _history_calls(resolved)), default=0.0
    )
    return RuleSet(rules, digest, packs, history_reach=reach)


def compile_pack(pack: ast.Pack, where: Callable[[ast.Span], str] = str) -> PackCoverage:
    covers = pack.first("covers")
    assert isinstance(covers, ast.EffectiveClause), "the checker made sure of it"
    start = _date(covers.start)
    assert start is not None
    citation = pack.first("citation")
    return PackCoverage(
        id=pack.id.name,
        jurisdictions=tuple(
            w.name
            for c in pack.all("jurisdiction")
            if isinstance(c, ast.WordsClause)
            for w in c.words
        ),
        start=start,
        citation=citation.text if isinstance(citation, ast.TextClause) else None,
        source=where(pack.span),
    )


def _history_calls(files: list[ast.RuleFile]) -> Iterator[ast.Call]:
    """Every `count(...)` and `any(...)` in the rules: the only readers of the history."""
    pending: list[Any] = list(files)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Call) and node.function.name in ("count", "any"):
            yield node
        if isinstance(node, tuple | list):
            pending.extend(node)
        elif dataclasses.is_dataclass(node) and not isinstance(node, type):
            pending.extend(getattr(node, f.name) for f in dataclasses.fields(node))


def compile_rule(rule: ast.Rule, where: Callable[[ast.Span], str] = str) -> CompiledRule:
    def text(kind: str) -> str | None:
        clause = rule.first(kind)
        return clause.text if isinstance(clause, ast.TextClause) else None

    def words(kind: str) -> tuple[str, ...]:
        return tuple(
            w.name for c in rule.all(kind) if isinstance(c, ast.WordsClause) for w in c.words
        )

    scope: list[n.Node] = []
    effective = rule.first("effective")
    if isinstance(effective, ast.EffectiveClause):
        scope.append(_effective(effective))
    scope += [
        _condition(c.expr, REFUSES_WHEN_TRUE)
        for c in rule.all("applies_when")
        if isinstance(c, ast.ExprClause)
    ]
    scope += [
        n.Not(_condition(c.expr, REFUSES_WHEN_FALSE))
        for c in rule.all("unless")
        if isinstance(c, ast.ExprClause)
    ]

    def decision(kinds: tuple[str, ...]) -> n.Gate | None:
        parts: list[n.Node] = []
        for clause in rule.clauses:
            if clause.kind in kinds and isinstance(clause, ast.ExprClause):
                if clause.kind == "allow_only":
                    parts.append(n.Not(_condition(clause.expr, REFUSES_WHEN_FALSE)))
                else:
                    parts.append(_condition(clause.expr, REFUSES_WHEN_TRUE))
        if not parts:
            return None
        body = parts[0] if len(parts) == 1 else n.Or(parts)
        conjuncts = [*scope, *(body.parts if isinstance(body, n.And) else [body])]
        return n.Gate(n.And(conjuncts) if len(conjuncts) > 1 else body)

    debt_types = words("debt_types")
    requires = words("require")
    return CompiledRule(
        id=rule.id.name,
        title=text("title") or rule.id.name,
        citation=text("citation"),
        message=text("message"),
        source=where(rule.span),
        channels=frozenset(words("channels")),
        jurisdictions=words("jurisdiction"),
        actors=frozenset(words("actor") or v.ACTORS),
        debt_types=frozenset(debt_types) if debt_types else None,
        deny=decision(("deny", "allow_only")),
        warn=decision(("warn",)),
        requires=requires,
        requires_when=(n.And(scope) if scope else n.Const(True)) if requires else None,
        exempt_purposes=frozenset(
            purpose
            for c in rule.all("unless")
            if isinstance(c, ast.ExprClause)
            for purpose in _purposes_named(c.expr)
        ),
    )


def _purposes_named(expr: ast.Expr) -> tuple[str, ...]:
    """The purposes a condition is exactly about: `purpose is X`, `purpose in [X, Y]`."""
    if (
        isinstance(expr, ast.Compare)
        and expr.op == "="
        and _is_purpose(expr.left)
        and isinstance(expr.right, ast.Name)
    ):
        return (expr.right.name,)
    if isinstance(expr, ast.In) and not expr.negated and _is_purpose(expr.operand):
        return tuple(i.name for i in expr.items.items if isinstance(i, ast.Name))
    return ()


def _is_purpose(expr: ast.Expr) -> bool:
    return isinstance(expr, ast.Name) and expr.name == "purpose"


def _effective(clause: ast.EffectiveClause) -> n.Node:
    return n.InForce(_date(clause.start), _date(clause.until))


def _date(ref: ast.DateLit | ast.Name | None) -> dt.date | None:
    if ref is None:
        return None
    assert isinstance(ref, ast.DateLit), "settings are resolved before compiling"
    return ast.parse_date(ref.text)


# --- request-scope conditions ------------------------------------------------------------


# Which way a condition pushes its rule: +1 when its being true makes the rule refuse (a cap,
# `deny when`), -1 when its being false does (`allow only when`, `unless`, a `not`), 0 when
# both (`count(...) = 3`). A rolling window's edge is read by it (`_window`).
Polarity = int
REFUSES_WHEN_TRUE: Polarity = 1
REFUSES_WHEN_FALSE: Polarity = -1


def _condition(expr: ast.Expr, polarity: Polarity) -> n.Node:
    if isinstance(expr, ast.And):
        return n.And(_flatten(expr, ast.And, polarity))
    if isinstance(expr, ast.Or):
        return n.Or(_flatten(expr, ast.Or, polarity))
    if isinstance(expr, ast.Not):
        return n.Not(_condition(expr.operand, -polarity))
    if isinstance(expr, ast.Bool):
        return n.Const(expr.value)
    if isinstance(expr, ast.Name):
        zonal = ZONAL_FIELDS.get(expr.name)
        return zonal() if zonal is not None else _fact_test(expr.name)
    if isinstance(expr, ast.Holiday):
        calendar = _holidays(expr.calendar.name)
        return n.DayTest(lambda day: day in calendar)
    if isinstance(expr, ast.Call):
        return _call(expr, polarity)
    if isinstance(expr, ast.Compare):
        return _compare(expr.op, expr.left, expr.right, polarity)
    if isinstance(expr, ast.Between):
        return _between(expr, polarity)
    if isinstance(expr, ast.In):
        if isinstance(expr.operand, ast.Name) and expr.operand.name not in ZONAL_FIELDS:
            return _fact_membership(expr.operand.name, expr.items, expr.negated)
        inner = -polarity if expr.negated else polarity
        node = n.Or([_compare("=", expr.operand, item, inner) for item in expr.items.items])
        return n.Not(node) if expr.negated else node
    raise AssertionError(f"not a condition: {type(expr).__name__}")


def _flatten(
    expr: ast.And | ast.Or, kind: type[ast.And] | type[ast.Or], polarity: Polarity
) -> list[n.Node]:
    parts: list[n.Node] = []
    for side in (expr.left, expr.right):
        if isinstance(side, kind):
            parts += _flatten(side, kind, polarity)
        else:
            parts.append(_condition(side, polarity))
    return parts


# Request fields that depend on the candidate zone: conditions of their own, not fact tests.
ZONAL_FIELDS: dict[str, Callable[[], n.Node]] = {"inconvenient_time": n.InconvenientTime}

_FACT_ATTRIBUTES = {
    "debt.type": "debt_type",
    "to.kind": "to_kind",
    "to.employer_provided": "to_employer_provided",
}


def _fact_attribute(name: str) -> str | None:
    """The `Facts` attribute behind a request field, or None when it is computed."""
    if name == "answering_consumer":
        return None
    attribute = _FACT_ATTRIBUTES.get(name, name)
    if not attribute.isidentifier() or attribute not in Facts.__slots__:
        raise AssertionError(f"unknown fact {name}")
    return attribute


def _subject(name: str) -> str:
    """The Python expression for a request field inside a `Static` test; `{1}` is computed."""
    attribute = _fact_attribute(name)
    return "{1}(c)" if attribute is None else f"f.{attribute}"


def _fact_membership(name: str, items: ast.ListExpr, negated: bool) -> n.Static:
    """`channel in [letter, email]` as one set lookup."""
    values = frozenset(_literal(i) for i in items.items)
    membership = "not in" if negated else "in"
    return n.Static(f"{_subject(name)} {membership} {{0}}", (values, _answering_consumer))


def _fact_test(name: str) -> n.Static:
    """A bare true/false field as a condition."""
    return n.Static(f"bool({_subject(name)})", (None, _answering_consumer))


def _answering_consumer(ctx: EvalContext) -> bool:
    """A first reply, through the same medium, to a contact the consumer started."""
    facts = ctx.facts
    if facts.purpose != "response_to_consumer" or not facts.in_reply_to:
        return False
    started = any(
        e.id == facts.in_reply_to and e.direction == "inbound" and e.channel == facts.channel
        for e in facts.history
    )
    answered = any(
        e.in_reply_to == facts.in_reply_to and e.direction == "outbound" for e in facts.history
    )
    return started and not answered


def _compare(op: str, left: ast.Expr, right: ast.Expr, polarity: Polarity) -> n.Node:
    if isinstance(right, ast.Bool) and op in ("=", "!="):
        # `bankruptcy is true`, `any(...) is false`, `(a or b) is true`: the condition itself.
        itself = (op == "=") == right.value
        condition = _condition(left, polarity if itself else -polarity)
        return condition if itself else n.Not(condition)
    if isinstance(left, ast.Call) and isinstance(right, ast.Number):
        return n.CountCompare(_count(left, _count_polarity(op, polarity)), op, right.value)
    if isinstance(left, ast.LocalTime) and isinstance(right, ast.TimeOfDay):
        return _clock(op, _seconds(right))
    if isinstance(left, ast.LocalDate) and isinstance(right, ast.DateLit):
        day = ast.parse_date(right.text)
        compare = n.COMPARATORS[op]
        return n.DayTest(lambda today: bool(compare(today, day)))
    if isinstance(left, ast.LocalDay) and isinstance(right, ast.Name):
        weekday = v.WEEKDAY_ALIASES[right.name]
        compare = n.COMPARATORS[op]
        return n.DayTest(lambda today: bool(compare(today.weekday(), weekday)))
    if isinstance(left, ast.Name):
        expected = _literal(right)
        return n.Static(
            f"{_subject(left.name)} {_PYTHON_OPERATORS[op]} {{0}}", (expected, _answering_consumer)
        )
    raise AssertionError(
        f"unsupported comparison {type(left).__name__} {op} {type(right).__name__}"
    )


def _literal(expr: ast.Expr) -> Any:
    if isinstance(expr, ast.Name):
        return expr.name
    if isinstance(expr, (ast.Number, ast.Bool, ast.String)):
        return expr.value
    raise AssertionError(f"not a literal: {type(expr).__name__}")


def _seconds(expr: ast.Expr) -> int:
    assert isinstance(expr, ast.TimeOfDay)
    seconds = ast.parse_time_of_day(expr.text)
    assert seconds is not None
    return seconds


def _clock(op: str, seconds: int) -> n.Node:
    day = 86400
    intervals = {
        "<": [(0, seconds)],
        "<=": [(0, seconds + 60)],
        ">": [(seconds + 60, day)],
        ">=": [(seconds, day)],
        "=": [(seconds, seconds + 60)],
    }.get(op)
    if intervals is None:  # `!=`
        return n.Not(_clock("=", seconds))
    return n.ClockWindow([(a, min(b, day)) for a, b in intervals if a < b])


def _count_polarity(op: str, polarity: Polarity) -> Polarity:
    """How a count pushes its rule through `count(...) op N`: a larger count makes `>=`
    truer and `<` falser; `=` and `!=` go both ways."""
    if op in (">=", ">"):
        return polarity
    if op in ("<", "<="):
        return -polarity
    return 0


def _between(expr: ast.Between, polarity: Polarity) -> n.Node:
    if isinstance(expr.operand, ast.LocalTime):
        low, high = _seconds(expr.low), _seconds(expr.high)
        if low < high:
            return n.ClockWindow([(low, high)])
        return n.ClockWindow([(low, 86400), (0, high)])  # wraps midnight
    return n.And(
        [
            _compare(">=", expr.operand, expr.low, polarity),
            _compare("<", expr.operand, expr.high, polarity),
        ]
    )


@cache
def _holidays(name: str) -> Any:
    import holidays

    country, _, subdivision = name.partition("-")
    return holidays.country_holidays(country, subdiv=subdivision or None)


# --- counting functions ------------------------------------------------------------------


def _window(duration: ast.Duration | ast.Name | None, polarity: Polarity = 0) -> n.Window:
    """The window of `within ...`. A rolling window's edge (a contact or record exactly N
    old) is read the way that refuses: inside where more inside refuses more (a cap, a
    cool-down), outside where more inside would allow more (a consent, an inbound text that
    permits); inside when the condition goes both ways."""
    if duration is None:
        return n.Window()
    assert isinstance(duration, ast.Duration), "settings are resolved before compiling"
    if duration.calendar:
        if duration.unit.startswith("week"):
            return n.Window(calendar_weeks=duration.amount)
        return n.Window(calendar_days=duration.amount)
    seconds = float(duration.amount * v.DURATION_UNITS[duration.unit])
    return n.Window(seconds=seconds, closed=polarity >= 0)


def _channels(names: tuple[ast.Name, ...]) -> frozenset[str] | None:
    if not names:
        return None
    return frozenset(c for name in names for c in v.CHANNEL_PLURALS[name.name])


def _call(call: ast.Call, polarity: Polarity) -> n.Node:
    name = call.function.name
    if name in ("count", "any"):
        return n.CountCompare(_count(call, polarity), ">=", 1)
    events = call.events
    window = _window(events.window, polarity)
    where = _record_filter(events.where, polarity) if events.where is not None else None
    kind = {"consent": "consent", "opt_out": "opt_out"}.get(name, "reassignment")
    return n.RecordTest(kind, _channels(events.channels), window, where)


def _count(call: ast.Call, polarity: Polarity) -> n.CountNode:
    """A count pushing its rule by `polarity` as it grows; its `where` pushes the same way
    (a filter that holds more often counts more)."""
    events = call.events
    channels = _channels(events.channels) or frozenset(v.CHANNELS)
    where, zonal = (None, False)
    if events.where is not None:
        where, zonal = _event_filter(events.where, polarity)
    key = events.key.name if events.key else "debtor"
    return n.CountNode(channels, key, _window(events.window, polarity), where, zonal)


# --- event-scope conditions (inside `where`) ---------------------------------------------

EventTest = Callable[[EvalContext, int, Event], bool]

_EVENT_ATTRIBUTES = {"to.kind": "to_kind"}


_PYTHON_OPERATORS = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_EVENT_FIELDS = frozenset(
    _EVENT_ATTRIBUTES.get(name, name)
    for name in (*v.HISTORY_FIELDS, *v.CONSENT_FIELDS, *v.OPT_OUT_FIELDS)
)


def _event_filter(expr: ast.Expr, polarity: Polarity) -> tuple[EventTest, bool]:
    """A test on one history event (or record), and whether it depends on the zone.

    Filters run once per past contact, so they are emitted as one Python expression
    (deterministically, from checked names and literals only) rather than nested closures.
    """
    namespace: dict[str, Any] = {}
    zonal = False

    def bind(value: Any) -> str:
        name = f"_v{len(namespace)}"
        namespace[name] = value
        return name

    def field(name: str) -> str:
        attribute = _EVENT_ATTRIBUTES.get(name, name)
        if attribute not in _EVENT_FIELDS or not attribute.isidentifier():
            raise AssertionError(f"unknown event field {name}")
        return f"e.{attribute}"

    def emit(node: ast.Expr, p: Polarity) -> str:
        nonlocal zonal
        if isinstance(node, ast.And):
            return f"({emit(node.left, p)} and {emit(node.right, p)})"
        if isinstance(node, ast.Or):
            return f"({emit(node.left, p)} or {emit(node.right, p)})"
        if isinstance(node, ast.Not):
            return f"(not {emit(node.operand, -p)})"
        if isinstance(node, ast.Bool):
            return "True" if node.value else "False"
        if isinstance(node, ast.Name):
            return f"bool({field(node.name)})"
        if (
            isinstance(node, ast.Compare)
            and isinstance(node.right, ast.Bool)
            and not isinstance(node.left, ast.Name)
            and node.op in ("=", "!=")
        ):  # `consent() is false`, `(direction is inbound) is true`: the inner test itself
            itself = (node.op == "=") == node.right.value
            inner = emit(node.left, p if itself else -p)
            return inner if itself else f"(not {inner})"
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name):
            operator_text = _PYTHON_OPERATORS[node.op]
            return f"({field(node.left.name)} {operator_text} {bind(_literal(node.right))})"
        if isinstance(node, ast.In) and isinstance(node.operand, ast.Name):
            values = frozenset(_literal(i) for i in node.items.items)
            membership = "not in" if node.negated else "in"
            return f"({field(node.operand.name)} {membership} {bind(values)})"
        if isinstance(node, ast.In):  # `consent() in [true]`: one comparison per item
            items = [emit(ast.Compare("=", node.operand, item), 0) for item in node.items.items]
            joined = "(" + " or ".join(items) + ")" if items else "False"
            return f"(not {joined})" if node.negated else joined
        if isinstance(node, ast.Call) and node.function.name not in ("count", "any"):
            record_test = _call(node, p)
            assert isinstance(record_test, n.RecordTest)
            zonal = zonal or record_test.zonal
            return f"{bind(record_test.at_event)}(c, z, e)"
        raise AssertionError(f"unsupported filter {type(node).__name__}")

    source = f"lambda c, z, e: {emit(expr, polarity)}"
    test: EventTest = eval(compile(source, "<rule filter>", "eval"), namespace)
    return test, zonal


def _record_filter(expr: ast.Expr, polarity: Polarity) -> Callable[[Any], bool]:
    """A test on one consent or opt-out record (static: records carry no zone)."""
    test, _ = _event_filter(expr, polarity)
    return lambda record: test(None, 0, record)  # type: ignore[arg-type]
