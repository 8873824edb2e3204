"""Provider webhooks through real HTTP, signed the way the providers sign them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped, unused-ignore]

from contactengine.api.app import create_app
from contactengine.api.webhooks import WebhookSettings
from contactengine.dispatch.unsubscribe import UnsubscribeClaim, unsubscribe_token
from contactengine.engine.loader import load_ruleset
from contactengine.ledger import Engine, Ledger
from contactengine.model import AttemptRecord, PlannedMessage
from contactengine.store.sqlite import SQLiteStore
from tests.dispatch_setup import ROOT, phone, seed
from tests.live_server import serving
from tests.test_webhook_signatures import generate_sendgrid_test_keys

RULES = load_ruleset([ROOT / "rules"])
PUBLIC = "https://collections.example.com"
TOKEN = "twilio-auth-token-for-tests"
SIGNING_KEY = b"unsubscribe key"
NOW = 1_781_017_200.0  # 2026-06-09 15:00 UTC, 11:00 in Boston
PUBLIC_KEY, SIGN = generate_sendgrid_test_keys()


class Hooks:
    def __init__(self, url: str, store: SQLiteStore) -> None:
        self.url, self.store = url, store
        self.http = httpx.Client(base_url=url, timeout=10)

    def twilio(
        self, path: str, form: dict[str, str], signature: str | None = None
    ) -> httpx.Response:
        signed = signature or RequestValidator(TOKEN).compute_signature(PUBLIC + path, form)
        return self.http.post(path, data=form, headers={"X-Twilio-Signature": signed})

    def sendgrid(
        self, events: list[dict[str, Any]], stamp: str | None = None, body: bytes | None = None
    ) -> httpx.Response:
        payload = body if body is not None else json.dumps(events).encode()
        timestamp = stamp or str(int(NOW))
        return self.http.post(
            "/webhooks/sendgrid/events",
            content=payload,
            headers={
                "Content-Type": "application/json",
                "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
                "X-Twilio-Email-Event-Webhook-Signature": SIGN(timestamp, payload),
            },
        )


@pytest.fixture
def hooks(tmp_path: Any) -> Iterator[Hooks]:
    store = SQLiteStore(tmp_path / "ledger.db")
    seed(store, 2)
    settings = WebhookSettings(PUBLIC, TOKEN, PUBLIC_KEY, SIGNING_KEY)
    app = create_app(Engine(RULES), Ledger(RULES, store), settings, clock=lambda: NOW)
    with serving(app) as url:
        yield Hooks(url, store)


def inbound(body: str, sid: str = "SM1", sender: str = phone(0)) -> dict[str, str]:
    return {"MessageSid": sid, "From": sender, "To": "+15005550006", "Body": body}


def ledger_rows(store: SQLiteStore) -> tuple[int, int, int]:
    snapshot = store.snapshot("C-0", "D-0")
    return (
        len(snapshot.events),
        len(snapshot.opt_outs),
        sum(c.revoked_at < 1e18 for c in snapshot.consents),
    )


def test_stop_revokes_consent_at_once_and_confirms_once(hooks: Hooks) -> None:
    answer = hooks.twilio("/webhooks/twilio/sms", inbound("Stop texting me please!"))
    assert answer.status_code == 200
    assert "<Message>You will get no more texts" in answer.text
    snapshot = hooks.store.snapshot("C-0", "D-0")
    sms = [c for c in snapshot.consents if c.channel == "sms"]
    assert sms and all(c.revoked_at < 1e18 for c in sms)  # 47 CFR 64.1200(a)(10)
    assert [o.channel for o in snapshot.opt_outs] == ["sms"]
    assert sorted(e.direction for e in snapshot.events if e.channel == "sms") == [
        "inbound",
        "outbound",
    ]
    again = hooks.twilio("/webhooks/twilio/sms", inbound("STOP", sid="SM2"))
    assert "<Message>" not in again.text  # one confirmation only (64.1200(a)(12))


def test_a_retried_or_forged_webhook_changes_nothing(hooks: Hooks) -> None:
    form = inbound("quit")
    assert hooks.twilio("/webhooks/twilio/sms", form).status_code == 200
    before = ledger_rows(hooks.store)
    assert hooks.twilio("/webhooks/twilio/sms", form).status_code == 200  # Twilio retrying
    assert ledger_rows(hooks.store) == before
    forged = hooks.twilio(
        "/webhooks/twilio/sms", inbound("stop", sid="SM9", sender=phone(1)), signature="AAAA"
    )
    assert forged.status_code == 403
    unsigned = hooks.http.post(
        "/webhooks/twilio/sms", data=inbound("stop", sid="SM9", sender=phone(1))
    )
    assert unsigned.status_code == 403
    assert hooks.store.snapshot("C-1", "D-1").opt_outs == ()  # no trace


def test_help_is_answered_and_anything_else_is_recorded(hooks: Hooks) -> None:
    helped = hooks.twilio("/webhooks/twilio/sms", inbound("HELP"))
    assert "Reply STOP" in helped.text
    hooks.twilio("/webhooks/twilio/sms", inbound("Can I pay on Friday?", sid="SM3"))
    events = hooks.store.snapshot("C-0", "D-0").events
    assert [e.direction for e in events] == ["inbound", "inbound"]
    assert hooks.store.snapshot("C-0", "D-0").opt_outs == ()


def test_status_callbacks_set_outcomes(hooks: Hooks) -> None:
    store = hooks.store
    store.plan_messages(
        [
            PlannedMessage(
                id="M-1",
                debtor_id="C-0",
                debt_id="D-0",
                channel="call",
                template="t",
                not_before=0.0,
            ),
            PlannedMessage(
                id="M-2",
                debtor_id="C-0",
                debt_id="D-0",
                channel="sms",
                template="t",
                not_before=0.0,
            ),
        ]
    )
    ledger = Ledger(RULES, store)
    for message, channel in (("M-1", "call"), ("M-2", "sms")):
        [claimed] = [m for m in store.claim_messages("w", 1e10, 1, 60) if m.id == message] or [None]
        assert claimed is not None
        reserved = ledger.reserve(
            {
                "debtor_id": "C-0",
                "debt_id": "D-0",
                "channel": channel,
                "to": phone(0),
                "at": "2026-06-09T15:00:00Z",
            }
        )
        store.settle_message(
            message, "w", "sent", attempt_id=reserved.attempt_id, provider_id=f"SID-{message}"
        )
    busy = {"CallSid": "SID-M-1", "CallStatus": "busy"}
    assert hooks.twilio("/webhooks/twilio/status", busy).status_code == 204
    delivered = {"MessageSid": "SID-M-2", "MessageStatus": "delivered"}
    assert hooks.twilio("/webhooks/twilio/status", delivered).status_code == 204
    outcomes = {a.channel: a.outcome for a in store.attempts("C-0")}
    assert outcomes == {"call": "not_connected", "sms": "delivered"}  # busy is not a placed call


def test_sendgrid_events_opt_out_and_bounce_once_and_only_signed(hooks: Hooks) -> None:
    store = hooks.store
    store.plan_messages(
        [
            PlannedMessage(
                id="M-9",
                debtor_id="C-1",
                debt_id="D-1",
                channel="email",
                template="t",
                not_before=0.0,
            )
        ]
    )
    [claimed] = store.claim_messages("w", 1e10, 1, 60)
    sent = AttemptRecord(
        id="A-9", debtor_id="C-1", debt_ids=("D-1",), channel="email", to="pat1@example.com", at=1.0
    )
    store.record_attempt(sent)
    store.settle_message(claimed.id, "w", "sent", attempt_id=sent.id)
    events = [
        {"event": "bounce", "email": "pat1@example.com", "sg_event_id": "e1", "message_id": "M-9"},
        {
            "event": "unsubscribe",
            "email": "pat1@example.com",
            "sg_event_id": "e2",
            "message_id": "M-9",
        },
    ]
    assert hooks.sendgrid(events).status_code == 204
    assert hooks.sendgrid(events).status_code == 204  # retried: nothing twice
    assert [a.outcome for a in store.attempts("C-1")] == ["bounced"]
    assert [o.to for o in store.snapshot("C-1", "D-1").opt_outs] == ["pat1@example.com"]
    stale = hooks.sendgrid(events, stamp=str(int(NOW) - 3600))
    assert stale.status_code == 403  # a replay of an old, signed POST
    forged = hooks.http.post("/webhooks/sendgrid/events", json=events)
    assert forged.status_code == 403


def test_one_click_unsubscribe_needs_a_signed_token(hooks: Hooks) -> None:
    token = unsubscribe_token(
        SIGNING_KEY, UnsubscribeClaim("C-0", "email", "pat0@example.com", 1.0)
    )
    page = hooks.http.get("/unsubscribe", params={"token": token})
    assert page.status_code == 200 and "<form" in page.text
    assert hooks.store.snapshot("C-0", "D-0").opt_outs == ()  # a GET changes nothing
    done = hooks.http.post(
        "/unsubscribe", params={"token": token}, data={"List-Unsubscribe": "One-Click"}
    )
    assert done.status_code == 200
    assert [o.channel for o in hooks.store.snapshot("C-0", "D-0").opt_outs] == ["email"]
    forged = unsubscribe_token(
        b"another key", UnsubscribeClaim("C-1", "email", "pat1@example.com", 1.0)
    )
    assert hooks.http.post("/unsubscribe", params={"token": forged}).status_code == 400
    assert hooks.store.snapshot("C-1", "D-1").opt_outs == ()


def test_malformed_or_oversized_bodies_get_a_4xx_and_leave_no_trace(hooks: Hooks) -> None:
    before = ledger_rows(hooks.store)
    huge = {"MessageSid": "SM7", "From": phone(0), "Body": "STOP " + "x" * 1_100_000}
    assert hooks.twilio("/webhooks/twilio/sms", huge).status_code == 413
    garbled = hooks.http.post(
        "/webhooks/twilio/sms",
        content=b"\xff\xfe=\x00",
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"},
    )
    assert garbled.status_code == 400
    not_json = hooks.sendgrid([], body=b"{not json")
    assert not_json.status_code == 400  # signed, but not events
    assert ledger_rows(hooks.store) == before
