"""The rules language never answers with a traceback: any text or bytes become diagnostics.

Three sources of input: arbitrary text, mutations of the shipped federal rules (the
realistic near-misses a compliance officer types), and arbitrary bytes on disk. Whatever
comes in, `load_sources` / `load_paths` return diagnostics that point somewhere real, and
a rule set whenever there is no error.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contactengine.language.diagnostics import render_all_human
from contactengine.language.loader import LoadResult, load_paths, load_sources

ROOT = Path(__file__).resolve().parent.parent
FEDERAL = ROOT.joinpath("rules", "us", "federal.rules").read_text(encoding="utf-8")
FEDERAL_LINES = FEDERAL.splitlines(keepends=True)

FUZZ = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Words and tokens of the language, and near misses of them, to splice into real rules.
TOKENS = (
    "rule", "end", "title", "citation", "effective", "from", "until", "jurisdiction",
    "actor", "channels", "debt", "types", "applies", "when", "unless", "deny", "warn",
    "allow", "only", "require", "content", "message", "and", "or", "not", "is", "in",
    "between", "local", "time", "day", "date", "holiday", "count", "any", "consent",
    "opt_out", "reassignment_check", "per", "within", "where", "calendar", "days",
    "minutes", "weeks", "true", "false", "(", ")", "[", "]", ",", "<=", ">=", "<", ">",
    "=", "!=", '"', '"text"', "#", "\n", " ", "0", "7", "99999999999999999999", "08:00",
    "24:00", "25:00", "99:99", "2026-02-30", "2026-13-01", "0000-00-00", "2021-11-30",
    "sms", "smss", "calls", "texts", "US", "US-XX", "debt_collector", "outbound",
    "not_conected", "purpose", "to.kind", "channel", "debtor", "contact", "-", ".", "_",
    "\t", "\r", "\r\n", "\x00", "\u00e9", "\ufeff", "\u2028", "\x0c", "\x85",
)  # fmt: skip

token = st.sampled_from(TOKENS)
glue = st.sampled_from(("", " ", "\n"))
snippet = st.one_of(
    token,
    st.text(max_size=8),
    st.lists(st.tuples(token, glue), min_size=1, max_size=8).map(
        lambda parts: "".join(t + g for t, g in parts)
    ),
)


def assert_sound(result: LoadResult) -> None:
    """Every diagnostic points into a file and says something; no error means rules."""
    for diagnostic in result.diagnostics:
        span = diagnostic.span
        assert span.line >= 1 and span.column >= 1, diagnostic
        assert span.end_line >= span.line, diagnostic
        assert diagnostic.message.strip(), diagnostic
        assert diagnostic.severity in ("error", "warning"), diagnostic
        assert diagnostic.code[:1] in ("E", "W") and diagnostic.code[1:].isdigit(), diagnostic
    if result.errors:
        assert result.ruleset is None
    else:
        assert result.ruleset is not None
    # Rendering must never fail either, whatever the spans and sources say.
    rendered = render_all_human(result.diagnostics, result.sources)
    assert rendered.endswith("\n")


@st.composite
def mutated_federal(draw: st.DrawFn) -> str:
    """The federal rules after a few random edits of the kinds people make."""
    text = FEDERAL
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        kind = draw(st.sampled_from(("delete", "insert", "replace", "swap", "truncate", "dup")))
        size = len(text)
        at = draw(st.integers(min_value=0, max_value=size))
        if kind == "delete":
            length = draw(st.integers(min_value=1, max_value=40))
            text = text[:at] + text[at + length :]
        elif kind == "insert":
            text = text[:at] + draw(snippet) + text[at:]
        elif kind == "replace":
            length = draw(st.integers(min_value=1, max_value=12))
            text = text[:at] + draw(snippet) + text[at + length :]
        elif kind == "swap":
            lines = text.splitlines(keepends=True)
            if len(lines) >= 2:
                i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
                j = draw(st.integers(min_value=0, max_value=len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
                text = "".join(lines)
        elif kind == "truncate":
            text = text[:at]
        else:  # a line copied elsewhere: duplicate clauses, rules inside rules
            lines = text.splitlines(keepends=True)
            if lines:
                source = draw(st.sampled_from(lines))
                where = draw(st.integers(min_value=0, max_value=len(lines)))
                lines.insert(where, source)
                text = "".join(lines)
    return text


@st.composite
def shuffled_rule_lines(draw: st.DrawFn) -> str:
    """Real lines of the federal rules in a random order and number: valid pieces, any shape."""
    lines = draw(st.lists(st.sampled_from(FEDERAL_LINES), max_size=30))
    return "".join(lines)


# --- well-formed rules with random conditions: the checker must stop what the compiler can't ---

NAMES = (
    "channel", "automated", "purpose", "actor", "debt.type", "to.kind", "to.employer_provided",
    "bankruptcy", "deceased", "inconvenient_time", "answering_consumer", "direction",
    "outcome", "message_left", "given_to", "kind", "sms", "call", "mobile", "collection",
    "not_connected", "inbound", "debt_collector", "sat", "sun", "express", "nonsense",
)  # fmt: skip
LITERALS = (
    "0", "1", "7", "08:00", "21:00", "00:00", "24:00", "25:00", "2026-01-01", "2026-02-30",
    '"text"', "true", "false", "7 days", "1 calendar week", "5 minutes", "0 days",
    "3 fortnights", "local time", "local day", "local date", "holiday(US)", "holiday(CA-ON)",
    "holiday(USA)", "holiday(__init__)",
)  # fmt: skip
FUNCTIONS = ("count", "any", "consent", "opt_out", "reassignment_check", "counts")
KEYS = ("debt", "debtor", "contact", "account")
CHANNEL_WORDS = ("calls", "sms", "texts", "emails", "letters", "contacts", "smss")
OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "is", "is not")


def conditions() -> st.SearchStrategy[str]:
    """Random conditions over the language's own words: valid, ill-typed and in between."""
    leaf = st.one_of(st.sampled_from(NAMES), st.sampled_from(LITERALS))

    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        operand = st.one_of(leaf, inner.map(lambda e: f"({e})"), calls(inner))
        listed = st.lists(operand, max_size=3).map(lambda items: "[" + ", ".join(items) + "]")
        return st.one_of(
            st.tuples(operand, st.sampled_from(OPERATORS), operand).map(" ".join),
            st.tuples(operand, operand, operand).map(lambda t: f"{t[0]} between {t[1]} and {t[2]}"),
            st.tuples(operand, st.sampled_from(("in", "not in")), listed).map(" ".join),
            st.tuples(inner, st.sampled_from(("and", "or")), inner).map(" ".join),
            inner.map(lambda e: f"not {e}"),
            operand,
        )

    return st.recursive(leaf, grow, max_leaves=8)


