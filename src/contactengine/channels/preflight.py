"""Checks made before any request, so a message that can never go out costs no API call."""

from __future__ import annotations

from contactengine.channels.config import ChannelConfig
from contactengine.channels.message import (
    E164,
    EMAIL_ADDRESS,
    OutboundMessage,
    SendResult,
    permanent,
)
from contactengine.channels.segments import count_segments


def refusal(config: ChannelConfig, message: OutboundMessage) -> SendResult | None:
    """A permanent result when the message cannot be sent on this channel, else None."""
    if message.channel != config.channel:
        return permanent(
            "wrong-channel",
            f"a `{message.channel}` message was given to the `{config.channel}` channel",
        )
    if not message.message_id or not message.idempotency_key:
        return permanent("invalid-message", "the message has no id or no idempotency key")
    if config.channel == "email":
        return _email_refusal(message)
    return _phone_refusal(config, message)


def _phone_refusal(config: ChannelConfig, message: OutboundMessage) -> SendResult | None:
    if not E164.fullmatch(message.to):
        return permanent("invalid-to", "the recipient is not a phone number in +E.164 form")
    if config.channel == "call":
        if not (message.twiml or message.text.strip()):
            return permanent("empty-message", "the call has neither TwiML nor a script")
        return None
    if not message.text.strip():
        return permanent("empty-message", "the text message is empty")
    segments = count_segments(message.text)
    if config.segment_budget is not None and segments > config.segment_budget:
        return permanent(
            "segment-budget",
            f"the text needs {segments} segments, over the budget of {config.segment_budget}",
        )
    return None


def _email_refusal(message: OutboundMessage) -> SendResult | None:
    if not EMAIL_ADDRESS.fullmatch(message.to):
        return permanent("invalid-to", "the recipient is not an email address")
    if not (message.subject or "").strip():
        return permanent("empty-subject", "the email has no subject")
    if not (message.text.strip() or (message.html or "").strip()):
        return permanent("empty-message", "the email has neither text nor html")
    return None
