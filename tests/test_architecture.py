"""The floors of docs/architecture.md, kept: no import crosses a floor upward or sideways."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src" / "contactengine"

# What each floor may import, as docs/architecture.md draws it.
ALLOWED: dict[str, frozenset[str]] = {
    "model": frozenset(),
    "language": frozenset({"model"}),
    "engine": frozenset({"language", "model"}),
    "store": frozenset({"model"}),
    "ledger": frozenset({"engine", "store", "model"}),
    "channels": frozenset({"language", "model"}),
    "templates": frozenset({"language", "model"}),
    "webhooks": frozenset({"model"}),
    "scenarios": frozenset({"ledger", "engine", "language", "model"}),
    "dispatch": frozenset({"ledger", "channels", "templates", "store", "model"}),
    "api": frozenset({"dispatch", "ledger", "webhooks", "store", "engine", "model"}),
    "cli": frozenset(
        {
            "api",
            "dispatch",
            "scenarios",
            "webhooks",
            "channels",
            "templates",
            "ledger",
            "store",
            "engine",
            "language",
            "model",
        }
    ),
    "__init__": frozenset({"ledger", "model"}),
}


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every `contactengine.<floor>` a module imports, with its line, wherever it stands."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "contactengine" and len(parts) > 1:
                yield node.lineno, parts[1]


def floor_of(path: Path) -> str:
    parts = path.relative_to(SOURCE).parts
    return parts[0] if len(parts) > 1 else path.stem


def test_every_floor_is_drawn() -> None:
    floors = {floor_of(p) for p in SOURCE.rglob("*.py")}
    assert floors == set(ALLOWED), "a new package needs its place in docs/architecture.md"


def test_no_import_crosses_a_floor() -> None:
    crossings = [
        f"{path.relative_to(SOURCE)}:{line} imports contactengine.{target}"
        for path in sorted(SOURCE.rglob("*.py"))
        for line, target in imports(path)
        if target != floor_of(path) and target not in ALLOWED[floor_of(path)]
    ]
    assert not crossings, "\n".join(crossings)


def test_the_allowed_imports_have_no_cycle() -> None:
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(floor: str, path: tuple[str, ...]) -> None:
        assert floor not in visiting, " -> ".join((*path, floor))
        if floor in done:
            return
        visiting.add(floor)
        for below in ALLOWED[floor]:
            visit(below, (*path, floor))
        visiting.discard(floor)
        done.add(floor)

    for floor in ALLOWED:
        visit(floor, ())


def test_the_test_catches_a_crossing(tmp_path: Path) -> None:
    """The check itself works: an upward import is found, with its line."""
    module = tmp_path / "sneaky.py"
    module.write_text("def f():\n    from contactengine.ledger import Ledger\n")
    assert list(imports(module)) == [(2, "ledger")]
