"""Files and folders → a checked, compiled `RuleSet`, or the diagnostics that stop it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contactengine.engine.compiler import compile_files, ruleset_digest
from contactengine.engine.ruleset import RuleSet
from contactengine.language import ast
from contactengine.language.checker import check
from contactengine.language.diagnostics import Diagnostic
from contactengine.language.parser import parse

RULE_SUFFIX = ".rules"


@dataclass
class LoadResult:
    ruleset: RuleSet | None
    diagnostics: list[Diagnostic]
    sources: dict[str, str]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


class RulesError(Exception):
    """The rule files have errors; `diagnostics` says which and where."""

    def __init__(self, result: LoadResult) -> None:
        first = result.errors[0] if result.errors else None
        summary = f"{first.span}: {first.message}" if first else "no rules"
        super().__init__(f"{len(result.errors)} error(s) in the rules; first: {summary}")
        self.result = result


def rule_files(paths: list[str | Path]) -> list[Path]:
    """Every `.rules` file named or found under the named folders, in a stable order."""
    return [path for _, path in _rule_files(paths)]


def _rule_files(paths: list[str | Path]) -> list[tuple[Path, Path]]:
    """Each rule file with the path it was found under."""
    found: list[tuple[Path, Path]] = []
    for root in map(Path, paths):
        if root.is_dir():
            found.extend((root, p) for p in sorted(root.rglob(f"*{RULE_SUFFIX}")) if p.is_file())
        else:
            found.append((root, root))
    return found


def origin(root: Path, path: Path) -> str:
    """How decisions name a rule file: under the folder named, from that folder's own name
    (`rules/us/federal.rules`, whether `rules` or `/srv/app/rules` was given); a file named
    alone, by its name."""
    if root == path:
        return path.name
    inside = path.relative_to(root).as_posix()
    folder = root.resolve().name
    return f"{folder}/{inside}" if folder else inside


def load_sources(
    sources: list[tuple[str, str]], origins: dict[str, str] | None = None
) -> LoadResult:
    """Parse, check and compile in-memory sources: (display name, text) pairs.

    `origins` gives each file the name decisions cite it by (and the content hash covers),
    where that differs from the name diagnostics show.
    """
    files: list[ast.RuleFile] = []
    diagnostics: list[Diagnostic] = []
    for name, text in sources:
        parsed, problems = parse(text, name)
        diagnostics.extend(problems)
        if parsed is not None:
            files.append(parsed)
    diagnostics.extend(check(files))
    diagnostics.sort(key=Diagnostic.sort_key)
    texts = dict(sources)
    if any(d.is_error for d in diagnostics):
        return LoadResult(None, diagnostics, texts)
    names = origins or {}
    named = [(names.get(name, name), text) for name, text in sources]
    return LoadResult(compile_files(files, ruleset_digest(named), names), diagnostics, texts)


def load_paths(paths: list[str | Path]) -> LoadResult:
    sources: list[tuple[str, str]] = []
    diagnostics: list[Diagnostic] = []
    unreadable: dict[str, str] = {}  # text of files that are not UTF-8, only to show the line
    origins: dict[str, str] = {}
    for root, path in _rule_files(paths):
        name = str(path)
        origins[name] = origin(root, path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            span = ast.Span(name, 1, 1, 1, 1)
            reason = exc.strerror or str(exc)
            diagnostics.append(
                Diagnostic(
                    "E007",
                    "error",
                    f"cannot read this file: {reason}",
                    span,
                    "check the path and that the file can be read",
                )
            )
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            diagnostics.append(_not_utf8(name, raw, exc))
            unreadable[name] = raw.decode("utf-8", errors="replace")
            continue
        sources.append((name, text))
    if not sources and not diagnostics:
        span = ast.Span(", ".join(map(str, paths)) or ".", 1, 1, 1, 1)
        diagnostics.append(
            Diagnostic("E008", "error", "no rule files found", span, "rule files end in `.rules`")
        )
    result = load_sources(sources, origins)
    result.sources.update(unreadable)
    result.diagnostics = sorted(diagnostics + result.diagnostics, key=Diagnostic.sort_key)
    if any(d.is_error for d in diagnostics):
        result.ruleset = None
    return result


def _not_utf8(name: str, raw: bytes, exc: UnicodeDecodeError) -> Diagnostic:
    before = raw[: exc.start]  # valid UTF-8: the first bad byte is at exc.start
    line = before.count(b"\n") + 1
    column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8")) + 1  # in characters
    span = ast.Span(name, line, column, line, column + 1)
    return Diagnostic(
        "E004",
        "error",
        f"this file is not UTF-8 text (byte 0x{raw[exc.start]:02x})",
        span,
        _utf8_help(raw[exc.start]),
    )


def _utf8_help(byte: int) -> str:
    """Most non-UTF-8 rule files are Windows-1252: say what the byte was meant to be."""
    try:
        meant = bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        meant = ""
    if meant.isprintable() and not meant.isspace() and meant:
        return f"save the file as UTF-8 (in Windows-1252 this byte is `{meant}`)"
    return "save the file as UTF-8"


def load_ruleset(paths: list[str | Path]) -> RuleSet:
    """The compiled rules, or `RulesError` carrying every diagnostic."""
    result = load_paths(paths)
    if result.ruleset is None:
        raise RulesError(result)
    return result.ruleset
