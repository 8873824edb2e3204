"""A stand-in for Twilio's REST API (2010-04-01) on loopback: Messages and Calls.

It speaks the wire format the SDK expects: form-encoded POSTs to
`/2010-04-01/Accounts/{AccountSid}/Messages.json` and `/Calls.json` with HTTP Basic auth,
JSON resources with `sid` and `status`, and errors as `{code, message, more_info, status}`.
GETs of the same paths list what was sent, newest first, in Twilio's list shape (`messages`
or `calls`, `page`, `page_size`, `next_page_uri`, ...), filtered by `To`, `From` and the
date filters the SDK sends (`DateSent`, `DateSent<`, `DateSent>`; `StartTime`, ... for
calls), compared by day as Twilio documents them.

Every POST that passes the checks creates a resource and counts as a send, even when it
repeats an `I-Twilio-Idempotency-Token` already seen: Twilio does not document that its
REST API deduplicates on that header, so the stub assumes it does not. Each send records
its token (`sends[n]["idempotency_token"]`), so a test can see a message sent twice.

A resource waits `queue_seconds` in Twilio's queue (none by default): until then its
`date_sent` (a message) or `start_time` (a call) is empty, and date filters, which Twilio
applies to those fields, do not find it. Dates come from `clock`, which tests may set.

    with TwilioStub() as twilio:
        twilio.script("+15005550001", twilio_error(21211))   # that number: error 21211
        twilio.script("+15005550002", rate_limited(2), rate_limited(2))  # 429 twice, then fine
        twilio.script("+15005550003", Hang(0.5))             # taken, but answered too late
        twilio.script(LOOKUP, server_error(503))             # the next list request fails
        ...  # point the SDK at twilio.base_url
        twilio.sends, twilio.requests
"""

from __future__ import annotations

import base64
import operator
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.stubs.server import Hang, Received, Reply, StubServer

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "stub-auth-token"
API_VERSION = "2010-04-01"
LOOKUP = "lookup"  # the script key for list requests (GET Messages.json or Calls.json)

_ROUTE = re.compile(rf"/{API_VERSION}/Accounts/(?P<account>[^/]+)/(?P<kind>Messages|Calls)\.json")
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_PLURAL = {"sms": "Messages", "call": "Calls"}
_DATE_FILTER = {"sms": "DateSent", "call": "StartTime"}  # the list filter Twilio offers
_COMPARE = {"=": operator.eq, "<": operator.le, ">": operator.ge}  # `<` and `>` are inclusive

