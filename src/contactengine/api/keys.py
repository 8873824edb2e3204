"""API keys: shown once when made, kept only as a digest, scoped to reading or writing.

A key reads `ce_<id>_<secret>`. The id finds the record; the secret is 32 random bytes, so
a plain SHA-256 digest is enough to keep it (a slow hash guards guessable passwords, not
random keys), and digests are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from contactengine.store.base import API_SCOPES, ApiKeyRecord, Store

PREFIX = "ce_"


def create_key(store: Store, name: str, scope: str, now: float | None = None) -> str:
    """A new key for `scope` ("read" or "write"); the returned text is never stored."""
    if scope not in API_SCOPES:
        raise ValueError(f"scope: `{scope}` is not one of {', '.join(API_SCOPES)}")
    if not name.strip():
        raise ValueError("name: say whose key this is")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    store.put_api_key(
        ApiKeyRecord(
            id=key_id,
            name=name.strip(),
            digest=_digest(secret),
            scope=scope,
            created_at=time.time() if now is None else now,
        )
    )
    return f"{PREFIX}{key_id}_{secret}"


def authenticate(store: Store, presented: str) -> ApiKeyRecord | None:
    """The live key record this text proves, or None (unknown, wrong secret, revoked)."""
    if not presented.startswith(PREFIX):
        return None
    key_id, _, secret = presented[len(PREFIX) :].partition("_")
    if not key_id or not secret:
        return None
    record = store.api_key(key_id)
    if record is None or record.revoked_at is not None:
        return None
    if not hmac.compare_digest(record.digest, _digest(secret)):
        return None
    return record


def allows(record: ApiKeyRecord, needed: str) -> bool:
    """A write key also reads."""
    return record.scope == "write" or needed == "read"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
