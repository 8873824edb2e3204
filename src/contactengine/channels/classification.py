"""The shape of a provider's error table: whether to retry, and what to tell a person."""

from __future__ import annotations

from dataclasses import dataclass

from contactengine.channels.message import SendResult, permanent, transient


@dataclass(frozen=True)
class KnownError:
    """How one documented provider error is treated."""

    retry: bool
    reason: str
    opted_out: bool = False

    def result(self, code: str, retry_after: float | None = None, detail: str = "") -> SendResult:
        reason = f"{self.reason}: {detail}" if detail else self.reason
        if self.retry:
            return transient(code, reason, retry_after)
        return permanent(code, reason, opted_out=self.opted_out)


def by_status(status: int, code: str, reason: str, retry_after: float | None) -> SendResult:
    """For errors no table knows: 429 and 5xx are worth retrying, any other status is not."""
    if status == 429 or status >= 500:
        return transient(code, reason, retry_after)
    return permanent(code, reason)
