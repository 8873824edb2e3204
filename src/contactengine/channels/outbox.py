"""The provider for machines without credentials: each message becomes a file in a folder.

A file is named by its message id and written whole or not at all (a temporary file,
then a rename), so a message sent twice is written once, and a crash leaves either the
finished file or nothing a reader could mistake for one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import quote

from contactengine.channels.clock import SYSTEM_CLOCK, Clock
from contactengine.channels.config import ChannelConfig
from contactengine.channels.message import (
    OutboundMessage,
    SendResult,
    accepted,
    transient,
)
from contactengine.channels.outbox_render import render
from contactengine.channels.preflight import refusal

SUFFIXES = {"sms": ".sms.txt", "call": ".call.txt", "email": ".eml"}


class OutboxAdapter:
    """Writes what would have been sent; the provider id is the file's name."""

    provider = "outbox"

    def __init__(
        self, config: ChannelConfig, folder: Path | str = "outbox", clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self._config = config
        self._folder = Path(folder)
        self._clock = clock

    def send(self, message: OutboundMessage) -> SendResult:
        refused = refusal(self._config, message)
        if refused is not None:
            return refused
        path = self.path_of(message)
        if path.exists():
            return accepted(path.name, "already in the outbox")
        try:
            _write_whole(path, render(self._config, message, self._clock.wall()))
        except OSError as error:
            return transient("outbox-write", f"the outbox file could not be written ({error})")
        return accepted(path.name, f"written to {path.as_posix()}")

    def find(self, message: OutboundMessage) -> SendResult | None:
        path = self.path_of(message)
        return accepted(path.name, "in the outbox") if path.exists() else None

    def path_of(self, message: OutboundMessage) -> Path:
        """Where the message's file goes: its id, made safe as a file name."""
        stem = quote(message.message_id, safe="-_.@+=")
        if stem.startswith("."):
            stem = "%2E" + stem[1:]
        return self._folder / f"{stem}{SUFFIXES[self._config.channel]}"


def _write_whole(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
