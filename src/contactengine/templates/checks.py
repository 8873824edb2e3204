"""Every shipped variant checked against what the rules may require, without rendering.

A variant can only ever carry a disclosure its source calls `disclosure("name")` for,
directly, through a template it includes, extends or imports by a quoted name, or through
another disclosure (the mini-Miranda calls the debt-collector sentence). The check walks
Jinja's syntax tree along those links. It proves a disclosure *can* be present; `render`
decides whether it *is*, for one message.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field

from jinja2 import nodes

from contactengine.language.diagnostics import did_you_mean
from contactengine.model.vocabulary import PURPOSES
from contactengine.templates.catalog import BODY, Catalog, KindInfo, Variant
from contactengine.templates.disclosures import DISCLOSURE_FUNCTION, missing_disclosure_hint
from contactengine.templates.environment import Renderer
from contactengine.templates.errors import TemplateError, TemplateProblem, located
from contactengine.templates.voice import VOICE_LANGUAGES

Requirements = Mapping[tuple[str, str], Collection[str]]
LIMITED_CONTENT = "limited_content"
_PART_NAMES = {BODY: "body", "subject": "subject", "txt": "text part", "html": "HTML part"}
_LINKS = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)


def find_problems(
    catalog: Catalog, renderer: Renderer, requirements: Requirements
) -> list[TemplateProblem]:
    check = _Check(catalog, renderer, requirements)
    check.layout()
    for info in sorted(catalog.kinds.values(), key=lambda k: k.name):
        check.kind(info)
    unique = dict.fromkeys(check.problems)  # a shared partial reports once, not per variant
    return sorted(unique, key=_position)


@dataclass
class _Check:
    catalog: Catalog
    renderer: Renderer
    requirements: Requirements
    problems: list[TemplateProblem] = field(default_factory=list)
    _trees: dict[str, nodes.Template | None] = field(default_factory=dict)

    def report(self, where: str, message: str) -> None:
        self.problems.append(TemplateProblem(where, message))

    def layout(self) -> None:
        self.problems.extend(self.catalog.layout_problems)
        for texts in self.catalog.disclosures.values():
            for name in texts.values():
                self.tree(name)

    def kind(self, info: KindInfo) -> None:
        manifest = self.catalog.manifest_path(info.name)
        if info.purpose not in PURPOSES:
            hint = did_you_mean(info.purpose, PURPOSES) or "purposes: " + ", ".join(PURPOSES)
            self.report(manifest, f"unknown purpose `{info.purpose}`; {hint}")
        if not info.variants:
            self.report(manifest, f"`{info.name}` has no variants; add e.g. `sms.en.j2`")
        for channel, language in sorted(info.variants):
            self.variant(info, self.catalog.variants[(info.name, channel, language)])

    def variant(self, info: KindInfo, variant: Variant) -> None:
        for part in variant.expected_parts():
            if part not in variant.parts:
                missing = self.catalog.display(variant.part_name(part))
                self.report(
                    missing,
                    f"the {variant.channel} variant in `{variant.language}` has no "
                    f"{_PART_NAMES[part]}; add `{missing}`",
                )
        if variant.channel == "call" and variant.language not in VOICE_LANGUAGES:
            known = ", ".join(f"`{code}`" for code in VOICE_LANGUAGES)
            self.report(
                self.catalog.display(variant.part_name(BODY)),
                f"no voice speaks `{variant.language}`; call scripts may be in {known}",
            )
        required = self.required(info, variant)
        for part, name in sorted(variant.parts.items()):
            called = self.calls(name, variant)
            if called is None:
                continue  # a template it reaches cannot be read; that is the problem reported
            if info.purpose == LIMITED_CONTENT:
                self.no_disclosures(called, allowed=required)
            if part != "subject":
                self.requires(name, part, variant, info.purpose, required, called)

    def required(self, info: KindInfo, variant: Variant) -> Collection[str]:
        key = (variant.channel, info.purpose)
        if key not in self.requirements and info.purpose in PURPOSES:
            # Fail closed: an unknown requirement is not the same as no requirement.
            self.report(
                self.catalog.manifest_path(info.name),
                f"no requirements were given for {variant.channel} messages with purpose "
                f"`{info.purpose}`; pass them, an empty set when the rules require nothing",
            )
        return self.requirements.get(key, ())

    def requires(
        self,
        name: str,
        part: str,
        variant: Variant,
        purpose: str,
        required: Collection[str],
        called: Mapping[str, str],
    ) -> None:
        for disclosure in sorted(set(required) - set(called)):
            self.report(
                self.catalog.display(name),
                f"the {variant.channel} {_PART_NAMES[part]} never calls disclosure "
                f"`{disclosure}`, which the rules may require of {variant.channel} messages "
                f'with purpose `{purpose}`; add `{{{{ disclosure("{disclosure}") }}}}`',
            )

    def no_disclosures(self, called: Mapping[str, str], allowed: Collection[str]) -> None:
        for disclosure, where in sorted(called.items()):
            if disclosure in allowed:
                continue
            self.report(
                where,
                f"a limited-content message calls disclosure `{disclosure}`; 12 CFR 1006.2(j) "
                "allows only a name, a request to reply, a person to reply to and a number, "
                "so remove it",
            )

    def calls(self, name: str, variant: Variant) -> dict[str, str] | None:
        """Disclosure name → `path:line` of its first call, for everything `name` reaches.

        None when a template on the way cannot be parsed: what it calls is unknown.
        """
        called: dict[str, str] = {}
        seen: set[str] = set()
        pending = [name]
        complete = True
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            tree = self.tree(current)
            if tree is None:
                complete = False
            else:
                pending.extend(self.links(current, tree, variant, called))
        return called if complete else None

    def links(
        self, name: str, tree: nodes.Template, variant: Variant, called: dict[str, str]
    ) -> list[str]:
        """The templates `tree` reaches; records its disclosure calls in `called`."""
        where = self.catalog.display(name)
        reached: list[str] = []
        for call in _disclosure_calls(tree):
            argument = call.args[0] if len(call.args) == 1 and not call.kwargs else None
            line = located(where, call.lineno)
            if not (isinstance(argument, nodes.Const) and isinstance(argument.value, str)):
                self.report(line, 'call a disclosure by its quoted name: `disclosure("name")`')
                continue
            disclosure = argument.value
            called.setdefault(disclosure, line)
            target = self.catalog.disclosure(disclosure, variant.channel, variant.language)
            if target is None:
                hint = missing_disclosure_hint(
                    self.catalog, disclosure, variant.channel, variant.language
                )
                self.report(line, hint)
            else:
                reached.append(target)
        for link in tree.find_all(_LINKS):
            reached.extend(self.linked(where, link))
        return reached

    def linked(self, where: str, link: nodes.Node) -> Iterator[str]:
        template = getattr(link, "template", None)
        line = located(where, link.lineno)
        if not (isinstance(template, nodes.Const) and isinstance(template.value, str)):
            self.report(
                line, "the check cannot follow a template named by a variable; use a quoted name"
            )
            return
        if self.renderer.exists(template.value):
            yield template.value
        elif not getattr(link, "ignore_missing", False):
            self.report(line, f"no template `{template.value}` to include; check its path")

    def tree(self, name: str) -> nodes.Template | None:
        """`name` parsed, or None after reporting why it cannot be (once per file)."""
        if name in self._trees:
            return self._trees[name]
        tree = None
        try:
            tree = self.renderer.parse(name)
        except Exception as exc:  # a syntax error, or a file that cannot be read
            error: TemplateError = self.renderer.translate(exc, name)
            self.report(error.where or self.catalog.display(name), error.message)
        self._trees[name] = tree
        return tree


def _disclosure_calls(tree: nodes.Template) -> Iterator[nodes.Call]:
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == DISCLOSURE_FUNCTION:
            yield call


def _position(problem: TemplateProblem) -> tuple[str, int, str]:
    path, colon, line = problem.where.rpartition(":")
    if colon and line.isdigit():
        return (path, int(line), problem.message)
    return (problem.where, 0, problem.message)
