"""The templates folder as data: which kinds, variants and disclosures exist, and where.

Layout (the README in the folder says the same for the people who edit it):

    kind/kind.toml                    purpose and description of a message kind
    kind/sms.LANG.j2                  an SMS body
    kind/call.LANG.j2                 a call script, what is said
    kind/email.LANG.subject.j2        an email's subject, its plain-text part and its
    kind/email.LANG.txt.j2            HTML part; only `.html.j2` files are autoescaped
    kind/email.LANG.html.j2
    kind/_name.j2                     a partial for `{% include %}`, never a variant
    disclosures/NAME.LANG.j2          a disclosure for every channel ...
    disclosures/NAME.CHANNEL.LANG.j2  ... or for one channel, which wins

Template names are paths relative to the folder with `/` separators, as Jinja names them.
Reading the folder never renders anything; a manifest that cannot be read raises.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from contactengine.language.diagnostics import did_you_mean
from contactengine.templates.errors import TemplateError, TemplateProblem, located

CHANNELS = ("sms", "email", "call")
EMAIL_PARTS = ("subject", "txt", "html")
BODY = "body"  # the one part of an sms or call variant
SUFFIX = ".j2"
MANIFEST = "kind.toml"
DISCLOSURES = "disclosures"
MANIFEST_KEYS = ("purpose", "description")

_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_VARIANT_HELP = (
    "name variants `sms.LANG.j2`, `call.LANG.j2` or `email.LANG.subject.j2`, "
    "`email.LANG.txt.j2` and `email.LANG.html.j2`; start a partial's name with `_`"
)


@dataclass(frozen=True)
class KindInfo:
    name: str
    purpose: str  # a request purpose, e.g. "collection", "limited_content"
    description: str
    variants: frozenset[tuple[str, str]]  # (channel, language)


@dataclass(frozen=True)
class Variant:
    """One kind in one channel and language: its parts, by part name, as template names."""

    kind: str
    channel: str
    language: str
    parts: Mapping[str, str]

    def expected_parts(self) -> tuple[str, ...]:
        return EMAIL_PARTS if self.channel == "email" else (BODY,)

    def part_name(self, part: str) -> str:
        """The template name a part has, or would have when it is missing."""
        if part == BODY:
            return f"{self.kind}/{self.channel}.{self.language}{SUFFIX}"
        return f"{self.kind}/{self.channel}.{self.language}.{part}{SUFFIX}"


@dataclass
class Catalog:
    """Everything found under the folder; `shown` is the folder as the user named it."""

    root: Path
    shown: Path
    kinds: dict[str, KindInfo] = field(default_factory=dict)
    variants: dict[tuple[str, str, str], Variant] = field(default_factory=dict)
    # disclosure name -> (channel or None for every channel, language) -> template name
    disclosures: dict[str, dict[tuple[str | None, str], str]] = field(default_factory=dict)
    layout_problems: list[TemplateProblem] = field(default_factory=list)

    def display(self, name: str) -> str:
        """A template name as the user sees its file: the folder as given, then the name."""
        return str(self.shown / name)

    def manifest_path(self, kind: str) -> str:
        return self.display(f"{kind}/{MANIFEST}")

    def kind(self, kind: str) -> KindInfo:
        info = self.kinds.get(kind)
        if info is None:
            known = ", ".join(f"`{k}`" for k in sorted(self.kinds)) or "none"
            hint = did_you_mean(kind, self.kinds)
            raise TemplateError(
                f"unknown message kind `{kind}`; known kinds: {known}"
                + (f"; {hint}" if hint else "")
            )
        return info

    def variant(self, kind: str, channel: str, language: str) -> Variant:
        """The variant asked for, or an error naming what exists: never another language."""
        info = self.kind(kind)
        channels = sorted({c for c, _ in info.variants})
        if channel not in channels:
            what = f"`{kind}` has no {channel} variant"
            if channel not in CHANNELS:
                what = f"unknown channel `{channel}` for `{kind}`"
            raise TemplateError(f"{what}; its channels are {_listed(channels)}")
        languages = sorted(lang for c, lang in info.variants if c == channel)
        if language not in languages:
            raise TemplateError(
                f"`{kind}` has no {channel} variant in `{language}`; "
                f"its {channel} languages are {_listed(languages)}"
            )
        return self.variants[(kind, channel, language)]

    def disclosure(self, name: str, channel: str, language: str) -> str | None:
        """The template for a disclosure: the channel's own first, then the language's."""
        texts = self.disclosures.get(name, {})
        return texts.get((channel, language)) or texts.get((None, language))


def read_catalog(root: Path | str) -> Catalog:
    shown = Path(root)
    if not shown.is_dir():
        raise TemplateError(f"no templates folder at `{shown}`")
    catalog = Catalog(root=shown.resolve(), shown=shown)
    for folder in sorted(p for p in shown.iterdir() if p.is_dir() and p.name[0] not in "._"):
        if folder.name == DISCLOSURES:
            _read_disclosures(catalog, folder)
        elif folder.joinpath(MANIFEST).is_file():
            _read_kind(catalog, folder)
    return catalog


def _read_kind(catalog: Catalog, folder: Path) -> None:
    kind = folder.name
    purpose, description = _read_manifest(catalog, kind)
    parts: dict[tuple[str, str], dict[str, str]] = {}
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        name = f"{kind}/{path.name}"
        if path.name.startswith("_"):
            continue
        found = _variant_of(path.name)
        if isinstance(found, str):
            catalog.layout_problems.append(TemplateProblem(catalog.display(name), found))
            continue
        channel, language, part = found
        parts.setdefault((channel, language), {})[part] = name
    for (channel, language), named in parts.items():
        catalog.variants[(kind, channel, language)] = Variant(kind, channel, language, named)
    catalog.kinds[kind] = KindInfo(kind, purpose, description, frozenset(parts))


def _read_manifest(catalog: Catalog, kind: str) -> tuple[str, str]:
    where = catalog.manifest_path(kind)
    try:
        data = tomllib.loads(catalog.root.joinpath(kind, MANIFEST).read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"cannot read the manifest: {exc}", where) from exc
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"at line (\d+)", str(exc))
        raise TemplateError(
            f"the manifest is not valid TOML: {str(exc).split(' (at')[0].lower()}",
            located(where, int(line.group(1)) if line else None),
        ) from exc
    purpose = data.get("purpose")
    description = data.get("description", "")
    if not isinstance(purpose, str) or not purpose:
        raise TemplateError('the manifest needs a `purpose`, e.g. `purpose = "collection"`', where)
    if not isinstance(description, str):
        raise TemplateError("the manifest's `description` must be a quoted text", where)
    for key in sorted(set(data) - set(MANIFEST_KEYS)):
        hint = did_you_mean(key, MANIFEST_KEYS) or "a manifest has `purpose` and `description`"
        catalog.layout_problems.append(
            TemplateProblem(where, f"unknown manifest key `{key}`; {hint}")
        )
    return purpose, description


def _variant_of(filename: str) -> tuple[str, str, str] | str:
    """(channel, language, part) from a variant's file name, or what is wrong with it."""
    pieces = filename.removesuffix(SUFFIX).split(".")
    channel = pieces[0]
    if channel not in CHANNELS:
        hint = did_you_mean(channel, CHANNELS) or _VARIANT_HELP
        return f"`{channel}` is not a channel (sms, email or call); {hint}"
    if len(pieces) < 2 or not _LANGUAGE.fullmatch(pieces[1]):
        return f"`{filename}` does not name a language such as `en`; {_VARIANT_HELP}"
    language = pieces[1]
    if channel == "email":
        if len(pieces) == 3 and pieces[2] in EMAIL_PARTS:
            return channel, language, pieces[2]
        near = did_you_mean(pieces[2], EMAIL_PARTS) if len(pieces) == 3 else None
        return f"`{filename}` is not an email part; {near or _VARIANT_HELP}"
    if len(pieces) != 2:
        return f"`{filename}` has more to its name than channel and language; {_VARIANT_HELP}"
    return channel, language, BODY


def _read_disclosures(catalog: Catalog, folder: Path) -> None:
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        if path.name.startswith("_"):
            continue
        name = f"{DISCLOSURES}/{path.name}"
        pieces = path.name.removesuffix(SUFFIX).split(".")
        channel = pieces[1] if len(pieces) == 3 else None
        if (
            len(pieces) not in (2, 3)
            or not _NAME.fullmatch(pieces[0])
            or not _LANGUAGE.fullmatch(pieces[-1])
            or (channel is not None and channel not in CHANNELS)
        ):
            catalog.layout_problems.append(
                TemplateProblem(
                    catalog.display(name),
                    f"`{path.name}` is not a disclosure's file name; name it `NAME.LANG.j2`, "
                    "or `NAME.CHANNEL.LANG.j2` for one channel (sms, email or call)",
                )
            )
            continue
        catalog.disclosures.setdefault(pieces[0], {})[(channel, pieces[-1])] = name


def _listed(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names) if names else "none"
