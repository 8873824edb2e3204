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
