"""Dispatch through the real Twilio and SendGrid SDKs, against stub providers on loopback."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contactengine.channels import adapter_for, load_channels
from contactengine.dispatch.run import Dispatcher, Settled
from contactengine.engine.loader import load_ruleset
from contactengine.ledger import Ledger
from contactengine.model import OptOut
from contactengine.store.audit import verify
from contactengine.store.sqlite import SQLiteStore
from contactengine.templates import TemplateSet
from tests.dispatch_setup import NOW, ROOT, channel_files, environment, message, phone, seed
from tests.stubs.sendgrid_stub import SendGridStub
from tests.stubs.twilio_stub import TwilioStub, server_error, twilio_error

RULES = load_ruleset([ROOT / "rules"])


class Clock:
    """The dispatcher's clock, moved by the test."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def twilio() -> Iterator[TwilioStub]:
    with TwilioStub() as stub:
        yield stub


@pytest.fixture
def sendgrid() -> Iterator[SendGridStub]:
    with SendGridStub() as stub:
        yield stub


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    opened = SQLiteStore(tmp_path / "ledger.db")
    seed(opened, 3)
    yield opened
    opened.close()


def dispatcher(
    store: SQLiteStore,
    twilio: TwilioStub,
    sendgrid: SendGridStub,
    tmp_path: Path,
    clock: Clock,
    templates: Path = ROOT / "templates",
    worker: str = "w1",
) -> Dispatcher:
    channels = load_channels(channel_files(tmp_path / "channels"))
    env = environment(twilio.base_url, sendgrid.base_url)
    adapters = {
        name: adapter_for(c, env, outbox=tmp_path / "outbox") for name, c in channels.items()
    }
    return Dispatcher(
        Ledger(RULES, store),
        TemplateSet(templates),
        channels,
        adapters,
        worker=worker,
        signing_key=b"test key",
        clock=clock,
    )


def statuses(store: SQLiteStore) -> dict[str, tuple[str, str | None]]:
    return {m.id: (m.status, m.reason) for m in store.planned_messages()}


