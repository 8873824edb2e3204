"""`python -m tests.stubs twilio|sendgrid [--port N] [--log sends.jsonl]`.

Prints the stub's base URL on the first line, then serves until interrupted, so a test
can run the providers in one process and the code under test in others.
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from tests.stubs.sendgrid_stub import SendGridStub
from tests.stubs.server import StubServer
from tests.stubs.twilio_stub import TwilioStub

STUBS: dict[str, type[StubServer]] = {"twilio": TwilioStub, "sendgrid": SendGridStub}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.stubs", description=__doc__)
    parser.add_argument("provider", choices=sorted(STUBS))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", type=Path, default=None, help="append JSON Lines here")
    arguments = parser.parse_args()
    stopped = threading.Event()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, lambda *_: stopped.set())
    with STUBS[arguments.provider](log_path=arguments.log, port=arguments.port) as stub:
        print(stub.base_url, flush=True)
        stopped.wait()


if __name__ == "__main__":
    main()
