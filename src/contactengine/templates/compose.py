"""A variant rendered into the message its channel sends, and the disclosures it carries.

Every part renders with the same context (the caller's variables and the `disclosure`
function), then takes its channel's shape: an SMS body counted in segments; an email's
one-line subject, text and HTML parts and unsubscribe headers; a call script and its
TwiML. Which disclosures the message carries is read from what was rendered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from contactengine.templates.catalog import BODY, Catalog, Variant
from contactengine.templates.disclosures import Disclosures
from contactengine.templates.environment import Renderer
from contactengine.templates.errors import TemplateError
from contactengine.templates.mail import subject_line, unsubscribe_headers
from contactengine.templates.presence import normalised, present, visible_text
from contactengine.templates.sms import UCS_2, sms_segments
from contactengine.templates.voice import paragraphs, twiml, voice_language


@dataclass(frozen=True)
class Rendered:
    kind: str
    channel: str  # "sms" | "email" | "call"
    language: str  # "en" | "es" | ...
    text: str  # SMS body; email plain-text part; call: the script as spoken
    subject: str | None = None  # email
    html: str | None = None  # email
    twiml: str | None = None  # call: a complete <Response> document
    headers: Mapping[str, str] = field(default_factory=dict)  # email: List-Unsubscribe...
    encoding: str | None = None  # sms: "GSM-7" or "UCS-2"
    segments: int | None = None  # sms
    disclosures: tuple[str, ...] = ()  # disclosure names whose text is in the message


@dataclass(frozen=True)
class Composer:
    """One variant about to be rendered, with everything its parts need."""

    catalog: Catalog
    renderer: Renderer
    variant: Variant
    disclosures: Disclosures

    def check_parts(self) -> None:
        """Refuse a variant with a missing part before rendering any of it."""
        for part in self.variant.expected_parts():
            if part not in self.variant.parts:
                missing = self.where(part)
                raise TemplateError(f"the {part} part is missing; add `{missing}`", missing)

    def render(self, part: str) -> str:
        return self.renderer.render(self.variant.parts[part], self.disclosures.context)

    def where(self, part: str) -> str:
        return self.catalog.display(self.variant.part_name(part))

    def found(self, *readable: str) -> tuple[str, ...]:
        return present(self.disclosures.texts(), readable)


def compose(
    composer: Composer, unsubscribe_url: str | None, segment_budget: int | None
) -> Rendered:
    composer.check_parts()
    channel = composer.variant.channel
    if channel == "email":
        return _email(composer, unsubscribe_url)
    if channel == "call":
        return _call(composer)
    return _sms(composer, segment_budget)


def _sms(composer: Composer, budget: int | None) -> Rendered:
    v = composer.variant
    body = composer.render(BODY).strip()
    if not body:
        raise TemplateError("the sms body is empty", composer.where(BODY))
    encoding, segments = sms_segments(body)
    if budget is not None and segments > budget:
        why = "; a character outside the GSM alphabet made it UCS-2" if encoding == UCS_2 else ""
        raise TemplateError(
            f"the sms needs {segments} segments ({encoding}, {len(body)} characters), "
            f"over the budget of {budget}{why}",
            composer.where(BODY),
        )
    found = composer.found(normalised(body))
    return Rendered(
        v.kind,
        v.channel,
        v.language,
        body,
        encoding=encoding,
        segments=segments,
        disclosures=found,
    )


def _email(composer: Composer, unsubscribe_url: str | None) -> Rendered:
    v = composer.variant
    try:
        subject = subject_line(composer.render("subject"))
    except TemplateError as exc:
        exc.where = exc.where or composer.where("subject")
        raise
    text = composer.render("txt").strip()
    html = composer.render("html").strip()
    headers = unsubscribe_headers(unsubscribe_url) if unsubscribe_url is not None else {}
    found = composer.found(normalised(text), visible_text(html))
    return Rendered(
        v.kind,
        v.channel,
        v.language,
        text,
        subject=subject,
        html=html,
        headers=headers,
        disclosures=found,
    )


def _call(composer: Composer) -> Rendered:
    v = composer.variant
    try:
        voice_language(v.language)
    except TemplateError as exc:
        exc.where = composer.where(BODY)
        raise
    spoken = paragraphs(composer.render(BODY))
    if not spoken:
        raise TemplateError("the call script is empty", composer.where(BODY))
    script = "\n\n".join(spoken)
    return Rendered(
        v.kind,
        v.channel,
        v.language,
        script,
        twiml=twiml(spoken, v.language),
        disclosures=composer.found(normalised(script)),
    )
