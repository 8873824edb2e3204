"""A validation failure that names its fields, so a file's reader is told where to look."""

from __future__ import annotations


class FieldProblems(ValueError):
    """Problems found by comparing fields, each as (field, message), reported per field."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems))
