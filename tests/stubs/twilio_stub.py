"""A stand-in for Twilio's REST API (2010-04-01) on loopback: Messages and Calls.

It speaks the wire format the SDK expects: form-encoded POSTs to
`/2010-04-01/Accounts/{AccountSid}/Messages.json` and `/Calls.json` with HTTP Basic auth,
JSON resources with `sid` and `status`, and errors as `{code, message, more_info, status}`.
A request repeating an `I-Twilio-Idempotency-Token` it has already taken gets the original
resource back and is not a new send.

    with TwilioStub() as twilio:
        twilio.script("+15005550001", twilio_error(21211))   # that number: error 21211
        twilio.script("+15005550002", rate_limited(2), rate_limited(2))  # 429 twice, then fine
        twilio.script("+15005550003", Hang(0.5))             # taken, but answered too late
        ...  # point the SDK at twilio.base_url
        twilio.sends, twilio.requests
"""

from __future__ import annotations

import base64
import re
import uuid
from email.utils import formatdate
from pathlib import Path
from typing import Any

from tests.stubs.server import Hang, Received, Reply, StubServer

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "stub-auth-token"
API_VERSION = "2010-04-01"

_ROUTE = re.compile(rf"/{API_VERSION}/Accounts/(?P<account>[^/]+)/(?P<kind>Messages|Calls)\.json")
_E164 = re.compile(r"\+[1-9]\d{6,14}")

# Twilio's own titles for the errors the stub raises or tests script.
TITLES = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    21201: "No 'To' number is specified",
    21211: "Invalid 'To' Phone Number",
    21213: "No 'From' number is specified",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
    21602: "Message body is required",
    21603: "A 'From' phone number is required",
    21604: "A 'To' phone number is required",
    21606: "The 'From' phone number provided is not a valid message-capable Twilio phone number",
    21610: "Attempt to send to unsubscribed recipient",
    21612: "The 'To' phone number is not currently reachable via SMS",
    21614: "'To' number is not a valid mobile number",
    21659: "'From' is not a Twilio phone number or Short Code country mismatch",
}


def twilio_error(code: int, status: int = 400, headers: dict[str, str] | None = None) -> Reply:
    """Twilio's error body for `code`, as its REST API sends it."""
    body = {
        "code": code,
        "message": TITLES.get(code, f"Error {code}"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return Reply(status, body, headers or {})


def rate_limited(retry_after: int | None = None) -> Reply:
    """HTTP 429 with error 20429, and `Retry-After` when given."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return twilio_error(20429, 429, headers)


def server_error(status: int = 500) -> Reply:
    """A 5xx with no Twilio error body, as a failing gateway sends it."""
    return Reply(status, None)


class TwilioStub(StubServer):
    def __init__(
        self,
        account_sid: str = ACCOUNT_SID,
        auth_token: str = AUTH_TOKEN,
        log_path: Path | str | None = None,
        port: int = 0,
    ) -> None:
        super().__init__(log_path, port)
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._by_token: dict[str, dict[str, Any]] = {}

    def answer(self, request: Received) -> Reply:
        route = _ROUTE.fullmatch(request.path)
        if request.method != "POST" or route is None:
            return twilio_error(20404, 404)
        if not self._authorized(request, route["account"]):
            return twilio_error(20003, 401)
        kind = "sms" if route["kind"] == "Messages" else "call"
        form = request.form or {}
        token = request.headers.get("i-twilio-idempotency-token")
        with self.lock:
            if token is not None and token in self._by_token:
                return Reply(201, self._by_token[token])
            step = self.next_step(form.get("To", ""))
            if isinstance(step, Reply):
                return step
            problem = _problem(kind, form)
            if problem is not None:
                return problem
            resource = self._create(kind, form, token)
        if isinstance(step, Hang):
            self.wait(step.seconds)
        return Reply(201, resource)

    def _authorized(self, request: Received, account: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return account == self.account_sid and request.headers.get("authorization") == (
            f"Basic {expected}"
        )

    def _create(self, kind: str, form: dict[str, str], token: str | None) -> dict[str, Any]:
        prefix, plural = ("SM", "Messages") if kind == "sms" else ("CA", "Calls")
        sid = prefix + uuid.uuid4().hex
        now = formatdate(usegmt=True)
        resource: dict[str, Any] = {
            "sid": sid,
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "to": form["To"],
            "from": form.get("From"),
            "status": "accepted" if form.get("MessagingServiceSid") else "queued",
            "direction": "outbound-api",
            "date_created": now,
            "date_updated": now,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/{plural}/{sid}.json",
        }
        if kind == "sms":
            resource |= {
                "body": form.get("Body"),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "num_segments": "1",
                "error_code": None,
                "error_message": None,
            }
        if token is not None:
            self._by_token[token] = resource
        self.record_send(
            {
                "provider": "twilio",
                "kind": kind,
                "sid": sid,
                "to": form["To"],
                "from": form.get("From") or form.get("MessagingServiceSid"),
                "body": form.get("Body") if kind == "sms" else form.get("Twiml"),
                "idempotency_token": token,
            }
        )
        return resource


def _problem(kind: str, form: dict[str, str]) -> Reply | None:
    """Twilio's answer to a request missing what it requires, or None."""
    to = form.get("To")
    if not to:
        return twilio_error(21604 if kind == "sms" else 21201)
    if not _E164.fullmatch(to):
        return twilio_error(21211)
    if kind == "sms" and not (form.get("From") or form.get("MessagingServiceSid")):
        return twilio_error(21603)
    if kind == "sms" and not form.get("Body"):
        return twilio_error(21602)
    if kind == "call" and not form.get("From"):
        return twilio_error(21213)
    return None
