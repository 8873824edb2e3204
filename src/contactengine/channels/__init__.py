"""Sending approved messages: channel files, provider adapters and the local outbox.

`load_channels` reads `channels/*.toml`; `adapter_for` turns one channel into an
`Adapter` (Twilio for texts and calls, SendGrid for email, the outbox when a machine has
no credentials). Adapters never raise for provider or network trouble: `send` returns a
`SendResult` that says accepted, permanent or transient, and `RetryPolicy` says how long
to wait before the next try. Exceptions::

    ChannelConfigError(ValueError)   channel files that cannot be used, every problem listed
"""

from contactengine.channels.clock import Clock
from contactengine.channels.config import ChannelConfig
from contactengine.channels.factory import adapter_for
from contactengine.channels.loader import ChannelConfigError, check_channels, load_channels
from contactengine.channels.message import Adapter, OutboundMessage, SendResult
from contactengine.channels.retry import RetryPolicy

__all__ = [
    "Adapter",
    "ChannelConfig",
    "ChannelConfigError",
    "Clock",
    "OutboundMessage",
    "RetryPolicy",
    "SendResult",
    "adapter_for",
    "check_channels",
    "load_channels",
]
