"""Builders for requests in tests: a realistic default debtor, overridden per test."""

from __future__ import annotations

import copy
from typing import Any

from contactengine.scenarios.runner import DEFAULT_REQUEST, merge


def make_request(**overrides: Any) -> dict[str, Any]:
    """The default New York debtor and debt, a manual call at 10:00 EDT, with overrides."""
    base = copy.deepcopy(DEFAULT_REQUEST)
    base["at"] = "2026-07-15T14:00:00Z"
    return merge(base, overrides)


# Every country spoken for from the FDCPA's first day: the packs a test's own rules load
# beside them, so that the rules decide and not the coverage check.
TEST_PACKS = (
    "test-packs.rules",
    "\n".join(
        f'pack test-{code.lower()}\n  jurisdiction {code}\n  covers from 1978-03-20\n  citation "test"\nend'
        for code in ("US", "CA", "GB")
    )
    + "\n",
)


def with_packs(*sources: tuple[str, str]) -> list[tuple[str, str]]:
    """Test rule sources, with the packs that let them decide."""
    return [*sources, TEST_PACKS]
