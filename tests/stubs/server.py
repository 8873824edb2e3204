"""What every provider stub shares: a loopback HTTP server, a request log, scripted failures.

A stub serves on 127.0.0.1 at a free port in a background thread. It keeps every request
it received and every send it accepted, in memory and, when given a path, as JSON
Lines (`{"event": "request" | "send", ...}`), so a test in another process can read them.
Failures are scripted per recipient and used up in order; a recipient with no script left
is answered as the provider would answer a good request.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Reply:
    """An answer: HTTP status, a JSON body (None for an empty one) and headers."""

    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Hang:
    """Take the request as usual, then wait `seconds` before answering: a client timeout."""

    seconds: float


Step = Reply | Hang


@dataclass(frozen=True)
class Received:
    """One request as the stub saw it; header names are lower case."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    form: dict[str, str] | None = None
    json: Any = None


class StubServer:
    """Subclasses answer requests in `answer`; this class serves, records and scripts."""

    def __init__(self, log_path: Path | str | None = None, port: int = 0) -> None:
        self.requests: list[Received] = []
        self.sends: list[dict[str, Any]] = []
        self.lock = threading.RLock()
        self._log_path = Path(log_path) if log_path is not None else None
        self._port = port
        self._scripts: dict[str, deque[Step]] = {}
        self._released = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def answer(self, request: Received) -> Reply:
        raise NotImplementedError

    # Running

    def start(self) -> Self:
        handler = type("Handler", (_Handler,), {"stub": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._server.daemon_threads = True
        self._released.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops serving; requests still hanging are let go at once."""
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the stub first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # Scripting

    def script(self, recipient: str, *steps: Step) -> None:
        """Answer the next requests for `recipient` with `steps`, one each, in order."""
        with self.lock:
            self._scripts.setdefault(recipient, deque()).extend(steps)

    def next_step(self, recipient: str) -> Step | None:
        with self.lock:
            queue = self._scripts.get(recipient)
            return queue.popleft() if queue else None

    def wait(self, seconds: float) -> None:
        self._released.wait(seconds)

    # Recording

    def handle(self, request: Received) -> Reply:
        with self.lock:
            self.requests.append(request)
            self._log("request", asdict(request))
        return self.answer(request)

    def record_send(self, send: dict[str, Any]) -> None:
        with self.lock:
            self.sends.append(send)
            self._log("send", send)

    def _log(self, event: str, record: dict[str, Any]) -> None:
        if self._log_path is None:
            return
        with self._log_path.open("a", encoding="utf-8") as file:
            file.write(json.dumps({"event": event, **record}, sort_keys=True) + "\n")


def read_log(path: Path | str, event: str | None = None) -> list[dict[str, Any]]:
    """The records a stub appended to `path`, only those of `event` when given."""
    records = [json.loads(line) for line in _lines(Path(path))]
    return [r for r in records if event is None or r["event"] == event]


def _lines(path: Path) -> Iterator[str]:
    if path.exists():
        yield from (line for line in path.read_text(encoding="utf-8").splitlines() if line)


class _Handler(BaseHTTPRequestHandler):
    stub: StubServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        reply = self.stub.handle(self._received())
        body = b"" if reply.body is None else json.dumps(reply.body).encode("utf-8")
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if body:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped waiting, as a timed-out client does

    def _received(self) -> Received:
        parts = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        kind = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        form = json_body = None
        if kind == "application/x-www-form-urlencoded":
            form = {k: v[-1] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
        elif kind == "application/json" and raw:
            try:
                json_body = json.loads(raw)
            except ValueError:
                json_body = raw.decode("utf-8", "replace")
        return Received(
            method=self.command,
            path=parts.path,
            query={k: v[-1] for k, v in parse_qs(parts.query).items()},
            headers={name.lower(): value for name, value in self.headers.items()},
            form=form,
            json=json_body,
        )

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read `requests`, not stderr
