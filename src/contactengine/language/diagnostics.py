"""Diagnostics as data: code, severity, message, span, help; rendered for humans or JSON.

Message style: one sentence, lowercase start, no final period, user text in backticks,
advice in the separate help line.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from contactengine.language.ast import Span


@dataclass(frozen=True)
class Diagnostic:
    code: str
    severity: str  # "error" or "warning"
    message: str
    span: Span
    help: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.file, self.span.line, self.span.column, self.code)

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.span.file,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "help": self.help,
        }


def did_you_mean(word: str, known: Iterable[str]) -> str | None:
    """The nearest known name to `word`, phrased as help, or None when nothing is near."""
    candidates = list(known)
    lowered = {c.lower(): c for c in candidates}
    if word.lower() in lowered:
        return f"did you mean `{lowered[word.lower()]}`?"
    close = difflib.get_close_matches(word, candidates, n=3, cutoff=0.6)
    if not close:
        return None
    # Among near names, one that starts the same way wins: `denied` means `deny`, not `end`.
    best = max(close, key=lambda c: (min(_shared_prefix(word, c), 3), -close.index(c)))
    return f"did you mean `{best}`?"


def _shared_prefix(a: str, b: str) -> int:
    length = 0
    for x, y in zip(a.lower(), b.lower(), strict=False):
        if x != y:
            break
        length += 1
    return length


def render_human(diagnostic: Diagnostic, source: str | None) -> str:
    """`error[E010]: ...`, the location, the source line and a caret underline, the help."""
    span = diagnostic.span
    gutter = " " * len(str(span.line))
    lines = [f"{diagnostic.severity}[{diagnostic.code}]: {diagnostic.message}"]
    lines.append(f"{gutter} --> {span.file}:{span.line}:{span.column}")
    text = _source_line(source, span.line)
    if text is not None:
        if span.end_line == span.line:
            width = max(1, span.end_column - span.column)
        else:  # a span over several lines: underline the rest of its first line
            width = max(1, len(text) - span.column + 1)
        lines.append(f"{gutter} |")
        lines.append(f"{span.line} | {text}".rstrip())
        lines.append(f"{gutter} | {' ' * (span.column - 1)}{'^' * width}")
    if diagnostic.help:
        lines.append(f"{gutter} = help: {diagnostic.help}")
    return "\n".join(lines)


def _source_line(source: str | None, line: int) -> str | None:
    """Line `line` as the parser counts lines (only `\\n` ends one), one column per character.

    Tabs and other control characters show as one space so the carets stay under the text;
    the line just past the last one exists (empty) so an empty file still shows a line.
    """
    if source is None:
        return None
    all_lines = source.split("\n")
    if 1 <= line <= len(all_lines):
        text = all_lines[line - 1].removesuffix("\r")
        return "".join(c if c.isprintable() else " " for c in text)
    return None


def render_all_human(diagnostics: list[Diagnostic], sources: dict[str, str]) -> str:
    parts = [render_human(d, sources.get(d.span.file)) for d in diagnostics]
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    parts.append(f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}")
    return "\n\n".join(parts) + "\n"


def render_all_json(diagnostics: list[Diagnostic]) -> str:
    return json.dumps([d.to_json() for d in diagnostics], indent=2) + "\n"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
