"""Provider webhooks: the consumer's replies and the providers' reports, acted on at once.

A webhook is served only when its secret is configured (`WebhookSettings`): one that
cannot verify what it receives does not exist. Every request is verified before anything
is read into the ledger: Twilio's `X-Twilio-Signature` over the public URL and the form,
SendGrid's ECDSA signature over the timestamp and the raw body, our own HMAC on
unsubscribe links. What fails verification gets
a 403 and leaves no trace. Each provider event is acted on once (`Store.first_time`), so a
provider retrying the same event changes nothing twice.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape as xml_escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from contactengine.dispatch.unsubscribe import read_unsubscribe_token
from contactengine.ledger import Ledger
from contactengine.model.contact import ContactPointError, email_address, phone_number
from contactengine.model.debtor import OptOut
from contactengine.model.errors import RequestError
from contactengine.model.limits import load_json
from contactengine.model.masking import mask_contact
from contactengine.model.records import AttemptRecord
from contactengine.model.request import LedgerRequest
from contactengine.store.base import StoreError
from contactengine.webhooks.inbound_sms import Intent, read_inbound_sms
from contactengine.webhooks.signatures import (
    SignatureError,
    sendgrid_event_keys,
    twilio_event_key,
    verify_sendgrid,
    verify_twilio,
)

LOG = logging.getLogger("contactengine.webhooks")
TWIML = "application/xml"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

# A call the provider completed without telling who answered may have reached the consumer:
# counted as a conversation, the reading that restricts more (12 CFR 1006.14(b)(2)(i)(B)).
CALL_OUTCOMES = {
    "busy": "not_connected",
    "failed": "not_connected",
    "canceled": "not_connected",
    "no-answer": "no_answer",
}
MESSAGE_OUTCOMES = {
    "sent": "sent",
    "delivered": "delivered",
    "undelivered": "failed",
    "failed": "failed",
}
EMAIL_OPT_OUTS = ("unsubscribe", "group_unsubscribe", "spamreport")
EMAIL_OUTCOMES = {"bounce": "bounced", "dropped": "bounced", "delivered": "delivered"}


@dataclass(frozen=True)
class WebhookSettings:
    """Secrets and addresses the webhooks need; a missing one disables its webhook."""

    public_url: str | None
    twilio_auth_token: str | None
    sendgrid_public_key: str | None
    signing_key: bytes | None
    confirmation_text: str = "You will get no more texts from us at this number."
    help_text: str = "Reply STOP to stop texts. For help, call us at the number on your statement."

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] = os.environ, signing_key: bytes | None = None
    ) -> WebhookSettings:
        return cls(
            public_url=(environ.get("CONTACTENGINE_PUBLIC_URL") or "").rstrip("/") or None,
            twilio_auth_token=environ.get("TWILIO_AUTH_TOKEN"),
            sendgrid_public_key=environ.get("SENDGRID_WEBHOOK_PUBLIC_KEY"),
            signing_key=signing_key,
        )


class Refused(Exception):
    """A webhook request not acted on: its status and why (never echoing what was sent)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def webhook_router(
    ledger: Ledger, settings: WebhookSettings, clock: Callable[[], float] = time.time
) -> APIRouter:
    router = APIRouter(tags=["webhooks"])
    store = ledger.store
    # Each route below is registered only when its secret is set (`_when`), so inside it
    # the secret is never empty.
    auth_token, public_url = settings.twilio_auth_token or "", settings.public_url or ""
    sendgrid_key = settings.sendgrid_public_key or ""
    signing_key = settings.signing_key or b""

    async def twilio_form(request: Request, path: str) -> dict[str, str]:
        form = await _form(request)
        try:
            verify_twilio(
                auth_token,
                public_url + path,
                form,
                request.headers.get("x-twilio-signature"),
            )
        except SignatureError as exc:
            raise Refused(403, str(exc)) from exc
        return form

    twilio = bool(auth_token and public_url)

    @_when(twilio, router.post("/webhooks/twilio/sms"))
    async def inbound_sms(request: Request) -> Response:
        """A text from a consumer: a revocation, a request for help, or a message."""
        try:
            form = await twilio_form(request, "/webhooks/twilio/sms")
        except Refused as refused:
            return _refusal(refused)
        body = form.get("Body", "")
        try:
            sender = phone_number(form.get("From", ""))
        except ContactPointError:  # a sender no debtor can have: acknowledged, nothing to do
            LOG.info("inbound sms from a sender that is not a phone number")
            return Response(EMPTY_TWIML, media_type=TWIML)
        key = twilio_event_key(form, request.headers.get("i-twilio-idempotency-token"))
        now = clock()
        reading = read_inbound_sms(body)
        try:
            if not store.first_time(key, now):
                return Response(EMPTY_TWIML, media_type=TWIML)
            debtors = store.debtors_at(sender)
            for debtor_id in debtors:
                _record_inbound(store, debtor_id, sender, form, now)
            reply = None
            if reading.intent is Intent.REVOKE:
                for debtor_id in debtors:
                    store.revoke_consent(
                        debtor_id, "sms", sender, now, key=f"{key}:revoke:{debtor_id}"
                    )
                    opt_out = OptOut(channel="sms", to=sender, at=now)
                    store.record_opt_out(debtor_id, opt_out, key=f"{key}:opt-out:{debtor_id}")
                reply = _confirmation(ledger, debtors, sender, now, settings.confirmation_text)
            elif reading.intent is Intent.HELP:
                reply = settings.help_text
        except StoreError as exc:  # the provider retries: the event was not marked as done
            LOG.error("inbound sms from %s not recorded: %s", mask_contact(sender), exc)
            return Response(status_code=503)
        LOG.info(
            "inbound sms from %s: %s (%s debtors)",
            mask_contact(sender),
            reading.intent,
            len(debtors),
        )
        return Response(_twiml(reply), media_type=TWIML)

    @_when(twilio, router.post("/webhooks/twilio/status"))
    async def twilio_status(request: Request) -> Response:
        """A text's or a call's progress: the attempt's outcome."""
        try:
            form = await twilio_form(request, "/webhooks/twilio/status")
        except Refused as refused:
            return _refusal(refused)
        outcome = _twilio_outcome(form)
        sid = form.get("MessageSid") or form.get("CallSid") or ""
        key = twilio_event_key(form, request.headers.get("i-twilio-idempotency-token"))
        try:
            if outcome is None or not store.first_time(key, clock()):
                return Response(status_code=204)
            message = store.message_by_provider_id(sid)
            if message is not None and message.attempt_id:
                store.record_outcome(message.attempt_id, outcome, _message_left(form))
        except StoreError as exc:
            LOG.error("status for %s not recorded: %s", sid, exc)
            return Response(status_code=503)
        return Response(status_code=204)

    @_when(bool(sendgrid_key), router.post("/webhooks/sendgrid/events"))
    async def sendgrid_events(request: Request) -> Response:
        """Bounces, drops, deliveries, unsubscribes and spam reports."""
        raw = await request.body()
        now = clock()
        try:
            verify_sendgrid(
                sendgrid_key,
                request.headers.get("x-twilio-email-event-webhook-timestamp"),
                raw,
                request.headers.get("x-twilio-email-event-webhook-signature"),
                now,
            )
            events = load_json(raw, "body")
            if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
                raise ValueError("the body is not a list of events")
        except SignatureError as exc:
            return _refusal(Refused(403, str(exc)))
        except RequestError:
            return _refusal(Refused(400, "the body is not JSON"))
        except ValueError as exc:
            return _refusal(Refused(400, str(exc)))
        try:
            for event, key in zip(events, sendgrid_event_keys(events), strict=True):
                if store.first_time(key, now):
                    _email_event(store, event, now)
        except StoreError as exc:
            LOG.error("sendgrid events not recorded: %s", exc)
            return Response(status_code=503)
        return Response(status_code=204)

    unsubscribing = settings.signing_key is not None

    @_when(unsubscribing, router.get("/unsubscribe", response_class=HTMLResponse))
    def unsubscribe_page(token: str = "") -> Response:
        """A link followed in a browser: ask before acting (link scanners follow links)."""
        try:
            claim = read_unsubscribe_token(signing_key, token)
        except ValueError:
            return HTMLResponse("<p>This unsubscribe link is not valid.</p>", status_code=400)
        return HTMLResponse(
            f"<form method='post'><p>Stop emails to {escape(mask_contact(claim.address))}?</p>"
            f"<input type='hidden' name='token' value='{escape(token)}'>"
            "<button type='submit'>Unsubscribe</button></form>"
        )

    @_when(unsubscribing, router.post("/unsubscribe"))
    async def unsubscribe(request: Request, token: str = "") -> Response:
        """RFC 8058 one-click: the mail client posts `List-Unsubscribe=One-Click`."""
        if not token:
            token = (await _form(request)).get("token", "")
        try:
            claim = read_unsubscribe_token(signing_key, token)
        except ValueError:
            return _refusal(Refused(400, "this unsubscribe link is not valid"))
        now = clock()
        opt_out = OptOut(channel="email", to=claim.address, at=now)
        try:
            store.record_opt_out(claim.debtor_id, opt_out, key=f"unsubscribe:{token}")
        except StoreError as exc:
            LOG.error("unsubscribe not recorded: %s", exc)
            return Response(status_code=503)
        return HTMLResponse("<p>You will get no more emails from us at this address.</p>")

    return router


