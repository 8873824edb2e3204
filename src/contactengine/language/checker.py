"""Checks parsed rule files and collects every problem before anything runs.

Names are resolved against `vocabulary`, types are inferred bottom-up, and rule-level
promises (an id used once, channels named, a decision stated, a citation) are kept.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable

from contactengine.language import ast
from contactengine.language import vocabulary as v
from contactengine.language.diagnostics import Diagnostic, did_you_mean

_CALENDAR_NAME = re.compile(r"[A-Z]{2,3}(-[A-Z0-9]{1,3})?")

SINGLE_CLAUSES = ("title", "citation", "effective", "jurisdiction", "actor", "channels", "message")
DECISION_CLAUSES = ("deny", "warn", "allow_only", "require")
CONDITION_CLAUSES = ("deny", "warn", "allow_only", "unless", "applies_when")


def check(files: Iterable[ast.RuleFile]) -> list[Diagnostic]:
    """All diagnostics for these files, sorted by position."""
    files = list(files)
    problems: list[Diagnostic] = []
    settings = _settings(files, problems)
    rule_ids: dict[str, ast.Name] = {}
    pack_ids: dict[str, ast.Name] = {}
    for rule_file in files:
        for pack in rule_file.packs:
            problems.extend(_used_again(pack.id, pack_ids, "E049", "pack id"))
            problems.extend(_pack_problems(pack, settings))
        if not rule_file.rules and not rule_file.settings and not rule_file.packs:
            problems.append(
                Diagnostic(
                    "W003",
                    "warning",
                    "this file has no rules",
                    ast.Span(rule_file.path, 1, 1, 1, 1),
                    "add a rule (`rule some-id ... end`) or remove the file",
                )
            )
        for rule in rule_file.rules:
            problems.extend(_used_again(rule.id, rule_ids, "E040", "rule id"))
            problems.extend(_RuleChecker(rule, settings).run())
    return sorted(problems, key=Diagnostic.sort_key)


def _used_again(
    name: ast.Name, seen: dict[str, ast.Name], code: str, what: str
) -> list[Diagnostic]:
    """An id's second use is an error pointing at the first; the first is remembered."""
    first = seen.setdefault(name.name, name)
    if first is name:
        return []
    help_text = (
        f"rename one of them: ids are unique across the rule set, and the first is at {first.span}"
    )
    return [
        Diagnostic(code, "error", f"{what} `{name.name}` is already used", name.span, help_text)
    ]


PACK_CLAUSES = ("title", "citation", "jurisdiction", "covers")


def _pack_problems(pack: ast.Pack, settings: dict[str, ast.Setting]) -> list[Diagnostic]:
    """A pack names its places and the date it speaks from, once each, and cites why."""
    checker = _RuleChecker(ast.Rule(pack.id, pack.clauses), settings)
    for kind in PACK_CLAUSES:
        for extra in pack.all(kind)[1:]:
            checker.error(
                "E043",
                f"pack `{pack.id.name}` has more than one `{extra.kind}` line",
                extra.span,
                f"keep one; the first is on line {pack.all(kind)[0].span.line}",
            )
    if pack.first("jurisdiction") is None:
        checker.error(
            "E050",
            f"pack `{pack.id.name}` names no jurisdiction",
            pack.id.span,
            "add a line such as `jurisdiction US`: the places its rules speak for",
        )
    if pack.first("covers") is None:
        checker.error(
            "E051",
            f"pack `{pack.id.name}` does not say from when it speaks for its places",
            pack.id.span,
            "add a line such as `covers from 1978-03-20`: the first date its rules state the law",
        )
    if pack.first("citation") is None:
        checker.warning(
            "W005",
            f"pack `{pack.id.name}` has no citation",
            pack.id.span,
            'cite what makes its first date, e.g. `citation "Pub. L. 95-109 s. 818"`',
        )
    for clause in pack.clauses:
        checker.clause(clause)
    return checker.problems


