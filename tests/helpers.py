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
