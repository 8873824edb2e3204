"""Texts and calls through Twilio's official SDK, and the lookup of one already sent.

Every send carries `I-Twilio-Idempotency-Token` set to the message's idempotency key.
Twilio documents that header on the webhooks it sends us, and does not publish whether
its REST API deduplicates on it, so nothing here relies on it: after a crash or a timeout,
dispatch asks `find` first, which searches Twilio's lists (`twilio_lookup`), and sends
again only when Twilio shows no sign of the message.

Both the header and the base URL go through a subclass of the SDK's own HTTP client:
the SDK takes no per-call headers, and Twilio's documented way to reach another host (a
stub, a proxy, a staging gateway) is a custom HTTP client.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import (  # type: ignore[import-untyped, unused-ignore]
    TwilioException,
    TwilioRestException,
    TwilioServiceException,
)
from twilio.http.http_client import (  # type: ignore[import-untyped, unused-ignore]
    TwilioHttpClient,
)
from twilio.http.response import Response  # type: ignore[import-untyped, unused-ignore]
from twilio.rest import Client  # type: ignore[import-untyped, unused-ignore]

from contactengine.channels.clock import SYSTEM_CLOCK, Clock
from contactengine.channels.config import ChannelConfig
from contactengine.channels.content import call_twiml
from contactengine.channels.message import (
    OutboundMessage,
    SendResult,
    accepted,
    transient,
)
from contactengine.channels.preflight import refusal
from contactengine.channels.ratelimit import TokenBucket
from contactengine.channels.twilio_errors import classify_twilio
from contactengine.channels.twilio_lookup import find_earlier_try

IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
TWILIO_API = "https://api.twilio.com"

T = TypeVar("T")


class _Transport(TwilioHttpClient):  # type: ignore[misc]
    """The SDK's HTTP client for one call: adds the token, moves the host, keeps headers."""

    def __init__(
        self, token: str | None, base_url: str | None, timeout: float, session: requests.Session
    ) -> None:
        super().__init__(pool_connections=False, timeout=timeout)
        self.session = session
        self._token = token
        self._base_url = base_url
        self.response_headers: dict[str, str] = {}

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Any:
        token = {IDEMPOTENCY_HEADER: self._token} if self._token is not None else {}
        response = super().request(
            method,
            self._rebased(url),
            params=params,
            data=data,
            headers={**(headers or {}), **token},
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )
        self.response_headers = dict(response.headers or {})
        return response

    def _rebased(self, url: str) -> str:
        if self._base_url is None:
            return url
        base, target = urlsplit(self._base_url), urlsplit(url)
        path = base.path.rstrip("/") + target.path
        return urlunsplit((base.scheme, base.netloc, path, target.query, ""))


class TwilioAdapter:
    """Sends `sms` through the Messages resource and `call` through the Calls resource."""

    provider = "twilio"

    def __init__(
        self,
        config: ChannelConfig,
        account_sid: str,
        auth_token: str,
        *,
        base_url: str | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._config = config
        self._account_sid = account_sid
        self._auth_token = auth_token
        self._base_url = base_url
        self._clock = clock
        self._bucket = TokenBucket(config.rate_limit.per_second, config.rate_limit.burst, clock)
        self._session = requests.Session()

    def send(self, message: OutboundMessage) -> SendResult:
        refused = refusal(self._config, message)
        if refused is not None:
            return refused
        self._bucket.acquire()
        transport, client = self._client(message.idempotency_key)
        return self._guarded(transport, lambda: self._sent(client, message))

    def find(self, message: OutboundMessage) -> SendResult | None:
        """Searches Twilio's messages or calls to the recipient for this message.

        Which resources count as this message, and over what lookback, is told in
        `twilio_lookup`. A failed search is classified as a failed send would be.
        """
        if refusal(self._config, message) is not None:
            return None  # refused before any request: it never reached Twilio
        transport, client = self._client(None)
        now = self._clock.wall()
        return self._guarded(
            transport, lambda: find_earlier_try(client, self._config, message, now)
        )

    def _client(self, token: str | None) -> tuple[_Transport, Any]:
        transport = _Transport(token, self._base_url, self._config.timeout_seconds, self._session)
        return transport, Client(self._account_sid, self._auth_token, http_client=transport)

    def _guarded(self, transport: _Transport, request: Callable[[], T]) -> T | SendResult:
        """The request's own answer, or what went wrong with it, classified."""
        try:
            return request()
        except (TwilioRestException, TwilioServiceException) as error:
            return self._refused(error, transport.response_headers)
        except requests.Timeout:
            seconds = self._config.timeout_seconds
            return transient("timeout", f"Twilio did not answer within {seconds:g} seconds")
        except requests.RequestException as error:
            return transient("connection", f"Twilio could not be reached ({type(error).__name__})")
        except (TwilioException, ValueError) as error:
            listed = _unlisted(error)
            if listed is not None:  # a list request Twilio refused
                return classify_twilio(*listed, transport.response_headers, self._clock.wall())
            # A 2xx whose body could not be read: dispatch looks the message up before a retry.
            return transient("bad-response", f"Twilio's answer could not be read ({error})")

    def _sent(self, client: Any, message: OutboundMessage) -> SendResult:
        resource = self._create(client, message)
        return accepted(str(resource.sid), f"Twilio {resource.status}")

    def _create(self, client: Any, message: OutboundMessage) -> Any:
        config = self._config
        callback = config.status_callback
        if config.channel == "call":
            return client.calls.create(
                to=message.to,
                from_=config.from_number,
                twiml=call_twiml(message),
                status_callback=callback,
            )
        # The SDK leaves out arguments that are None: either sender may stand alone.
        return client.messages.create(
            to=message.to,
            from_=config.from_number,
            messaging_service_sid=config.messaging_service_sid,
            body=message.text,
            status_callback=callback,
        )

    def _refused(self, error: Any, headers: dict[str, str]) -> SendResult:
        status = int(error.status)
        code = _error_code(error.code)
        if isinstance(error, TwilioServiceException):
            said = str(error.detail or error.title or "")
        else:
            said = str(error.msg).removeprefix("Unable to create record").lstrip(": ")
        return classify_twilio(status, code, said, headers, self._clock.wall())


def _unlisted(error: Exception) -> tuple[int, int | None, str] | None:
    """HTTP status, error code and message of a list request Twilio answered with an error.

    The SDK raises a bare `TwilioException("Unable to fetch page", response)` for those,
    where a create raises `TwilioRestException`; the error body is read here instead.
    """
    response = error.args[1] if len(error.args) > 1 else None
    if not isinstance(response, Response) or response.status_code < 300:
        return None
    try:
        body = json.loads(response.text or "null")
    except ValueError:
        body = None
    said = body if isinstance(body, dict) else {}
    return int(response.status_code), _error_code(said.get("code")), str(said.get("message", ""))


def _error_code(value: object) -> int | None:
    """Twilio's own error code (five digits), not an HTTP status repeated in its place."""
    return value if isinstance(value, int) and value >= 10000 else None
