"""The Jinja environment templates run in, and Jinja's errors turned into `TemplateError`.

Templates are written by deployments, not by us, so they run sandboxed: no attribute that
reaches Python's internals, and a variable the caller did not pass is an error rather than
an empty string in a message to a debtor. Only `.html.j2` files are autoescaped; subjects,
text parts, SMS bodies and call scripts are plain text and must reach the debtor verbatim.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from jinja2 import (
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
    nodes,
)
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from contactengine.templates.errors import TemplateError, located

HTML_SUFFIX = ".html.j2"


def make_environment(loader: FileSystemLoader) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=loader,
        undefined=StrictUndefined,
        autoescape=lambda name: name is not None and name.endswith(HTML_SUFFIX),
        finalize=_refuse_none,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


def _refuse_none(value: object) -> object:
    """`None` printed into a message would reach the debtor as the word "None"."""
    if value is None:
        raise TemplateError("a value printed here is empty (None); pass it, or test it with `if`")
    return value


class Renderer:
    """Renders templates by name and reports errors against the files the user sees."""

    def __init__(self, root: Path, shown: Path) -> None:
        self._loader = FileSystemLoader(root, encoding="utf-8")
        self.environment = make_environment(self._loader)
        self._root = str(root)
        self._shown = shown

    def render(self, name: str, context: Mapping[str, Any]) -> str:
        try:
            return self.environment.get_template(name).render(context)
        except TemplateError as exc:
            if exc.where is None:
                exc.where = self._where_in(exc.__traceback__)
            raise
        except Exception as exc:  # whatever a deployment's template does, it fails here
            raise self.translate(exc, name) from exc

    def parse(self, name: str) -> nodes.Template:
        """The syntax tree of a template, for checks that must not run it."""
        source, filename, _ = self._loader.get_source(self.environment, name)
        return self.environment.parse(source, name, filename)

    def exists(self, name: str) -> bool:
        try:
            self._loader.get_source(self.environment, name)
        except TemplateNotFound:
            return False
        return True

    def translate(self, exc: Exception, name: str) -> TemplateError:
        """One Jinja error as a `TemplateError` that names the file and line at fault."""
        if isinstance(exc, TemplateSyntaxError):
            file = self._display(exc.filename) if exc.filename else self.display(name)
            return TemplateError(_syntax_message(exc), located(file, exc.lineno))
        where = self._where_in(exc.__traceback__)
        if isinstance(exc, TemplateNotFound):
            return TemplateError(f"no template `{exc.name}` to include", where)
        if isinstance(exc, SecurityError):
            return TemplateError(f"refused an unsafe operation: {_sentence(exc)}", where)
        if isinstance(exc, UndefinedError):
            return TemplateError(_undefined_message(exc), where)
        return TemplateError(f"the template failed: {_sentence(exc)}", where)

    def display(self, name: str) -> str:
        return str(self._shown / name)

    def _display(self, filename: str) -> str:
        relative = os.path.relpath(filename, self._root)
        return self.display(Path(relative).as_posix())

    def _where_in(self, tb: TracebackType | None) -> str | None:
        """The innermost template line in a traceback, as `path:line`.

        Jinja rewrites tracebacks so that template frames carry the template's file and
        line; the innermost one is where the error happened (an included template or a
        disclosure rather than the variant that included it).
        """
        where = None
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if filename.startswith(self._root + os.sep) and filename.endswith(".j2"):
                where = located(self._display(filename), tb.tb_lineno)
            tb = tb.tb_next
        return where


def _syntax_message(exc: TemplateSyntaxError) -> str:
    return f"template syntax error: {_sentence(exc)}"


def _undefined_message(exc: UndefinedError) -> str:
    text = _sentence(exc)
    match = re.fullmatch(r"'([^']+)' is undefined", text)
    if match:
        return f"variable `{match.group(1)}` is not defined; the caller did not pass it"
    match = re.fullmatch(r"'[^']*' has no (attribute|element) '?([^']+?)'?", text)
    if match:
        return f"{match.group(1)} `{match.group(2)}` is not defined; the caller did not pass it"
    return text


def _sentence(exc: Exception) -> str:
    """An exception's message in the house style: one line, no final period."""
    text = " ".join(str(getattr(exc, "message", None) or exc).split())
    return text.removesuffix(".")
