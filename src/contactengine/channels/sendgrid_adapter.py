"""Email through SendGrid's official SDK, and a lookup in its Email Activity feed.

SendGrid's Mail Send takes no idempotency key, so every accepted request is a new email.
What keeps a retry single is `find`: the message id travels as a custom argument, and
the activity feed can be asked whether it already holds an email carrying it.
"""

from __future__ import annotations

import http.client
import json
from typing import Any

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import CustomArg, From, Header, Mail, To
from sendgrid.helpers.mail.exceptions import SendGridException

from contactengine.channels.clock import SYSTEM_CLOCK, Clock
from contactengine.channels.config import ChannelConfig
from contactengine.channels.content import email_headers, tracking_args
from contactengine.channels.message import (
    OutboundMessage,
    SendResult,
    accepted,
    permanent,
    transient,
)
from contactengine.channels.preflight import refusal
from contactengine.channels.ratelimit import TokenBucket
from contactengine.channels.retry_after import header
from contactengine.channels.sendgrid_errors import classify_sendgrid

SENDGRID_API = "https://api.sendgrid.com"


class SendGridAdapter:
    """Sends `email` with a text and an html part, the message's headers and custom args."""

    provider = "sendgrid"

    def __init__(
        self,
        config: ChannelConfig,
        api_key: str,
        *,
        base_url: str | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._config = config
        self._clock = clock
        self._bucket = TokenBucket(config.rate_limit.per_second, config.rate_limit.burst, clock)
        self._api = SendGridAPIClient(api_key=api_key, host=(base_url or SENDGRID_API).rstrip("/"))

    def send(self, message: OutboundMessage) -> SendResult:
        refused = refusal(self._config, message)
        if refused is not None:
            return refused
        try:
            body = self._mail(message).get()
        except SendGridException as error:
            return permanent("invalid-content", f"the SendGrid library refused the email ({error})")
        self._bucket.acquire()
        try:
            response = self._api.client.mail.send.post(
                request_body=body, timeout=self._config.timeout_seconds
            )
        except HTTPError as error:
            return self._refused(error)
        except (OSError, http.client.HTTPException) as error:
            return self._unreachable(error)
        message_id = header(_plain(response.headers), "X-Message-Id")
        return accepted(message_id, f"SendGrid accepted the email ({response.status_code})")

    def find(self, message: OutboundMessage) -> SendResult | None:
        """Asks the Email Activity API for an email carrying this message id.

        Caveats: the feed indexes an email seconds to minutes after SendGrid accepts it,
        so None for a message sent just before a crash proves little; wait a few minutes
        before trusting it. The feed also needs SendGrid's paid activity history and an API
        key with Email Activity access; without them the lookup answers 403 (permanent).
        """
        if '"' in message.message_id or "\\" in message.message_id:
            return permanent("unsearchable-id", "the message id cannot be put in a query")
        query = f"unique_args['message_id']=\"{message.message_id}\""
        try:
            response = self._api.client.messages.get(
                query_params={"query": query, "limit": 1}, timeout=self._config.timeout_seconds
            )
        except HTTPError as error:
            return self._refused(error)
        except (OSError, http.client.HTTPException) as error:
            return self._unreachable(error)
        found = _messages(response.body)
        if found is None:
            return transient("bad-response", "SendGrid's activity answer could not be read")
        if not found:
            return None
        # An activity `msg_id` starts with the X-Message-Id that Mail Send answered.
        msg_id = str(found[0].get("msg_id", ""))
        status = found[0].get("status", "unknown")
        return accepted(msg_id.split(".", 1)[0] or None, f"SendGrid has the email ({status})")

    def _mail(self, message: OutboundMessage) -> Mail:
        config = self._config
        mail = Mail(
            from_email=From(config.from_email, config.from_name),
            to_emails=To(message.to),
            subject=message.subject,
            plain_text_content=message.text or None,
            html_content=message.html or None,
        )
        for name, value in email_headers(config, message).items():
            mail.add_header(Header(name, value))
        for key, value in tracking_args(message).items():
            mail.add_custom_arg(CustomArg(key, value))
        return mail

    def _refused(self, error: HTTPError) -> SendResult:
        headers = _plain(error.headers)
        return classify_sendgrid(int(error.status_code), error.body, headers, self._clock.wall())

    def _unreachable(self, error: Exception) -> SendResult:
        reason = getattr(error, "reason", None)
        if isinstance(error, TimeoutError) or isinstance(reason, TimeoutError):
            seconds = self._config.timeout_seconds
            return transient("timeout", f"SendGrid did not answer within {seconds:g} seconds")
        return transient("connection", f"SendGrid could not be reached ({type(error).__name__})")


def _plain(headers: Any) -> dict[str, str]:
    """Response headers as a plain dict, from the `http.client` message the SDK hands back."""
    return {str(name): str(value) for name, value in (headers.items() if headers else [])}


def _messages(body: bytes | str | None) -> list[dict[str, Any]] | None:
    """The activity feed's `messages`, or None when the answer is not what it documents."""
    try:
        parsed = json.loads(body or b"")
    except (ValueError, TypeError):
        return None
    found = parsed.get("messages") if isinstance(parsed, dict) else None
    return [m for m in found if isinstance(m, dict)] if isinstance(found, list) else None
