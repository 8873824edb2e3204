"""Source text → `RuleFile` AST, or syntax diagnostics (file:line:col, what was expected)."""

from __future__ import annotations

import hashlib
import os
import re
from contextvars import ContextVar
from functools import lru_cache
from importlib import resources
from typing import Any

import lark
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
    """The parser. Building it with `strict=True` checks every pair of terminals for
    collisions, which takes a quarter of a second, so the built tables are cached in a
    folder only this user can write."""
    grammar = resources.files("contactengine.language").joinpath("grammar.lark").read_text()
    # Where a keyword may come but no name may, the lexer would take `channels` out of
    # `channelss` and leave `s`: every keyword token is checked to be a whole word.
    # Lark names a keyword's terminal after the keyword in capitals.
    keywords = {word.upper(): _whole_keyword for word in re.findall(r'"([a-z]+)"', grammar)}
    options: dict[str, Any] = {
        "parser": "lalr",
        "strict": True,
        "propagate_positions": True,
        "maybe_placeholders": True,
        "lexer_callbacks": keywords,
    }
    cache = _cache_file(grammar)
    if cache is not None:
        try:
            return Lark(grammar, cache=cache, **options)
        except Exception:  # an unreadable or foreign cache file: build from scratch
            pass
    return Lark(grammar, **options)


def _cache_file(grammar: str) -> str | None:
    """A cache path in a folder only this user can write, or None where there is none."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "contactengine")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.stat(folder)
        if info.st_uid != os.getuid() or info.st_mode & 0o022:
            return None
    except OSError:
        return None
    digest = hashlib.sha256(f"{grammar}\0{lark.__version__}".encode()).hexdigest()[:16]
    return os.path.join(folder, f"grammar-{digest}.lark")


# The file being parsed, for the lexer callback above: (display name, text).
_PARSING: ContextVar[tuple[str, str]] = ContextVar("_PARSING")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


def _whole_keyword(token: Token) -> Token:
    """A keyword glued to more letters (`channelss`, `titles`) is that longer word: an error."""
    path, source = _PARSING.get(("", ""))
    start, end = token.start_pos or 0, token.end_pos or 0
    word = _WORD.match(source, start)
    if word is None or word.end() <= end:
        return token
    raise SyntaxProblem(_glued_word(source, path, word))


def _glued_word(source: str, path: str, word: re.Match[str]) -> Diagnostic:
    """What to say about `word`, which no part of the grammar accepts where it stands."""
    text = word.group()
    tokens = _tokens_before(source, word.start())
    trailing = _trailing_comma(source, path, tokens)
    if trailing is not None:
        return trailing
    keywords = sorted(_all_keywords())
    head = next((k for k in keywords if text.startswith(k) and text[len(k) :] in keywords), None)
    if head is not None:
        help_text = f"write `{head} {text[len(head) :]}`, with a space"
    else:
        help_text = did_you_mean(text, keywords) or f"check the spelling of `{text}`"
    return Diagnostic(
        "E001", "error", f"unexpected `{text}`", _span_of_match(source, path, word), help_text
    )


def _trailing_comma(source: str, path: str, tokens: list[re.Match[str]]) -> Diagnostic | None:
    """`channels call, sms,` at the end of a line takes the next line's keyword as a name."""
    if (
        len(tokens) >= 2
        and tokens[-2].group() == ","
        and tokens[-1].group() in CLAUSE_KEYWORDS
        and "\n" in source[tokens[-2].end() : tokens[-1].start()]
    ):
        return Diagnostic(
            "E001",
            "error",
            "the list ends with `,`",
            _span_of_match(source, path, tokens[-2]),
            f"remove the `,`: as it is, `{tokens[-1].group()}` on the next line is read as "
            "one more name in the list",
        )
    return None


@lru_cache(maxsize=1)
def _all_keywords() -> frozenset[str]:
    return frozenset(k for k in map(_keyword, (t.name for t in _lark().terminals)) if k)