async def _form(request: Request) -> dict[str, str]:
    """A form-encoded body as Twilio sends it (and as it signs it: every field, decoded)."""
    try:
        text = (await request.body()).decode("utf-8")
        return dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text)))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refused(400, "the body is not a form") from exc


Handler = Callable[..., Any]


def _when(enabled: bool, register: Callable[[Handler], Handler]) -> Callable[[Handler], Handler]:
    """Register the route only when it can verify its requests."""
    return register if enabled else (lambda handler: handler)


def _record_inbound(
    store: Any, debtor_id: str, sender: str, form: Mapping[str, str], now: float
) -> None:
    """The consumer's text, in the history: it starts the clocks the law ties to it."""
    sid = form.get("MessageSid") or form.get("SmsSid") or f"{now}"
    attempt = AttemptRecord(
        id=f"in-{sid}-{debtor_id}",
        debtor_id=debtor_id,
        debt_ids=(),
        channel="sms",
        to=sender,
        at=now,
        direction="inbound",
    )
    store.record_attempt(attempt, key=f"inbound:{attempt.id}")


def _confirmation(
    ledger: Ledger, debtors: list[str], sender: str, now: float, text: str
) -> str | None:
    """The one confirmation text 47 CFR 64.1200(a)(12) allows, when the rules allow it."""
    for debtor_id in debtors:
        debts = ledger.store.debts_of(debtor_id)
        if not debts:
            continue
        decision = ledger.reserve(
            LedgerRequest(
                debtor_id=debtor_id,
                debt_id=debts[0],
                channel="sms",
                to=sender,
                at=now,
                purpose="opt_out_confirmation",
                automated=True,
            )
        )
        return text if decision.allowed else None
    return None


