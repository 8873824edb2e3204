"""Source text → `RuleFile` AST, or syntax diagnostics (file:line:col, what was expected)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from contactengine.language import ast
from contactengine.language.diagnostics import Diagnostic, did_you_mean

CLAUSE_KEYWORDS = (
    "title",
    "citation",
    "effective",
    "jurisdiction",
    "actor",
    "channels",
    "debt",
    "applies",
    "unless",
    "deny",
    "warn",
    "allow",
    "require",
    "message",
)

_READABLE = {
    "WORD": "a name",
    "STRING": "a quoted text",
    "INT": "a number",
    "TIME": "a time such as `08:00`",
    "DATE": "a date such as `2026-01-31`",
    "COMPARE": "a comparison such as `>=`",
    "CALENDAR": "`calendar`",
    "COMMA": "`,`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "LSQB": "`[`",
    "RSQB": "`]`",
    "$END": "the end of the file",
}


class SyntaxProblem(Exception):
    """Raised inside the converter for a well-formed tree that still says something invalid."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = resources.files("contactengine.language").joinpath("grammar.lark").read_text()
    return Lark(
        grammar, parser="lalr", strict=True, propagate_positions=True, maybe_placeholders=True
    )


def parse(source: str, path: str) -> tuple[ast.RuleFile | None, list[Diagnostic]]:
    """Parse one file. A syntax error stops the file: later text cannot be trusted."""
    try:
        tree = _lark().parse(source)
        return _Converter(path).rule_file(tree, source), []
    except UnexpectedCharacters as exc:
        return None, [_unexpected_character(exc, source, path)]
    except UnexpectedEOF:
        return None, [_unexpected_end(source, path)]
    except UnexpectedToken as exc:
        return None, [_unexpected_token(exc, source, path)]
    except SyntaxProblem as exc:
        return None, [exc.diagnostic]
    except RecursionError:
        span = ast.Span(path, 1, 1, 1, 2)
        message = "this file nests parentheses too deeply to read"
        return None, [Diagnostic("E005", "error", message, span, "split the condition up")]
    except LarkError as exc:  # any other parser complaint still becomes a diagnostic
        span = ast.Span(path, 1, 1, 1, 2)
        return None, [Diagnostic("E001", "error", f"this file cannot be read: {exc}", span)]


def _unexpected_character(exc: UnexpectedCharacters, source: str, path: str) -> Diagnostic:
    line, column, position = exc.line or 1, exc.column or 1, exc.pos_in_stream or 0
    char = source[position] if 0 <= position < len(source) else ""
    if char == '"':
        end = len(source.splitlines()[line - 1]) + 1 if source.splitlines() else column + 1
        span = ast.Span(path, line, column, line, max(end, column + 1))
        return Diagnostic(
            "E002",
            "error",
            "unterminated string",
            span,
            'close the text with `"` on the same line',
        )
    span = ast.Span(path, line, column, line, column + 1)
    shown = char if char.isprintable() else repr(char)
    return Diagnostic(
        "E003",
        "error",
        f"unexpected character `{shown}`",
        span,
        "names use letters, digits, `_` and `-`; texts go in double quotes",
    )


def _unexpected_end(source: str, path: str) -> Diagnostic:
    lines = source.splitlines() or [""]
    line = len(lines)
    column = len(lines[-1]) + 1
    span = ast.Span(path, line, max(1, column - 1), line, column)
    return Diagnostic(
        "E006",
        "error",
        "the file ends in the middle of a rule",
        span,
        "finish the rule and close it with `end`",
    )


def _unexpected_token(exc: UnexpectedToken, source: str, path: str) -> Diagnostic:
    token = exc.token
    if token.type == "$END":
        return _unexpected_end(source, path)
    line = token.line or 1
    column = token.column or 1
    span = ast.Span(path, line, column, line, column + max(1, len(str(token))))
    expected = sorted(exc.expected)
    keywords = [e.lower() for e in expected if e.isalpha() and e.isupper() and e not in _READABLE]
    help_text: str | None = None
    if token.type == "WORD" and keywords:
        help_text = did_you_mean(str(token), keywords)
    if help_text is None:
        help_text = "expected " + _describe_expected(expected)
    return Diagnostic("E001", "error", f"unexpected `{token}`", span, help_text)


def _describe_expected(expected: list[str]) -> str:
    names = []
    for name in expected:
        if name in _READABLE:
            names.append(_READABLE[name])
        elif name.isupper() and name.isalpha():
            names.append(f"`{name.lower()}`")
        else:
            names.append(f"`{name}`")
    unique = sorted(set(names))
    if len(unique) > 8:
        return "one of " + ", ".join(unique[:8]) + ", ..."
    if len(unique) == 1:
        return unique[0]
    return "one of " + ", ".join(unique)


