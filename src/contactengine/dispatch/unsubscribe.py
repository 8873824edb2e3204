"""Signed one-click unsubscribe links (RFC 8058): the token names who asked to stop what.

The token carries the debtor, the channel and the address, and an HMAC-SHA256 over them
with the installation's signing key, so the webhook that receives the click can trust it
without a lookup and nobody can forge one for another address. The key comes from
`CONTACTENGINE_SIGNING_KEY`, or else from a file created once under `.contactengine/`
(readable by its owner only), so a fresh machine works and a deployment sets its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ENVIRONMENT = "CONTACTENGINE_SIGNING_KEY"
KEY_FILE = Path(".contactengine") / "signing.key"


@dataclass(frozen=True)
class UnsubscribeClaim:
    debtor_id: str
    channel: str
    address: str
    issued_at: float


def signing_key(environ: Mapping[str, str] = os.environ, key_file: Path = KEY_FILE) -> bytes:
    """The installation's key: from the environment, or a file made on first use."""
    configured = environ.get(ENVIRONMENT)
    if configured:
        return configured.encode()
    if key_file.exists():
        return key_file.read_bytes().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(key)
    return key


def unsubscribe_token(key: bytes, claim: UnsubscribeClaim) -> str:
    body = json.dumps(
        [claim.debtor_id, claim.channel, claim.address, claim.issued_at], separators=(",", ":")
    ).encode()
    return f"{_b64(body)}.{_b64(_mac(key, body))}"


def read_unsubscribe_token(key: bytes, token: str) -> UnsubscribeClaim:
    """The claim a token carries; `ValueError` when it is malformed or its signature fails."""
    encoded, _, signature = token.partition(".")
    try:
        body = _unb64(encoded)
        given = _unb64(signature)
    except (ValueError, TypeError) as exc:
        raise ValueError("malformed unsubscribe token") from exc
    if not hmac.compare_digest(given, _mac(key, body)):
        raise ValueError("unsubscribe token signature does not match")
    debtor_id, channel, address, issued_at = json.loads(body)
    return UnsubscribeClaim(str(debtor_id), str(channel), str(address), float(issued_at))


def unsubscribe_url(base: str, token: str) -> str:
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}token={quote(token, safe='')}"


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, b"unsubscribe\0" + body, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
