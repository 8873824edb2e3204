"""Channels: files, retries, pacing, and each provider through its real SDK against a stub.

Every provider test goes over HTTP on loopback to a stub in `tests/stubs/` that speaks the
provider's wire format; time is a fake clock, so no test waits for a rate limit or backoff.
"""

from __future__ import annotations

import base64
import random
import socket
import subprocess
import sys
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
import requests

import contactengine.channels as channels
from contactengine.channels import (
    Adapter,
    ChannelConfig,
    ChannelConfigError,
    Clock,
    OutboundMessage,
    RetryPolicy,
    SendResult,
    adapter_for,
    check_channels,
    load_channels,
    twilio_lookup,
)
from contactengine.channels.ratelimit import TokenBucket
from contactengine.channels.retry_after import from_reset_time, from_retry_after
from contactengine.channels.segments import count_segments
from contactengine.channels.sendgrid_errors import classify_sendgrid
from contactengine.channels.twilio_errors import classify_twilio
from tests.stubs import Hang, Reply, SendGridStub, TwilioStub, read_log
from tests.stubs import sendgrid_stub as sg
from tests.stubs import twilio_stub as tw

ROOT = Path(__file__).resolve().parent.parent
NOW = 1_800_000_000.0
DAY = 24 * 3600.0
TO = "+16175550100"
EMAIL = "jo.debtor@example.com"