def _settings(files: list[ast.RuleFile], problems: list[Diagnostic]) -> dict[str, ast.Setting]:
    """Every setting by name, each checked once; a name given twice is an error."""
    found: dict[str, ast.Setting] = {}
    checker = _RuleChecker(ast.Rule(ast.Name("settings"), ()), {})
    for rule_file in files:
        for setting in rule_file.settings:
            first = found.get(setting.name.name)
            if first is not None:
                checker.error(
                    "E046",
                    f"setting `{setting.name.name}` is already given",
                    setting.name.span,
                    f"a reading of the law is set in one place; the first is at {first.name.span}",
                )
                continue
            found[setting.name.name] = setting
            if isinstance(setting.value, ast.Duration):
                checker.duration(setting.value)
            else:
                checker.date(setting.value)
    problems.extend(checker.problems)
    return found


class _RuleChecker:
    def __init__(self, rule: ast.Rule, settings: dict[str, ast.Setting]) -> None:
        self.rule = rule
        self.settings = settings
        self.problems: list[Diagnostic] = []
        self.inside_where = False

    def setting(self, name: ast.Name, kind: type[ast.Duration] | type[ast.DateLit]) -> object:
        """The value of the setting `name` if it is of `kind`; else report and None."""
        setting = self.settings.get(name.name)
        wanted = "a duration" if kind is ast.Duration else "a date"
        if setting is None:
            hint = did_you_mean(name.name, self.settings) or (
                f"write {wanted} here, or declare it once: `setting {name.name} is ...`"
            )
            self.error("E048", f"unknown setting `{name.name}`", name.span, hint)
            return None
        if not isinstance(setting.value, kind):
            self.error(
                "E047",
                f"setting `{name.name}` is not {wanted}",
                name.span,
                f"it is declared at {setting.name.span}; use a setting that holds {wanted}",
            )
            return None
        return setting.value

    def error(self, code: str, message: str, span: ast.Span, help_text: str | None = None) -> None:
        self.problems.append(Diagnostic(code, "error", message, span, help_text))

    def warning(
        self, code: str, message: str, span: ast.Span, help_text: str | None = None
    ) -> None:
        self.problems.append(Diagnostic(code, "warning", message, span, help_text))

    def run(self) -> list[Diagnostic]:
        rule = self.rule
        for kind in SINGLE_CLAUSES:
            clauses = rule.all(kind)
            for extra in clauses[1:]:
                first = clauses[0]
                merge = (
                    "merge them into one line" if isinstance(extra, ast.WordsClause) else "keep one"
                )
                self.error(
                    "E043",
                    f"rule `{rule.id.name}` has more than one `{extra.kind}` line",
                    extra.span,
                    f"{merge}; the first is on line {first.span.line}",
                )
        if rule.first("channels") is None:
            self.error(
                "E041",
                f"rule `{rule.id.name}` names no channels",
                rule.id.span,
                "add a line such as `channels call, sms, email`",
            )
        if rule.first("jurisdiction") is None:
            self.error(
                "E044",
                f"rule `{rule.id.name}` names no jurisdiction",
                rule.id.span,
                "add a line such as `jurisdiction US`",
            )
        if not any(rule.first(kind) for kind in DECISION_CLAUSES):
            self.error(
                "E042",
                f"rule `{rule.id.name}` never denies, warns or requires anything",
                rule.id.span,
                "add a line such as `deny when ...` or `allow only when ...`",
            )
        if rule.first("citation") is None:
            self.warning(
                "W001",
                f"rule `{rule.id.name}` has no citation",
                rule.id.span,
                'add the law it enforces, e.g. `citation "12 CFR 1006.14(b)(2)"`',
            )
        if rule.first("title") is None:
            self.warning(
                "W002",
                f"rule `{rule.id.name}` has no title",
                rule.id.span,
                'add a one-line summary, e.g. `title "No calls before 08:00"`',
            )
        for clause in rule.clauses:
            self.clause(clause)
        return self.problems

    def clause(self, clause: ast.Clause) -> None:
        if isinstance(clause, ast.WordsClause):
            self.words(clause)
        elif isinstance(clause, ast.EffectiveClause):
            self.effective(clause)
        elif isinstance(clause, ast.ExprClause):
            self.condition(clause.expr, v.REQUEST_FIELDS)
        elif isinstance(clause, ast.TextClause) and not clause.text.strip():
            self.error("E045", f"the `{clause.kind}` text is empty", clause.span, "write it out")

    def words(self, clause: ast.WordsClause) -> None:
        known: tuple[str, ...]
        if clause.kind == "channels":
            known, what = v.CHANNELS, "channel"
        elif clause.kind == "actor":
            known, what = v.ACTORS, "actor"
        elif clause.kind == "jurisdiction":
            known, what = v.JURISDICTIONS, "jurisdiction"
        elif clause.kind == "debt_types":
            known, what = v.DEBT_TYPES, "debt type"
        else:
            return
        seen: set[str] = set()
        for word in clause.words:
            if word.name in seen:
                self.warning("W004", f"`{word.name}` is listed twice", word.span, "remove one")
            seen.add(word.name)
            if word.name not in known:
                hint = did_you_mean(word.name, known)
                if what == "jurisdiction" and hint is None:
                    hint = "use a country (`US`), a state (`US-MA`), a province (`CA-ON`) or `US-NY-NYC`"
                elif hint is None:
                    hint = f"known {what}s: " + ", ".join(f"`{k}`" for k in known)
                code = {"channel": "E010", "jurisdiction": "E013", "actor": "E014"}.get(
                    what, "E012"
                )
                self.error(code, f"unknown {what} `{word.name}`", word.span, hint)

    def effective(self, clause: ast.EffectiveClause) -> None:
        start_lit = self.date_ref(clause.start)
        until_lit = self.date_ref(clause.until)
        start = self.date_of(start_lit, clause.start)
        until = self.date_of(until_lit, clause.until)
        if start and until and until <= start and until_lit and clause.until:
            self.error(
                "E024",
                f"the rule stops being effective ({until_lit.text}) before it starts"
                + (f" ({start_lit.text})" if start_lit else ""),
                clause.until.span,
                "`effective from A until B` needs B after A",
            )

    def date_of(
        self, lit: ast.DateLit | None, ref: ast.DateLit | ast.Name | None
    ) -> dt.date | None:
        """The date written, reported if invalid; a setting's date was checked where it is set."""
        if lit is None:
            return None
        return ast.parse_date(lit.text) if isinstance(ref, ast.Name) else self.date(lit)

    def date_ref(self, ref: ast.DateLit | ast.Name | None) -> ast.DateLit | None:
        if isinstance(ref, ast.Name):
            value = self.setting(ref, ast.DateLit)
            return value if isinstance(value, ast.DateLit) else None
        return ref

    def date(self, lit: ast.DateLit) -> dt.date | None:
        value = ast.parse_date(lit.text)
        if value is None:
            self.error("E021", f"`{lit.text}` is not a date", lit.span, _date_help(lit.text))
        return value

    # --- expressions -------------------------------------------------------------------

    def condition(self, expr: ast.Expr, scope: dict[str, v.Type]) -> None:
        found = self.type_of(expr, scope)
        if found is not None and found.kind != "bool":
            self.error(
                "E031",
                f"this condition is {found.label}, not true or false",
                expr.span,
                _condition_help(expr, found),
            )

    def type_of(self, expr: ast.Expr, scope: dict[str, v.Type]) -> v.Type | None:
        """The type of `expr`, or None when a problem inside it was already reported."""
        if isinstance(expr, (ast.And, ast.Or)):
            self.condition(expr.left, scope)
            self.condition(expr.right, scope)
            return v.BOOL
        if isinstance(expr, ast.Not):
            self.condition(expr.operand, scope)
            return v.BOOL
        if isinstance(expr, ast.Name):
            return self.field(expr, scope)
        if isinstance(expr, ast.Number):
            return v.NUMBER
        if isinstance(expr, ast.TimeOfDay):
            return self.time_of_day(expr)
        if isinstance(expr, ast.DateLit):
            return v.DATE if self.date(expr) else None
        if isinstance(expr, ast.Duration):
            self.duration(expr)
            return v.DURATION
        if isinstance(expr, ast.String):
            return v.TEXT
        if isinstance(expr, ast.Bool):
            return v.BOOL
        if isinstance(expr, (ast.LocalTime, ast.LocalDay, ast.LocalDate, ast.Holiday)):
            return self.local(expr)
        if isinstance(expr, ast.Call):
            return self.call(expr, scope)
        if isinstance(expr, ast.Compare):
            op = expr.op
            if expr.op_span == expr.span:  # written as `is` / `is not`
                op = "is" if expr.op == "=" else "is not"
            self.compare(expr.left, expr.right, op, expr.span, scope)
            return v.BOOL
        if isinstance(expr, ast.Between):
            self.between(expr, scope)
            return v.BOOL
        if isinstance(expr, ast.In):
            self.membership(expr, scope)
            return v.BOOL
        if isinstance(expr, ast.ListExpr):
            self.error(
                "E032",
                "a list can only follow `in`",
                expr.span,
                "write `purpose in [collection, validation_notice]`",
            )
            return None
        raise AssertionError(f"unhandled node {type(expr).__name__}")

    def local(
        self, expr: ast.LocalTime | ast.LocalDay | ast.LocalDate | ast.Holiday
    ) -> v.Type | None:
        if self.inside_where:
            self.error(
                "E019",
                "the local clock cannot be used inside `where`",
                expr.span,
                "`where` looks at each past contact; test the clock outside the count",
            )
            return None
        if isinstance(expr, ast.Holiday):
            self.calendar(expr.calendar)
            return v.BOOL
        return {ast.LocalTime: v.TIME, ast.LocalDay: v.DAY, ast.LocalDate: v.DATE}[type(expr)]

    def field(self, name: ast.Name, scope: dict[str, v.Type]) -> v.Type | None:
        found = scope.get(name.name)
        if found is not None:
            return found
        hint = did_you_mean(name.name, scope)
        if hint is None:
            hint = "known fields here: " + ", ".join(f"`{k}`" for k in scope)
        self.error("E011", f"unknown field `{name.name}`", name.span, hint)
        return None

    def value_of(
        self, expr: ast.Expr, expected: v.Type | None, scope: dict[str, v.Type]
    ) -> v.Type | None:
        """Type of a comparison's right side: a bare name there may be a value, not a field."""
        if isinstance(expr, ast.Name) and expected is not None and expected.kind in ("enum", "day"):
            if expr.name in expected.values:
                return expected
            if expr.name not in scope:
                hint = did_you_mean(expr.name, expected.values) or (
                    "expected one of " + ", ".join(f"`{x}`" for x in expected.values[:8])
                )
                self.error(
                    "E012", f"unknown value `{expr.name}` for {expected.label}", expr.span, hint
                )
                return None
        return self.type_of(expr, scope)

    def compare(
        self, left: ast.Expr, right: ast.Expr, op: str, span: ast.Span, scope: dict[str, v.Type]
    ) -> None:
        left_type = self.type_of(left, scope)
        right_type = self.value_of(right, left_type, scope)
        if left_type is None or right_type is None:
            return
        if _is_fixed(left, None) and not _is_fixed(right, left_type):
            flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
            self.error(
                "E036",
                f"the fixed value `{_describe(left)}` belongs on the right of `{op}`",
                left.span,
                f"swap the sides: `{_describe(right)} {flipped} {_describe(left)}`",
            )
            return
        if not _is_fixed(right, left_type) or _is_fixed(left, None):
            self.error(
                "E036",
                "compare a field or count on the left with a fixed value on the right",
                span,
                "write it as `count(calls within 7 days) >= 7` or `purpose is collection`",
            )
            return
        if left_type.kind != right_type.kind or (
            left_type.kind == "enum" and set(right_type.values) != set(left_type.values)
        ):
            self.error(
                "E030",
                f"cannot compare {left_type.label} with {right_type.label}",
                span,
                _compare_help(left_type),
            )
            return
        if op not in ("=", "!=", "is", "is not") and left_type.kind in (
            "bool",
            "enum",
            "text",
            "day",
        ):
            self.error(
                "E033",
                f"`{op}` does not apply to {left_type.label}",
                span,
                "use `is`, `is not`, `=` or `!=`",
            )

    def between(self, expr: ast.Between, scope: dict[str, v.Type]) -> None:
        operand = self.type_of(expr.operand, scope)
        low = self.type_of(expr.low, scope)
        high = self.type_of(expr.high, scope)
        if operand is None or low is None or high is None:
            return
        if _is_fixed(expr.operand, None):
            self.error(
                "E036",
                f"`{_describe(expr.operand)}` is a fixed value, so `between` tests nothing",
                expr.operand.span,
                "put a field, a count or the local clock first, e.g. "
                "`local time between 08:00 and 21:00`",
            )
            return
        for bound_expr in (expr.low, expr.high):
            if not _is_fixed(bound_expr, operand):
                self.error(
                    "E036",
                    "the ends of `between` must be fixed values",
                    bound_expr.span,
                    "write them out, e.g. `local time between 08:00 and 21:00`",
                )
                return
        if operand.kind not in ("time", "date", "number"):
            self.error(
                "E034",
                f"`between` does not apply to {operand.label}",
                expr.span,
                "use `between` on the local time or date or on a count; "
                "for other values use `in [...]`",
            )
            return
        for bound in (low, high):
            if bound.kind != operand.kind:
                self.error(
                    "E030",
                    f"cannot compare {operand.label} with {bound.label}",
                    expr.span,
                    _compare_help(operand),
                )
                return
        if isinstance(expr.low, ast.TimeOfDay) and isinstance(expr.high, ast.TimeOfDay):
            lo, hi = ast.parse_time_of_day(expr.low.text), ast.parse_time_of_day(expr.high.text)
            # A window may wrap past midnight (21:00 to 08:00); 00:00 to 24:00 is the whole day.
            if lo is not None and hi is not None and (lo == hi or (lo, hi) == (86400, 0)):
                self.error(
                    "E023",
                    f"the window from {expr.low.text} to {expr.high.text} is empty",
                    expr.span,
                    "windows include their start and exclude their end: give two different times"
                    if lo == hi
                    else "24:00 is the midnight that ends the day: for the whole day write "
                    "`between 00:00 and 24:00`",
                )
            return
        if _empty_range(expr.low, expr.high):
            self.error(
                "E023",
                f"the range from {_describe(expr.low)} to {_describe(expr.high)} is empty",
                expr.span,
                "`between A and B` includes A and excludes B: put the smaller value first",
            )

    def membership(self, expr: ast.In, scope: dict[str, v.Type]) -> None:
        operand = self.type_of(expr.operand, scope)
        if operand is not None and _is_fixed(expr.operand, None):
            self.error(
                "E036",
                f"`{_describe(expr.operand)}` is a fixed value, so `in` tests nothing",
                expr.operand.span,
                "put a field or the local clock first, e.g. `local day in [sat, sun]`",
            )
            return
        if not expr.items.items:
            self.error("E035", "the list is empty", expr.items.span, "name at least one value")
        for item in expr.items.items:
            found = self.value_of(item, operand, scope)
            if operand is None or found is None:
                continue
            if found.kind != operand.kind or (
                operand.kind == "enum" and set(found.values) != set(operand.values)
            ):
                self.error(
                    "E030",
                    f"cannot compare {operand.label} with {found.label}",
                    item.span,
                    _compare_help(operand),
                )
            elif not _is_fixed(item, operand):
                self.error(
                    "E036",
                    "a list after `in` holds fixed values only",
                    item.span,
                    f"`{_describe(item)}` is not a fixed value; list values such as "
                    f"`{_example_value(operand)}`",
                )

    def time_of_day(self, expr: ast.TimeOfDay) -> v.Type | None:
        if ast.parse_time_of_day(expr.text) is None:
            self.error(
                "E020",
                f"`{expr.text}` is not a time of day",
                expr.span,
                "write times as HH:MM on a 24-hour clock, from 00:00 to 24:00",
            )
            return None
        return v.TIME

    def duration(self, expr: ast.Duration) -> bool:
        if expr.unit not in v.DURATION_UNITS:
            # Suggest `days` after 60 and `day` after 1, whichever the writer was near.
            units = [u for u in v.DURATION_UNITS if u.endswith("s") == (expr.amount != 1)]
            hint = did_you_mean(expr.unit, units) or did_you_mean(expr.unit, v.DURATION_UNITS)
            self.error(
                "E022",
                f"unknown unit of time `{expr.unit}`",
                _last_word_span(expr.span, expr.unit),
                hint or "use minutes, hours, days or weeks",
            )
            return False
        if expr.calendar and expr.unit not in v.CALENDAR_UNITS:
            self.error(
                "E022",
                f"`calendar` goes with days or weeks, not `{expr.unit}`",
                expr.span,
                "write `7 calendar days` or `1 calendar week`, or drop `calendar`",
            )
            return False
        if expr.amount < 1:
            unit = expr.unit.removesuffix("s")
            self.error(
                "E022",
                f"`{expr.amount} {expr.unit}` is no time at all",
                expr.span,
                f"a window of no time holds nothing: use at least `1 {unit}`",
            )
            return False
        return True

    def calendar(self, name: ast.Name) -> None:
        # Only country codes, with a subdivision: the `holidays` package also answers to
        # its own internal names (`utils`, `__init__`), which are no calendars.
        if _CALENDAR_NAME.fullmatch(name.name) and _calendar_exists(name.name):
            return
        hint = did_you_mean(name.name, v.KNOWN_CALENDARS) or (
            "use a country or region code such as `US`, `CA-ON`, `CA-QC` or `GB`"
        )
        self.error("E015", f"unknown holiday calendar `{name.name}`", name.span, hint)

    def call(self, call: ast.Call, scope: dict[str, v.Type]) -> v.Type | None:
        function = v.FUNCTIONS.get(call.function.name)
        if function is None:
            hint = did_you_mean(call.function.name, v.FUNCTIONS) or (
                "known functions: " + ", ".join(f"`{f}`" for f in v.FUNCTIONS)
            )
            self.error("E016", f"unknown function `{call.function.name}`", call.function.span, hint)
            return None
        events = call.events
        if self.inside_where and function.name in ("count", "any"):
            self.error(
                "E019",
                f"`{function.name}` cannot be used inside `where`",
                call.function.span,
                "count in a separate condition joined with `and`",
            )
            return None
        if events.channels and not function.takes_channels:
            self.error(
                "E017",
                f"`{function.name}` takes no channels",
                events.channels[0].span,
                "remove them",
            )
        for channel in events.channels:
            if channel.name not in v.CHANNEL_PLURALS:
                hint = did_you_mean(channel.name, v.CHANNEL_PLURALS) or (
                    "use call(s), sms, text(s), email(s), letter(s) or contacts"
                )
                self.error("E010", f"unknown channel `{channel.name}`", channel.span, hint)
        if events.key is not None:
            if not function.takes_key:
                self.error(
                    "E017",
                    f"`{function.name}` is always about the contact point asked for",
                    events.key.span,
                    "remove the `per` part",
                )
            elif events.key.name not in v.COUNT_KEYS:
                hint = did_you_mean(events.key.name, v.COUNT_KEYS) or (
                    "count per `debt`, per `debtor`, per `household` or per `contact`"
                )
                self.error(
                    "E018", f"unknown counting key `{events.key.name}`", events.key.span, hint
                )
        if isinstance(events.window, ast.Name):
            self.setting(events.window, ast.Duration)
        elif events.window is not None:
            self.duration(events.window)
        if events.where is not None:
            if not function.fields:
                self.error(
                    "E017",
                    f"`{function.name}` takes no `where`",
                    events.where.span,
                    "remove the `where` part",
                )
            else:
                outer, self.inside_where = self.inside_where, True
                self.condition(events.where, function.fields)
                self.inside_where = outer
        return function.returns