def test_due_messages_reach_the_providers_exactly_as_the_rules_want(
    store: SQLiteStore, twilio: TwilioStub, sendgrid: SendGridStub, tmp_path: Path
) -> None:
    store.plan_messages([message(0, "sms"), message(0, "email"), message(1, "call")])
    summary = dispatcher(store, twilio, sendgrid, tmp_path, Clock(NOW)).run()
    assert summary.as_dict()["sent"] == 3
    [text, call] = sorted(twilio.sends, key=lambda s: str(s["kind"]))[::-1]
    assert (text["kind"], text["to"], text["from"]) == ("sms", phone(0), "+15005550006")
    assert text["idempotency_token"] == "M-sms-0"  # the message id: a resend is the same send
    assert "This communication is from a debt collector." in text["body"]  # 1692e(11)
    assert "Reply STOP" in text["body"]  # 1006.6(e)
    form = next(r.form for r in twilio.requests if r.path.endswith("/Messages.json"))
    assert form["StatusCallback"] == "https://hooks.example.com/twilio/status"
    assert call["kind"] == "call" and "<Say" in call["body"]
    [email] = sendgrid.sends
    assert email["to"] == ["pat0@example.com"]
    assert email["custom_args"] == {"message_id": "M-email-0"}
    assert email["headers"]["List-Unsubscribe"].startswith(
        "<https://hooks.example.com/unsubscribe?token="
    )
    assert email["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [c["type"] for c in email["content"]] == ["text/plain", "text/html"]
    outcomes = {a.channel: a.outcome for n in (0, 1) for a in store.attempts(f"C-{n}")}
    assert outcomes == {"sms": "sent", "email": "sent", "call": None}  # a call's comes later
    assert all(status == "sent" for status, _ in statuses(store).values())
    assert all(m.provider_id for m in store.planned_messages())
    assert verify(store).ok


def test_not_allowed_now_is_deferred_and_never_allowed_is_closed(
    store: SQLiteStore, twilio: TwilioStub, sendgrid: SendGridStub, tmp_path: Path
) -> None:
    store.record_opt_out(
        "C-1", OptOut.model_validate({"channel": "email", "at": "2026-06-01T15:00:00Z"})
    )
    night = NOW - 8 * 3600  # 03:00 in Boston
    store.plan_messages(
        [message(0, "sms", not_before=night - 60), message(1, "email", not_before=night - 60)]
    )
    summary = dispatcher(store, twilio, sendgrid, tmp_path, Clock(night)).run()
    assert summary.as_dict()["deferred"] == {"fdcpa-convenient-hours": 1}
    assert summary.as_dict()["closed"] == {"reg-f-medium-opt-out": 1}
    [deferred] = store.planned_messages(status="pending")
    assert deferred.due_at == NOW - 3 * 3600  # 08:00 in Boston, the next allowed instant
    assert twilio.sends == [] and sendgrid.sends == []
    assert store.attempts("C-0") == [] and store.attempts("C-1") == []  # refusals reserve nothing


def test_a_transient_failure_is_tried_again_later_and_sent_once(
    store: SQLiteStore, twilio: TwilioStub, sendgrid: SendGridStub, tmp_path: Path
) -> None:
    twilio.script(phone(0), server_error(503))
    store.plan_messages([message(0, "sms")])
    clock = Clock(NOW)
    run = dispatcher(store, twilio, sendgrid, tmp_path, clock)
    assert run.run().as_dict()["deferred"] == {"http-503": 1}
    [pending] = store.planned_messages()
    assert pending.due_at is not None and NOW < pending.due_at <= NOW + 60
    assert pending.attempt_id  # the reservation stands until we know it was not sent
    clock.now = pending.due_at
    assert run.run().sent == 1
    assert len(twilio.sends) == 1
    [attempt] = store.attempts("C-0")  # the first reservation, never sent, was released
    assert attempt.outcome == "sent"
    assert verify(store).ok


def test_a_permanent_failure_fails_and_an_unsubscribed_number_is_opted_out(
    store: SQLiteStore, twilio: TwilioStub, sendgrid: SendGridStub, tmp_path: Path
) -> None:
    twilio.script(phone(0), twilio_error(21610))
    store.plan_messages([message(0, "sms")])
    clock = Clock(NOW)
    run = dispatcher(store, twilio, sendgrid, tmp_path, clock)
    assert run.run().as_dict()["failed"] == {"21610": 1}
    [attempt] = store.attempts("C-0")
    assert attempt.outcome == "failed"
    assert [o.channel for o in store.snapshot("C-0", "D-0").opt_outs] == ["sms"]
    store.plan_messages([message(0, "sms", id="M-again")])
    clock.now += 3600
    assert run.run().as_dict()["closed"] == {"reg-f-medium-opt-out": 1}


def test_a_message_missing_a_required_disclosure_is_never_sent(
    store: SQLiteStore, twilio: TwilioStub, sendgrid: SendGridStub, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    sms = templates / "payment_reminder" / "sms.en.j2"
    text = sms.read_text()
    call = '{{ disclosure("debt_collector_disclosure") }}'
    assert call in text
    sms.write_text(text.replace(call, "{% if false %}" + call + "{% endif %}"))
    store.plan_messages([message(0, "sms")])
    run = dispatcher(store, twilio, sendgrid, tmp_path, Clock(NOW), templates=templates)
    assert run.run().as_dict()["closed"] == {"missing-disclosure": 1}
    assert twilio.sends == []
    assert store.attempts("C-0") == []  # reserved, then released: nothing was sent
    [closed] = store.planned_messages()
    assert closed.reason is not None and "debt_collector_disclosure" in closed.reason


def test_stopping_finishes_the_message_in_hand_and_gives_the_rest_back(
    store: SQLiteStore, twilio: TwilioStub, sendgrid: SendGridStub, tmp_path: Path
) -> None:
    store.plan_messages([message(n, "email") for n in range(3)])
    run = dispatcher(store, twilio, sendgrid, tmp_path, Clock(NOW))

    def stop_after_first(settled: Settled) -> None:
        run.stop.set()  # as SIGTERM does

    summary = run.run(report=stop_after_first)
    assert summary.sent == 1 and len(sendgrid.sends) == 1
    assert sorted(s for s, _ in statuses(store).values()) == ["pending", "pending", "sent"]
    other = dispatcher(store, twilio, sendgrid, tmp_path, Clock(NOW), worker="w2")
    assert other.run().sent == 2  # given back: another worker takes them at once


def test_a_dry_run_changes_nothing(
    store: SQLiteStore, twilio: TwilioStub, sendgrid: SendGridStub, tmp_path: Path
) -> None:
    night = NOW - 8 * 3600
    store.plan_messages(
        [message(0, "sms", not_before=night - 60), message(1, "email", not_before=night - 60)]
    )
    before = list(store.decision_log())
    summary = dispatcher(store, twilio, sendgrid, tmp_path, Clock(night)).preview()
    assert summary.as_dict()["deferred"] == {"fdcpa-convenient-hours": 2}
    assert list(store.decision_log()) == before
    assert {s for s, _ in statuses(store).values()} == {"pending"}
    assert twilio.requests == [] and sendgrid.requests == []


def test_a_crash_after_the_send_is_recovered_without_sending_twice(
    store: SQLiteStore, twilio: TwilioStub, sendgrid: SendGridStub, tmp_path: Path
) -> None:
    """The worker took the provider's answer but died before recording it."""
    store.plan_messages([message(0, "email"), message(1, "sms")])
    crashing = dispatcher(store, twilio, sendgrid, tmp_path, Clock(NOW))

    def die_after_sending(*args: Any, **kwargs: Any) -> Settled:
        raise SystemExit("killed")

    crashing._answered = die_after_sending  # type: ignore[method-assign]
    for planned in store.claim_messages("w1", NOW, 10, 300):
        with pytest.raises(SystemExit):
            crashing.handle(planned)
    assert len(sendgrid.sends) == 1 and len(twilio.sends) == 1
    restarted = dispatcher(store, twilio, sendgrid, tmp_path, Clock(NOW + 5))
    assert restarted.run().sent == 2
    assert len(sendgrid.sends) == 1  # SendGrid said it had the email: not sent again
    assert len(twilio.sends) == 1  # Twilio's message list showed the text: not sent again
    assert {s for s, _ in statuses(store).values()} == {"sent"}
    assert len(store.attempts("C-0")) == 1 and len(store.attempts("C-1")) == 1


def test_a_message_to_a_number_not_on_file_is_closed(
    store: SQLiteStore, twilio: TwilioStub, sendgrid: SendGridStub, tmp_path: Path
) -> None:
    store.plan_messages([dataclasses.replace(message(0, "sms"), to="+16175559999")])
    summary = dispatcher(store, twilio, sendgrid, tmp_path, Clock(NOW)).run()
    assert summary.as_dict()["closed"] == {"unknown-contact-point": 1}
    assert twilio.sends == []
