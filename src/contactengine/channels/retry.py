"""How long to wait before trying a send again: exponential backoff with full jitter.

Full jitter (a uniform draw between zero and the capped exponential) spreads the retries
of many workers that failed together, so a provider that recovers is not hit by all of
them at once.
"""

from __future__ import annotations

import random
from typing import Annotated, Self

from pydantic import ConfigDict, Field, Strict, model_validator
from pydantic.dataclasses import dataclass

from contactengine.channels.problems import FieldProblems

# Beyond this many doublings every sensible cap has long been reached.
_MAX_DOUBLINGS = 64


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class RetryPolicy:
    """`max_tries` counts every try, the first included."""

    max_tries: Annotated[int, Strict(), Field(ge=1, le=100)] = 5
    base_seconds: Annotated[float, Strict(), Field(gt=0)] = 2.0
    max_seconds: Annotated[float, Strict(), Field(gt=0)] = 300.0

    @model_validator(mode="after")
    def _cap_above_base(self) -> Self:
        if self.max_seconds < self.base_seconds:
            raise FieldProblems([("max_seconds", "must not be below `base_seconds`")])
        return self

    def delay(self, tries: int, rng: random.Random) -> float:
        """Seconds to wait after `tries` failed tries (1 after the first failure)."""
        if tries < 1:
            raise ValueError(f"tries counts failed tries and starts at 1, not {tries}")
        doublings = min(tries - 1, _MAX_DOUBLINGS)
        ceiling = min(self.max_seconds, self.base_seconds * 2.0**doublings)
        return rng.uniform(0.0, ceiling)

    def exhausted(self, tries: int) -> bool:
        """True when `tries` tries have used up the policy: give up, do not wait."""
        return tries >= self.max_tries
