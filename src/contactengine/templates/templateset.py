"""A deployment's templates folder, read once: its kinds, rendering, and the check.

Rendering never falls back: an unknown kind, a channel the kind has no variant for or a
language it is not written in is an error that lists what exists, and the caller decides
what to send instead.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from contactengine.templates.catalog import KindInfo, read_catalog
from contactengine.templates.checks import find_problems
from contactengine.templates.compose import Composer, Rendered, compose
from contactengine.templates.disclosures import Disclosures
from contactengine.templates.environment import Renderer
from contactengine.templates.errors import TemplateError, TemplateProblem
from contactengine.templates.mail import check_unsubscribe_url

UNSUBSCRIBE_URL = "unsubscribe_url"


class TemplateSet:
    """The message kinds under `root`; a manifest that cannot be read raises `TemplateError`."""

    def __init__(self, root: Path | str = "templates") -> None:
        self._catalog = read_catalog(root)
        self._renderer = Renderer(self._catalog.root, self._catalog.shown)

    def kinds(self) -> dict[str, KindInfo]:
        return dict(self._catalog.kinds)

    def purpose(self, kind: str) -> str:
        return self._catalog.kind(kind).purpose

    def render(
        self,
        kind: str,
        channel: str,
        language: str,
        variables: Mapping[str, Any],
        *,
        unsubscribe_url: str | None = None,
        segment_budget: int | None = None,
    ) -> Rendered:
        """One message, ready to send, with the disclosures found in its text.

        `unsubscribe_url` becomes a template variable and, for email, the one-click
        unsubscribe headers; `segment_budget` caps an SMS's segments.
        """
        variant = self._catalog.variant(kind, channel, language)
        context = dict(variables)
        if unsubscribe_url is not None:
            check_unsubscribe_url(unsubscribe_url)
            context[UNSUBSCRIBE_URL] = unsubscribe_url
        if segment_budget is not None and segment_budget < 1:
            raise TemplateError(f"a segment budget must be at least 1, not {segment_budget}")
        disclosures = Disclosures(self._catalog, self._renderer, channel, language, context)
        composer = Composer(self._catalog, self._renderer, variant, disclosures)
        return compose(composer, unsubscribe_url, segment_budget)

    def missing_disclosures(self, rendered: Rendered, required: Iterable[str]) -> list[str]:
        """The required disclosures the message does not carry, in the order asked."""
        missing = (name for name in required if name not in rendered.disclosures)
        return list(dict.fromkeys(missing))

    def problems(
        self, requirements: Mapping[tuple[str, str], Collection[str]]
    ) -> list[TemplateProblem]:
        """Everything that stops a shipped variant from ever meeting the rules.

        `requirements[(channel, purpose)]` names the disclosures the rules may require of
        that channel and purpose; a pair the templates use but the mapping lacks is itself
        a problem, since an unknown requirement is not no requirement.
        """
        return find_problems(self._catalog, self._renderer, requirements)