def calls(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """`count(calls, texts per debt within 7 calendar days where ...)`, parts optional."""
    parts = st.tuples(
        st.sampled_from(FUNCTIONS),
        st.lists(st.sampled_from(CHANNEL_WORDS), max_size=2).map(", ".join),
        st.one_of(st.just(""), st.sampled_from(KEYS).map(lambda k: f"per {k}")),
        st.one_of(st.just(""), st.sampled_from(LITERALS[14:20]).map(lambda d: f"within {d}")),
        st.one_of(st.just(""), inner.map(lambda e: f"where {e}")),
    )
    return parts.map(lambda p: f"{p[0]}({' '.join(x for x in p[1:] if x)})")


@st.composite
def generated_rules(draw: st.DrawFn) -> str:
    """One or two whole rules whose conditions come from `conditions()`."""
    rules = []
    for number in range(draw(st.integers(min_value=1, max_value=2))):
        clauses = [
            f"rule generated-{number}",
            '  title "Generated"',
            '  citation "none"',
            f"  jurisdiction {draw(st.sampled_from(('US', 'US-MA', 'CA-ON', 'US-TXS')))}",
            f"  channels {draw(st.sampled_from(('call', 'sms, email', 'call, letter')))}",
        ]
        if draw(st.booleans()):
            start = draw(st.sampled_from(("2021-11-30", "2026-02-30", "2027-01-01")))
            clauses.append(f"  effective from {start} until 2026-06-01")
        for _ in range(draw(st.integers(min_value=1, max_value=3))):
            keyword = draw(
                st.sampled_from(
                    ("deny when", "warn when", "allow only when", "unless", "applies when")
                )
            )
            clauses.append(f"  {keyword} {draw(conditions())}")
        clauses += ['  message "{count} at {local_time}"', "end"]
        rules.append("\n".join(clauses))
    return "\n\n".join(rules) + "\n"


@FUZZ
@given(generated_rules())
def test_generated_conditions_compile_or_are_reported(text: str) -> None:
    assert_sound(load_sources([("fuzz.rules", text)]))


@FUZZ
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text: str) -> None:
    assert_sound(load_sources([("fuzz.rules", text)]))


@FUZZ
@given(mutated_federal())
def test_mutated_federal_rules_never_raise(text: str) -> None:
    assert_sound(load_sources([("fuzz.rules", text)]))


@FUZZ
@given(shuffled_rule_lines())
def test_shuffled_rule_lines_never_raise(text: str) -> None:
    assert_sound(load_sources([("fuzz.rules", text)]))


@FUZZ
@given(st.lists(snippet, max_size=25).map("".join))
def test_token_soup_never_raises(text: str) -> None:
    wrapped = (
        f'rule soup\n  title "t"\n  citation "c"\n  jurisdiction US\n  channels call\n{text}\nend\n'
    )
    assert_sound(load_sources([("fuzz.rules", text)]))
    assert_sound(load_sources([("fuzz.rules", wrapped)]))


@st.composite
def rule_bytes(draw: st.DrawFn) -> bytes:
    """Arbitrary bytes, or the federal rules with a few bytes spliced in (old editors)."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=300))
    raw = FEDERAL.encode("utf-8")
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        at = draw(st.integers(min_value=0, max_value=len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=4)) + raw[at:]
    return raw


@FUZZ
@given(data=rule_bytes())
def test_arbitrary_bytes_on_disk_never_raise(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = tmp_path_factory.getbasetemp() / "fuzz.rules"
    path.write_bytes(data)
    result = load_paths([path])
    assert_sound(result)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        assert [d.code for d in result.diagnostics] == ["E004"]
