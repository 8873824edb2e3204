"""One contract, every back end: what the ledger keeps, and that each write is idempotent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from contactengine.model import Consent, Debt, Debtor, InconvenientTime, OptOut
from contactengine.store import AttemptRecord, ConflictingKey, NotFound, Store
from contactengine.store.audit import export, verify
from contactengine.store.migrations import LATEST
from tests.backends import BACKENDS

UTC = dt.UTC


@pytest.fixture(params=sorted(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    factory = BACKENDS[request.param]
    with cast(AbstractContextManager[Store], factory(tmp_path)) as opened:
        yield opened


def debtor(**changes: Any) -> Debtor:
    data: dict[str, Any] = {
        "id": "C-1",
        "address": {"city": "Boston", "state": "MA", "zip": "02108", "country": "US"},
        "phones": [{"number": "+16175550100", "kind": "mobile"}],
        "emails": [{"address": "pat@example.com"}],
        "consents": [{"channel": "sms", "to": "+16175550100", "given_at": "2026-05-01T15:00:00Z"}],
        "opt_outs": [{"channel": "email", "to": None, "at": "2026-05-02T15:00:00Z"}],
    }
    data.update(changes)
    return Debtor.model_validate(data)


def seed(store: Store) -> None:
    store.put_debtor(debtor())
    store.put_debt("C-1", Debt(id="D-1", type="credit_card", actor="debt_collector"))


def attempt(number: int, **changes: Any) -> AttemptRecord:
    values: dict[str, Any] = {
        "id": f"A-{number}",
        "debtor_id": "C-1",
        "debt_ids": ("D-1",),
        "channel": "call",
        "to": "+16175550100",
        "at": dt.datetime(2026, 6, number, 14, tzinfo=UTC).timestamp(),
        "outcome": "no_answer",
    }
    values.update(changes)
    return AttemptRecord(**values)


def test_upgrade_is_idempotent(store: Store) -> None:
    assert store.upgrade() == LATEST
    assert store.upgrade() == LATEST


def test_a_snapshot_holds_what_was_recorded(store: Store) -> None:
    seed(store)
    store.record_attempt(attempt(2))
    store.record_attempt(attempt(1))
    snapshot = store.snapshot("C-1", "D-1")
    assert snapshot.debtor.address is not None and snapshot.debtor.address.zip == "02108"
    assert snapshot.debt.actor == "debt_collector"
    assert [e.id for e in snapshot.events] == ["A-1", "A-2"]  # oldest first
    assert snapshot.events[0].to_kind == "mobile"
    assert [c.channel for c in snapshot.consents] == ["sms"]
    assert [o.channel for o in snapshot.opt_outs] == ["email"]


def test_unknown_records_are_not_found(store: Store) -> None:
    seed(store)
    with pytest.raises(NotFound):
        store.snapshot("C-404", "D-1")
    with pytest.raises(NotFound):
        store.snapshot("C-1", "D-404")
    with pytest.raises(NotFound):
        store.record_outcome("A-404", "voicemail")
    with pytest.raises(NotFound):
        store.record_attempt(attempt(1, debtor_id="C-404"))


def test_writes_are_idempotent_under_a_key(store: Store) -> None:
    seed(store)
    assert store.record_attempt(attempt(1), key="k1") == "A-1"
    assert store.record_attempt(attempt(1), key="k1") == "A-1"  # a retry changes nothing
    assert len(store.attempts("C-1")) == 1
    consent = Consent(channel="call", to=None, given_at=dt.datetime(2026, 6, 1, tzinfo=UTC))
    store.record_consent("C-1", consent, key="k2")
    store.record_consent("C-1", consent, key="k2")
    assert len(store.snapshot("C-1", "D-1").consents) == 2  # the debtor's sms one, and this
    with pytest.raises(ConflictingKey):
        store.record_attempt(attempt(2), key="k1")  # the same key for another attempt


def test_outcomes_update_the_attempt(store: Store) -> None:
    seed(store)
    store.record_attempt(attempt(1, outcome=None))
    store.record_outcome("A-1", "voicemail", message_left=True, key="o1")
    store.record_outcome("A-1", "voicemail", message_left=True, key="o1")
    [recorded] = store.attempts("C-1")
    assert (recorded.outcome, recorded.message_left) == ("voicemail", True)


def test_revocation_and_opt_out(store: Store) -> None:
    seed(store)
    at = dt.datetime(2026, 6, 10, 18, tzinfo=UTC).timestamp()
    assert store.revoke_consent("C-1", "sms", "+16175550100", at, key="r1") == 1
    assert store.revoke_consent("C-1", "sms", "+16175550100", at, key="r1") == 1
    store.record_opt_out(
        "C-1", OptOut(channel="sms", to="+16175550100", at=dt.datetime(2026, 6, 10, 18, tzinfo=UTC))
    )
    snapshot = store.snapshot("C-1", "D-1")
    assert snapshot.consents[0].revoked_at == at
    assert {o.channel for o in snapshot.opt_outs} == {"email", "sms"}


def test_flags(store: Store) -> None:
    seed(store)
    store.set_flag("C-1", "cease_communication", ["D-1"])
    store.set_flag("C-1", "bankruptcy", True)
    flags = store.snapshot("C-1", "D-1").debtor.flags
    assert flags.cease_communication == ["D-1"] and flags.bankruptcy
    with pytest.raises(ValueError, match="unknown flag"):
        store.set_flag("C-1", "on_holiday", True)


def test_reserve_records_only_what_is_allowed(store: Store) -> None:
    seed(store)

    def allow_three(snapshot: Any) -> Any:
        return SimpleNamespace(allowed=len(snapshot.events) < 3)

    results = [store.reserve("C-1", "D-1", allow_three, attempt(n))[1] for n in range(1, 6)]
    assert results == ["A-1", "A-2", "A-3", None, None]
    assert len(store.attempts("C-1")) == 3


def log_entry(n: int) -> dict[str, Any]:
    return {
        "at": 1_780_000_000.0 + n,
        "debtor_id": "C-1",
        "decision_id": f"dec_{n}",
        "ruleset": "sha256:x",
        "facts": {"to": "+1617•••0100", "n": n},
        "decision": {"allowed": True, "attempt_id": f"A-{n}", "rules_applied": ["r"]},
    }


def test_the_decision_log_is_a_chain(store: Store) -> None:
    seed(store)
    entries = [store.append_decision(log_entry(n)) for n in range(1, 4)]
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[1].prev_hash == entries[0].hash
    result = verify(store)
    assert result.ok and result.entries == 3


def test_export_names_the_decision_behind_each_attempt(store: Store) -> None:
    seed(store)
    store.record_attempt(attempt(1))
    store.append_decision(log_entry(1))
    history = export(store, "C-1")
    [row] = history["attempts"]
    assert row["to"] == "+1617•••0100"
    assert row["allowed_by"]["decision_id"] == "dec_1"
    assert row["allowed_by"]["rules"] == ["r"]


def test_an_attempt_with_an_unknown_value_is_refused_by_field() -> None:
    with pytest.raises(ValueError, match="channel: `fax`") as caught:
        attempt(1, channel="fax", outcome="answered")
    assert "outcome: `answered`" in str(caught.value)


def test_inconvenient_times_are_kept_on_the_profile(store: Store) -> None:
    seed(store)
    evenings = InconvenientTime(start="18:00", end="21:00", days=["mon", "tue"])
    store.record_inconvenient_time("C-1", evenings, key="i1")
    store.record_inconvenient_time("C-1", evenings, key="i1")  # a retry adds nothing
    store.record_inconvenient_time("C-1", InconvenientTime(start="07:00", end="09:00"))
    times = store.snapshot("C-1", "D-1").debtor.inconvenient_times
    assert [(t.start, t.end) for t in times] == [("18:00", "21:00"), ("07:00", "09:00")]
    store.set_inconvenient_times("C-1", [])
    assert store.snapshot("C-1", "D-1").debtor.inconvenient_times == []
    with pytest.raises(NotFound):
        store.record_inconvenient_time("C-404", evenings)


def test_a_snapshot_reads_back_only_as_far_as_asked(store: Store) -> None:
    seed(store)
    for day in (1, 2, 3):
        store.record_attempt(attempt(day))
    store.record_attempt(attempt(4, channel="sms", direction="inbound", outcome=None))
    store.record_attempt(
        attempt(5, channel="sms", outcome=None, purpose="response_to_consumer", in_reply_to="A-4")
    )
    since = dt.datetime(2026, 6, 3, tzinfo=UTC).timestamp()
    assert [e.id for e in store.snapshot("C-1", "D-1", since).events] == ["A-3", "A-4", "A-5"]
    late = dt.datetime(2026, 6, 6, tzinfo=UTC).timestamp()
    # a reply's exception looks at the contact it answers however old it is
    replying = store.snapshot("C-1", "D-1", late, reply_to="A-4").events
    assert [e.id for e in replying] == ["A-4", "A-5"]
    assert [e.id for e in store.snapshot("C-1", "D-1").events] == [
        "A-1",
        "A-2",
        "A-3",
        "A-4",
        "A-5",
    ]


def test_webhooks_find_debtors_messages_and_events_seen(store: Store) -> None:
    seed(store)
    store.put_debtor(
        debtor(id="C-2", phones=[{"number": "+16175550100", "kind": "landline"}], emails=[])
    )
    assert store.debtors_at("+16175550100") == ["C-1", "C-2"]  # a shared household line
    assert store.debtors_at("PAT@example.com") == ["C-1"]
    store.put_debtor(debtor(phones=[]))  # the number removed from the profile
    assert store.debtors_at("+16175550100") == ["C-2"]
    assert store.first_time("twilio:SM1:delivered", 1.0)
    assert not store.first_time("twilio:SM1:delivered", 2.0)
    assert store.message_by_provider_id("SM404") is None


def test_a_revocation_matches_its_consent_however_the_number_is_written(store: Store) -> None:
    seed(store)  # the debtor gave SMS consent for +16175550100
    assert store.revoke_consent("C-1", "sms", "(617) 555-0100", 1_780_000_000.0) == 1
    [kept] = store.snapshot("C-1", "D-1").consents
    assert kept.revoked_at == 1_780_000_000.0
