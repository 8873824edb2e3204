"""The settings pass: names of settings in rules are replaced by the values they are set to.

Settings are the readings of the law a deployment may change in one place
(`setting ma-seven-day-period is 168 hours`); rules refer to them by name where a window or
an effective date goes. Runs after the checker, so every name is known and of the right kind.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from contactengine.language import ast


def settings_of(files: list[ast.RuleFile]) -> dict[str, ast.Duration | ast.DateLit]:
    return {s.name.name: s.value for f in files for s in f.settings}


def resolve(files: list[ast.RuleFile]) -> list[ast.RuleFile]:
    """The same files with every setting reference replaced by its value."""
    values = settings_of(files)
    if not values:
        return files
    return [_replace(f, values) for f in files]


def _replace(node: Any, values: dict[str, ast.Duration | ast.DateLit]) -> Any:
    if isinstance(node, tuple):
        return tuple(_replace(item, values) for item in node)
    if not isinstance(node, ast.Node):
        return node
    if isinstance(node, ast.Events) and isinstance(node.window, ast.Name):
        window = values[node.window.name]
        assert isinstance(window, ast.Duration), "the checker made sure of the kind"
        node = dataclasses.replace(node, window=window)
    if isinstance(node, ast.EffectiveClause):
        return dataclasses.replace(
            node, start=_date(node.start, values), until=_date(node.until, values)
        )
    changes = {
        f.name: _replace(getattr(node, f.name), values)
        for f in dataclasses.fields(node)
        if f.name != "span" and isinstance(getattr(node, f.name), (ast.Node, tuple))
    }
    return dataclasses.replace(node, **changes) if changes else node


def _date(
    ref: ast.DateLit | ast.Name | None, values: dict[str, ast.Duration | ast.DateLit]
) -> ast.DateLit | None:
    if not isinstance(ref, ast.Name):
        return ref
    value = values[ref.name]
    assert isinstance(value, ast.DateLit), "the checker made sure of the kind"
    return value
