"""Every scenario file under rules/tests, run the way compliance officers run them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_shipped_scenario_passes_through_contactengine_test() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "contactengine.cli.main", "test", "rules/", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert result.stderr == ""
    report = json.loads(result.stdout)
    failures = [
        f"{r['file']}:{r['line']} {r['id']} {r['title']}: " + "; ".join(r["problems"])
        for r in report["results"]
        if not r["passed"]
    ]
    assert not report["broken"], report["broken"]
    assert not failures, "\n".join(failures)
    assert report["scenarios"] >= 120
    assert result.returncode == 0
