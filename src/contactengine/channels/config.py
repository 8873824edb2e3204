"""One channel's settings, as a deployment writes them in `channels/<name>.toml`.

Files name the environment variables that hold secrets, never the secrets, so channel
files can be reviewed and committed like the rules are.
"""

from __future__ import annotations

import re
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from contactengine.channels.message import E164, EMAIL_ADDRESS, ChannelName
from contactengine.channels.problems import FieldProblems
from contactengine.channels.retry import RetryPolicy

Provider = Literal["twilio", "sendgrid", "outbox"]

_MESSAGING_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")

PROVIDERS_BY_CHANNEL: dict[str, tuple[Provider, ...]] = {
    "sms": ("twilio", "outbox"),
    "call": ("twilio", "outbox"),
    "email": ("sendgrid", "outbox"),
}
# Fields that mean something to one kind of channel only; set on another, they are a slip.
_FIELDS_OF_CHANNEL = {
    "sms": {"from_number", "messaging_service_sid", "segment_budget", "status_callback"},
    "call": {"from_number", "status_callback"},
    "email": {"from_email", "from_name", "unsubscribe_url", "api_key_env"},
}
_TWILIO_FIELDS = {"account_sid_env", "auth_token_env"}


class RateLimit(BaseModel):
    """Sends a second, and how many may go at once after a pause."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_second: StrictFloat = Field(default=1.0, gt=0, le=1000)
    burst: StrictInt = Field(default=1, ge=1, le=1000)


class ChannelConfig(BaseModel):
    """A channel: its provider, senders, secret names, pacing, retries and callbacks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Strict types: a quoted number in a file is a mistake worth hearing about.
    name: StrictStr
    channel: ChannelName
    provider: Provider
    from_number: StrictStr | None = None
    messaging_service_sid: StrictStr | None = None
    from_email: StrictStr | None = None
    from_name: StrictStr | None = None
    account_sid_env: StrictStr = "TWILIO_ACCOUNT_SID"
    auth_token_env: StrictStr = "TWILIO_AUTH_TOKEN"
    api_key_env: StrictStr = "SENDGRID_API_KEY"
    base_url_env: StrictStr | None = None
    outbox_fallback: StrictBool = True
    timeout_seconds: StrictFloat = Field(default=10.0, gt=0, le=120)
    rate_limit: RateLimit = RateLimit()
    # Twilio takes bodies up to 1,600 characters: 11 segments of GSM-7 text, 24 of UCS-2.
    segment_budget: StrictInt | None = Field(default=None, ge=1, le=24)
    status_callback: StrictStr | None = None
    unsubscribe_url: StrictStr | None = None
    retry: RetryPolicy = RetryPolicy()

    @field_validator("from_number")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if value is not None and not E164.fullmatch(value):
            raise ValueError(f"`{value}` is not a phone number in +E.164 form")
        return value

    @field_validator("messaging_service_sid")
    @classmethod
    def _service_sid(cls, value: str | None) -> str | None:
        if value is not None and not _MESSAGING_SERVICE_SID.fullmatch(value):
            raise ValueError(f"`{value}` is not a messaging service SID (`MG` and 32 hex digits)")
        return value

    @field_validator("from_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL_ADDRESS.fullmatch(value):
            raise ValueError(f"`{value}` is not an email address")
        return value

    @field_validator("account_sid_env", "auth_token_env", "api_key_env", "base_url_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.fullmatch(value):
            raise ValueError(
                f"`{value}` is not an environment variable name; "
                "name the variable that holds the secret, never the secret"
            )
        return value

    @field_validator("status_callback", "unsubscribe_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"`{value}` is not an http or https URL")
        return value

    @model_validator(mode="after")
    def _fits_channel(self) -> Self:
        problems = [*self._provider_problems(), *self._sender_problems()]
        problems += self._stray_field_problems()
        if problems:
            raise FieldProblems(problems)
        return self

    def _provider_problems(self) -> list[tuple[str, str]]:
        allowed = PROVIDERS_BY_CHANNEL[self.channel]
        if self.provider in allowed:
            return []
        names = " or ".join(f"`{p}`" for p in allowed)
        return [("provider", f"`{self.provider}` does not send `{self.channel}`; use {names}")]

    def _sender_problems(self) -> list[tuple[str, str]]:
        if self.channel == "sms" and not (self.from_number or self.messaging_service_sid):
            return [("from_number", "required for sms, unless `messaging_service_sid` is set")]
        if self.channel == "call" and not self.from_number:
            return [("from_number", "required for calls")]
        if self.channel == "email" and not self.from_email:
            return [("from_email", "required for email")]
        return []

    def _stray_field_problems(self) -> list[tuple[str, str]]:
        own = _FIELDS_OF_CHANNEL[self.channel]
        if self.channel != "email":
            own = own | _TWILIO_FIELDS
        foreign = set().union(*_FIELDS_OF_CHANNEL.values(), _TWILIO_FIELDS) - own
        return [
            (name, f"not used by `{self.channel}` channels")
            for name in sorted(self.model_fields_set & foreign)
        ]
