"""Reading planned messages from a CSV or JSON Lines file: every row checked, all or nothing.

A row names the debtor, the debt, the channel, the template (a message kind), when the
message may first go (`not_before`, an instant with its offset), and optionally its id, the
contact point (`to`), the template language and the template's variables. A row without
an id gets one derived from its content, so importing the same file twice plans each
message once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contactengine.model import vocabulary as v
from contactengine.model.contact import contact_point
from contactengine.model.errors import JSONError
from contactengine.model.instant import instant
from contactengine.model.limits import check_depth, load_json
from contactengine.model.records import PlannedMessage

COLUMNS = ("id", "debtor_id", "debt_id", "channel", "template", "not_before", "to", "language")
REQUIRED = ("debtor_id", "debt_id", "channel", "template", "not_before")
LANGUAGE = "language"  # kept among the variables: the template variant to render


@dataclass(frozen=True)
class RowProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class PlanError(ValueError):
    """Rows that cannot be planned; nothing from the file is planned."""

    def __init__(self, source: str, problems: list[RowProblem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}:{p}" for p in problems))


def read_plan(
    path: Path | str,
    known_templates: frozenset[str] | None = None,
    lines: dict[str, int] | None = None,
) -> list[PlannedMessage]:
    """The planned messages in a `.csv` or `.jsonl` file; `PlanError` lists every bad row.

    `lines`, when given, is filled with each message's line, for errors found later.
    """
    source = str(path)
    text = Path(path).read_text(encoding="utf-8")
    rows = _csv_rows(text) if source.endswith(".csv") else _jsonl_rows(text)
    messages: list[PlannedMessage] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        if isinstance(row, str):
            problems.append(RowProblem(line, row))
            continue
        try:
            message = planned(row, known_templates)
        except ValueError as exc:
            problems.append(RowProblem(line, str(exc)))
            continue
        if message.id in seen:
            problems.append(
                RowProblem(line, f"id `{message.id}` is already used on line {seen[message.id]}")
            )
            continue
        seen[message.id] = line
        messages.append(message)
    if lines is not None:
        lines.update(seen)
    if problems:
        raise PlanError(source, problems)
    return messages


def planned(
    row: Mapping[str, Any], known_templates: frozenset[str] | None = None
) -> PlannedMessage:
    """One row as a planned message; `ValueError` naming every bad field."""
    problems: list[str] = []
    unknown = sorted(set(row) - {*COLUMNS, "variables"})
    if unknown:
        problems.append(f"unknown column {', '.join(f'`{u}`' for u in unknown)}")
    for name in REQUIRED:
        if not _text(row.get(name)):
            problems.append(f"{name}: required")
    channel = _text(row.get("channel"))
    if channel and channel not in v.CHANNELS:
        problems.append(f"channel: `{channel}` is not one of {', '.join(v.CHANNELS)}")
    template = _text(row.get("template"))
    if template and known_templates is not None and template not in known_templates:
        problems.append(f"template: no message kind `{template}` in the templates folder")
    not_before = _instant(row.get("not_before"), problems)
    variables = row.get("variables") or {}
    if isinstance(variables, str):
        try:
            variables = load_json(variables, "variables")
        except JSONError as exc:
            problems.extend(f"{e.field}: {e.message}" for e in exc.errors)
            variables = {}
    if not isinstance(variables, dict):
        problems.append("variables: must be a JSON object")
        variables = {}
    try:
        check_depth(variables, "variables")
    except ValueError as exc:
        problems.append(str(exc))
        variables = {}
    to = _text(row.get("to")) or None
    if to is not None and channel in v.CHANNELS:
        try:
            to = contact_point(channel, to)
        except ValueError as exc:
            problems.append(f"to: {exc}")
    language = _text(row.get("language"))
    if language:
        variables = {**variables, LANGUAGE: language}
    if problems:
        raise ValueError("; ".join(problems))
    assert not_before is not None
    fields: dict[str, Any] = {
        "debtor_id": _text(row["debtor_id"]),
        "debt_id": _text(row["debt_id"]),
        "channel": channel,
        "template": template,
        "not_before": not_before,
        "to": to,
        "variables": variables,
    }
    return PlannedMessage(id=_text(row.get("id")) or content_id(fields), **fields)


def content_id(fields: Mapping[str, Any]) -> str:
    """An id from what the row says: the same row, the same id."""
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "msg_" + hashlib.sha256(text.encode()).hexdigest()[:24]


def _csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        line = reader.line_num
        if None in row:
            yield line, "more values than columns"
            continue
        yield line, {k: v for k, v in row.items() if v not in (None, "")}


def _jsonl_rows(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = load_json(raw, "row")
        except JSONError as exc:
            yield line, exc.errors[0].message
            continue
        yield line, row if isinstance(row, dict) else "not a JSON object"


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else "" if value is None else str(value)


def _instant(value: Any, problems: list[str]) -> float | None:
    text = _text(value)
    if not text:
        return None
    try:
        return instant(text)
    except ValueError as exc:
        problems.append(f"not_before: {exc}")
        return None