MAX_DEPTH = 100  # nesting of one condition; real rules stay under 10

# What usually went wrong when these characters appear: the help line for E003.
_CHARACTER_HELP = {
    "&": "join conditions with `and`",
    "|": "join conditions with `or`",
    "!": "write `not` before a condition, or `!=` to compare",
    "'": 'texts go in double quotes: `"..."`',
    "\u201c": 'texts go in plain double quotes: `"..."`',
    "\u201d": 'texts go in plain double quotes: `"..."`',
    ";": "a clause ends at the end of its line: remove the `;`",
    "{": "group conditions with `(` and `)`",
    "}": "group conditions with `(` and `)`",
    "%": "write a count as a whole number, e.g. `count(calls within 7 days) >= 7`",
    "@": "names use letters, digits, `_`, `-` and `.`",
    ":": "a clause needs no `:` after its keyword, e.g. `channels call, sms`",
    "-": "names may hold `-` between letters or digits; numbers cannot be negative",
}
# After a digit, `:` and `-` are a time or a date written short.
_AFTER_DIGIT_HELP = {
    ":": "write times as HH:MM with two-digit minutes, e.g. `08:00`",
    "-": "write dates as YYYY-MM-DD, e.g. `2026-01-31`",
}
_DEFAULT_CHARACTER_HELP = "names use letters, digits, `_`, `-` and `.`; texts go in double quotes"

_CLAUSE_TERMINALS = frozenset(keyword.upper() for keyword in CLAUSE_KEYWORDS)

# Words after which something must follow, and what: for a rule cut short by `end`.
_NEEDS_CONDITION = ("when", "unless", "or", "and", "not", "where")
_NEEDS_VALUE = ("is", "between", "=", "!=", "<", "<=", ">", ">=", ",", "within", "per")
_NEEDS_NAME = ("channels", "jurisdiction", "actor", "types", "content", "rule")

# Tokens as a person reads them, good enough to find the words before an error.
_TOKEN = re.compile(
    r'"[^"\n]*"|#[^\n]*|\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}|\d+|<=|>=|!=|[=<>()\[\],]'
    r"|[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
)
_RULE_HEADER = re.compile(r"^[ \t]*rule[ \t]+([A-Za-z_][A-Za-z0-9_.-]*)", re.MULTILINE)


def parse(source: str, path: str) -> tuple[ast.RuleFile | None, list[Diagnostic]]:
    """Parse one file. A syntax error stops the file: later text cannot be trusted."""
    parsing = _PARSING.set((path, source))
    try:
        tree = _lark().parse(source)
        return _Converter(path).rule_file(tree, source), []
    except UnexpectedCharacters as exc:
        return None, [_unexpected_character(exc, source, path)]
    except UnexpectedEOF:
        return None, [_unexpected_end(source, path, frozenset())]
    except UnexpectedToken as exc:
        return None, [_unexpected_token(exc, source, path)]
    except SyntaxProblem as exc:
        return None, [exc.diagnostic]
    except RecursionError:
        span = ast.Span(path, 1, 1, 1, 2)
        message = "this file nests conditions too deeply to read"
        help_text = "split long conditions into several `deny when` or `unless` lines"
        return None, [Diagnostic("E005", "error", message, span, help_text)]
    except LarkError as exc:  # any other parser complaint still becomes a diagnostic
        span = ast.Span(path, 1, 1, 1, 2)
        problem = Diagnostic(
            "E001",
            "error",
            f"this file cannot be read: {exc}",
            span,
            "check the rule against the language guide, docs/language.md",
        )
        return None, [problem]
    finally:
        _PARSING.reset(parsing)


def _lines(source: str) -> list[str]:
    """The file's lines as the parser counts them: only `\\n` ends a line."""
    return [line.removesuffix("\r") for line in source.split("\n")]


