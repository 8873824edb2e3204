"""Webhooks are trusted only when the provider signed them, and each event counts once."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped, unused-ignore]

from contactengine.webhooks import signatures
from contactengine.webhooks.signatures import (
    MemoryReplayGuard,
    ReplayGuard,
    SignatureError,
    sendgrid_event_keys,
    twilio_event_key,
    verify_sendgrid,
    verify_twilio,
)

# --- Twilio: the SDK's own signer against our verifier ----------------------------------

TOKEN = "test-auth-token-0123456789abcdef"
URL = "https://hooks.example.com/twilio/status?tenant=acme"
STATUS_CALLBACK = {
    "AccountSid": "AC00000000000000000000000000000000",
    "From": "+16175550100",
    "To": "+16175550199",
    "MessageSid": "SM11111111111111111111111111111111",
    "SmsSid": "SM11111111111111111111111111111111",
    "MessageStatus": "delivered",
    "SmsStatus": "delivered",
    "ApiVersion": "2010-04-01",
}


def twilio_signature(
    form: Mapping[str, str], url: str = URL, token: str = TOKEN, algorithm: str | None = None
) -> str:
    signature: str = RequestValidator(token).compute_signature(url, form, algorithm)
    return signature


def test_a_request_twilio_signed_verifies() -> None:
    verify_twilio(TOKEN, URL, STATUS_CALLBACK, twilio_signature(STATUS_CALLBACK))


def test_parameter_order_does_not_matter() -> None:
    reordered = dict(reversed(list(STATUS_CALLBACK.items())))
    verify_twilio(TOKEN, URL, reordered, twilio_signature(STATUS_CALLBACK))


def test_the_default_port_may_be_written_or_not() -> None:
    with_port = "https://hooks.example.com:443/twilio/status?tenant=acme"
    verify_twilio(TOKEN, with_port, STATUS_CALLBACK, twilio_signature(STATUS_CALLBACK))


@pytest.mark.parametrize(
    "form",
    [
        pytest.param({**STATUS_CALLBACK, "MessageStatus": "failed"}, id="changed-value"),
        pytest.param({**STATUS_CALLBACK, "ErrorCode": "30003"}, id="added-parameter"),
        pytest.param(
            {k: v for k, v in STATUS_CALLBACK.items() if k != "From"}, id="removed-parameter"
        ),
        pytest.param({**STATUS_CALLBACK, "From": "+16175550100 "}, id="trailing-space"),
    ],
)
def test_a_changed_parameter_is_refused(form: dict[str, str]) -> None:
    with pytest.raises(SignatureError, match="does not match"):
        verify_twilio(TOKEN, URL, form, twilio_signature(STATUS_CALLBACK))


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://hooks.example.com/twilio/status?tenant=acme", id="http-not-https"),
        pytest.param("https://hooks.example.com/twilio/status", id="query-dropped"),
        pytest.param("https://hooks.example.com/twilio/status?tenant=acme&x=1", id="query-added"),
        pytest.param("https://hooks.example.com/twilio/status?tenant=other", id="query-changed"),
        pytest.param("https://hooks.example.com/twilio/status/?tenant=acme", id="trailing-slash"),
        pytest.param("https://internal:8080/twilio/status?tenant=acme", id="proxy-host"),
    ],
)
def test_a_different_url_is_refused(url: str) -> None:
    with pytest.raises(SignatureError, match="does not match"):
        verify_twilio(TOKEN, url, STATUS_CALLBACK, twilio_signature(STATUS_CALLBACK))


def test_a_wrong_token_is_refused() -> None:
    forged = twilio_signature(STATUS_CALLBACK, token="someone-elses-token")
    with pytest.raises(SignatureError, match="does not match"):
        verify_twilio(TOKEN, URL, STATUS_CALLBACK, forged)


@pytest.mark.parametrize("signature", [None, ""], ids=["absent", "empty"])
def test_a_missing_signature_header_is_refused(signature: str | None) -> None:
    with pytest.raises(SignatureError, match="missing `X-Twilio-Signature`"):
        verify_twilio(TOKEN, URL, STATUS_CALLBACK, signature)


def test_an_empty_token_refuses_even_a_matching_signature() -> None:
    """Anyone can compute an HMAC with an empty key, so a missing setting must not pass."""
    with pytest.raises(SignatureError, match="auth token"):
        verify_twilio("", URL, STATUS_CALLBACK, twilio_signature(STATUS_CALLBACK, token=""))


def test_a_url_that_cannot_be_parsed_is_a_signature_error() -> None:
    with pytest.raises(SignatureError, match="could not be checked"):
        verify_twilio(TOKEN, "https://hooks.example.com:port/", STATUS_CALLBACK, "c2ln")


def test_a_json_bodied_webhook_is_not_taken_for_a_form() -> None:
    url = URL + "&bodySHA256=0123abcd"
    with pytest.raises(SignatureError, match="bodySHA256"):
        verify_twilio(TOKEN, url, {}, twilio_signature({}, url=url))


def test_a_shared_key_signature_names_its_algorithm() -> None:
    secret = "shared-key-secret"
    signature = twilio_signature(STATUS_CALLBACK, token=secret, algorithm="HMAC_SHA256")
    settings = "key=webhooks_sharedkey_01,algorithm=HMAC_SHA256"
    verify_twilio(secret, URL, STATUS_CALLBACK, signature, signature_settings=settings)
    with pytest.raises(SignatureError):
        verify_twilio(secret, URL, STATUS_CALLBACK, signature)


class RepeatedForm(Mapping[str, str]):
    """A form with repeated parameters, offering `getlist` as web frameworks' forms do."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def __getitem__(self, key: str) -> str:
        return [value for name, value in self._pairs if name == key][-1]

    def __iter__(self) -> Iterator[str]:
        return iter(dict(self._pairs))

    def __len__(self) -> int:
        return len(dict(self._pairs))

    def getlist(self, key: str) -> list[str]:
        return [value for name, value in self._pairs if name == key]


