"""Reads `channels/*.toml` into checked `ChannelConfig`s, collecting every problem first.

Problems read like the rules checker's: one line each, the file first, then the line and
column for a TOML syntax error (`channels/sms.toml:4:1: ...`) or the field's path for a
wrong value (`channels/sms.toml: retry.max_tries: ...`).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from contactengine.channels.config import ChannelConfig
from contactengine.channels.problems import FieldProblems
from contactengine.language.diagnostics import did_you_mean

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)$")
_QUOTED = re.compile(r"'([^']*)'")
_UNKNOWN_FIELD = {"extra_forbidden", "unexpected_keyword_argument"}
_NOT_A_TABLE = {"model_type", "model_attributes_type", "dataclass_type", "dataclass_exact_type"}


class ChannelConfigError(ValueError):
    """Channel files that cannot be used; `problems` holds one message per problem."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def load_channels(folder: Path | str = "channels") -> dict[str, ChannelConfig]:
    """Every channel file in `folder`, by channel; raises with all problems of all files."""
    configs, problems = _read_folder(Path(folder))
    if problems:
        raise ChannelConfigError(problems)
    return configs


def check_channels(folder: Path | str = "channels") -> list[str]:
    """The problems `load_channels` would raise, as messages; empty when all is well."""
    return _read_folder(Path(folder))[1]


def _read_folder(folder: Path) -> tuple[dict[str, ChannelConfig], list[str]]:
    shown = folder.as_posix()
    if not folder.is_dir():
        return {}, [f"{shown}: no such folder"]
    files = sorted(folder.glob("*.toml"))
    if not files:
        return {}, [f"{shown}: no channel files (`*.toml`)"]
    configs: dict[str, ChannelConfig] = {}
    sources: dict[str, str] = {}
    problems: list[str] = []
    for path in files:
        config, found = _read_file(path)
        problems += found
        if config is None:
            continue
        if config.channel in configs:
            problems.append(
                f"{path.as_posix()}: channel: `{config.channel}` is already configured "
                f"by {sources[config.channel]}"
            )
            continue
        configs[config.channel] = config
        sources[config.channel] = path.as_posix()
    return configs, problems


def _read_file(path: Path) -> tuple[ChannelConfig | None, list[str]]:
    shown = path.as_posix()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, [f"{shown}: not UTF-8 text"]
    except OSError as error:
        return None, [f"{shown}: cannot be read ({error.strerror or error})"]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return None, [_syntax_problem(shown, text, str(error))]
    problems = [f"{shown}: name: comes from the file name; remove it"] if "name" in data else []
    try:
        config = ChannelConfig.model_validate({**data, "name": path.stem})
    except ValidationError as error:
        problems += [f"{shown}: {message}" for e in error.errors() for message in _messages(e)]
        return None, problems
    return (None if problems else config), problems


def _syntax_problem(shown: str, text: str, message: str) -> str:
    """tomllib in 3.11 puts the position only in its message: `(at line 4, column 1)`."""
    if found := _TOML_POSITION.search(message):
        line, column = found.group(1), found.group(2)
        message = message[: found.start()]
    else:
        lines = text.split("\n")
        line, column = str(len(lines)), str(len(lines[-1]) + 1)
        message = _TOML_AT_END.sub("", message)
    return f"{shown}:{line}:{column}: {_lower_first(message)}"


def _messages(error: ErrorDetails) -> list[str]:
    path = ".".join(str(part) for part in error["loc"])
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, FieldProblems):
        return [f"{_joined(path, name)}: {message}" for name, message in cause.problems]
    if isinstance(cause, ValueError):
        return [f"{path}: {cause}"]
    return [f"{path}: {_describe(error)}"]


def _joined(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _describe(error: ErrorDetails) -> str:
    kind, value = error["type"], error["input"]
    if kind in _UNKNOWN_FIELD:
        return _with_help("unknown field", str(error["loc"][-1]), _known_names(error["loc"][:-1]))
    if kind == "missing":
        return "required"
    if kind in _NOT_A_TABLE:
        return f"should be a table of settings (`[{error['loc'][-1]}]`), not `{value}`"
    if kind == "literal_error":
        expected = _QUOTED.findall(str(error.get("ctx", {}).get("expected", "")))
        listed = ", ".join(f"`{name}`" for name in expected)
        return _with_help(f"`{value}` is not one of {listed}", str(value), expected)
    message = _lower_first(error["msg"]).removeprefix("input ")
    return f"{message}, not `{value}`"


def _with_help(message: str, word: str, known: Iterable[str]) -> str:
    hint = did_you_mean(word, known)
    return f"{message}; {hint}" if hint else message


def _known_names(loc: tuple[int | str, ...]) -> list[str]:
    """The field names allowed where an unknown one was found."""
    model: Any = ChannelConfig
    for part in loc:
        model = _field_type(model, str(part))
    if model is ChannelConfig:
        return [name for name in ChannelConfig.model_fields if name != "name"]
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    if dataclasses.is_dataclass(model):
        return [f.name for f in dataclasses.fields(model)]
    return []


def _field_type(model: Any, name: str) -> Any:
    if isinstance(model, type) and issubclass(model, BaseModel) and name in model.model_fields:
        return model.model_fields[name].annotation
    return None


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