def _twilio_outcome(form: Mapping[str, str]) -> str | None:
    if "CallStatus" in form and "MessageStatus" not in form:
        status = form["CallStatus"]
        if status == "completed":
            answered = form.get("AnsweredBy", "")
            return "voicemail" if answered.startswith("machine") else "conversation"
        return CALL_OUTCOMES.get(status)
    return MESSAGE_OUTCOMES.get(form.get("MessageStatus") or form.get("SmsStatus") or "")


def _message_left(form: Mapping[str, str]) -> bool | None:
    answered = form.get("AnsweredBy", "")
    return True if answered == "machine_end_beep" else None


def _email_event(store: Any, event: Mapping[str, Any], now: float) -> None:
    kind = str(event.get("event", ""))
    message = store.planned_message(str(event.get("message_id", "")))
    if message is None:
        return  # not one of ours, or its custom arguments were lost
    if kind in EMAIL_OPT_OUTS and event.get("email"):
        try:
            address = email_address(str(event["email"]))
        except ContactPointError:  # not an address: every email to this debtor stops
            address = None
        store.record_opt_out(message.debtor_id, OptOut(channel="email", to=address, at=now))
    outcome = EMAIL_OUTCOMES.get(kind)
    if outcome and message.attempt_id:
        store.record_outcome(message.attempt_id, outcome)


def _twiml(reply: str | None) -> str:
    if reply is None:
        return EMPTY_TWIML
    return f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{xml_escape(reply)}</Message></Response>'


def _refusal(refused: Refused) -> Response:
    LOG.warning("webhook refused: %s", refused)
    body = {
        "type": "about:blank",
        "title": "Webhook refused",
        "status": refused.status,
        "detail": str(refused),
    }
    return Response(
        json.dumps(body), status_code=refused.status, media_type="application/problem+json"
    )