class FakeClock:
    """Starts at NOW; `sleep` only moves time on and remembers how long it was asked for."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []
        self.clock = Clock(
            monotonic=lambda: self.now, sleep=self._sleep, wall=lambda: NOW + self.now
        )

    def _sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def twilio() -> Iterator[TwilioStub]:
    with TwilioStub(clock=lambda: NOW) as stub:  # the adapters' wall clock starts at NOW
        yield stub


@pytest.fixture
def sendgrid() -> Iterator[SendGridStub]:
    with SendGridStub() as stub:
        yield stub


def config(channel: str, **fields: Any) -> ChannelConfig:
    senders: dict[str, dict[str, Any]] = {
        "sms": {"provider": "twilio", "from_number": "+15005550006"},
        "call": {"provider": "twilio", "from_number": "+15005550006"},
        "email": {
            "provider": "sendgrid",
            "from_email": "collections@example.com",
            "from_name": "Example Recovery",
        },
    }
    base_url_env = "TWILIO_API_BASE_URL" if channel != "email" else "SENDGRID_API_BASE_URL"
    values = {"name": channel, "channel": channel, "base_url_env": base_url_env}
    return ChannelConfig.model_validate(values | senders[channel] | fields)


def twilio_adapter(stub: TwilioStub, clock: FakeClock | None = None, **fields: Any) -> Adapter:
    environ = {
        "TWILIO_ACCOUNT_SID": tw.ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": tw.AUTH_TOKEN,
        "TWILIO_API_BASE_URL": stub.base_url,
    }
    channel = fields.pop("channel", "sms")
    return adapter_for(config(channel, **fields), environ, clock=(clock or FakeClock()).clock)


def sendgrid_adapter(stub: SendGridStub, clock: FakeClock | None = None, **fields: Any) -> Adapter:
    environ = {"SENDGRID_API_KEY": sg.API_KEY, "SENDGRID_API_BASE_URL": stub.base_url}
    return adapter_for(config("email", **fields), environ, clock=(clock or FakeClock()).clock)


def text(message_id: str = "M-1", to: str = TO, body: str = "Please call us.") -> OutboundMessage:
    return OutboundMessage(message_id, f"key-{message_id}", "sms", to, body)


def call(message_id: str = "M-1", twiml: str | None = None) -> OutboundMessage:
    return OutboundMessage(
        message_id, f"key-{message_id}", "call", TO, "This is Example Recovery.", twiml=twiml
    )


def email(message_id: str = "M-1", to: str = EMAIL, **fields: Any) -> OutboundMessage:
    values: dict[str, Any] = {
        "subject": "About your account",
        "html": "<p>Please call us.</p>",
        "metadata": {"attempt_id": "A-1"},
    }
    return OutboundMessage(
        message_id, f"key-{message_id}", "email", to, "Please call us.", **(values | fields)
    )


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# The public surface


def test_public_names_are_pinned() -> None:
    assert sorted(channels.__all__) == [
        "Adapter",
        "ChannelConfig",
        "ChannelConfigError",
        "Clock",
        "OutboundMessage",
        "RetryPolicy",
        "SendResult",
        "adapter_for",
        "check_channels",
        "load_channels",
    ]


# Channel files


def write_channel(folder: Path, name: str, body: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.toml").write_text(body, encoding="utf-8")


SMS_FILE = 'channel = "sms"\nprovider = "twilio"\nfrom_number = "+15005550006"\n'


def test_shipped_channel_files_are_clean() -> None:
    loaded = load_channels(ROOT / "channels")
    assert sorted(loaded) == ["call", "email", "sms"]
    assert check_channels(ROOT / "channels") == []
    assert {c.name: c.provider for c in loaded.values()} == {
        "sms": "twilio",
        "call": "twilio",
        "email": "sendgrid",
    }
    assert loaded["sms"].retry == RetryPolicy(max_tries=5, base_seconds=2.0, max_seconds=300.0)


@pytest.mark.parametrize(
    ("tail", "problem"),
    [
        pytest.param("= 3\n", "channels/sms.toml:4:1: invalid statement", id="bad-line"),
        pytest.param(
            'note = "unfinished',
            "channels/sms.toml:4:19: unterminated string",
            id="at-end-of-file",
        ),
    ],
)
def test_a_toml_syntax_error_names_file_line_and_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tail: str, problem: str
) -> None:
    monkeypatch.chdir(tmp_path)
    write_channel(Path("channels"), "sms", SMS_FILE + tail)
    with pytest.raises(ChannelConfigError) as raised:
        load_channels("channels")
    assert raised.value.problems == [problem]


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        pytest.param(
            "[retry]\nmax_tries = 0\n",
            "retry.max_tries: should be greater than or equal to 1, not `0`",
            id="retry-bound",
        ),
        pytest.param(
            "[retry]\nbase_seconds = 60.0\nmax_seconds = 1.0\n",
            "retry.max_seconds: must not be below `base_seconds`",
            id="retry-cap-below-base",
        ),
        pytest.param(
            '[retry]\nmax_tries = "5"\n',
            "retry.max_tries: should be a valid integer, not `5`",
            id="quoted-number",
        ),
        pytest.param(
            "[rate_limit]\nper_second = 0.0\n",
            "rate_limit.per_second: should be greater than 0, not `0.0`",
            id="rate",
        ),
        pytest.param(
            'form_name = "x"\n', "form_name: unknown field; did you mean `from_name`?", id="typo"
        ),
        pytest.param(
            "[retry]\nbase_secnds = 1.0\n",
            "retry.base_secnds: unknown field; did you mean `base_seconds`?",
            id="nested-typo",
        ),
        pytest.param(
            'auth_token_env = "b1946ac92492d2347c6235b4d2611184"\n',
            "auth_token_env: `b1946ac92492d2347c6235b4d2611184` is not an environment variable "
            "name; name the variable that holds the secret, never the secret",
            id="secret-instead-of-name",
        ),
        pytest.param(
            'status_callback = "ftp://example.com/x"\n',
            "status_callback: `ftp://example.com/x` is not an http or https URL",
            id="callback-url",
        ),
        pytest.param(
            'from_email = "collections@example.com"\n',
            "from_email: not used by `sms` channels",
            id="field-of-another-channel",
        ),
    ],
)
def test_a_bad_field_is_named_by_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str, problem: str
) -> None:
    monkeypatch.chdir(tmp_path)
    write_channel(Path("channels"), "sms", SMS_FILE + extra)
    assert check_channels("channels") == [f"channels/sms.toml: {problem}"]


def test_every_problem_in_every_file_is_reported_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = Path("channels")
    write_channel(folder, "call", 'channel = "call"\nprovider = "sendgrid"\n')
    write_channel(folder, "email", 'channel = "emial"\nprovider = "twillio"\n')
    write_channel(folder, "sms", SMS_FILE + "[retry]\nmax_tries = 0\n")
    write_channel(folder, "texts", SMS_FILE)
    expected = [
        "channels/call.toml: provider: `sendgrid` does not send `call`; use `twilio` or `outbox`",
        "channels/call.toml: from_number: required for calls",
        "channels/email.toml: channel: `emial` is not one of `sms`, `call`, `email`; did you mean `email`?",
        "channels/email.toml: provider: `twillio` is not one of `twilio`, `sendgrid`, `outbox`; "
        "did you mean `twilio`?",
        "channels/sms.toml: retry.max_tries: should be greater than or equal to 1, not `0`",
    ]
    assert check_channels(folder) == expected
    with pytest.raises(ChannelConfigError) as raised:
        load_channels(folder)
    assert raised.value.problems == expected
    assert str(raised.value) == "\n".join(expected)


def test_two_files_for_one_channel_are_a_problem(tmp_path: Path) -> None:
    write_channel(tmp_path, "sms", SMS_FILE)
    write_channel(tmp_path, "texts", SMS_FILE)
    shown = tmp_path.as_posix()
    assert check_channels(tmp_path) == [
        f"{shown}/texts.toml: channel: `sms` is already configured by {shown}/sms.toml"
    ]


def test_a_missing_or_empty_folder_is_a_problem(tmp_path: Path) -> None:
    assert check_channels(tmp_path / "nowhere") == [
        f"{(tmp_path / 'nowhere').as_posix()}: no such folder"
    ]
    assert check_channels(tmp_path) == [f"{tmp_path.as_posix()}: no channel files (`*.toml`)"]


def test_a_channel_is_frozen_and_named_after_its_file(tmp_path: Path) -> None:
    write_channel(tmp_path, "texts", SMS_FILE)
    loaded = load_channels(tmp_path)["sms"]
    assert loaded.name == "texts"
    with pytest.raises(ValueError):
        loaded.channel = "call"


# Retry policy


def test_retry_delay_is_full_jitter_below_a_capped_exponential() -> None:
    policy = RetryPolicy(max_tries=8, base_seconds=2.0, max_seconds=60.0)
    rng = random.Random(20260608)
    for tries in range(1, 12):
        ceiling = min(60.0, 2.0 * 2 ** (tries - 1))
        draws = [policy.delay(tries, rng) for _ in range(400)]
        assert all(0.0 <= d <= ceiling for d in draws)
        assert max(draws) > 0.9 * ceiling and min(draws) < 0.1 * ceiling


def test_retry_delay_repeats_with_the_same_seed() -> None:
    policy = RetryPolicy()
    first = [policy.delay(t, random.Random(7)) for t in range(1, 6)]
    assert first == [policy.delay(t, random.Random(7)) for t in range(1, 6)]
    assert policy.delay(10_000, random.Random(7)) <= policy.max_seconds


def test_retry_policy_counts_tries_and_refuses_nonsense() -> None:
    policy = RetryPolicy(max_tries=3)
    assert [policy.exhausted(t) for t in (1, 2, 3)] == [False, False, True]
    with pytest.raises(ValueError):
        policy.delay(0, random.Random(1))
    with pytest.raises(ValueError):
        RetryPolicy(base_seconds=10.0, max_seconds=1.0)


def test_retry_after_reads_seconds_dates_and_reset_times() -> None:
    assert from_retry_after("7", NOW) == 7.0
    assert from_retry_after("Fri, 15 Jan 2027 08:00:30 GMT", 1_800_000_000.0) == 30.0
    assert from_retry_after("soon", NOW) is None
    assert from_retry_after(None, NOW) is None
    assert from_reset_time("1800000045", NOW) == 45.0
    assert from_reset_time("1799999990", NOW) == 0.0


# Pacing


def test_token_bucket_spaces_calls_at_the_rate() -> None:
    fake = FakeClock()
    bucket = TokenBucket(per_second=4.0, burst=2, clock=fake.clock)
    waits = [bucket.acquire() for _ in range(5)]
    assert waits == [0.0, 0.0, 0.25, 0.25, 0.25]
    fake.now += 10.0
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, 0.25]


def test_an_adapter_paces_its_sends(twilio: TwilioStub) -> None:
    fake = FakeClock()
    adapter = twilio_adapter(twilio, fake, rate_limit={"per_second": 2.0})
    results = [adapter.send(text(f"M-{n}")) for n in range(3)]
    assert [r.status for r in results] == ["accepted"] * 3
    assert fake.slept == [0.5, 0.5]


# Segments


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        pytest.param("a" * 160, 1, id="gsm-160"),
        pytest.param("a" * 161, 2, id="gsm-161"),
        pytest.param("a" * 306, 2, id="gsm-2x153"),
        pytest.param("€" * 80, 1, id="gsm-extension-counts-twice"),
        pytest.param("a" * 152 + "€" + "a" * 152, 3, id="extension-never-straddles"),
        pytest.param("ł" * 70, 1, id="ucs2-70"),
        pytest.param("ł" * 71, 2, id="ucs2-71"),
        pytest.param("😀" * 35, 1, id="surrogate-pairs"),
        pytest.param("", 1, id="empty"),
    ],
)
def test_segments_follow_gsm_and_ucs2_packing(body: str, segments: int) -> None:
    assert count_segments(body) == segments


def test_a_text_over_budget_is_refused_before_any_request(twilio: TwilioStub) -> None:
    adapter = twilio_adapter(twilio, segment_budget=1)
    result = adapter.send(text(body="a" * 161))
    assert (result.status, result.code) == ("permanent", "segment-budget")
    assert result.reason == "the text needs 2 segments, over the budget of 1"
    assert twilio.requests == []


@pytest.mark.parametrize(
    ("message", "code"),
    [
        pytest.param(email(), "wrong-channel", id="email-on-sms"),
        pytest.param(text(to="617-555-0100"), "invalid-to", id="not-e164"),
        pytest.param(text(body="  "), "empty-message", id="empty"),
    ],
)
def test_hopeless_messages_cost_no_request(
    twilio: TwilioStub, message: OutboundMessage, code: str
) -> None:
    result = twilio_adapter(twilio).send(message)
    assert (result.status, result.code) == ("permanent", code)
    assert twilio.requests == []


# Twilio


def test_a_text_reaches_twilio_as_its_api_expects(twilio: TwilioStub) -> None:
    adapter = twilio_adapter(twilio, status_callback="https://hooks.example.com/twilio/status")
    result = adapter.send(text())
    [request] = twilio.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{tw.ACCOUNT_SID}/Messages.json"
    assert request.form == {
        "To": TO,
        "From": "+15005550006",
        "Body": "Please call us.",
        "StatusCallback": "https://hooks.example.com/twilio/status",
    }
    assert request.headers["i-twilio-idempotency-token"] == "key-M-1"
    assert request.headers["authorization"] == "Basic " + _basic(tw.ACCOUNT_SID, tw.AUTH_TOKEN)
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert result == SendResult(
        "accepted", provider_id=twilio.sends[0]["sid"], reason="Twilio queued"
    )
    assert adapter.provider == "twilio"


def test_a_text_can_go_through_a_messaging_service(twilio: TwilioStub) -> None:
    service = "MG" + "ab" * 16
    adapter = twilio_adapter(twilio, from_number=None, messaging_service_sid=service)
    assert adapter.send(text()).status == "accepted"
    assert twilio.requests[0].form == {
        "To": TO,
        "MessagingServiceSid": service,
        "Body": "Please call us.",
    }


def test_a_call_carries_its_twiml(twilio: TwilioStub) -> None:
    twiml = "<Response><Play>https://media.example.com/notice.mp3</Play></Response>"
    adapter = twilio_adapter(
        twilio, channel="call", status_callback="https://hooks.example.com/call"
    )
    result = adapter.send(call(twiml=twiml))
    [request] = twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{tw.ACCOUNT_SID}/Calls.json"
    assert request.form == {
        "To": TO,
        "From": "+15005550006",
        "Twiml": twiml,
        "StatusCallback": "https://hooks.example.com/call",
    }
    assert request.headers["i-twilio-idempotency-token"] == "key-M-1"
    assert result.status == "accepted" and (result.provider_id or "").startswith("CA")


def test_a_call_without_twiml_reads_its_script(twilio: TwilioStub) -> None:
    twilio_adapter(twilio, channel="call").send(call())
    assert twilio.requests[0].form is not None
    assert twilio.requests[0].form["Twiml"] == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Say>This is Example Recovery.</Say></Response>'
    )


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        pytest.param(
            tw.twilio_error(21211), ("permanent", "21211", False, None), id="21211-invalid-to"
        ),
        pytest.param(
            tw.twilio_error(21614), ("permanent", "21614", False, None), id="21614-not-mobile"
        ),
        pytest.param(
            tw.twilio_error(21610), ("permanent", "21610", True, None), id="21610-unsubscribed"
        ),
        pytest.param(
            tw.twilio_error(21612), ("permanent", "21612", False, None), id="21612-cannot-route"
        ),
        pytest.param(
            tw.twilio_error(21408), ("permanent", "21408", False, None), id="21408-no-permission"
        ),
        pytest.param(
            tw.twilio_error(21606), ("permanent", "21606", False, None), id="21606-bad-from"
        ),
        pytest.param(
            tw.twilio_error(21659), ("permanent", "21659", False, None), id="21659-not-twilio-from"
        ),
        pytest.param(
            tw.twilio_error(20003, 401), ("permanent", "20003", False, None), id="20003-auth"
        ),
        pytest.param(
            tw.rate_limited(7), ("transient", "20429", False, 7.0), id="20429-retry-after"
        ),
        pytest.param(tw.rate_limited(), ("transient", "20429", False, None), id="20429-no-hint"),
        pytest.param(tw.server_error(500), ("transient", "http-500", False, None), id="http-500"),
        pytest.param(tw.server_error(503), ("transient", "http-503", False, None), id="http-503"),
        pytest.param(
            tw.twilio_error(30999, 400), ("permanent", "30999", False, None), id="unknown-4xx"
        ),
        pytest.param(
            tw.twilio_error(30998, 502), ("transient", "30998", False, None), id="unknown-5xx"
        ),
        pytest.param(tw.server_error(418), ("permanent", "http-418", False, None), id="bare-4xx"),
    ],
)
def test_twilio_errors_are_sorted_by_code(
    twilio: TwilioStub, reply: Any, expected: tuple[str, str, bool, float | None]
) -> None:
    twilio.script(TO, reply)
    result = twilio_adapter(twilio).send(text())
    assert (result.status, result.code, result.opted_out, result.retry_after) == expected
    assert result.provider_id is None and result.reason
    assert twilio.sends == []


def test_twilio_errors_read_as_sentences() -> None:
    assert (
        classify_twilio(400, 21610, "", {}, NOW).reason
        == "the recipient unsubscribed from this sender"
    )
    assert classify_twilio(400, 30999, "Something odd", {}, NOW).reason == (
        "Twilio answered 400 with error 30999: Something odd"
    )
    assert classify_twilio(503, None, "", {}, NOW).reason == "Twilio answered 503"


def test_wrong_twilio_credentials_are_a_permanent_configuration_problem(twilio: TwilioStub) -> None:
    environ = {
        "TWILIO_ACCOUNT_SID": tw.ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": "not-the-token",
        "TWILIO_API_BASE_URL": twilio.base_url,
    }
    result = adapter_for(config("sms"), environ).send(text())
    assert (result.status, result.code) == ("permanent", "20003")
    assert "auth token" in result.reason


def test_a_timed_out_text_is_found_rather_than_sent_again(twilio: TwilioStub) -> None:
    adapter = twilio_adapter(twilio, timeout_seconds=0.1)
    twilio.script(TO, Hang(0.5))
    first = adapter.send(text())
    assert (first.status, first.code) == ("transient", "timeout")
    found = adapter.find(text())
    assert found is not None and found.status == "accepted"
    assert len(twilio.sends) == 1 and found.provider_id == twilio.sends[0]["sid"]


def test_the_stub_takes_a_repeated_idempotency_token_as_a_second_text(
    twilio: TwilioStub,
) -> None:
    """Twilio does not document deduplicating on the token, so the stub assumes it does not."""
    adapter = twilio_adapter(twilio)
    first, second = adapter.send(text()), adapter.send(text())
    assert first.provider_id != second.provider_id
    assert [s["idempotency_token"] for s in twilio.sends] == ["key-M-1", "key-M-1"]


def test_429_twice_then_accepted_is_one_message(twilio: TwilioStub) -> None:
    adapter = twilio_adapter(twilio)
    twilio.script(TO, tw.rate_limited(1), tw.rate_limited(1))
    results = [adapter.send(text()) for _ in range(3)]
    assert [r.status for r in results] == ["transient", "transient", "accepted"]
    assert len(twilio.requests) == 3 and len(twilio.sends) == 1
    assert results[2].provider_id == twilio.sends[0]["sid"]


def test_500_once_then_accepted(twilio: TwilioStub) -> None:
    adapter = twilio_adapter(twilio)
    twilio.script(TO, tw.server_error(500))
    assert [adapter.send(text()).status for _ in range(2)] == ["transient", "accepted"]
    assert len(twilio.sends) == 1


def test_an_unreachable_twilio_is_transient() -> None:
    environ = {
        "TWILIO_ACCOUNT_SID": tw.ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": tw.AUTH_TOKEN,
        "TWILIO_API_BASE_URL": closed_port_url(),
    }
    result = adapter_for(config("sms"), environ).send(text())
    assert (result.status, result.code) == ("transient", "connection")


# Looking a Twilio message up


def test_a_text_lookup_lists_the_recipients_messages_from_our_number(twilio: TwilioStub) -> None:
    assert twilio_adapter(twilio).find(text()) is None
    [request] = twilio.requests
    assert (request.method, request.path) == (
        "GET",
        f"/2010-04-01/Accounts/{tw.ACCOUNT_SID}/Messages.json",
    )
    assert request.query == {"To": TO, "From": "+15005550006", "PageSize": "1000"}
    assert request.headers["authorization"] == "Basic " + _basic(tw.ACCOUNT_SID, tw.AUTH_TOKEN)
    assert "i-twilio-idempotency-token" not in request.headers


def test_a_call_lookup_lists_the_recipients_calls_from_our_number(twilio: TwilioStub) -> None:
    assert twilio_adapter(twilio, channel="call").find(call()) is None
    [request] = twilio.requests
    assert (request.method, request.path) == (
        "GET",
        f"/2010-04-01/Accounts/{tw.ACCOUNT_SID}/Calls.json",
    )
    assert request.query == {"To": TO, "From": "+15005550006", "PageSize": "1000"}
    assert request.headers["authorization"] == "Basic " + _basic(tw.ACCOUNT_SID, tw.AUTH_TOKEN)


def test_find_sees_a_text_twilio_took(twilio: TwilioStub) -> None:
    adapter = twilio_adapter(twilio)
    sent = adapter.send(text())
    assert adapter.find(text()) == SendResult(
        "accepted", provider_id=sent.provider_id, reason="Twilio has the text (sent)"
    )


def test_another_text_to_the_same_number_is_not_this_one(twilio: TwilioStub) -> None:
    adapter = twilio_adapter(twilio)
    adapter.send(text("M-1", body="Your payment plan is confirmed."))
    assert adapter.find(text("M-2", body="Please call us.")) is None


def test_a_text_still_in_twilios_queue_is_found(twilio: TwilioStub) -> None:
    """A queued text has no `date_sent` yet: a `DateSent>` filter would hide it."""
    twilio.queue_seconds = 600.0
    adapter = twilio_adapter(twilio)
    sent = adapter.send(text())
    found = adapter.find(text())
    assert found == SendResult(
        "accepted", provider_id=sent.provider_id, reason="Twilio has the text (queued)"
    )
    dated = requests.get(
        f"{twilio.base_url}/2010-04-01/Accounts/{tw.ACCOUNT_SID}/Messages.json",
        params={"To": TO, "DateSent>": "2027-01-01"},
        auth=(tw.ACCOUNT_SID, tw.AUTH_TOKEN),
        timeout=5,
    )
    assert dated.json()["messages"] == []


def test_a_text_older_than_the_lookback_is_not_this_one(twilio: TwilioStub) -> None:
    adapter = twilio_adapter(twilio)
    twilio.clock = lambda: NOW - 3 * DAY
    adapter.send(text())
    assert adapter.find(text()) is None
    twilio.clock = lambda: NOW - 1 * DAY
    adapter.send(text())
    found = adapter.find(text())
    assert found is not None and found.provider_id == twilio.sends[1]["sid"]


def test_a_text_through_another_messaging_service_is_not_this_one(twilio: TwilioStub) -> None:
    ours = twilio_adapter(twilio, from_number=None, messaging_service_sid="MG" + "ab" * 16)
    theirs = twilio_adapter(twilio, from_number=None, messaging_service_sid="MG" + "cd" * 16)
    theirs.send(text())
    assert ours.find(text()) is None
    assert twilio.requests[-1].query == {"To": TO, "PageSize": "1000"}
    sent = ours.send(text())
    found = ours.find(text())
    assert found is not None and found.provider_id == sent.provider_id


def test_any_recent_call_to_the_number_from_our_number_counts_as_this_one(
    twilio: TwilioStub,
) -> None:
    """A call resource has no TwiML to compare: better to miss a call than to call twice."""
    adapter = twilio_adapter(twilio, channel="call")
    sent = adapter.send(call(twiml="<Response><Say>An earlier script.</Say></Response>"))
    assert adapter.find(call("M-2")) == SendResult(
        "accepted",
        provider_id=sent.provider_id,
        reason="Twilio has a call to the recipient (completed)",
    )
    other_number = OutboundMessage("M-3", "key-M-3", "call", "+16175550199", "Hello.")
    assert adapter.find(other_number) is None


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        pytest.param(tw.twilio_error(20003, 401), ("permanent", "20003", None), id="20003-auth"),
        pytest.param(tw.twilio_error(20404, 404), ("permanent", "20404", None), id="20404"),
        pytest.param(tw.rate_limited(7), ("transient", "20429", 7.0), id="20429-retry-after"),
        pytest.param(tw.server_error(503), ("transient", "http-503", None), id="http-503"),
        pytest.param(Reply(200, None), ("transient", "bad-response", None), id="empty-200"),
        pytest.param(Reply(200, {"page": 0}), ("transient", "bad-response", None), id="no-list"),
    ],
)
def test_a_failed_twilio_lookup_is_not_mistaken_for_never_sent(
    twilio: TwilioStub, reply: Reply, expected: tuple[str, str, float | None]
) -> None:
    adapter = twilio_adapter(twilio)
    adapter.send(text())
    twilio.script(tw.LOOKUP, reply)
    result = adapter.find(text())
    assert result is not None
    assert (result.status, result.code, result.retry_after) == expected and result.reason


def test_a_lookup_that_times_out_or_cannot_connect_is_transient(twilio: TwilioStub) -> None:
    twilio.script(tw.LOOKUP, Hang(0.5))
    slow = twilio_adapter(twilio, timeout_seconds=0.1).find(text())
    assert slow is not None and (slow.status, slow.code) == ("transient", "timeout")
    environ = {
        "TWILIO_ACCOUNT_SID": tw.ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": tw.AUTH_TOKEN,
        "TWILIO_API_BASE_URL": closed_port_url(),
    }
    gone = adapter_for(config("sms"), environ).find(text())
    assert gone is not None and (gone.status, gone.code) == ("transient", "connection")


def test_a_list_longer_than_one_page_proves_nothing(
    twilio: TwilioStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(twilio_lookup, "LOOKUP_LIMIT", 2)
    adapter = twilio_adapter(twilio)
    for number in range(3):
        adapter.send(text(f"M-{number}", body=f"Reminder {number}."))
    result = adapter.find(text("M-9", body="Never sent."))
    assert result is not None and (result.status, result.code) == ("permanent", "list-too-long")
    assert twilio.requests[-1].query["PageSize"] == "2"
    found = adapter.find(text("M-2", body="Reminder 2."))  # on the first page: newest first
    assert found is not None and found.status == "accepted"


def test_a_message_the_channel_refuses_is_not_looked_up(twilio: TwilioStub) -> None:
    assert twilio_adapter(twilio).find(text(to="617-555-0100")) is None
    assert twilio.requests == []


# SendGrid


def test_an_email_reaches_sendgrid_as_its_api_expects(sendgrid: SendGridStub) -> None:
    adapter = sendgrid_adapter(sendgrid)
    headers = {
        "List-Unsubscribe": "<https://collections.example.com/u/t0k3n>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    result = adapter.send(email(headers=headers))
    [request] = sendgrid.requests
    assert (request.method, request.path) == ("POST", "/v3/mail/send")
    assert request.headers["authorization"] == f"Bearer {sg.API_KEY}"
    assert request.headers["content-type"] == "application/json"
    assert request.json == {
        "from": {"email": "collections@example.com", "name": "Example Recovery"},
        "subject": "About your account",
        "personalizations": [{"to": [{"email": EMAIL}]}],
        "content": [
            {"type": "text/plain", "value": "Please call us."},
            {"type": "text/html", "value": "<p>Please call us.</p>"},
        ],
        "headers": headers,
        "custom_args": {"attempt_id": "A-1", "message_id": "M-1"},
    }
    assert result == SendResult(
        "accepted",
        provider_id=sendgrid.sends[0]["x_message_id"],
        reason="SendGrid accepted the email (202)",
    )


def test_the_channel_adds_one_click_unsubscribe_when_the_message_has_none(
    sendgrid: SendGridStub,
) -> None:
    adapter = sendgrid_adapter(
        sendgrid, unsubscribe_url="https://collections.example.com/unsubscribe"
    )
    adapter.send(email(html=None))
    body = sendgrid.requests[0].json
    assert body["headers"] == {
        "List-Unsubscribe": "<https://collections.example.com/unsubscribe?message_id=M-1>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert body["content"] == [{"type": "text/plain", "value": "Please call us."}]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        pytest.param(
            sg.sendgrid_error(
                400, "The from email does not contain a valid address.", "from.email"
            ),
            ("permanent", "http-400", False, None),
            id="400-field",
        ),
        pytest.param(
            sg.sendgrid_error(401, "authorization required"),
            ("permanent", "http-401", False, None),
            id="401",
        ),
        pytest.param(
            sg.sendgrid_error(403, "The from address does not match a verified Sender Identity."),
            ("permanent", "http-403", False, None),
            id="403",
        ),
        pytest.param(
            sg.sendgrid_error(413, "payload too large"),
            ("permanent", "http-413", False, None),
            id="413",
        ),
        pytest.param(
            sg.rate_limited(int(NOW) + 30), ("transient", "http-429", False, 30.0), id="429-reset"
        ),
        pytest.param(
            sg.sendgrid_error(500, "internal error"),
            ("transient", "http-500", False, None),
            id="500",
        ),
        pytest.param(Reply(502, None), ("transient", "http-502", False, None), id="502-empty"),
        pytest.param(
            sg.sendgrid_error(418, "teapot"),
            ("permanent", "http-418", False, None),
            id="unknown-4xx",
        ),
        pytest.param(
            sg.sendgrid_error(
                400, "The recipient is on the global unsubscribe list", "personalizations.0.to"
            ),
            ("permanent", "http-400", True, None),
            id="suppressed",
        ),
    ],
)
def test_sendgrid_errors_are_sorted_by_status(
    sendgrid: SendGridStub, reply: Any, expected: tuple[str, str, bool, float | None]
) -> None:
    sendgrid.script(EMAIL, reply)
    result = sendgrid_adapter(sendgrid).send(email())
    assert (result.status, result.code, result.opted_out, result.retry_after) == expected
    assert sendgrid.sends == []


def test_a_sendgrid_400_names_the_field() -> None:
    body = b'{"errors": [{"message": "The from email does not contain a valid address.", "field": "from.email", "help": null}]}'
    assert classify_sendgrid(400, body, {}, NOW).reason == (
        "SendGrid refused the request: `from.email`: The from email does not contain a valid address."
    )


def test_a_wrong_sendgrid_key_is_a_permanent_configuration_problem(sendgrid: SendGridStub) -> None:
    environ = {"SENDGRID_API_KEY": "SG.wrong", "SENDGRID_API_BASE_URL": sendgrid.base_url}
    result = adapter_for(config("email"), environ).send(email())
    assert (result.status, result.code) == ("permanent", "http-401")
    assert "api_key_env" in result.reason


def test_find_sees_an_email_sendgrid_took(sendgrid: SendGridStub) -> None:
    adapter = sendgrid_adapter(sendgrid)
    sent = adapter.send(email())
    found = adapter.find(email())
    assert found == SendResult(
        "accepted", provider_id=sent.provider_id, reason="SendGrid has the email (delivered)"
    )
    lookup = sendgrid.requests[-1]
    assert (lookup.method, lookup.path) == ("GET", "/v3/messages")
    assert lookup.query == {"query": "unique_args['message_id']=\"M-1\"", "limit": "1"}
    assert adapter.find(email("M-2")) is None


def test_a_timed_out_email_is_found_rather_than_sent_again(sendgrid: SendGridStub) -> None:
    adapter = sendgrid_adapter(sendgrid, timeout_seconds=0.1)
    sendgrid.script(EMAIL, Hang(0.5))
    assert adapter.send(email()).code == "timeout"
    found = adapter.find(email())
    assert found is not None and found.status == "accepted"
    assert found.provider_id == sendgrid.sends[0]["x_message_id"] and len(sendgrid.sends) == 1


def test_find_before_sendgrid_indexes_the_email_says_nothing(sendgrid: SendGridStub) -> None:
    sendgrid.index_delay = 60.0
    adapter = sendgrid_adapter(sendgrid)
    adapter.send(email())
    assert adapter.find(email()) is None


def test_a_failed_lookup_is_not_mistaken_for_never_sent(sendgrid: SendGridStub) -> None:
    adapter = sendgrid_adapter(sendgrid)
    sendgrid.script(sg.ACTIVITY, sg.sendgrid_error(403, "access forbidden"), Reply(503, None))
    assert [(r.status, r.code) for r in (adapter.find(email()), adapter.find(email())) if r] == [
        ("permanent", "http-403"),
        ("transient", "http-503"),
    ]


def test_an_unreachable_sendgrid_is_transient() -> None:
    environ = {"SENDGRID_API_KEY": sg.API_KEY, "SENDGRID_API_BASE_URL": closed_port_url()}
    result = adapter_for(config("email"), environ).send(email())
    assert (result.status, result.code) == ("transient", "connection")


# Outbox


def outbox_adapter(tmp_path: Path, channel: str, **fields: Any) -> Adapter:
    return adapter_for(
        config(channel, provider="outbox", **fields),
        {},
        tmp_path / "outbox",
        clock=FakeClock().clock,
    )


def test_the_outbox_writes_a_text_once_and_readably(tmp_path: Path) -> None:
    adapter = outbox_adapter(tmp_path, "sms", status_callback="https://hooks.example.com/s")
    first = adapter.send(text())
    second = adapter.send(
        OutboundMessage("M-1", "key-M-1", "sms", TO, "Changed, but the same message.")
    )
    assert first.status == second.status == "accepted"
    assert first.provider_id == second.provider_id == "M-1.sms.txt"
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == ["M-1.sms.txt"]
    assert (tmp_path / "outbox" / "M-1.sms.txt").read_text(encoding="utf-8") == (
        "Channel: sms\n"
        "Message-Id: M-1\n"
        "Idempotency-Key: key-M-1\n"
        "Date: Fri, 15 Jan 2027 08:00:00 GMT\n"
        "From: +15005550006\n"
        f"To: {TO}\n"
        "Status-Callback: https://hooks.example.com/s\n"
        "Segments: 1\n"
        "\n"
        "Please call us.\n"
    )
    assert adapter.find(text()) == SendResult(
        "accepted", provider_id="M-1.sms.txt", reason="in the outbox"
    )
    assert adapter.find(text("M-2")) is None


def test_the_outbox_shows_a_calls_twiml(tmp_path: Path) -> None:
    adapter = outbox_adapter(tmp_path, "call")
    result = adapter.send(call())
    written = (tmp_path / "outbox" / "M-1.call.txt").read_text(encoding="utf-8")
    assert result.provider_id == "M-1.call.txt"
    assert written.endswith(
        "This is Example Recovery.\n\n--- TwiML ---\n"
        '<?xml version="1.0" encoding="UTF-8"?><Response><Say>This is Example Recovery.</Say></Response>\n'
    )


def test_the_outbox_writes_email_as_a_real_message(tmp_path: Path) -> None:
    adapter = outbox_adapter(
        tmp_path, "email", unsubscribe_url="https://collections.example.com/unsubscribe"
    )
    result = adapter.send(email(subject="Über your account — €12"))
    path = tmp_path / "outbox" / "M-1.eml"
    assert result.provider_id == "M-1.eml"
    written = path.read_text(encoding="utf-8")
    assert "Subject: Über your account — €12\n" in written and "Please call us.\n" in written
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsed["From"] == "Example Recovery <collections@example.com>"
    assert parsed["To"] == EMAIL
    assert (
        parsed["List-Unsubscribe"] == "<https://collections.example.com/unsubscribe?message_id=M-1>"
    )
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["X-Outbox-Custom-Args"] == "attempt_id=A-1; message_id=M-1"
    assert parsed.get_body(("plain",)).get_content() == "Please call us.\n"  # type: ignore[union-attr]
    assert parsed.get_body(("html",)).get_content() == "<p>Please call us.</p>\n"  # type: ignore[union-attr]


def test_the_outbox_leaves_no_half_written_files_and_safe_names(tmp_path: Path) -> None:
    adapter = outbox_adapter(tmp_path, "sms")
    adapter.send(text("../etc/passwd"))
    adapter.send(text(".hidden"))
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == [
        "%2E.%2Fetc%2Fpasswd.sms.txt",
        "%2Ehidden.sms.txt",
    ]


# Choosing the adapter


def test_without_credentials_the_factory_falls_back_to_the_outbox(tmp_path: Path) -> None:
    loaded = load_channels(ROOT / "channels")
    for name, message in (("sms", text()), ("call", call()), ("email", email())):
        adapter = adapter_for(loaded[name], {}, tmp_path / "outbox")
        assert adapter.provider == "outbox"
        assert adapter.send(message).status == "accepted"
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == [
        "M-1.call.txt",
        "M-1.eml",
        "M-1.sms.txt",
    ]


def test_credentials_choose_the_provider() -> None:
    loaded = load_channels(ROOT / "channels")
    environ = {
        "TWILIO_ACCOUNT_SID": tw.ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": "x",
        "SENDGRID_API_KEY": "SG.x",
    }
    assert [adapter_for(loaded[n], environ).provider for n in ("sms", "call", "email")] == [
        "twilio",
        "twilio",
        "sendgrid",
    ]
    assert adapter_for(loaded["sms"], {"TWILIO_ACCOUNT_SID": tw.ACCOUNT_SID}).provider == "outbox"


def test_a_channel_can_refuse_the_fallback() -> None:
    strict = config("sms", outbox_fallback=False)
    with pytest.raises(ChannelConfigError) as raised:
        adapter_for(strict, {"TWILIO_ACCOUNT_SID": tw.ACCOUNT_SID})
    assert raised.value.problems == [
        "channel `sms`: `TWILIO_AUTH_TOKEN` not set, and `outbox_fallback` is off"
    ]


# The stubs' record, read from another process


def test_a_stub_in_another_process_logs_every_send_once(tmp_path: Path) -> None:
    log = tmp_path / "twilio.jsonl"
    stub = subprocess.Popen(
        [sys.executable, "-m", "tests.stubs", "twilio", "--log", str(log)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert stub.stdout is not None
        base_url = stub.stdout.readline().strip()
        environ = {
            "TWILIO_ACCOUNT_SID": tw.ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": tw.AUTH_TOKEN,
            "TWILIO_API_BASE_URL": base_url,
        }
        adapter = adapter_for(config("sms"), environ, clock=FakeClock().clock)
        for message in (text("M-1"), text("M-2"), text("M-1")):
            assert adapter.send(message).status == "accepted"
    finally:
        stub.terminate()
        stub.wait(timeout=10)
    sends = read_log(log, "send")  # the repeated token makes a second send: Twilio may not dedupe
    assert sorted(s["idempotency_token"] for s in sends) == ["key-M-1", "key-M-1", "key-M-2"]
    assert len(read_log(log, "request")) == 3


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()
