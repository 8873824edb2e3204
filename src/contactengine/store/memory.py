"""The ledger in process memory, for tests and short-lived tools: one lock, plain lists."""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from contactengine.model.contact import any_contact_point
from contactengine.model.debtor import Consent, Debt, Debtor, InconvenientTime, OptOut
from contactengine.model.decision import Decision
from contactengine.model.records import AttemptRecord, PlannedMessage, check_settlement
from contactengine.store.base import (
    ApiKeyRecord,
    ConflictingKey,
    Decider,
    LogEntry,
    Logger,
    NotFound,
    Snapshot,
)
from contactengine.store.common import (
    GENESIS,
    check_key,
    entry_hash,
    fingerprint,
    revoked_point,
    with_flag,
    with_inconvenient_times,
)
from contactengine.store.migrations import LATEST


class MemoryStore:
    """Everything in dicts behind one lock; the same behaviour as the SQL back ends."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._debtors: dict[str, Debtor] = {}
        self._debts: dict[str, tuple[str, Debt]] = {}
        self._consents: dict[str, list[Consent]] = {}
        self._opt_outs: dict[str, list[OptOut]] = {}
        self._attempts: dict[str, AttemptRecord] = {}
        self._keys: dict[str, tuple[str, Any]] = {}
        self._log: list[LogEntry] = []
        self._messages: dict[str, PlannedMessage] = {}
        self._api_keys: dict[str, ApiKeyRecord] = {}
        self._events: dict[str, float] = {}

    def upgrade(self) -> int:
        return LATEST

    def close(self) -> None:
        pass

    def _once(self, key: str | None, operation: str, payload: Any) -> tuple[bool, Any]:
        if key is None:
            return False, None
        found = self._keys.get(key)
        if found is not None and check_key(key, found[0], fingerprint(operation, payload)):
            return True, found[1]
        return False, None

    def _remember(self, key: str | None, operation: str, payload: Any, result: Any) -> None:
        if key is not None:
            self._keys[key] = (fingerprint(operation, payload), result)

    def _profile(self, debtor_id: str) -> Debtor:
        debtor = self._debtors.get(debtor_id)
        if debtor is None:
            raise NotFound(f"no debtor `{debtor_id}`")
        return debtor

    def put_debtor(self, debtor: Debtor, key: str | None = None) -> None:
        payload = debtor.model_dump(mode="json")
        with self._lock:
            if self._once(key, "put_debtor", payload)[0]:
                return
            self._debtors[debtor.id] = debtor.model_copy(update={"consents": [], "opt_outs": []})
            self._consents.setdefault(debtor.id, []).extend(debtor.consents)
            self._opt_outs.setdefault(debtor.id, []).extend(debtor.opt_outs)
            self._remember(key, "put_debtor", payload, True)

    def put_debt(self, debtor_id: str, debt: Debt, key: str | None = None) -> None:
        with self._lock:
            self._profile(debtor_id)
            self._debts[debt.id] = (debtor_id, debt)

    def record_attempt(self, attempt: AttemptRecord, key: str | None = None) -> str:
        with self._lock:
            seen, result = self._once(key, "record_attempt", attempt.__dict__)
            if seen:
                return str(result)
            self._profile(attempt.debtor_id)
            self._attempts[attempt.id] = attempt
            self._remember(key, "record_attempt", attempt.__dict__, attempt.id)
        return attempt.id

    def record_outcome(
        self,
        attempt_id: str,
        outcome: str,
        message_left: bool | None = None,
        key: str | None = None,
    ) -> None:
        payload = [attempt_id, outcome, message_left]
        with self._lock:
            if self._once(key, "record_outcome", payload)[0]:
                return
            attempt = self._attempts.get(attempt_id)
            if attempt is None:
                raise NotFound(f"no attempt `{attempt_id}`")
            self._attempts[attempt_id] = replace(
                attempt, outcome=outcome, message_left=message_left
            )
            self._remember(key, "record_outcome", payload, True)

    def release_attempt(self, attempt_id: str, now: float, window: float) -> tuple[str, bool]:
        with self._lock:
            attempt = self._attempts.get(attempt_id)
            if attempt is None:
                raise NotFound(f"no attempt `{attempt_id}`")
            if attempt.outcome is not None or now > attempt.at + window:
                return attempt.debtor_id, False
            del self._attempts[attempt_id]
            return attempt.debtor_id, True

    def record_consent(self, debtor_id: str, consent: Consent, key: str | None = None) -> None:
        payload = [debtor_id, consent.model_dump(mode="json")]
        with self._lock:
            if self._once(key, "record_consent", payload)[0]:
                return
            self._profile(debtor_id)
            self._consents.setdefault(debtor_id, []).append(consent)
            self._remember(key, "record_consent", payload, True)

    def revoke_consent(
        self, debtor_id: str, channel: str, to: str | None, at: float, key: str | None = None
    ) -> int:
        to = revoked_point(channel, to)
        payload = [debtor_id, channel, to, at]
        with self._lock:
            seen, result = self._once(key, "revoke_consent", payload)
            if seen:
                return int(result)
            self._profile(debtor_id)
            revoked = 0
            consents = self._consents.setdefault(debtor_id, [])
            for index, consent in enumerate(consents):
                matches = consent.channel == channel and (
                    to is None or consent.to is None or consent.to == to
                )
                if matches and (consent.revoked_at is None or consent.revoked_at > at):
                    consents[index] = consent.model_copy(update={"revoked_at": at})
                    revoked += 1
            self._remember(key, "revoke_consent", payload, revoked)
        return revoked

    def record_opt_out(self, debtor_id: str, opt_out: OptOut, key: str | None = None) -> None:
        payload = [debtor_id, opt_out.model_dump(mode="json")]
        with self._lock:
            if self._once(key, "record_opt_out", payload)[0]:
                return
            self._profile(debtor_id)
            self._opt_outs.setdefault(debtor_id, []).append(opt_out)
            self._remember(key, "record_opt_out", payload, True)

    def set_flag(
        self, debtor_id: str, flag: str, value: bool | list[str], key: str | None = None
    ) -> None:
        payload = [debtor_id, flag, value]
        with self._lock:
            if self._once(key, "set_flag", payload)[0]:
                return
            self._debtors[debtor_id] = with_flag(self._profile(debtor_id), flag, value)
            self._remember(key, "set_flag", payload, True)

    def record_inconvenient_time(
        self, debtor_id: str, time: InconvenientTime, key: str | None = None
    ) -> None:
        payload = [debtor_id, time.model_dump(mode="json")]
        with self._lock:
            if self._once(key, "record_inconvenient_time", payload)[0]:
                return
            debtor = self._profile(debtor_id)
            times = [*debtor.inconvenient_times, time]
            self._debtors[debtor_id] = with_inconvenient_times(debtor, times)
            self._remember(key, "record_inconvenient_time", payload, True)

    def set_inconvenient_times(
        self, debtor_id: str, times: list[InconvenientTime], key: str | None = None
    ) -> None:
        payload = [debtor_id, [t.model_dump(mode="json") for t in times]]
        with self._lock:
            if self._once(key, "set_inconvenient_times", payload)[0]:
                return
            self._debtors[debtor_id] = with_inconvenient_times(self._profile(debtor_id), times)
            self._remember(key, "set_inconvenient_times", payload, True)

    def snapshot(
        self, debtor_id: str, debt_id: str, since: float = -math.inf, reply_to: str | None = None
    ) -> Snapshot:
        with self._lock:
            debtor = self._profile(debtor_id)
            owner, debt = self._debts.get(debt_id, (None, None))
            if debt is None or owner != debtor_id:
                raise NotFound(f"no debt `{debt_id}` for debtor `{debtor_id}`")
            kinds = debtor.contact_kinds()
            events = tuple(
                a.event(kinds)
                for a in self.attempts(debtor_id)
                if a.at >= since or (reply_to is not None and reply_to in (a.id, a.in_reply_to))
            )
            return Snapshot(
                debtor,
                debt,
                events,
                tuple(c.record() for c in self._consents.get(debtor_id, [])),
                tuple(o.record() for o in self._opt_outs.get(debtor_id, [])),
            )

    def attempt(self, attempt_id: str) -> AttemptRecord | None:
        with self._lock:
            return self._attempts.get(attempt_id)

    def debtor(self, debtor_id: str) -> Debtor:
        with self._lock:
            return self._profile(debtor_id)

    def attempts(self, debtor_id: str) -> list[AttemptRecord]:
        with self._lock:
            found = [a for a in self._attempts.values() if a.debtor_id == debtor_id]
        return sorted(found, key=lambda a: (a.at, a.id))

    def reserve(
        self,
        debtor_id: str,
        debt_id: str,
        decide: Decider,
        attempt: AttemptRecord,
        log: Logger | None = None,
        since: float = -math.inf,
    ) -> tuple[Decision, str | None]:
        with self._lock:
            decision = decide(self.snapshot(debtor_id, debt_id, since, attempt.in_reply_to))
            reserved = attempt.id if decision.allowed else None
            if reserved is not None:
                self._attempts[attempt.id] = attempt
            if log is not None:
                self.append_decision(log(decision))
            return decision, reserved

    def append_decision(self, entry: dict[str, Any]) -> LogEntry:
        with self._lock:
            seq = len(self._log) + 1
            prev = self._log[-1].hash if self._log else GENESIS
            kept = copy.deepcopy(entry)  # the log keeps its own copy, as a database would
            logged = LogEntry(
                seq,
                kept["at"],
                kept["debtor_id"],
                kept["decision_id"],
                kept["ruleset"],
                kept["facts"],
                kept["decision"],
                prev,
                entry_hash(prev, kept, seq),
            )
            self._log.append(logged)
            return logged

    def decision_log(self, debtor_id: str | None = None) -> Iterator[LogEntry]:
        with self._lock:
            entries = list(self._log)
        return iter([e for e in entries if debtor_id is None or e.debtor_id == debtor_id])

    def plan_messages(self, messages: list[PlannedMessage]) -> int:
        with self._lock:
            new: dict[str, PlannedMessage] = {}
            for message in messages:
                found = self._messages.get(message.id) or new.get(message.id)
                if found is not None:
                    if found.plan != message.plan:
                        raise ConflictingKey(
                            f"message `{message.id}` is already planned with other content"
                        )
                    continue
                owner, _ = self._debts.get(message.debt_id, (None, None))
                if owner != message.debtor_id:
                    self._profile(message.debtor_id)
                    raise NotFound(f"no debt `{message.debt_id}` for debtor `{message.debtor_id}`")
                new[message.id] = copy.deepcopy(message)
            self._messages.update(new)
            return len(new)

    def claim_messages(
        self, worker: str, now: float, limit: int, lease: float
    ) -> list[PlannedMessage]:
        with self._lock:
            due = sorted(
                (
                    m
                    for m in self._messages.values()
                    if (m.status == "pending" and (m.due_at or 0.0) <= now)
                    or (
                        m.status == "claimed"
                        and ((m.claim_until or 0.0) <= now or m.claimed_by == worker)
                    )
                ),
                key=lambda m: (m.due_at or 0.0, m.id.encode()),
            )[: max(0, limit)]
            claimed = []
            for message in due:
                taken = replace(
                    message,
                    status="claimed",
                    claimed_by=worker,
                    claim_until=now + lease,
                    tries=message.tries + 1,
                )
                self._messages[message.id] = taken
                claimed.append(copy.deepcopy(taken))
            return claimed

    def settle_message(
        self,
        message_id: str,
        worker: str,
        status: str,
        *,
        due_at: float | None = None,
        reason: str | None = None,
        attempt_id: str | None = None,
        provider_id: str | None = None,
    ) -> bool:
        check_settlement(status, due_at)
        with self._lock:
            message = self._messages.get(message_id)
            if message is None or message.status != "claimed" or message.claimed_by != worker:
                return False
            kept = status == "claimed"
            self._messages[message_id] = replace(
                message,
                status=status,
                due_at=message.due_at if due_at is None else due_at,
                reason=message.reason if reason is None else reason,
                attempt_id=message.attempt_id if attempt_id is None else attempt_id,
                provider_id=message.provider_id if provider_id is None else provider_id,
                claimed_by=message.claimed_by if kept else None,
                claim_until=message.claim_until if kept else None,
            )
            return True

    def planned_messages(
        self, debtor_id: str | None = None, status: str | None = None
    ) -> list[PlannedMessage]:
        with self._lock:
            found = [
                copy.deepcopy(m)
                for m in self._messages.values()
                if (debtor_id is None or m.debtor_id == debtor_id)
                and (status is None or m.status == status)
            ]
        return sorted(found, key=lambda m: (m.due_at or 0.0, m.id.encode()))

    def put_api_key(self, record: ApiKeyRecord) -> None:
        with self._lock:
            if record.id in self._api_keys:
                raise ConflictingKey(f"API key `{record.id}` exists")
            self._api_keys[record.id] = record

    def api_key(self, key_id: str) -> ApiKeyRecord | None:
        with self._lock:
            return self._api_keys.get(key_id)

    def api_keys(self) -> list[ApiKeyRecord]:
        with self._lock:
            return sorted(self._api_keys.values(), key=lambda k: (k.created_at, k.id))

    def revoke_api_key(self, key_id: str, at: float) -> bool:
        with self._lock:
            found = self._api_keys.get(key_id)
            if found is None or found.revoked_at is not None:
                return False
            self._api_keys[key_id] = replace(found, revoked_at=at)
            return True

    def debtors_at(self, contact: str) -> list[str]:
        wanted = any_contact_point(contact)
        with self._lock:
            return sorted(d.id for d in self._debtors.values() if wanted in d.points())

    def debts_of(self, debtor_id: str) -> list[str]:
        with self._lock:
            return sorted(i for i, (owner, _) in self._debts.items() if owner == debtor_id)

    def planned_message(self, message_id: str) -> PlannedMessage | None:
        with self._lock:
            found = self._messages.get(message_id)
        return copy.deepcopy(found) if found is not None else None

    def message_by_provider_id(self, provider_id: str) -> PlannedMessage | None:
        with self._lock:
            found = [m for m in self._messages.values() if m.provider_id == provider_id]
        return copy.deepcopy(found[0]) if found else None

    def first_time(self, key: str, now: float) -> bool:
        with self._lock:
            if key in self._events:
                return False
            self._events[key] = now
            return True
