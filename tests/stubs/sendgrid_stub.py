"""A stand-in for SendGrid's v3 API on loopback: Mail Send and the Email Activity feed.

`POST /v3/mail/send` takes the JSON body the SDK builds, checks the Bearer key and the
required fields, and answers 202 with `X-Message-Id`; errors come as
`{"errors": [{"message", "field", "help"}]}`. `GET /v3/messages?query=...&limit=N` finds
accepted mail by `unique_args['name']="value"` (custom args) or `to_email="..."`.
`index_delay` keeps new mail out of the feed for that many seconds, as SendGrid's
indexing does.

    with SendGridStub() as sendgrid:
        sendgrid.script("jo@example.com", sendgrid_error(400, "invalid", "from.email"))
        sendgrid.script(ACTIVITY, sendgrid_error(403, "access forbidden"))  # next lookup
        ...  # point the SDK at sendgrid.base_url
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.stubs.server import Hang, Received, Reply, StubServer

API_KEY = "SG.stub-key.for-tests"
ACTIVITY = "activity"  # the script key for Email Activity lookups

_CUSTOM_ARG = re.compile(r"unique_args\['(?P<name>[^']+)'\]=\"(?P<value>[^\"]*)\"")
_TO_EMAIL = re.compile(r"to_email=\"(?P<value>[^\"]*)\"")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def sendgrid_error(
    status: int, message: str, field: str | None = None, headers: dict[str, str] | None = None
) -> Reply:
    """SendGrid's error body, with the field it names (or none)."""
    return Reply(
        status, {"errors": [{"message": message, "field": field, "help": None}]}, headers or {}
    )


def rate_limited(reset_at: int) -> Reply:
    """HTTP 429 with SendGrid's rate-limit headers; `reset_at` is Unix time."""
    headers = {
        "X-RateLimit-Limit": "600",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(reset_at),
    }
    return sendgrid_error(429, "too many requests", headers=headers)


class SendGridStub(StubServer):
    def __init__(
        self,
        api_key: str = API_KEY,
        log_path: Path | str | None = None,
        port: int = 0,
        index_delay: float = 0.0,
    ) -> None:
        super().__init__(log_path, port)
        self.api_key = api_key
        self.index_delay = index_delay
        self._taken_at: dict[str, float] = {}

    def answer(self, request: Received) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return sendgrid_error(
                401, "The provided authorization grant is invalid, expired, or revoked"
            )
        if request.method == "POST" and request.path == "/v3/mail/send":
            return self._mail_send(request)
        if request.method == "GET" and request.path == "/v3/messages":
            return self._activity(request)
        return sendgrid_error(404, "resource not found")

    def _mail_send(self, request: Received) -> Reply:
        body = request.json
        if not isinstance(body, dict):
            return sendgrid_error(400, "The request body must be a JSON object")
        problems = _problems(body)
        if problems:
            return Reply(
                400, {"errors": [{"message": m, "field": f, "help": None} for f, m in problems]}
            )
        recipients = [to["email"] for p in body["personalizations"] for to in p["to"]]
        step = self.next_step(recipients[0])
        if isinstance(step, Reply):
            return step
        message_id = secrets.token_urlsafe(16)[:22]
        with self.lock:
            self._taken_at[message_id] = time.monotonic()
            self.record_send(
                {
                    "provider": "sendgrid",
                    "x_message_id": message_id,
                    "to": recipients,
                    "from": body["from"],
                    "subject": body.get("subject"),
                    "custom_args": body.get("custom_args", {}),
                    "headers": body.get("headers", {}),
                    "content": body["content"],
                }
            )
        if isinstance(step, Hang):
            self.wait(step.seconds)
        return Reply(202, None, {"X-Message-Id": message_id})

    def _activity(self, request: Received) -> Reply:
        step = self.next_step(ACTIVITY)
        if isinstance(step, Reply):
            return step
        query = request.query.get("query", "")
        matches = _matcher(query)
        if matches is None:
            return sendgrid_error(400, "invalid query", "query")
        limit = int(request.query.get("limit", "10"))
        now = time.monotonic()
        with self.lock:
            found = [
                _activity_entry(send)
                for send in self.sends
                if matches(send) and now - self._taken_at[send["x_message_id"]] >= self.index_delay
            ]
        return Reply(200, {"messages": found[:limit]})


def _matcher(query: str) -> Any:
    if arg := _CUSTOM_ARG.fullmatch(query):
        return lambda send: send["custom_args"].get(arg["name"]) == arg["value"]
    if to := _TO_EMAIL.fullmatch(query):
        return lambda send: to["value"] in send["to"]
    return None


def _activity_entry(send: dict[str, Any]) -> dict[str, Any]:
    return {
        "from_email": send["from"]["email"],
        "msg_id": f"{send['x_message_id']}.filterdrecv-stub-1-0.0",
        "subject": send["subject"],
        "to_email": send["to"][0],
        "status": "delivered",
        "opens_count": 0,
        "clicks_count": 0,
        "last_event_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _problems(body: dict[str, Any]) -> list[tuple[str, str]]:
    """The fields Mail Send requires, as (field, message) for each one missing or wrong."""
    problems = []
    personalizations = body.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        problems.append(("personalizations", "at least one personalization is required"))
    else:
        for index, personalization in enumerate(personalizations):
            to = personalization.get("to") if isinstance(personalization, dict) else None
            if not to or not all(_EMAIL.fullmatch(str(t.get("email", ""))) for t in to):
                problems.append((f"personalizations.{index}.to", "a valid recipient is required"))
    sender = body.get("from")
    if not isinstance(sender, dict) or not _EMAIL.fullmatch(str(sender.get("email", ""))):
        problems.append(("from.email", "The from email does not contain a valid address."))
    if not body.get("subject"):
        problems.append(("subject", "The subject is required."))
    content = body.get("content")
    if not isinstance(content, list) or not content:
        problems.append(("content", "at least one content block is required"))
    elif content[0].get("type") != "text/plain" and any(
        c.get("type") == "text/plain" for c in content
    ):
        problems.append(("content", "text/plain must come before text/html"))
    return problems
