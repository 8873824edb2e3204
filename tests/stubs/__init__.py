"""Loopback stand-ins for the providers, so the real SDKs are tested over real HTTP.

`TwilioStub` and `SendGridStub` start on 127.0.0.1 at a free port (`with TwilioStub() as
twilio:`), record every request and every send, take scripted failures per recipient
(`Reply`, `Hang`), and can append everything to a JSON Lines file read with `read_log`.
`python -m tests.stubs twilio --log sends.jsonl` runs one in a process of its own.
"""

from tests.stubs.sendgrid_stub import SendGridStub
from tests.stubs.server import Hang, Received, Reply, read_log
from tests.stubs.twilio_stub import TwilioStub

__all__ = ["Hang", "Received", "Reply", "SendGridStub", "TwilioStub", "read_log"]
