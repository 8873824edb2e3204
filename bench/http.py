"""Benchmark of the HTTP service: `python -m bench.http [--workers N] [--seconds S]`.

Starts `contactengine serve` (uvicorn, `--workers` processes) on loopback with a fresh
SQLite ledger and a read key, then drives `POST /v1/decisions` from 32 concurrent clients
(a plain HTTP/1.1 client on asyncio, keep-alive connections) for `--seconds`:
first single-decision requests (the decision contract, a debtor with a 40-entry history),
then batches of 100. Reports requests and decisions a second and the p50 / p99 latency
each client saw.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import make_request  # noqa: E402

CLIENTS = 32


def request_with_history(number: int) -> dict[str, Any]:
    history = [
        {
            "id": f"H{number}-{k}",
            "channel": "call",
            "debt_ids": ["D-1"],
            "to": "+16175550100",
            "at": f"2026-05-{1 + k % 28:02d}T15:00:00Z",
            "outcome": "no_answer",
        }
        for k in range(40)
    ]
    return make_request(history=history)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def drive(
    url: str, key: str, body: bytes, seconds: float, per_request: int
) -> dict[str, Any]:
    """32 keep-alive connections, each sending its next request when the answer is in.

    A plain HTTP/1.1 client on asyncio streams: an ordinary client library costs more CPU
    per request than the service, and on 2 cores it would measure itself.
    """
    host, port = url.removeprefix("http://").split(":")
    head = (
        f"POST /v1/decisions HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def one_client() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, int(port))
        while time.perf_counter() < stop_at:
            began = time.perf_counter()
            writer.write(head + body)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - began)
            errors += b" 200 " not in status_line
        writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "requests_per_second": round(len(latencies) / elapsed),
        "decisions_per_second": round(len(latencies) * per_request / elapsed),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1),
    }


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(prog="python -m bench.http", description=__doc__)
    options.add_argument("--workers", type=int, default=2, help="server processes")
    options.add_argument("--seconds", type=float, default=15.0, help="per workload")
    args = options.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "CONTACTENGINE_DATABASE_URL": str(Path(folder) / "ledger.db")}
        command = [sys.executable, "-m", "contactengine.cli.main"]
        key = subprocess.run(
            [*command, "keys", "create", "--name", "bench"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        port = free_port()
        server = subprocess.Popen(
            [
                *command,
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--rules",
                str(ROOT / "rules"),
            ],
            env=env,
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the service did not start")
                time.sleep(0.2)
            single = json.dumps(request_with_history(0)).encode()
            batch = json.dumps({"requests": [request_with_history(n) for n in range(100)]}).encode()
            asyncio.run(drive(url, key, single, 2.0, 1))  # warm both workers' caches
            results = {
                "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "server_workers": args.workers,
                "clients": CLIENTS,
                "single": asyncio.run(drive(url, key, single, args.seconds, 1)),
                "batch_of_100": asyncio.run(drive(url, key, batch, args.seconds, 100)),
            }
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
