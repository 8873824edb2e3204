"""`contactengine keys` and `contactengine serve` as a user runs them, over real HTTP."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.helpers import make_request
from tests.live_server import free_port

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contactengine.cli.main", *args, "--database", str(database)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_keys_are_shown_once_listed_by_id_and_revoked(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    made = cli("keys", "create", "--name", "dialer", "--scope", "read", database=ledger)
    key = made.stdout.strip()
    assert made.returncode == 0 and key.startswith("ce_")
    key_id = key.split("_")[1]
    listed = cli("keys", "list", database=ledger).stdout
    assert listed.startswith(f"{key_id}\tread\tlive\tdialer") and key.split("_", 2)[2] not in listed
    assert cli("keys", "revoke", "--id", key_id, database=ledger).returncode == 0
    assert "revoked" in cli("keys", "list", database=ledger).stdout
    assert cli("keys", "create", database=ledger).returncode == 2  # a key needs a name


def test_serve_answers_decisions_with_two_workers_and_stops_on_sigterm(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    key = cli("keys", "create", "--name", "crm", database=ledger).stdout.strip()
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "contactengine.cli.main", "serve", "--port", str(port),
            "--workers", "2", "--database", str(ledger),
        ],
        cwd=tmp_path,  # the rules are found from the folder given, wherever it runs
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin", "CONTACTENGINE_RULES": str(ROOT / "rules")},
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.1)
        answer = httpx.post(
            f"{url}/v1/decisions",
            json=make_request(),
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        )
        assert answer.status_code == 200 and "allowed" in answer.json()
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
