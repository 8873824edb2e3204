"""How long a provider asked us to wait, read from its response headers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value whatever the case of its name, as HTTP intends."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def from_retry_after(value: str | None, now: float) -> float | None:
    """`Retry-After` is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC with no zone said
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def from_reset_time(value: str | None, now: float) -> float | None:
    """SendGrid's `X-RateLimit-Reset` is the Unix time when the limit resets."""
    if value is None:
        return None
    try:
        reset = float(value.strip())
    except ValueError:
        return None
    return max(0.0, reset - now)