def _calendar_exists(name: str) -> bool:
    try:
        return v.holiday_calendar_exists(name)
    except Exception:  # a third-party package's surprise is still just "no such calendar"
        return False


def _last_word_span(span: ast.Span, word: str) -> ast.Span:
    """The span of `word` where it ends `span` (the unit of `7 calendar days`)."""
    start = max(1, span.end_column - len(word))
    return ast.Span(span.file, span.end_line, start, span.end_line, span.end_column)


def _describe(expr: ast.Expr) -> str:
    """Short source-like text of an expression for messages: `count(...)`, `local time`."""
    if isinstance(expr, ast.Name):
        return expr.name
    if isinstance(expr, ast.Number):
        return str(expr.value)
    if isinstance(expr, (ast.TimeOfDay, ast.DateLit)):
        return expr.text
    if isinstance(expr, ast.String):
        return f'"{expr.value}"'
    if isinstance(expr, ast.Bool):
        return "true" if expr.value else "false"
    if isinstance(expr, ast.Duration):
        return f"{expr.amount} {'calendar ' if expr.calendar else ''}{expr.unit}"
    if isinstance(expr, ast.LocalTime):
        return "local time"
    if isinstance(expr, ast.LocalDay):
        return "local day"
    if isinstance(expr, ast.LocalDate):
        return "local date"
    if isinstance(expr, ast.Holiday):
        return f"holiday({expr.calendar.name})"
    if isinstance(expr, ast.Call):
        return f"{expr.function.name}(...)"
    return "(...)"


