"""The time sources adapters read, in one value so tests can hand in a fake and never wait."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Clock:
    """`monotonic` paces sends, `sleep` waits, `wall` is Unix time for provider reset stamps."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    wall: Callable[[], float] = time.time


SYSTEM_CLOCK = Clock()
