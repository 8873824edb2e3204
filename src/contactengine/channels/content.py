"""What a provider is given beyond the message itself, derived the same way for every adapter.

The outbox shows exactly what Twilio or SendGrid would have been sent, so both build their
TwiML, email headers and tracking arguments here.
"""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.twiml.voice_response import (  # type: ignore[import-untyped, unused-ignore]
    VoiceResponse,
)

from contactengine.channels.config import ChannelConfig
from contactengine.channels.message import OutboundMessage

# RFC 8058: one-click unsubscribe, which large mailbox providers require of bulk senders.
ONE_CLICK = "List-Unsubscribe=One-Click"


def call_twiml(message: OutboundMessage) -> str:
    """The message's own TwiML, or its text read out when it brings none."""
    if message.twiml:
        return message.twiml
    response = VoiceResponse()
    response.say(message.text)
    return str(response)


def email_headers(config: ChannelConfig, message: OutboundMessage) -> dict[str, str]:
    """The message's headers, with one-click unsubscribe added when the channel has a URL.

    Headers the message brings win: dispatch may sign its own unsubscribe links.
    """
    headers = dict(message.headers)
    names = {name.lower() for name in headers}
    if config.unsubscribe_url and "list-unsubscribe" not in names:
        separator = "&" if "?" in config.unsubscribe_url else "?"
        query = urlencode({"message_id": message.message_id})
        headers["List-Unsubscribe"] = f"<{config.unsubscribe_url}{separator}{query}>"
        headers.setdefault("List-Unsubscribe-Post", ONE_CLICK)
    return headers


def tracking_args(message: OutboundMessage) -> dict[str, str]:
    """Echoed back by the provider in events and lookups; always carries the message id."""
    return {**message.metadata, "message_id": message.message_id}