# Twilio's own titles for the errors the stub raises or tests script.
TITLES = {
    20001: "Invalid parameter",
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


@dataclass(frozen=True)
class _Kept:
    """A resource as created, with its kind and the stub-clock instant it was created."""

    kind: str
    created_at: float
    resource: dict[str, Any]


class TwilioStub(StubServer):
    def __init__(
        self,
        account_sid: str = ACCOUNT_SID,
        auth_token: str = AUTH_TOKEN,
        log_path: Path | str | None = None,
        port: int = 0,
        clock: Callable[[], float] = time.time,
        queue_seconds: float = 0.0,
    ) -> None:
        super().__init__(log_path, port)
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.clock = clock
        self.queue_seconds = queue_seconds
        self._kept: list[_Kept] = []

    def answer(self, request: Received) -> Reply:
        route = _ROUTE.fullmatch(request.path)
        if request.method not in ("GET", "POST") or route is None:
            return twilio_error(20404, 404)
        if not self._authorized(request, route["account"]):
            return twilio_error(20003, 401)
        kind = "sms" if route["kind"] == "Messages" else "call"
        if request.method == "GET":
            return self._list(kind, request)
        return self._post(kind, request)

    def _authorized(self, request: Received, account: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return account == self.account_sid and request.headers.get("authorization") == (
            f"Basic {expected}"
        )

    # Sending

    def _post(self, kind: str, request: Received) -> Reply:
        form = request.form or {}
        token = request.headers.get("i-twilio-idempotency-token")
        with self.lock:
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

    def _create(self, kind: str, form: dict[str, str], token: str | None) -> dict[str, Any]:
        prefix = "SM" if kind == "sms" else "CA"
        sid = prefix + uuid.uuid4().hex
        created_at = self.clock()
        now = formatdate(created_at, usegmt=True)
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
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/{_PLURAL[kind]}/{sid}.json",
        }
        if kind == "sms":
            resource |= {
                "body": form.get("Body"),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "num_segments": "1",
                "date_sent": None,
                "error_code": None,
                "error_message": None,
            }
        else:
            resource |= {"start_time": None, "end_time": None, "duration": None}
        self._kept.append(_Kept(kind, created_at, resource))
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

    # Listing

    def _list(self, kind: str, request: Received) -> Reply:
        step = self.next_step(LOOKUP)
        if isinstance(step, Reply):
            return step
        query = request.query
        try:
            page, size = int(query.get("Page", "0")), int(query.get("PageSize", "50"))
            dated = _date_filters(query, _DATE_FILTER[kind])
        except ValueError:
            return twilio_error(20001, 400)
        if page < 0 or not 1 <= size <= 1000:
            return twilio_error(20001, 400)
        now = self.clock()
        with self.lock:
            kept = [k for k in reversed(self._kept) if k.kind == kind]
        shown = [self._as_now(k, now) for k in kept]
        found = [r for r in shown if _addressed(r, query) and _dated(r, kind, dated)]
        if isinstance(step, Hang):
            self.wait(step.seconds)
        return Reply(200, self._page(kind, query, found, page, size))

    def _as_now(self, kept: _Kept, now: float) -> dict[str, Any]:
        """The resource as Twilio would show it now: out of the queue once its time came."""
        left_queue = kept.created_at + self.queue_seconds
        if now < left_queue:
            return kept.resource
        stamp = formatdate(left_queue, usegmt=True)
        if kept.kind == "sms":
            return kept.resource | {"status": "sent", "date_sent": stamp, "date_updated": stamp}
        return kept.resource | {
            "status": "completed",
            "start_time": stamp,
            "end_time": stamp,
            "duration": "0",
            "date_updated": stamp,
        }

    def _page(
        self, kind: str, query: dict[str, str], found: list[dict[str, Any]], page: int, size: int
    ) -> dict[str, Any]:
        path = f"/{API_VERSION}/Accounts/{self.account_sid}/{_PLURAL[kind]}.json"
        filters = {k: v for k, v in query.items() if k not in ("Page", "PageSize", "PageToken")}

        def uri(number: int) -> str:
            return f"{path}?{urlencode(filters | {'PageSize': size, 'Page': number})}"

        start = page * size
        records = found[start : start + size]
        more = start + size < len(found)
        return {
            _PLURAL[kind].lower(): records,
            "page": page,
            "page_size": size,
            "start": start,
            "end": start + max(len(records) - 1, 0),
            "uri": uri(page),
            "first_page_uri": uri(0),
            "previous_page_uri": uri(page - 1) if page > 0 else None,
            "next_page_uri": uri(page + 1) + f"&PageToken=PA{page + 1}" if more else None,
        }


def _addressed(resource: dict[str, Any], query: dict[str, str]) -> bool:
    return all(
        query[name] == resource[field]
        for name, field in (("To", "to"), ("From", "from"))
        if name in query
    )


def _date_filters(query: dict[str, str], name: str) -> list[tuple[str, date]]:
    """(`=`, `<` or `>`, day) for each date filter present: Twilio compares by day."""
    return [
        (suffix or "=", date.fromisoformat(query[name + suffix][:10]))
        for suffix in ("", "<", ">")
        if name + suffix in query
    ]


def _dated(resource: dict[str, Any], kind: str, filters: list[tuple[str, date]]) -> bool:
    """Whether the resource passes the date filters; one still queued has no date to pass."""
    if not filters:
        return True
    stamp = resource["date_sent" if kind == "sms" else "start_time"]
    if stamp is None:
        return False
    day = datetime.strptime(stamp, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC).date()
    return all(_COMPARE[sign](day, bound) for sign, bound in filters)


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
