"""A throwaway PostgreSQL cluster for the tests, started on first use, gone at exit.

`cluster()` runs `initdb` (trust authentication, superuser `postgres`) into a fresh
directory under the system temp dir and starts the server on a free loopback port, with its
socket in that directory and fsync off. PostgreSQL refuses to run as root, so as root the
server runs as the `postgres` OS user (created with `useradd` when missing); otherwise as
the current user. One cluster serves the whole run: it is stopped and its directory removed
at interpreter exit, and a small watchdog process does the same if this process dies
without running its exit handlers (killed), so no server outlives the run.

Without PostgreSQL's server binaries, tests needing it skip, except under `CI=true`, where
they fail: CI must run them. `CONTACTENGINE_PG_BIN` names the binaries' directory when
they are not found on PATH or in /usr/lib/postgresql/*/bin.
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

BIN_ENVIRONMENT = "CONTACTENGINE_PG_BIN"
SERVER_USER = "postgres"
SUPERUSER = "postgres"
PROGRAMS = ("initdb", "pg_ctl", "postgres")

_lock = threading.Lock()
_shared: Cluster | None = None
_failure: str | None = None
_missing = False
_databases = itertools.count(1)


def find_binaries() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, or None."""
    candidates: list[Path] = []
    if os.environ.get(BIN_ENVIRONMENT):
        candidates.append(Path(os.environ[BIN_ENVIRONMENT]))
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(os.path.realpath(on_path)).parent)

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", path.parent.name))

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    candidates.append(Path("/usr/local/pgsql/bin"))
    for directory in candidates:
        if all(os.access(directory / name, os.X_OK) for name in PROGRAMS):
            return directory
    return None


def _server_user() -> str | None:
    """Who runs the server: None for ourselves, or an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVER_USER,
            ],
            check=True,
            capture_output=True,
        )
    return SERVER_USER


def _as_user(user: str | None, command: list[str]) -> list[str]:
    if user is None:
        return command
    if shutil.which("runuser"):
        return ["runuser", "-u", user, "--", *command]
    return ["su", user, "-s", "/bin/sh", "-c", " ".join(_quote(part) for part in command)]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Run by the watchdog: wait until the test process is gone (stdin closes), then make sure
# the server is stopped and its directory removed.
_WATCHDOG = """
import json, os, shutil, subprocess, sys
stop, root, data = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
sys.stdin.buffer.read()
if os.path.exists(os.path.join(data, "postmaster.pid")):
    subprocess.run(stop, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=root)
shutil.rmtree(root, ignore_errors=True)
"""


class Cluster:
    """One running server; `url` is its default database, `admin` a superuser connection."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.user = _server_user()
        self.owner = os.getpid()
        # under /tmp when the server runs as another user: it must reach its directory
        temp = "/tmp" if self.user is not None and os.path.isdir("/tmp") else None
        self.root = Path(tempfile.mkdtemp(prefix="contactengine-pg-", dir=temp))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self.started_in = 0.0
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._admin: psycopg.Connection[tuple[object, ...]] | None = None
        self._admin_lock = threading.Lock()
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        os.chmod(self.root, 0o700)

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            _as_user(self.user, [str(self.binaries / command[0]), *command[1:]]),
            capture_output=True,
            text=True,
            cwd=self.root,
            check=check,
        )

    def url_for(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    @property
    def url(self) -> str:
        return self.url_for("contactengine")

    def start(self) -> None:
        began = time.monotonic()
        initdb = self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            check=False,
        )
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{initdb.stdout}\n{initdb.stderr}")
        self._start_watchdog()
        for _ in range(5):
            self.port = _free_port()
            options = (
                f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                " -c max_connections=200"
            )
            started = self._run(
                "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                "-o", options, "start", check=False,
            )  # fmt: skip
            if started.returncode == 0:
                break
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            if "could not bind" not in log and "already in use" not in log:
                raise RuntimeError(f"pg_ctl start failed:\n{started.stdout}{started.stderr}{log}")
        else:
            raise RuntimeError("pg_ctl start failed: no free port after 5 tries")
        with self.admin() as admin:
            admin.execute("CREATE DATABASE contactengine")
        self.started_in = time.monotonic() - began

    def _start_watchdog(self) -> None:
        stop = _as_user(
            self.user,
            [str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
        )
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, json.dumps(stop), str(self.root), str(self.data)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C to the test run does not kill it first
        )

    @contextmanager
    def admin(self) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
        """The superuser's autocommit connection to `postgres`, one user at a time."""
        with self._admin_lock:
            if self._admin is None or self._admin.closed:
                self._admin = psycopg.connect(self.url_for("postgres"), autocommit=True)
            yield self._admin

    def create_database(self) -> str:
        name = f"test_{os.getpid()}_{next(_databases)}"
        with self.admin() as admin:
            admin.execute(f"CREATE DATABASE {name}".encode())
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())

    def server_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        """Stop the server and remove its directory; only the process that started it does."""
        if os.getpid() != self.owner:
            return
        if self._admin is not None:
            self._admin.close()
        if (self.data / "postmaster.pid").exists():
            stopped = self._run(
                "pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False
            )
            if stopped.returncode != 0:
                self._run(
                    "pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False
                )
        shutil.rmtree(self.root, ignore_errors=True)
        if self._watchdog is not None:
            assert self._watchdog.stdin is not None
            self._watchdog.stdin.close()
            self._watchdog.wait(timeout=30)


def cluster() -> Cluster:
    """The run's cluster, started on first use; skips (fails under CI=true) without one."""
    global _shared, _failure, _missing
    with _lock:
        if _shared is not None:
            return _shared
        if _failure is None:
            binaries = find_binaries()
            if binaries is None:
                _missing = True
                _failure = (
                    "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH,"
                    f" in /usr/lib/postgresql/*/bin or in ${BIN_ENVIRONMENT}"
                )
            else:
                started = Cluster(binaries)
                atexit.register(started.stop)
                try:
                    started.start()
                except Exception as exc:
                    started.stop()
                    _failure = f"could not start a PostgreSQL cluster: {exc}"
                else:
                    _shared = started
                    return started
    if not _missing:
        pytest.fail(_failure, pytrace=False)
    if os.environ.get("CI") == "true":
        pytest.fail(f"{_failure} (CI=true: the PostgreSQL tests must run)", pytrace=False)
    pytest.skip(_failure)


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new, empty database on the run's cluster, dropped afterwards; yields its URL."""
    server = cluster()
    name = server.create_database()
    try:
        yield server.url_for(name)
    finally:
        server.drop_database(name)
