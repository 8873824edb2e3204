"""SendGrid's answers sorted into permanent and transient, by HTTP status.

Mail Send documents its responses by status, with details in an `errors` list of
`{message, field, help}` (https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send);
rate limits answer 429 with `X-RateLimit-Reset`, the Unix time the limit resets
(https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/rate-limits).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from contactengine.channels.classification import KnownError, by_status
from contactengine.channels.message import SendResult
from contactengine.channels.retry_after import from_reset_time, from_retry_after, header

SENDGRID_STATUSES: Mapping[int, KnownError] = {
    # 400 Bad Request: the body is wrong; `errors[].field` names the part.
    400: KnownError(False, "SendGrid refused the request"),
    # 401 Unauthorized: the API key is missing, wrong or revoked.
    401: KnownError(False, "SendGrid refused the API key; check the channel's `api_key_env`"),
    # 403 Forbidden: the key lacks the permission, or the sender is not a verified identity.
    403: KnownError(False, "SendGrid forbids this; check the key's permissions and `from_email`"),
    # 413 Payload Too Large: the message exceeds 30 MB with its attachments.
    413: KnownError(False, "the email is larger than SendGrid accepts"),
    # 429 Too Many Requests: wait until X-RateLimit-Reset.
    429: KnownError(True, "SendGrid is limiting this account's request rate"),
}

# SendGrid usually accepts mail for a suppressed address and drops it later (Event Webhook
# `dropped` with reason "Unsubscribed Address", or `unsubscribe`/`group_unsubscribe`
# events), which dispatch hears about there. A refusal that names a suppression is an
# opt-out all the same.
_SUPPRESSION_WORDS = ("unsubscribe", "suppression", "suppressed")
_SUPPRESSED = KnownError(False, "the recipient is suppressed", opted_out=True)


def classify_sendgrid(
    status: int, body: bytes | str | None, headers: Mapping[str, str], now: float
) -> SendResult:
    """The result for a SendGrid error response."""
    errors = _errors(body)
    detail = "; ".join(_describe(error) for error in errors)
    code = f"http-{status}"
    retry_after = from_reset_time(header(headers, "X-RateLimit-Reset"), now)
    if retry_after is None:
        retry_after = from_retry_after(header(headers, "Retry-After"), now)
    if status < 500 and _names_suppression(errors):
        return _SUPPRESSED.result(code, None, detail)
    known = SENDGRID_STATUSES.get(status)
    if known is not None:
        return known.result(code, retry_after, detail)
    said = f"SendGrid answered {status}"
    return by_status(status, code, f"{said}: {detail}" if detail else said, retry_after)


def _errors(body: bytes | str | None) -> list[dict[str, Any]]:
    try:
        parsed = json.loads(body or b"")
    except (ValueError, TypeError):
        return []
    found = parsed.get("errors") if isinstance(parsed, dict) else None
    return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []


def _describe(error: Mapping[str, Any]) -> str:
    message = str(error.get("message") or "no message")
    field = error.get("field")
    return f"`{field}`: {message}" if field else message


def _names_suppression(errors: list[dict[str, Any]]) -> bool:
    text = " ".join(str(e.get("message", "")) for e in errors).lower()
    return any(word in text for word in _SUPPRESSION_WORDS)
