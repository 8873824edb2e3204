"""A call script as TwiML: what Twilio says when the call is answered.

The script is plain text; paragraphs (separated by a blank line) are said in turn with a
short pause between them, each once. Twilio's SDK writes the XML, so the debtor's name or
any other variable can never close a tag or open one.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse  # type: ignore[import-untyped, unused-ignore]

from contactengine.templates.errors import TemplateError

# Our template languages → the language Twilio's <Say> speaks them in.
VOICE_LANGUAGES = {"en": "en-US", "es": "es-US", "fr": "fr-CA"}
PAUSE_SECONDS = 1


def voice_language(language: str) -> str:
    voice = VOICE_LANGUAGES.get(language)
    if voice is None:
        known = ", ".join(f"`{code}`" for code in VOICE_LANGUAGES)
        raise TemplateError(f"no voice speaks `{language}`; call scripts may be in {known}")
    return voice


def paragraphs(script: str) -> list[str]:
    """The script's paragraphs, each on one line: a line break in a script is not spoken."""
    blocks = (" ".join(block.split()) for block in script.replace("\r\n", "\n").split("\n\n"))
    return [block for block in blocks if block]


def twiml(spoken: list[str], language: str) -> str:
    """A complete `<Response>` document that says each paragraph once."""
    response = VoiceResponse()
    for index, paragraph in enumerate(spoken):
        if index:
            response.pause(length=PAUSE_SECONDS)
        response.say(paragraph, language=voice_language(language))
    return str(response)