def _empty_range(low: ast.Expr, high: ast.Expr) -> bool:
    """`between 5 and 1`, `between 2026-06-01 and 2026-01-01`: nothing is in between."""
    if isinstance(low, ast.Number) and isinstance(high, ast.Number):
        return low.value >= high.value
    if isinstance(low, ast.DateLit) and isinstance(high, ast.DateLit):
        start, end = ast.parse_date(low.text), ast.parse_date(high.text)
        return start is not None and end is not None and start >= end
    return False


def _date_help(text: str) -> str:
    """Why `2026-02-30` is no date: the month or the day is out of range."""
    year, month, day = (int(part) for part in text.split("-"))
    if not 1 <= month <= 12:
        return "months run from 01 to 12: write dates as YYYY-MM-DD"
    if year < 1:
        return "years start at 0001: write dates as YYYY-MM-DD"
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        return f"{calendar.month_name[month]} {year} has days 01 to {last}"
    return "write dates as YYYY-MM-DD with the digits 0 to 9"


def _is_fixed(expr: ast.Expr, expected: v.Type | None) -> bool:
    """A literal value, or a bare name that is a value of the expected enumeration."""
    if isinstance(expr, (ast.Number, ast.TimeOfDay, ast.DateLit, ast.Bool, ast.String)):
        return True
    if isinstance(expr, ast.Duration):  # never comparable, but fixed: E030 says why
        return True
    if isinstance(expr, ast.Name) and expected is not None:
        return expected.kind in ("enum", "day") and expr.name in expected.values
    return False


