"""What dispatch hands an adapter, what it gets back, and the shape every adapter has.

Adapters sort every provider answer into a `SendResult` instead of raising, so that
dispatch decides retries and opt-outs from data, the same way for every provider.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

ChannelName = Literal["sms", "call", "email"]
Status = Literal["accepted", "permanent", "transient"]

# The address shapes providers accept: +E.164 numbers, and plain mailbox addresses.
E164 = re.compile(r"\+[1-9]\d{6,14}")
EMAIL_ADDRESS = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+")


@dataclass(frozen=True)
class OutboundMessage:
    """One approved message, rendered, addressed and keyed for exactly-once sending."""

    message_id: str
    idempotency_key: str
    channel: str
    to: str
    text: str
    subject: str | None = None
    html: str | None = None
    twiml: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    """How a provider answered: accepted, refused for good, or worth another try."""

    status: Status
    provider_id: str | None = None
    code: str | None = None
    reason: str = ""
    retry_after: float | None = None
    opted_out: bool = False


def accepted(provider_id: str | None, reason: str = "") -> SendResult:
    return SendResult("accepted", provider_id=provider_id, reason=reason)


def permanent(code: str, reason: str, *, opted_out: bool = False) -> SendResult:
    return SendResult("permanent", code=code, reason=reason, opted_out=opted_out)


def transient(code: str, reason: str, retry_after: float | None = None) -> SendResult:
    return SendResult("transient", code=code, reason=reason, retry_after=retry_after)


class Adapter(Protocol):
    """A provider behind one channel.

    `send` never raises for provider or network trouble: it classifies it. `find` answers
    after a crash whether this exact message was already taken: an accepted result when
    the provider has it, None when the provider has no record of it (or keeps nothing to
    look up), and a transient or permanent result when the lookup itself failed, which
    proves nothing either way.
    """

    provider: str

    def send(self, message: OutboundMessage) -> SendResult: ...

    def find(self, message: OutboundMessage) -> SendResult | None: ...