class _Converter:
    """Lark tree → AST nodes, keeping every node's span."""

    def __init__(self, path: str) -> None:
        self.path = path

    def span_of(self, item: Tree[Token] | Token) -> ast.Span:
        if isinstance(item, Token):
            return ast.Span(
                self.path,
                item.line or 1,
                item.column or 1,
                item.end_line or item.line or 1,
                item.end_column or (item.column or 1) + len(item),
            )
        meta = item.meta
        if getattr(meta, "empty", True):
            return ast.Span(self.path, 1, 1, 1, 2)
        return ast.Span(self.path, meta.line, meta.column, meta.end_line, meta.end_column)

    def rule_file(self, tree: Tree[Token], source: str) -> ast.RuleFile:
        rules = tuple(self.rule(child) for child in tree.children if isinstance(child, Tree))
        return ast.RuleFile(self.path, source, rules, span=ast.Span(self.path, 1, 1, 1, 1))

    def rule(self, tree: Tree[Token]) -> ast.Rule:
        id_token, *clauses = tree.children
        assert isinstance(id_token, Token)
        rule_id = ast.Name(str(id_token), span=self.span_of(id_token))
        converted = tuple(self.clause(c) for c in clauses if isinstance(c, Tree))
        return ast.Rule(rule_id, converted, span=self.span_of(tree))

    def clause(self, tree: Tree[Token]) -> ast.Clause:
        kind = str(tree.data)
        span = self.span_of(tree)
        children = tree.children
        if kind in ("title", "citation", "message"):
            token = children[0]
            assert isinstance(token, Token)
            return ast.TextClause(kind, str(token)[1:-1], span=span)
        if kind in ("jurisdiction", "actor", "channels", "debt_types", "require"):
            words = children[0]
            assert isinstance(words, Tree)
            return ast.WordsClause(kind, self.words(words), span=span)
        if kind == "effective_from":
            start, until = children
            return ast.EffectiveClause(
                "effective", self.date_lit(start), self.date_lit(until), span=span
            )
        if kind == "effective_until":
            return ast.EffectiveClause("effective", None, self.date_lit(children[0]), span=span)
        expr = children[0]
        assert isinstance(expr, (Tree, Token))
        return ast.ExprClause(kind, self.expr(expr), span=span)

    def words(self, tree: Tree[Token]) -> tuple[ast.Name, ...]:
        return tuple(
            ast.Name(str(t), span=self.span_of(t)) for t in tree.children if isinstance(t, Token)
        )

    def date_lit(self, token: Tree[Token] | Token | None) -> ast.DateLit | None:
        if token is None:
            return None
        assert isinstance(token, Token)
        return ast.DateLit(str(token), span=self.span_of(token))

    def expr(self, item: Tree[Token] | Token) -> ast.Expr:
        if isinstance(item, Token):  # a bare token only reaches here through `?` rules
            return ast.Name(str(item), span=self.span_of(item))
        span = self.span_of(item)
        kind = str(item.data)
        kids = item.children
        handler = getattr(self, f"_expr_{kind}", None)
        if handler is None:
            raise SyntaxProblem(Diagnostic("E001", "error", f"unexpected `{kind}`", span))
        result: ast.Expr = handler(kids, span)
        return result

    def _sub(self, kid: Tree[Token] | Token | None) -> ast.Expr:
        assert kid is not None
        return self.expr(kid)

    def _expr_or_(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        return ast.Or(self._sub(kids[0]), self._sub(kids[1]), span=span)

    def _expr_and_(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        return ast.And(self._sub(kids[0]), self._sub(kids[1]), span=span)

    def _expr_not_(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        return ast.Not(self._sub(kids[0]), span=span)

    def _expr_compare(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        op = kids[1]
        assert isinstance(op, Token)
        return ast.Compare(
            str(op), self._sub(kids[0]), self._sub(kids[2]), span=span, op_span=self.span_of(op)
        )

    def _expr_is_(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        return ast.Compare("=", self._sub(kids[0]), self._sub(kids[1]), span=span, op_span=span)

    def _expr_is_not(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        return ast.Compare("!=", self._sub(kids[0]), self._sub(kids[1]), span=span, op_span=span)

    def _expr_between(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        return ast.Between(self._sub(kids[0]), self._sub(kids[1]), self._sub(kids[2]), span=span)

    def _expr_in_(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        items = self._sub(kids[1])
        assert isinstance(items, ast.ListExpr)
        return ast.In(self._sub(kids[0]), items, False, span=span)

    def _expr_not_in(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        items = self._sub(kids[1])
        assert isinstance(items, ast.ListExpr)
        return ast.In(self._sub(kids[0]), items, True, span=span)

    def _expr_name(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        return ast.Name(str(kids[0]), span=span)

    def _expr_number(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        return ast.Number(int(str(kids[0])), span=span)

    def _expr_time_of_day(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        return ast.TimeOfDay(str(kids[0]), span=span)

    def _expr_date(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        return ast.DateLit(str(kids[0]), span=span)

    def _expr_string(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        return ast.String(str(kids[0])[1:-1], span=span)

    def _expr_true(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        return ast.Bool(True, span=span)

    def _expr_false(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        return ast.Bool(False, span=span)

    def _expr_local_time(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        return ast.LocalTime(span=span)

    def _expr_local_day(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        return ast.LocalDay(span=span)

    def _expr_local_date(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        return ast.LocalDate(span=span)

    def _expr_holiday(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        token = kids[0]
        assert isinstance(token, Token)
        return ast.Holiday(ast.Name(str(token), span=self.span_of(token)), span=span)

    def _expr_duration(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        return self.duration_node(kids, span)

    def duration_node(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Duration:
        amount, calendar, unit = kids
        return ast.Duration(int(str(amount)), str(unit), calendar is not None, span=span)

    def _expr_list(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        items = tuple(self.expr(k) for k in kids if k is not None)
        return ast.ListExpr(items, span=span)

    def _expr_call(self, kids: list[Tree[Token] | Token], span: ast.Span) -> ast.Expr:
        function, events = kids
        assert isinstance(function, Token) and isinstance(events, Tree)
        name = ast.Name(str(function), span=self.span_of(function))
        return ast.Call(name, self.events(events), span=span)

    def events(self, tree: Tree[Token]) -> ast.Events:
        channels, key, window, where = tree.children
        names = self.words(channels) if isinstance(channels, Tree) else ()
        key_name = ast.Name(str(key), span=self.span_of(key)) if isinstance(key, Token) else None
        duration = None
        if isinstance(window, Tree):
            duration = self.duration_node(window.children, self.span_of(window))
        condition = self.expr(where) if where is not None else None
        return ast.Events(names, key_name, duration, condition, span=self.span_of(tree))