def _condition_help(expr: ast.Expr, found: v.Type) -> str:
    """How to turn a value into a condition: compare it, the way the language reads."""
    shown = _describe(expr)
    if found.kind == "number":
        return f"compare it with a number, e.g. `{shown} >= 3`"
    if found.kind == "enum" and found.values:
        return f"compare it with a value, e.g. `{shown} is {found.values[0]}`"
    if found.kind == "time":
        return f"compare it with times, e.g. `{shown} between 08:00 and 21:00`"
    if found.kind == "date":
        return f"compare it with a date, e.g. `{shown} >= 2026-09-01`"
    if found.kind == "day":
        return f"compare it with days, e.g. `{shown} in [sat, sun]`"
    return "a condition is a field that is true or false, or a comparison"


def _example_value(found: v.Type) -> str:
    examples = {"number": "7", "time": "08:00", "date": "2026-01-31", "bool": "true"}
    if found.values:
        return found.values[0]
    return examples.get(found.kind, "7")


def _compare_help(left: v.Type) -> str:
    examples = {
        "number": "compare a count with a number, e.g. `count(calls within 7 days) >= 7`",
        "time": "compare the local time with a time, e.g. `local time between 08:00 and 21:00`",
        "date": "compare the local date with a date, e.g. `local date >= 2026-09-01`",
        "bool": "use the condition on its own, or `not` it",
        "day": "compare the day with days, e.g. `local day in [sat, sun]`",
    }
    if left.kind == "enum":
        return "expected one of " + ", ".join(f"`{x}`" for x in left.values[:8])
    return examples.get(left.kind, "compare values of the same kind")
