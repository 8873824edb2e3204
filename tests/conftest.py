"""Shared fixtures: the shipped rules compiled once, and the repository root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from contactengine.engine.loader import load_ruleset
from contactengine.engine.ruleset import RuleSet
from contactengine.ledger import Engine

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def _run_from_root() -> None:
    """Rule sources are named relative to the repository root, as users see them."""
    os.chdir(ROOT)


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    os.chdir(ROOT)
    return load_ruleset([ROOT.joinpath("rules").relative_to(ROOT)])


@pytest.fixture(scope="session")
def engine(ruleset: RuleSet) -> Engine:
    return Engine(ruleset)
