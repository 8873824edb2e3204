"""The dispatch run: send what is due and lawful now, defer what will be, close what never.

For each claimed message, in order: render it (a template that cannot render closes the
message), note the attempt's id on the message, reserve that attempt with the engine at
this instant (`Ledger.reserve`: the check and the record are one transaction, so parallel
runs never exceed a cap), verify that the rendered text carries every disclosure the
decision requires, send it, and record the provider's answer.

Crash safety rests on two things. The attempt is recorded before the send, under an id
the message already names. And a message whose previous try did reserve an attempt is
first asked about (`Adapter.find`: Twilio's message and call lists, SendGrid's activity
search, the outbox's files): when the provider already has it, it is marked sent; when the
lookup fails, it waits; otherwise that reservation is released and the message decided
afresh, at the new instant. Every send also carries the message's id as an idempotency
key, for the providers that honour one.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contactengine.channels import Adapter, ChannelConfig, OutboundMessage, SendResult
from contactengine.dispatch.contacts import default_contact
from contactengine.dispatch.unsubscribe import UnsubscribeClaim, unsubscribe_token, unsubscribe_url
from contactengine.ledger import Ledger
from contactengine.model.debtor import Debtor, OptOut
from contactengine.model.decision import Decision
from contactengine.model.instant import iso
from contactengine.model.masking import mask_contact, mask_text
from contactengine.model.records import PlannedMessage
from contactengine.model.request import LedgerRequest
from contactengine.store.base import NotFound, StoreError
from contactengine.templates import Rendered, TemplateError, TemplateSet

RESULTS = ("sent", "deferred", "closed", "failed", "returned")
STORE_RETRY_SECONDS = 60.0  # a ledger that did not answer: try the message again after this


@dataclass(frozen=True)
class Settled:
    """What became of one message, and why (a rule id or an error code)."""

    message_id: str
    debtor_id: str
    channel: str
    to: str | None
    result: str
    why: str
    detail: str = ""
    due_at: float | None = None

    def event(self) -> dict[str, Any]:
        """The structured log line: personal data masked."""
        line: dict[str, Any] = {
            "event": self.result,
            "message": self.message_id,
            "debtor": self.debtor_id,
            "channel": self.channel,
            "to": mask_contact(self.to),
            "why": self.why,
        }
        if self.detail:
            line["detail"] = mask_text(self.detail)
        if self.due_at is not None:
            line["due_at"] = iso(self.due_at)
        return line


@dataclass
class Summary:
    sent: int = 0
    deferred: Counter[str] = field(default_factory=Counter)
    closed: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    returned: int = 0

    def add(self, settled: Settled) -> None:
        if settled.result == "sent":
            self.sent += 1
        elif settled.result == "returned":
            self.returned += 1
        else:
            getattr(self, settled.result)[settled.why] += 1

    @property
    def handled(self) -> int:
        return (
            self.sent
            + self.returned
            + sum(self.deferred.values())
            + sum(self.closed.values())
            + sum(self.failed.values())
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "deferred": dict(sorted(self.deferred.items())),
            "closed": dict(sorted(self.closed.items())),
            "failed": dict(sorted(self.failed.items())),
            "returned": self.returned,
        }


def binding_reason(decision: Decision) -> tuple[str, str]:
    """The refusing rule that decides the message's fate, and its message: one that never
    clears when the message can never go, else the one that clears last."""
    reasons = decision.reasons
    if not reasons:
        return "refused", ""
    never = [r for r in reasons if r.until is None]
    chosen = never[0] if never else max(reasons, key=lambda r: r.until or 0.0)
    return chosen.rule, chosen.message


class Dispatcher:
    """One worker's runs over the planned messages of a ledger."""

    def __init__(
        self,
        ledger: Ledger,
        templates: TemplateSet,
        channels: Mapping[str, ChannelConfig],
        adapters: Mapping[str, Adapter],
        *,
        worker: str,
        signing_key: bytes,
        clock: Callable[[], float] = time.time,
        lease: float = 300.0,
        batch: int = 25,
        rng: random.Random | None = None,
    ) -> None:
        self.ledger = ledger
        self.store = ledger.store
        self.templates = templates
        self.channels = channels
        self.adapters = adapters
        self.worker = worker
        self.signing_key = signing_key
        self.clock = clock
        self.lease = lease
        self.batch = batch
        self.rng = rng or random.Random()
        self.stop = threading.Event()  # set (by SIGTERM) to finish the message in hand and stop

    # --- runs -------------------------------------------------------------------------------

    def run(
        self, limit: int | None = None, report: Callable[[Settled], None] | None = None
    ) -> Summary:
        """Claim and handle due messages until none is due, `limit` is reached or `stop`."""
        summary = Summary()
        while not self.stop.is_set() and (limit is None or summary.handled < limit):
            size = self.batch if limit is None else min(self.batch, limit - summary.handled)
            claimed = self.store.claim_messages(self.worker, self.clock(), size, self.lease)
            if not claimed:
                break
            for index, message in enumerate(claimed):
                if self.stop.is_set():
                    self._give_back(claimed[index:])
                    break
                settled = self.handle(message)
                summary.add(settled)
                if report is not None:
                    report(settled)
        return summary

    def preview(
        self, limit: int | None = None, report: Callable[[Settled], None] | None = None
    ) -> Summary:
        """What a run would do now, with nothing claimed, reserved, sent or logged."""
        summary = Summary()
        now = self.clock()
        due = [m for m in self.store.planned_messages(status="pending") if (m.due_at or 0) <= now]
        for message in due[:limit]:
            settled = self._preview(message, now)
            summary.add(settled)
            if report is not None:
                report(settled)
        return summary

    def _give_back(self, messages: list[PlannedMessage]) -> None:
        for message in messages:
            due = message.due_at if message.due_at is not None else message.not_before
            self.store.settle_message(message.id, self.worker, "pending", due_at=due)

    # --- one message ------------------------------------------------------------------------

    def handle(self, message: PlannedMessage) -> Settled:
        now = self.clock()
        prepared = self._prepare(message, now)
        if isinstance(prepared, Settled):
            return self._write(message, prepared)
        debtor, outbound, rendered = prepared
        adapter = self.adapters[message.channel]
        if message.attempt_id and self.store.attempt(message.attempt_id) is not None:
            # A previous try reserved this message and may have sent it before it stopped.
            found = adapter.find(outbound)
            if found is not None and found.status == "accepted":
                self._record_sent(message, message.attempt_id, found)
                return self._settle(
                    message, outbound.to, "sent", "provider", found.reason, None, found
                )
            if found is not None:  # the lookup itself failed: sending again might send twice
                why = f"lookup-{found.code or found.status}"
                return self._defer(
                    message, outbound.to, now + STORE_RETRY_SECONDS, why, found.reason
                )
            self._release(message.attempt_id, now)
        # The attempt's id goes on the message before the reservation is made, so that a
        # crash between the two leaves nothing the next try cannot account for.
        attempt_id = f"{message.id}~{message.tries}"
        if not self.store.settle_message(message.id, self.worker, "claimed", attempt_id=attempt_id):
            return self._lost(message, outbound.to)
        decision = self.ledger.reserve(
            self._request(message, outbound.to, now, rendered), attempt_id=attempt_id
        )
        if not decision.allowed:
            return self._write(message, self._refused(message, outbound.to, decision, now))
        lacking = self._lacking(message, outbound.to, rendered, decision)
        if lacking is not None:
            self._release(attempt_id, now)
            return self._write(message, lacking)
        result = adapter.send(outbound)
        return self._answered(message, debtor, outbound, attempt_id, result, now)

    def _prepare(
        self, message: PlannedMessage, now: float
    ) -> tuple[Debtor, OutboundMessage, Rendered] | Settled:
        """The debtor, the rendered message and what goes to the provider; or, not yet
        written anywhere, why the message cannot go (shared by runs and dry runs)."""
        config = self.channels.get(message.channel)
        if config is None or message.channel not in self.adapters:
            detail = f"no channel file configures `{message.channel}`"
            return self._verdict(message, message.to, "closed", "no-channel", detail)
        try:
            debtor = self.store.debtor(message.debtor_id)
        except NotFound as exc:
            return self._verdict(message, message.to, "closed", "unknown-record", str(exc))
        except StoreError as exc:
            retry = now + STORE_RETRY_SECONDS
            return self._verdict(
                message, message.to, "deferred", "store-unavailable", str(exc), retry
            )
        to = message.to or default_contact(debtor, message.channel)
        if to is None:
            detail = f"the debtor has no contact point for {message.channel}"
            return self._verdict(message, None, "closed", "no-contact-point", detail)
        try:
            rendered = self._render(message, debtor, config, to, now)
        except TemplateError as exc:
            return self._verdict(message, to, "closed", "template", str(exc))
        outbound = OutboundMessage(
            message_id=message.id,
            idempotency_key=message.id,
            channel=message.channel,
            to=to,
            text=rendered.text,
            subject=rendered.subject,
            html=rendered.html,
            twiml=rendered.twiml,
            headers=dict(rendered.headers),
            metadata={"message_id": message.id},
        )
        return debtor, outbound, rendered

    def _render(
        self, message: PlannedMessage, debtor: Debtor, config: ChannelConfig, to: str, now: float
    ) -> Rendered:
        variables = dict(message.variables)
        language = str(variables.pop("language", None) or debtor.language or "en")
        if debtor.first_name is not None:  # a template that greets by name needs one on file
            variables.setdefault("first_name", debtor.first_name)
        link = None
        if message.channel == "email" and config.unsubscribe_url:
            claim = UnsubscribeClaim(debtor.id, message.channel, to, now)
            link = unsubscribe_url(
                config.unsubscribe_url, unsubscribe_token(self.signing_key, claim)
            )
        return self.templates.render(
            message.template,
            message.channel,
            language,
            variables,
            unsubscribe_url=link,
            segment_budget=config.segment_budget if message.channel == "sms" else None,
        )

    def _request(
        self, message: PlannedMessage, to: str, now: float, rendered: Rendered
    ) -> LedgerRequest:
        return LedgerRequest.model_validate(
            {
                "debtor_id": message.debtor_id,
                "debt_id": message.debt_id,
                "channel": message.channel,
                "to": to,
                "at": now,
                "purpose": self.templates.purpose(rendered.kind),
                # What dispatch places is automated: texts, and calls in an artificial voice.
                "automated": message.channel in ("sms", "call"),
            }
        )

    def _refused(self, message: PlannedMessage, to: str, decision: Decision, now: float) -> Settled:
        """Deferred to when the rules allow it, or closed when they never will (unwritten)."""
        rule, detail = binding_reason(decision)
        if rule == "store-unavailable":
            return self._verdict(message, to, "deferred", rule, detail, now + STORE_RETRY_SECONDS)
        following = decision.next_allowed_at
        if following is not None:
            return self._verdict(message, to, "deferred", rule, detail, following)
        return self._verdict(message, to, "closed", rule, detail)

    def _lacking(
        self, message: PlannedMessage, to: str, rendered: Rendered, decision: Decision
    ) -> Settled | None:
        """Closed when the rendered text lacks a disclosure the decision requires (unwritten)."""
        missing = self.templates.missing_disclosures(rendered, decision.required_content)
        if not missing:
            return None
        detail = f"the rendered message lacks {', '.join(missing)}, which the rules require"
        return self._verdict(message, to, "closed", "missing-disclosure", detail)

    def _answered(
        self,
        message: PlannedMessage,
        debtor: Debtor,
        outbound: OutboundMessage,
        attempt_id: str,
        result: SendResult,
        now: float,
    ) -> Settled:
        why = result.code or result.status
        if result.status == "accepted":
            self._record_sent(message, attempt_id, result)
            return self._settle(
                message, outbound.to, "sent", "provider", result.reason, None, result
            )
        if result.status == "permanent":
            failed = "not_connected" if message.channel == "call" else "failed"
            self._quietly(lambda: self.store.record_outcome(attempt_id, failed))
            if result.opted_out:
                opt_out = OptOut.model_validate(
                    {"channel": message.channel, "to": outbound.to, "at": now}
                )
                self._quietly(
                    lambda: self.store.record_opt_out(
                        debtor.id, opt_out, key=f"{attempt_id}:opt-out"
                    )
                )
            return self._settle(message, outbound.to, "failed", why, result.reason)
        policy = self.channels[message.channel].retry
        if policy.exhausted(message.tries):
            detail = f"{result.reason} (gave up after {message.tries} tries)"
            return self._settle(message, outbound.to, "failed", why, detail)
        wait = max(policy.delay(message.tries, self.rng), result.retry_after or 0.0)
        return self._defer(message, outbound.to, now + wait, why, result.reason)

    def _record_sent(self, message: PlannedMessage, attempt_id: str, result: SendResult) -> None:
        """A text or an email is sent once the provider takes it; a call's outcome comes
        later, from the provider's status callback."""
        if message.channel != "call":
            self._quietly(lambda: self.store.record_outcome(attempt_id, "sent"))

    # --- settling ---------------------------------------------------------------------------

    def _settle(
        self,
        message: PlannedMessage,
        to: str | None,
        result: str,
        why: str,
        detail: str = "",
        due_at: float | None = None,
        answer: SendResult | None = None,
    ) -> Settled:
        status = {"deferred": "pending"}.get(result, result)
        kept = self.store.settle_message(
            message.id,
            self.worker,
            status,
            due_at=due_at,
            reason=f"{why}: {mask_text(detail)}" if detail else why,
            provider_id=answer.provider_id if answer is not None else None,
        )
        if not kept:
            return self._lost(message, to)
        return Settled(
            message.id, message.debtor_id, message.channel, to, result, why, detail, due_at
        )

    @staticmethod
    def _verdict(
        message: PlannedMessage,
        to: str | None,
        result: str,
        why: str,
        detail: str = "",
        due_at: float | None = None,
    ) -> Settled:
        """What should become of a message, before it is written."""
        return Settled(
            message.id, message.debtor_id, message.channel, to, result, why, detail, due_at
        )

    def _write(self, message: PlannedMessage, verdict: Settled) -> Settled:
        """A verdict settled in the ledger."""
        return self._settle(
            message, verdict.to, verdict.result, verdict.why, verdict.detail, verdict.due_at
        )

    def _lost(self, message: PlannedMessage, to: str | None) -> Settled:
        """Another worker took the message over (this one's claim expired): it is theirs."""
        return Settled(message.id, message.debtor_id, message.channel, to, "returned", "claim-lost")

    def _defer(
        self, message: PlannedMessage, to: str | None, due_at: float, why: str, detail: str
    ) -> Settled:
        return self._settle(message, to, "deferred", why, detail, due_at)

    def _release(self, attempt_id: str, now: float) -> None:
        """Withdraw a reservation that was not sent; one too old to withdraw still counts."""
        self._quietly(lambda: self.ledger.release(attempt_id, now))

    @staticmethod
    def _quietly(write: Callable[[], object]) -> None:
        """A follow-up record that must not undo what was sent: an unknown attempt (already
        released) or a ledger hiccup is left for the audit rather than retried here."""
        with contextlib.suppress(StoreError):
            write()

    # --- dry runs ---------------------------------------------------------------------------

    def _preview(self, message: PlannedMessage, now: float) -> Settled:
        """The run's steps up to the send, with nothing claimed, reserved or written."""
        prepared = self._prepare(message, now)
        if isinstance(prepared, Settled):
            return prepared
        _, outbound, rendered = prepared
        decision = self.ledger.preview(self._request(message, outbound.to, now, rendered))
        if not decision.allowed:
            return self._refused(message, outbound.to, decision, now)
        lacking = self._lacking(message, outbound.to, rendered, decision)
        if lacking is not None:
            return lacking
        return self._verdict(message, outbound.to, "sent", "dry-run")
