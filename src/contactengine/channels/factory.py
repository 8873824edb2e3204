"""Picks the adapter a channel file asks for, with the secrets its environment holds.

A machine with no credentials gets the outbox, so a fresh checkout can run dispatch end
to end; a deployment that must never fall back sets `outbox_fallback = false` and gets
an error instead.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from contactengine.channels.clock import SYSTEM_CLOCK, Clock
from contactengine.channels.config import ChannelConfig
from contactengine.channels.loader import ChannelConfigError
from contactengine.channels.message import Adapter
from contactengine.channels.outbox import OutboxAdapter
from contactengine.channels.sendgrid_adapter import SendGridAdapter
from contactengine.channels.twilio_adapter import TwilioAdapter

log = logging.getLogger(__name__)


def adapter_for(
    config: ChannelConfig,
    environ: Mapping[str, str] = os.environ,
    outbox: Path | str = "outbox",
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> Adapter:
    """The adapter for `config`, reading secrets and the base URL from `environ`."""
    if config.provider == "outbox":
        return OutboxAdapter(config, outbox, clock)
    missing = [name for name in _secret_names(config) if not environ.get(name)]
    if missing:
        return _fallback(config, missing, outbox, clock)
    base_url = (environ.get(config.base_url_env) if config.base_url_env else None) or None
    if config.provider == "twilio":
        account_sid, auth_token = environ[config.account_sid_env], environ[config.auth_token_env]
        return TwilioAdapter(config, account_sid, auth_token, base_url=base_url, clock=clock)
    return SendGridAdapter(config, environ[config.api_key_env], base_url=base_url, clock=clock)


def _secret_names(config: ChannelConfig) -> list[str]:
    if config.provider == "twilio":
        return [config.account_sid_env, config.auth_token_env]
    return [config.api_key_env]


def _fallback(
    config: ChannelConfig, missing: list[str], outbox: Path | str, clock: Clock
) -> OutboxAdapter:
    named = ", ".join(f"`{name}`" for name in missing)
    if not config.outbox_fallback:
        raise ChannelConfigError(
            [f"channel `{config.name}`: {named} not set, and `outbox_fallback` is off"]
        )
    log.warning(
        "channel %s: %s not set; writing %s messages to the outbox %s instead of %s",
        config.name,
        named,
        config.channel,
        Path(outbox).as_posix(),
        config.provider,
    )
    return OutboxAdapter(config, outbox, clock)
