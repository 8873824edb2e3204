"""schemathesis against the live service's /openapi.json: no input may cause a 5xx."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from contactengine.api.app import create_app
from contactengine.api.keys import create_key
from contactengine.api.webhooks import WebhookSettings
from contactengine.engine.loader import load_ruleset
from contactengine.ledger import Engine, Ledger
from contactengine.store.sqlite import SQLiteStore
from tests.dispatch_setup import ROOT, seed
from tests.live_server import serving
from tests.test_webhook_signatures import generate_sendgrid_test_keys

RULES = load_ruleset([ROOT / "rules"])


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, str]]:
    store = SQLiteStore(tmp_path / "ledger.db")
    seed(store, 2)
    key = create_key(store, "fuzz", "write")
    public_key, _ = generate_sendgrid_test_keys()
    settings = WebhookSettings("https://collections.example.com", "token", public_key, b"key")
    app = create_app(Engine(RULES), Ledger(RULES, store), settings)
    with serving(app) as url:
        yield url, key


def test_no_request_schemathesis_makes_gets_a_server_error(
    live: tuple[str, str], tmp_path: Path
) -> None:
    url, key = live
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"), "run", f"{url}/openapi.json",
            "--checks", "not_a_server_error", "--max-examples", "15", "--seed", "7",
            "--header", f"Authorization: Bearer {key}", "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,  # its cache stays out of the repository
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:]