def _position(source: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    before = source[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _unexpected_character(exc: UnexpectedCharacters, source: str, path: str) -> Diagnostic:
    line, column, position = exc.line or 1, exc.column or 1, exc.pos_in_stream or 0
    char = source[position] if 0 <= position < len(source) else ""
    if char == '"':
        lines = _lines(source)
        end = len(lines[line - 1]) + 1 if line <= len(lines) else column + 1
        span = ast.Span(path, line, column, line, max(end, column + 1))
        return Diagnostic(
            "E002",
            "error",
            "unterminated string",
            span,
            'close the text with `"` on the same line',
        )
    span = ast.Span(path, line, column, line, column + 1)
    shown = char if char.isprintable() else f"U+{ord(char):04X}" if char else "?"
    return Diagnostic(
        "E003",
        "error",
        f"unexpected character `{shown}`",
        span,
        _character_help(char, source[position - 1 : position]),
    )


def _character_help(char: str, before: str) -> str:
    if before.isdigit() and char in _AFTER_DIGIT_HELP:
        return _AFTER_DIGIT_HELP[char]
    return _CHARACTER_HELP.get(char, _DEFAULT_CHARACTER_HELP)


def _tokens_before(source: str, offset: int) -> list[re.Match[str]]:
    """The tokens of the file before `offset`, comments left out."""
    return [m for m in _TOKEN.finditer(source, 0, offset) if not m.group().startswith("#")]


def _span_of_match(source: str, path: str, match: re.Match[str]) -> ast.Span:
    line, column = _position(source, match.start())
    return ast.Span(path, line, column, line, column + len(match.group()))


def _open_rule(source: str, offset: int) -> str | None:
    """The id of the last rule started before `offset`."""
    ids = _RULE_HEADER.findall(source, 0, offset)
    return ids[-1] if ids else None


def _unexpected_end(source: str, path: str, expected: frozenset[str]) -> Diagnostic:
    tokens = _tokens_before(source, len(source))
    if len(tokens) >= 2 and tokens[-1].group() == "end":
        # `end` cut something short and was read as a name: point at what is unfinished.
        before = tokens[-2]
        word = before.group()
        message = None
        if word in _NEEDS_CONDITION:
            message = f"a condition is missing after `{word}`"
        elif word in _NEEDS_VALUE:
            message = f"a value is missing after `{word}`"
        elif word in _NEEDS_NAME:
            message = f"a name is missing after `{word}`"
        elif word in ("(", "["):
            message = f"this `{word}` is never closed"
        if message is not None:
            return Diagnostic(
                "E006",
                "error",
                message,
                _span_of_match(source, path, before),
                "finish the line before `end`",
            )
    if "END" in expected and tokens:
        rule_id = _open_rule(source, len(source))
        return Diagnostic(
            "E006",
            "error",
            f"rule `{rule_id}` is not closed with `end`" if rule_id else "a rule is not closed",
            _span_of_match(source, path, tokens[-1]),
            "add `end` on a line of its own after the rule",
        )
    lines = _lines(source)
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()
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


def _accepted(exc: UnexpectedToken) -> frozenset[str]:
    """The terminals the parser could have taken here, as precisely as it can tell."""
    expected: set[str] = set(exc.expected)
    parser = exc.interactive_parser
    if parser is not None:
        try:
            accepts = parser.accepts()  # type: ignore[no-untyped-call]
        except LarkError:
            accepts = set()
        if accepts:
            expected = set(accepts)
    if "OR" in expected:  # LALR reduces `a and b` before it sees what follows
        expected.add("AND")
    return frozenset(expected)


def _unexpected_token(exc: UnexpectedToken, source: str, path: str) -> Diagnostic:
    token = exc.token
    expected = _accepted(exc)
    if token.type == "$END":
        return _unexpected_end(source, path, expected)
    line = token.line or 1
    column = token.column or 1
    text = str(token)
    offset = token.start_pos or 0
    span = ast.Span(path, line, column, line, column + max(1, len(text)))
    tokens = _tokens_before(source, offset)
    before = " ".join(m.group() for m in tokens[-3:])
    trailing = _trailing_comma(source, path, tokens)
    if trailing is not None:
        return trailing
    if token.type == "RULE" and "END" in expected:
        rule_id = _open_rule(source, offset)
        what = f"rule `{rule_id}`" if rule_id else "the rule before"
        return Diagnostic(
            "E006",
            "error",
            f"{what} is not closed with `end`",
            span,
            "add `end` on a line of its own before this `rule`",
        )
    if token.type == "COMPARE" and text == "=" and source[offset - 1 : offset] == "=":
        span = ast.Span(path, line, column - 1, line, column + 1)
        return Diagnostic("E001", "error", "unexpected `==`", span, "write `is` or a single `=`")
    if token.type == "LSQB" and before.endswith(("is in", "is not in")):
        fixed = "not in" if before.endswith("not in") else "in"
        return Diagnostic(
            "E001", "error", "unexpected `[`", span, f"write `{fixed} [...]`, without `is`"
        )
    opening = "(" if text == ")" else "["
    if token.type in ("RPAR", "RSQB") and _balance(tokens, opening, text) <= 0:
        return Diagnostic(
            "E001",
            "error",
            f"this `{text}` closes nothing",
            span,
            f"remove it, or add the `{opening}` it closes",
        )
    help_text: str | None = None
    keywords = sorted(k for k in map(_keyword, expected) if k is not None)
    if token.type == "WORD" and keywords:
        help_text = did_you_mean(text, keywords)
    if help_text is None:
        help_text = "expected " + _describe_expected(expected, before)
    return Diagnostic("E001", "error", f"unexpected `{text}`", span, help_text)


def _balance(tokens: list[re.Match[str]], opening: str, closing: str) -> int:
    """How many `opening` are still open since the current rule started."""
    balance = 0
    for match in reversed(tokens):
        word = match.group()
        if word == "rule":
            break
        balance += (word == opening) - (word == closing)
    return balance


def _keyword(terminal: str) -> str | None:
    """The keyword a terminal stands for (`TITLE` → `title`), or None for other tokens."""
    try:
        definition = _lark().get_terminal(terminal)
    except KeyError:
        return None
    value = definition.pattern.value
    if definition.pattern.type == "str" and value.isalpha():
        return value
    return None


def _describe_expected(expected: frozenset[str], before: str) -> str:
    """`expected` in words: `,`, the next clause or `end`."""
    names: list[str] = []
    rest = set(expected)
    if rest <= {"WORD", "CALENDAR"} and before.split()[-1:] and before.split()[-1].isdigit():
        return "a unit of time such as `days`"
    for name in sorted(rest - _CLAUSE_TERMINALS - {"END"}):
        if name in _READABLE:
            names.append(_READABLE[name])
        else:
            keyword = _keyword(name)
            names.append(f"`{keyword}`" if keyword else f"`{name.lower()}`")
    names = sorted(set(names), key=lambda n: (n.startswith("`") is False, n))
    if len(rest & _CLAUSE_TERMINALS) >= 2:
        names.append("the next clause")
    elif rest & _CLAUSE_TERMINALS:
        names.extend(f"`{_keyword(n)}`" for n in sorted(rest & _CLAUSE_TERMINALS))
    if "END" in rest:
        names.append("`end`")
    if not names:
        return "something else"
    if len(names) > 10:
        names = [*names[:9], "..."]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


class _Converter:
    """Lark tree → AST nodes, keeping every node's span."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.depth = 0

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
        items = [child for child in tree.children if isinstance(child, Tree)]
        rules = tuple(self.rule(child) for child in items if child.data == "rule")
        settings = tuple(self.setting(child) for child in items if child.data == "setting")
        packs = tuple(self.pack(child) for child in items if child.data == "pack")
        return ast.RuleFile(
            self.path, source, rules, settings, packs, span=ast.Span(self.path, 1, 1, 1, 1)
        )

    def setting(self, tree: Tree[Token]) -> ast.Setting:
        name, value = tree.children
        assert isinstance(name, Token)
        converted: ast.Duration | ast.DateLit
        if isinstance(value, Tree):
            converted = self.duration_node(value.children, self.span_of(value))
        else:
            assert isinstance(value, Token)
            converted = ast.DateLit(str(value), span=self.span_of(value))
        return ast.Setting(
            ast.Name(str(name), span=self.span_of(name)), converted, span=self.span_of(tree)
        )

    def rule(self, tree: Tree[Token]) -> ast.Rule:
        id_token, *clauses = tree.children
        assert isinstance(id_token, Token)
        rule_id = ast.Name(str(id_token), span=self.span_of(id_token))
        converted = tuple(self.clause(c) for c in clauses if isinstance(c, Tree))
        return ast.Rule(rule_id, converted, span=self.span_of(tree))

    def pack(self, tree: Tree[Token]) -> ast.Pack:
        id_token, *clauses = tree.children
        assert isinstance(id_token, Token)
        pack_id = ast.Name(str(id_token), span=self.span_of(id_token))
        converted = tuple(self.clause(c) for c in clauses if isinstance(c, Tree))
        return ast.Pack(pack_id, converted, span=self.span_of(tree))

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
        if kind == "covers":
            return ast.EffectiveClause("covers", self.date_lit(children[0]), None, span=span)
        expr = children[0]
        assert isinstance(expr, (Tree, Token))
        return ast.ExprClause(kind, self.expr(expr), span=span)

    def words(self, tree: Tree[Token]) -> tuple[ast.Name, ...]:
        return tuple(
            ast.Name(str(t), span=self.span_of(t)) for t in tree.children if isinstance(t, Token)
        )

    def date_lit(self, token: Tree[Token] | Token | None) -> ast.DateLit | ast.Name | None:
        if token is None:
            return None
        assert isinstance(token, Token)
        if token.type == "WORD":  # a date setting
            return ast.Name(str(token), span=self.span_of(token))
        return ast.DateLit(str(token), span=self.span_of(token))

    def expr(self, item: Tree[Token] | Token) -> ast.Expr:
        if isinstance(item, Token):  # a bare token only reaches here through `?` rules
            return ast.Name(str(item), span=self.span_of(item))
        span = self.span_of(item)
        if self.depth >= MAX_DEPTH:  # the checker and compiler recurse too: stop here
            raise SyntaxProblem(
                Diagnostic(
                    "E005",
                    "error",
                    "this condition is nested too deeply",
                    span,
                    "split it into several `deny when` or `unless` lines",
                )
            )
        kind = str(item.data)
        kids = item.children
        handler = getattr(self, f"_expr_{kind}", None)
        if handler is None:
            raise SyntaxProblem(
                Diagnostic("E001", "error", f"unexpected `{kind}`", span, "remove or rewrite it")
            )
        self.depth += 1
        try:
            result: ast.Expr = handler(kids, span)
        finally:
            self.depth -= 1
        return result

    def integer(self, token: Tree[Token] | Token | None) -> int:
        """A whole number; one too long to mean anything is a syntax problem."""
        assert isinstance(token, Token)
        text = str(token)
        if len(text) > 9:
            raise SyntaxProblem(
                Diagnostic(
                    "E025",
                    "error",
                    f"`{text[:12]}{'...' if len(text) > 12 else ''}` is too large a number",
                    self.span_of(token),
                    "numbers here count contacts or units of time: use at most 9 digits",
                )
            )
        return int(text)

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
        return ast.Number(self.integer(kids[0]), span=span)

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
        return ast.Duration(self.integer(amount), str(unit), calendar is not None, span=span)

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
        duration: ast.Duration | ast.Name | None = None
        if isinstance(window, Tree):
            duration = self.duration_node(window.children, self.span_of(window))
        elif isinstance(window, Token):  # a duration setting
            duration = ast.Name(str(window), span=self.span_of(window))
        condition = self.expr(where) if where is not None else None
        return ast.Events(names, key_name, duration, condition, span=self.span_of(tree))
