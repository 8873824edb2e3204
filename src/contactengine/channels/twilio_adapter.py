"""Texts and calls through Twilio's official SDK, one send per idempotency key.

Every request carries `I-Twilio-Idempotency-Token` set to the message's idempotency key,
so a send retried after a timeout, or after a restart, repeats the same token rather than
making a second message. Caveat: Twilio documents that header on the webhooks it sends
us, and does not publish whether its REST API deduplicates on it. The stub honours it;
dispatch should still claim a message before sending, so two workers never race on one.

Both the header and the base URL go through a subclass of the SDK's own HTTP client:
the SDK takes no per-call headers, and Twilio's documented way to reach another host (a
stub, a proxy, a staging gateway) is a custom HTTP client.
"""

from __future__ import annotations

from typing import Any
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

IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
TWILIO_API = "https://api.twilio.com"


class _Transport(TwilioHttpClient):  # type: ignore[misc]
    """The SDK's HTTP client for one send: adds the token, moves the host, keeps headers."""

    def __init__(
        self, token: str, base_url: str | None, timeout: float, session: requests.Session
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
        response = super().request(
            method,
            self._rebased(url),
            params=params,
            data=data,
            headers={**(headers or {}), IDEMPOTENCY_HEADER: self._token},
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
        transport = _Transport(
            message.idempotency_key, self._base_url, self._config.timeout_seconds, self._session
        )
        client = Client(self._account_sid, self._auth_token, http_client=transport)
        try:
            resource = self._create(client, message)
        except (TwilioRestException, TwilioServiceException) as error:
            return self._refused(error, transport.response_headers)
        except requests.Timeout:
            seconds = self._config.timeout_seconds
            return transient("timeout", f"Twilio did not answer within {seconds:g} seconds")
        except requests.RequestException as error:
            return transient("connection", f"Twilio could not be reached ({type(error).__name__})")
        except (TwilioException, ValueError) as error:
            # A 2xx whose body could not be read: the retry repeats the token, so it is safe.
            return transient("bad-response", f"Twilio's answer could not be read ({error})")
        return accepted(str(resource.sid), f"Twilio {resource.status}")

    def find(self, message: OutboundMessage) -> SendResult | None:
        """None: Twilio keeps no caller reference to look a message up by.

        Sending again is the way to settle it: the repeated idempotency token is what
        keeps that second request from making a second message.
        """
        return None

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
        code = error.code if isinstance(error.code, int) and error.code >= 10000 else None
        if isinstance(error, TwilioServiceException):
            said = str(error.detail or error.title or "")
        else:
            said = str(error.msg).removeprefix("Unable to create record").lstrip(": ")
        return classify_twilio(status, code, said, headers, self._clock.wall())