def test_repeated_parameters_are_all_signed() -> None:
    form = RepeatedForm([("MessageSid", "SM1"), ("Tag", "a"), ("Tag", "b")])
    signature = twilio_signature(form)
    verify_twilio(TOKEN, URL, form, signature)
    with pytest.raises(SignatureError):
        verify_twilio(TOKEN, URL, dict(form), signature)


def test_a_twilio_refusal_never_repeats_the_secret() -> None:
    signature = twilio_signature(STATUS_CALLBACK, token="x" * 32)
    with pytest.raises(SignatureError) as refused:
        verify_twilio(TOKEN, URL, STATUS_CALLBACK, signature)
    assert TOKEN not in str(refused.value)
    assert signature not in str(refused.value)


# --- SendGrid: a key pair made here, signing the way SendGrid does -----------------------


def generate_sendgrid_test_keys(
    curve: ec.EllipticCurve | None = None,
) -> tuple[str, Callable[[str, bytes], str]]:
    """A base64 DER public key as SendGrid's console shows it, and its signer.

    The signer returns what SendGrid puts in `X-Twilio-Email-Event-Webhook-Signature`: base64
    of the DER ECDSA signature (SHA-256) over the timestamp header followed by the raw body.
    """
    private_key = ec.generate_private_key(curve or ec.SECP256R1())
    der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def sign(timestamp: str, payload: bytes) -> str:
        signature = private_key.sign(timestamp.encode() + payload, ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(signature).decode()

    return base64.b64encode(der).decode(), sign


NOW = 1_780_000_000.0
TIMESTAMP = str(int(NOW))
PAYLOAD = (
    b'[{"email":"debtor@example.com","timestamp":1779999990,"event":"delivered",'
    b'"sg_event_id":"ZGVsaXZlcmVkLTAtMjk0","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001"}]\r\n'
)
PUBLIC_KEY, SIGN = generate_sendgrid_test_keys()
OTHER_PUBLIC_KEY, OTHER_SIGN = generate_sendgrid_test_keys()
P384_PUBLIC_KEY, _ = generate_sendgrid_test_keys(ec.SECP384R1())
RSA_PUBLIC_KEY = base64.b64encode(
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    .public_key()
    .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
).decode()
SIGNATURE = SIGN(TIMESTAMP, PAYLOAD)
TRUNCATED_SIGNATURE = base64.b64encode(base64.b64decode(SIGNATURE)[:-1]).decode()


def test_a_payload_sendgrid_signed_verifies() -> None:
    verify_sendgrid(PUBLIC_KEY, TIMESTAMP, PAYLOAD, SIGNATURE, NOW)


def test_a_key_pasted_across_lines_still_loads() -> None:
    wrapped = "\n".join(PUBLIC_KEY[i : i + 64] for i in range(0, len(PUBLIC_KEY), 64))
    verify_sendgrid(wrapped, TIMESTAMP, PAYLOAD, SIGNATURE, NOW)


@pytest.mark.parametrize("age", [300.0, -300.0], ids=["300s-old", "300s-ahead"])
def test_a_timestamp_at_the_tolerance_edge_verifies(age: float) -> None:
    verify_sendgrid(PUBLIC_KEY, TIMESTAMP, PAYLOAD, SIGNATURE, NOW + age)


def flip_one_byte(payload: bytes) -> bytes:
    index = payload.index(b"delivered")
    return payload[:index] + b"D" + payload[index + 1 :]


@pytest.mark.parametrize(
    ("public_key", "timestamp", "payload", "signature", "now", "message"),
    [
        pytest.param(PUBLIC_KEY, TIMESTAMP, flip_one_byte(PAYLOAD), SIGNATURE, NOW, "does not match", id="one-byte-changed"),
        pytest.param(PUBLIC_KEY, TIMESTAMP, PAYLOAD.rstrip(), SIGNATURE, NOW, "does not match", id="body-reencoded"),
        pytest.param(PUBLIC_KEY, str(int(NOW) - 1), PAYLOAD, SIGNATURE, NOW, "does not match", id="other-timestamp"),
        pytest.param(PUBLIC_KEY, TIMESTAMP, PAYLOAD, OTHER_SIGN(TIMESTAMP, PAYLOAD), NOW, "does not match", id="other-key"),
        pytest.param(OTHER_PUBLIC_KEY, TIMESTAMP, PAYLOAD, SIGNATURE, NOW, "does not match", id="other-public-key"),
        pytest.param(PUBLIC_KEY, TIMESTAMP, PAYLOAD, "not base64!", NOW, "not base64", id="signature-not-base64"),
        pytest.param(PUBLIC_KEY, TIMESTAMP, PAYLOAD, TRUNCATED_SIGNATURE, NOW, "does not match", id="signature-truncated"),
        pytest.param(PUBLIC_KEY, TIMESTAMP, PAYLOAD, "AAAA", NOW, "does not match", id="signature-not-der"),
        pytest.param("not a key", TIMESTAMP, PAYLOAD, SIGNATURE, NOW, "not base64 DER", id="key-not-base64"),
        pytest.param("AAAA", TIMESTAMP, PAYLOAD, SIGNATURE, NOW, "not base64 DER", id="key-not-der"),
        pytest.param(P384_PUBLIC_KEY, TIMESTAMP, PAYLOAD, SIGNATURE, NOW, "P-256", id="key-p384"),
        pytest.param(RSA_PUBLIC_KEY, TIMESTAMP, PAYLOAD, SIGNATURE, NOW, "P-256", id="key-rsa"),
        pytest.param(PUBLIC_KEY, TIMESTAMP, PAYLOAD, SIGNATURE, NOW + 301, "301 s old", id="301s-old"),
        pytest.param(PUBLIC_KEY, TIMESTAMP, PAYLOAD, SIGNATURE, NOW - 301, "301 s ahead", id="301s-ahead"),
        pytest.param(PUBLIC_KEY, TIMESTAMP, PAYLOAD, None, NOW, "missing `X-Twilio-Email-Event-Webhook-Signature`", id="no-signature"),
        pytest.param(PUBLIC_KEY, None, PAYLOAD, SIGNATURE, NOW, "missing `X-Twilio-Email-Event-Webhook-Timestamp`", id="no-timestamp"),
        pytest.param(PUBLIC_KEY, "", PAYLOAD, SIGNATURE, NOW, "missing", id="empty-timestamp"),
        pytest.param(PUBLIC_KEY, " " + TIMESTAMP, PAYLOAD, SIGNATURE, NOW, "whole seconds", id="timestamp-padded"),
        pytest.param(PUBLIC_KEY, "1.78e9", PAYLOAD, SIGNATURE, NOW, "whole seconds", id="timestamp-float"),
        pytest.param(PUBLIC_KEY, "١٧٨٠٠٠٠٠٠٠", PAYLOAD, SIGNATURE, NOW, "whole seconds", id="timestamp-non-ascii-digits"),
    ],
)  # fmt: skip
def test_a_sendgrid_request_that_fails_is_only_ever_a_signature_error(
    public_key: str,
    timestamp: str | None,
    payload: bytes,
    signature: str | None,
    now: float,
    message: str,
) -> None:
    with pytest.raises(SignatureError, match=message):
        verify_sendgrid(public_key, timestamp, payload, signature, now)


def test_a_sendgrid_refusal_never_repeats_the_key_or_signature() -> None:
    with pytest.raises(SignatureError) as refused:
        verify_sendgrid(OTHER_PUBLIC_KEY, TIMESTAMP, PAYLOAD, SIGNATURE, NOW)
    assert OTHER_PUBLIC_KEY not in str(refused.value)
    assert SIGNATURE not in str(refused.value)


# --- Replay guard ------------------------------------------------------------------------


def test_a_key_is_new_once() -> None:
    guard: ReplayGuard = MemoryReplayGuard()
    assert guard.first_time("sendgrid:event:a", NOW)
    assert not guard.first_time("sendgrid:event:a", NOW + 1)
    assert guard.first_time("sendgrid:event:b", NOW + 1)


def test_a_key_is_new_again_after_its_window() -> None:
    guard = MemoryReplayGuard(window=60)
    assert guard.first_time("k", NOW)
    assert not guard.first_time("k", NOW + 59.9)
    assert guard.first_time("k", NOW + 60)
    assert not guard.first_time("k", NOW + 100)


def test_expired_keys_are_dropped() -> None:
    guard = MemoryReplayGuard(window=60)
    for second in range(10):
        guard.first_time(f"k{second}", NOW + second)
    guard.first_time("late", NOW + 65)
    assert len(guard) == 5  # k0..k5 expired; k6..k9 and "late" remain


def test_the_guard_holds_at_most_its_capacity() -> None:
    guard = MemoryReplayGuard(capacity=2)
    for key in ("a", "b", "c"):
        assert guard.first_time(key, NOW)
    assert len(guard) == 2
    assert not guard.first_time("c", NOW)
    assert guard.first_time("a", NOW)  # the oldest went first


@pytest.mark.parametrize(("window", "capacity"), [(0, 10), (60, 0)], ids=["no-window", "no-room"])
def test_a_guard_needs_a_window_and_room(window: float, capacity: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        MemoryReplayGuard(window=window, capacity=capacity)


class YieldingKey(str):
    """A key whose hashing lets other threads run, so a check-then-record race shows."""

    def __hash__(self) -> int:
        time.sleep(0.0005)
        return super().__hash__()


def deliver_at_once(guard: ReplayGuard, key: str, threads: int) -> list[bool]:
    """Each thread asks about the same key, all released together."""
    start = threading.Barrier(threads)
    answers: list[bool] = []

    def deliver() -> None:
        start.wait()
        answers.append(guard.first_time(key, NOW))

    workers = [threading.Thread(target=deliver) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return answers


def test_concurrent_deliveries_of_one_event_pass_exactly_once() -> None:
    guard = MemoryReplayGuard()
    for round_ in range(20):
        answers = deliver_at_once(guard, YieldingKey(f"event-{round_}"), threads=8)
        assert sorted(answers) == [False] * 7 + [True]


# --- Replay keys -------------------------------------------------------------------------


def test_each_status_of_a_message_is_its_own_event() -> None:
    statuses = ("queued", "sent", "delivered")
    keys = {
        twilio_event_key({**STATUS_CALLBACK, "MessageStatus": s, "SmsStatus": s}, None)
        for s in statuses
    }
    assert len(keys) == 3


def test_a_status_delivered_twice_is_one_event() -> None:
    retried = dict(STATUS_CALLBACK)
    assert twilio_event_key(STATUS_CALLBACK, "token-1") == twilio_event_key(retried, "token-2")


def test_old_style_callbacks_use_the_sms_fields() -> None:
    sent = {"SmsSid": "SM2", "SmsStatus": "sent"}
    delivered = {"SmsSid": "SM2", "SmsStatus": "delivered"}
    assert twilio_event_key(sent, None) != twilio_event_key(delivered, None)


def test_an_inbound_text_is_named_by_its_message_sid() -> None:
    inbound = {"MessageSid": "SM3", "From": "+16175550100", "Body": "STOP", "NumMedia": "0"}
    other = {**inbound, "MessageSid": "SM4"}
    assert twilio_event_key(inbound, None) == twilio_event_key(dict(inbound), None)
    assert twilio_event_key(inbound, None) != twilio_event_key(other, None)


def test_call_statuses_are_named_by_the_call() -> None:
    ringing = {"CallSid": "CA1", "CallStatus": "ringing"}
    completed = {"CallSid": "CA1", "CallStatus": "completed"}
    assert twilio_event_key(ringing, None) != twilio_event_key(completed, None)
    assert twilio_event_key(ringing, None) == twilio_event_key(dict(ringing), None)


def test_without_a_sid_the_idempotency_token_names_the_delivery() -> None:
    form = {"AccountSid": "AC1", "EventType": "something"}
    assert twilio_event_key(form, "idem-1") == twilio_event_key(form, "idem-1")
    assert twilio_event_key(form, "idem-1") != twilio_event_key(form, "idem-2")


def test_without_a_sid_or_token_the_parameters_name_the_delivery() -> None:
    form = {"AccountSid": "AC1", "EventType": "something"}
    assert twilio_event_key(form, None) == twilio_event_key(dict(reversed(form.items())), None)
    assert twilio_event_key(form, None) != twilio_event_key({**form, "EventType": "other"}, None)


def sendgrid_events(
    *events: dict[str, Any],
) -> list[dict[str, Any]]:
    """Events as the service sees them: parsed from the raw JSON body."""
    parsed: list[dict[str, Any]] = json.loads(json.dumps(list(events)))
    return parsed


def test_sendgrid_keys_follow_the_event_id() -> None:
    first = {"sg_event_id": "evt-1", "event": "delivered", "timestamp": 1}
    again = {"sg_event_id": "evt-1", "event": "delivered", "timestamp": 1, "extra": "x"}
    second = {"sg_event_id": "evt-2", "event": "delivered", "timestamp": 1}
    keys = sendgrid_event_keys(sendgrid_events(first, again, second))
    assert keys[0] == keys[1] != keys[2]


def test_an_event_without_an_id_is_named_by_its_content() -> None:
    bounce = {"email": "debtor@example.com", "event": "bounce", "timestamp": 5}
    reordered = dict(reversed(bounce.items()))
    other = {**bounce, "timestamp": 6}
    [a, b, c] = sendgrid_event_keys(sendgrid_events(bounce, reordered, other))
    assert a == b != c


def test_a_retried_post_repeats_only_events_already_seen() -> None:
    guard = MemoryReplayGuard()
    first_post = sendgrid_events(
        {"sg_event_id": "evt-1", "event": "delivered"}, {"email": "a@example.com", "event": "open"}
    )
    retried_post = sendgrid_events(*first_post, {"sg_event_id": "evt-3", "event": "click"})
    first = [guard.first_time(key, NOW) for key in sendgrid_event_keys(first_post)]
    retried = [guard.first_time(key, NOW + 30) for key in sendgrid_event_keys(retried_post)]
    assert first == [True, True]
    assert retried == [False, False, True]


def test_public_names() -> None:
    assert sorted(signatures.__all__) == [
        "MemoryReplayGuard",
        "ReplayGuard",
        "SENDGRID_SIGNATURE_HEADER",
        "SENDGRID_TIMESTAMP_HEADER",
        "SignatureError",
        "TWILIO_IDEMPOTENCY_HEADER",
        "TWILIO_SIGNATURE_HEADER",
        "TWILIO_SIGNATURE_SETTINGS_HEADER",
        "sendgrid_event_keys",
        "twilio_event_key",
        "verify_sendgrid",
        "verify_twilio",
    ]
