"""Twilio's answers sorted into permanent and transient, from its documented error codes.

Each code is described at https://www.twilio.com/docs/api/errors/<code>. A code not in
the table falls back on the HTTP status: 429 and 5xx are worth retrying, other 4xx not.
"""

from __future__ import annotations

from collections.abc import Mapping

from contactengine.channels.classification import KnownError, by_status
from contactengine.channels.message import SendResult
from contactengine.channels.retry_after import from_retry_after, header

_CHECK_SENDER = "check the channel's `from_number` or `messaging_service_sid`"

TWILIO_ERRORS: Mapping[int, KnownError] = {
    # 21211 "Invalid 'To' Phone Number".
    21211: KnownError(False, "the recipient number is not a valid phone number"),
    # 21614 "'To' number is not a valid mobile number": a landline cannot take texts.
    21614: KnownError(False, "the recipient number is not a mobile number"),
    # 21610 "Attempt to send to unsubscribed recipient": the person replied STOP.
    21610: KnownError(False, "the recipient unsubscribed from this sender", opted_out=True),
    # 21612 "The 'To' phone number is not currently reachable via SMS": cannot route.
    21612: KnownError(False, "the recipient cannot be reached from this sender"),
    # 21408 "Permission to send an SMS has not been enabled for the region indicated".
    21408: KnownError(False, "the account may not send to the recipient's region"),
    # 21606 "The 'From' phone number provided is not a valid message-capable Twilio number".
    21606: KnownError(False, f"the sender cannot send this message; {_CHECK_SENDER}"),
    # 21659 "'From' is not a Twilio phone number or Short Code country mismatch".
    21659: KnownError(
        False, f"the sender is not a Twilio number for this recipient; {_CHECK_SENDER}"
    ),
    # 20003 "Authentication Error": the channel's credentials are wrong, not the message.
    20003: KnownError(
        False, "Twilio refused the credentials; check the account SID and auth token"
    ),
    # 20429 "Too many requests": not processed, safe to retry after backing off.
    20429: KnownError(True, "Twilio is limiting this account's request rate"),
}


def classify_twilio(
    status: int, code: int | None, message: str, headers: Mapping[str, str], now: float
) -> SendResult:
    """The result for a Twilio error response: its HTTP status, error code and message."""
    label = str(code) if code is not None else f"http-{status}"
    retry_after = from_retry_after(header(headers, "Retry-After"), now)
    known = TWILIO_ERRORS.get(code) if code is not None else None
    if known is not None:
        return known.result(label, retry_after)
    said = f"Twilio answered {status}" + (f" with error {code}" if code is not None else "")
    return by_status(status, label, f"{said}: {message}" if message else said, retry_after)
