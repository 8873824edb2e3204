"""Trusting a provider's webhook, and acting on each of its events only once.

A webhook may change the ledger (a reply, a delivery, a bounce), so a request counts only
when its signature is the provider's: Twilio's `X-Twilio-Signature` (HMAC over the URL and
the form parameters, checked by the Twilio SDK), or SendGrid's ECDSA P-256 signature over
the timestamp and the raw body. A genuine request can still arrive twice, because both
providers retry, so each event also gets a replay key that stays the same across retries,
and a `ReplayGuard` answers whether that key is new. The key never comes from signature
bytes: a retry carries the same ones, and an ECDSA signature has more than one valid form.
Exceptions::

    SignatureError(ValueError)   unsigned, forged, malformed or stale request
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from twilio.request_validator import (  # type: ignore[import-untyped, unused-ignore]
    RequestValidator,
    get_signature_algorithm,
)

TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"
TWILIO_SIGNATURE_SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
TWILIO_IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
SENDGRID_SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
SENDGRID_TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"

DAY = 24 * 60 * 60.0

# Twilio names a message `MessageSid` (older callbacks repeat it as `SmsSid`) and a call
# `CallSid`; the status field follows the same pattern.
_TWILIO_RESOURCE_FIELDS = ("MessageSid", "SmsSid", "CallSid")
_TWILIO_STATUS_FIELDS = ("MessageStatus", "SmsStatus", "CallStatus")

__all__ = [
    "SENDGRID_SIGNATURE_HEADER",
    "SENDGRID_TIMESTAMP_HEADER",
    "TWILIO_IDEMPOTENCY_HEADER",
    "TWILIO_SIGNATURE_HEADER",
    "TWILIO_SIGNATURE_SETTINGS_HEADER",
    "MemoryReplayGuard",
    "ReplayGuard",
    "SignatureError",
    "sendgrid_event_keys",
    "twilio_event_key",
    "verify_sendgrid",
    "verify_twilio",
]


class SignatureError(ValueError):
    """A webhook request that must not be trusted; the message never repeats a secret."""


def verify_twilio(
    auth_token: str,
    url: str,
    form: Mapping[str, str],
    signature: str | None,
    *,
    signature_settings: str | None = None,
) -> None:
    """Raise `SignatureError` unless `signature` is Twilio's for this URL and these parameters.

    `url` must be the one Twilio requested, query string included: behind a proxy the
    caller rebuilds the public scheme, host and port. `form` is every parameter received; a
    multi-valued form (one that offers `getlist`) keeps repeated parameters. A webhook signed
    with a shared key names its algorithm in `X-Twilio-Webhooks-Signature-Settings`; pass that
    header as `signature_settings` and the shared key's secret as `auth_token`.
    """
    if not signature:
        raise SignatureError(f"missing `{TWILIO_SIGNATURE_HEADER}` header")
    if not auth_token:
        raise SignatureError("no Twilio auth token is configured to check the signature")
    try:
        if "bodySHA256" in parse_qs(urlsplit(url).query):
            raise SignatureError(
                "`bodySHA256` marks a JSON-bodied Twilio webhook, not accepted here"
            )
        algorithm = get_signature_algorithm(signature_settings)
        valid = RequestValidator(auth_token).validate(url, form, signature, algorithm)
    except SignatureError:
        raise
    except (TypeError, ValueError) as exc:
        raise SignatureError("the Twilio request could not be checked") from exc
    if not valid:
        raise SignatureError(
            f"`{TWILIO_SIGNATURE_HEADER}` does not match this URL and these parameters"
        )


def verify_sendgrid(
    public_key: str,
    timestamp: str | None,
    payload: bytes,
    signature: str | None,
    now: float,
    tolerance: float = 300.0,
) -> None:
    """Raise `SignatureError` unless SendGrid signed `timestamp` + `payload` within `tolerance`.

    `public_key` is the base64 DER key the SendGrid console shows; `payload` is the raw
    body exactly as received, because re-encoded JSON no longer matches. A timestamp more
    than `tolerance` seconds from `now`, either way, is a replay or a clock out of step.
    """
    if not signature:
        raise SignatureError(f"missing `{SENDGRID_SIGNATURE_HEADER}` header")
    if not timestamp:
        raise SignatureError(f"missing `{SENDGRID_TIMESTAMP_HEADER}` header")
    _check_fresh(timestamp, now, tolerance)
    key = _sendgrid_key(public_key)
    try:
        decoded = base64.b64decode(signature, validate=True)
        key.verify(decoded, timestamp.encode("ascii") + payload, ec.ECDSA(hashes.SHA256()))
    except binascii.Error as exc:
        raise SignatureError(f"`{SENDGRID_SIGNATURE_HEADER}` is not base64") from exc
    except (InvalidSignature, ValueError) as exc:
        raise SignatureError(
            f"`{SENDGRID_SIGNATURE_HEADER}` does not match this timestamp and body"
        ) from exc


def _check_fresh(timestamp: str, now: float, tolerance: float) -> None:
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise SignatureError(f"`{SENDGRID_TIMESTAMP_HEADER}` is not whole seconds")
    age = now - int(timestamp)
    if age > tolerance:
        raise SignatureError(f"SendGrid timestamp is {age:.0f} s old, over {tolerance:.0f} s")
    if age < -tolerance:
        raise SignatureError(f"SendGrid timestamp is {-age:.0f} s ahead, over {tolerance:.0f} s")


@lru_cache(maxsize=8)
def _sendgrid_key(public_key: str) -> ec.EllipticCurvePublicKey:
    """The verification key, loaded once per distinct configured value."""
    try:
        key = load_der_public_key(base64.b64decode("".join(public_key.split()), validate=True))
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise SignatureError("the SendGrid public key is not base64 DER") from exc
    if not (isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)):
        raise SignatureError("the SendGrid public key is not an ECDSA P-256 key")
    return key


class ReplayGuard(Protocol):
    """Remembers event keys so a retried or replayed event is acted on once.

    Ask only after the signature verifies, and as late as possible before the ledger
    commits: once a key is seen, the provider's retry of a failed attempt is refused too.
    """

    def first_time(self, key: str, now: float) -> bool:
        """True the first time `key` is seen within the guard's window, False after."""
        ...


