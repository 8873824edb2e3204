"""A token bucket per adapter, so one worker never sends faster than the channel allows.

Providers enforce their own limits (Twilio queues by sender, SendGrid answers 429); pacing
on our side keeps most sends from meeting those limits at all.
"""

from __future__ import annotations

import threading

from contactengine.channels.clock import SYSTEM_CLOCK, Clock


class TokenBucket:
    """`per_second` tokens a second, at most `burst` saved up; each send takes one.

    A caller that finds the bucket empty reserves the next token and sleeps until it is
    due, outside the lock, so concurrent callers queue up in order.
    """

    def __init__(self, per_second: float, burst: int = 1, clock: Clock = SYSTEM_CLOCK) -> None:
        if per_second <= 0 or burst < 1:
            raise ValueError("a token bucket needs a positive rate and a burst of at least 1")
        self._per_second = per_second
        self._burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take a token, sleeping until one is due; returns the seconds slept."""
        wait = self._reserve()
        if wait > 0:
            self._clock.sleep(wait)
        return wait

    def _reserve(self) -> float:
        with self._lock:
            now = self._clock.monotonic()
            earned = (now - self._last) * self._per_second
            self._tokens = min(float(self._burst), self._tokens + earned) - 1.0
            self._last = now
            return max(0.0, -self._tokens / self._per_second)
