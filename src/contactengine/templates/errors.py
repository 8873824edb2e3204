"""What goes wrong with templates: an error that stops a render, a problem `check` reports.

`TemplateError` stops one render and is raised to the caller; `TemplateProblem` is one
finding of a whole-folder check, collected with the others and never raised.
"""

from __future__ import annotations

from dataclasses import dataclass


class TemplateError(ValueError):
    """A template that cannot be loaded or rendered. `where` is "path:line" when known."""

    def __init__(self, message: str, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass(frozen=True)
class TemplateProblem:
    """A template that can never be sent as the rules want; `message` ends with a hint."""

    where: str  # "templates/first_notice/sms.es.j2", with ":line" when known
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def located(path: str, line: int | None) -> str:
    """`path:line`, or the bare path when the line is unknown."""
    return f"{path}:{line}" if line else path
