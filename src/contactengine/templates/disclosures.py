"""The `disclosure("name")` function templates call, and what each disclosure says.

A disclosure renders for the calling message's channel and language with the message's own
variables, so the text a template prints and the text `render` later looks for are the
same. A disclosure may call another (the mini-Miranda carries the debt-collector sentence);
one that reaches itself again is an error rather than an endless message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from contactengine.language.diagnostics import did_you_mean
from contactengine.templates.catalog import DISCLOSURES, SUFFIX, Catalog
from contactengine.templates.environment import Renderer
from contactengine.templates.errors import TemplateError

DISCLOSURE_FUNCTION = "disclosure"


class Disclosures:
    """The disclosures of one message: its channel, language and variables."""

    def __init__(
        self,
        catalog: Catalog,
        renderer: Renderer,
        channel: str,
        language: str,
        variables: Mapping[str, Any],
    ) -> None:
        self._catalog = catalog
        self._renderer = renderer
        self._channel = channel
        self._language = language
        self._calling: list[str] = []
        self.context: dict[str, Any] = {**variables, DISCLOSURE_FUNCTION: self._function()}

    def _function(self) -> Callable[[object], str]:
        # A plain function, not a bound method: the sandbox then offers templates nothing
        # to reach through it.
        def disclosure(name: object) -> str:
            if not isinstance(name, str):
                raise TemplateError('write the disclosure\'s name in quotes: `disclosure("name")`')
            return self.render(name)

        return disclosure

    def render(self, name: str) -> str:
        template = self._template(name)
        if name in self._calling:
            chain = " → ".join(f"`{n}`" for n in [*self._calling, name])
            raise TemplateError(f"disclosure `{name}` includes itself: {chain}")
        self._calling.append(name)
        try:
            return self._renderer.render(template, self.context).strip()
        finally:
            self._calling.pop()

    def texts(self) -> dict[str, str]:
        """Every disclosure this message could carry, as it would read in it.

        One that cannot render with these variables (an email opt-out notice without an
        unsubscribe URL) cannot be in the message either, so it is left out.
        """
        found: dict[str, str] = {}
        for name in sorted(self._catalog.disclosures):
            if self._catalog.disclosure(name, self._channel, self._language) is None:
                continue
            try:
                found[name] = self.render(name)
            except TemplateError:
                continue
        return found

    def _template(self, name: str) -> str:
        template = self._catalog.disclosure(name, self._channel, self._language)
        if template is not None:
            return template
        raise TemplateError(
            missing_disclosure_hint(self._catalog, name, self._channel, self._language)
        )


def missing_disclosure_hint(catalog: Catalog, name: str, channel: str, language: str) -> str:
    """Why `disclosure(name)` finds no text here, and which file would give it one."""
    files = (
        f"`{DISCLOSURES}/{name}.{language}{SUFFIX}` or "
        f"`{DISCLOSURES}/{name}.{channel}.{language}{SUFFIX}`"
    )
    if name in catalog.disclosures:
        return f"disclosure `{name}` has no {channel} text in `{language}`; add {files}"
    hint = did_you_mean(name, catalog.disclosures)
    return f"unknown disclosure `{name}`; {hint or f'add {files}'}"