class MemoryReplayGuard:
    """Keys seen in the last `window` seconds, at most `capacity`, in this process only.

    Past `capacity` the oldest key is forgotten first, so size it above the events one
    window brings; several processes behind a load balancer need a shared store instead.
    """

    def __init__(self, window: float = DAY, capacity: int = 100_000) -> None:
        if window <= 0 or capacity < 1:
            raise ValueError("a replay guard needs a positive window and capacity")
        self._window = window
        self._capacity = capacity
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: str, now: float) -> bool:
        cutoff = now - self._window
        with self._lock:
            self._forget_up_to(cutoff)
            seen_at = self._seen.get(key)
            if seen_at is not None and seen_at > cutoff:
                return False
            self._seen.pop(key, None)
            self._seen[key] = now
            if len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)

    def _forget_up_to(self, cutoff: float) -> None:
        while self._seen:
            oldest, seen_at = next(iter(self._seen.items()))
            if seen_at > cutoff:
                return
            del self._seen[oldest]


def twilio_event_key(form: Mapping[str, str], idempotency_token: str | None) -> str:
    """The replay key of one Twilio webhook: the same for every retry of it.

    The signature names the bytes, not the event: another auth token, callback URL or added
    parameter changes it for the same event. The message or call sid with its status names
    the event, so each status of a message counts once, and an inbound text once. Without a
    sid, `I-Twilio-Idempotency-Token` names the delivery; without either, a hash of the
    parameters, which a retry repeats.
    """
    resource = _first_present(form, _TWILIO_RESOURCE_FIELDS)
    if resource:
        status = _first_present(form, _TWILIO_STATUS_FIELDS)
        return f"twilio:sid:{resource}:{status}" if status else f"twilio:sid:{resource}"
    if idempotency_token:
        return f"twilio:token:{idempotency_token}"
    return f"twilio:content:{_content_digest(dict(form))}"


def sendgrid_event_keys(events: Sequence[Mapping[str, Any]]) -> list[str]:
    """One replay key per event, in order: a POST may repeat events already delivered.

    SendGrid's `sg_event_id` names an event; one without it is named by a hash of its
    canonical JSON, so a retried POST still repeats the key.
    """
    return [_sendgrid_event_key(event) for event in events]


def _sendgrid_event_key(event: Mapping[str, Any]) -> str:
    event_id = event.get("sg_event_id")
    if isinstance(event_id, str) and event_id:
        return f"sendgrid:event:{event_id}"
    return f"sendgrid:content:{_content_digest(dict(event))}"


def _first_present(form: Mapping[str, str], fields: Sequence[str]) -> str | None:
    return next((form[field] for field in fields if form.get(field)), None)


def _content_digest(value: Mapping[str, Any]) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()
