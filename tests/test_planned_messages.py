"""Planned messages in the ledger: planned all or nothing, claimed by one worker at a time."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, cast

import pytest

from contactengine.store import ConflictingKey, NotFound, PlannedMessage, Store
from contactengine.store.connect import open_store
from tests import ledger_workers as workers
from tests.backends import BACKENDS
from tests.test_ledger import shared_ledger
from tests.test_store import seed

DAY = 1_780_000_000.0  # 2026-05-28, a fixed instant


@pytest.fixture(params=sorted(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    factory = BACKENDS[request.param]
    with cast(AbstractContextManager[Store], factory(tmp_path)) as opened:
        seed(opened)
        yield opened


def message(number: int, **changes: Any) -> PlannedMessage:
    values: dict[str, Any] = {
        "id": f"M-{number}",
        "debtor_id": "C-1",
        "debt_id": "D-1",
        "channel": "sms",
        "template": "payment_reminder",
        "not_before": DAY + number * 60,
        "to": "+16175550100",
        "variables": {"amount": "120.00", "n": number},
    }
    values.update(changes)
    return PlannedMessage(**values)


def test_a_planned_message_is_checked_when_made() -> None:
    with pytest.raises(ValueError, match="channel: `fax`"):
        message(1, channel="fax")
    with pytest.raises(ValueError, match="not_before"):
        message(1, not_before=float("nan"))
    assert message(1).due_at == message(1).not_before  # due when it may first go


def test_planning_twice_plans_once_and_other_content_conflicts(store: Store) -> None:
    assert store.plan_messages([message(1), message(2)]) == 2
    assert store.plan_messages([message(1), message(2)]) == 0  # the same file again
    with pytest.raises(ConflictingKey):
        store.plan_messages([message(3), message(1, template="first_notice")])
    planned = store.planned_messages()
    assert [m.id for m in planned] == ["M-1", "M-2"]  # M-3 went with its batch
    assert planned[0].variables == {"amount": "120.00", "n": 1}


def test_a_batch_naming_an_unknown_debt_plans_nothing(store: Store) -> None:
    with pytest.raises(NotFound, match="D-404"):
        store.plan_messages([message(1), message(2, debt_id="D-404")])
    assert store.planned_messages() == []


def test_only_due_messages_are_claimed_oldest_first(store: Store) -> None:
    store.plan_messages([message(n) for n in (3, 1, 2, 9)])
    claimed = store.claim_messages("w1", now=DAY + 200, limit=2, lease=60)
    assert [m.id for m in claimed] == ["M-1", "M-2"]
    assert all((m.status, m.claimed_by, m.tries) == ("claimed", "w1", 1) for m in claimed)
    assert [m.id for m in store.claim_messages("w2", now=DAY + 200, limit=10, lease=60)] == [
        "M-3"
    ]  # M-9 is not due yet, M-1 and M-2 are w1's


def test_settling_ends_a_claim_and_only_its_worker_can(store: Store) -> None:
    store.plan_messages([message(1), message(2), message(3)])
    store.claim_messages("w1", now=DAY + 1000, limit=3, lease=60)
    assert not store.settle_message("M-1", "w2", "sent")  # not w2's claim
    assert store.settle_message("M-1", "w1", "claimed", attempt_id="att_1")  # noted, kept
    assert store.settle_message("M-1", "w1", "sent")
    assert store.settle_message("M-2", "w1", "closed", reason="cease communication")
    assert store.settle_message("M-3", "w1", "pending", due_at=DAY + 5000, reason="held by 7-in-7")
    assert not store.settle_message("M-1", "w1", "sent")  # settled already
    found = {m.id: m for m in store.planned_messages()}
    assert (found["M-1"].status, found["M-1"].attempt_id) == ("sent", "att_1")
    assert (found["M-2"].status, found["M-2"].reason) == ("closed", "cease communication")
    assert (found["M-3"].status, found["M-3"].due_at) == ("pending", DAY + 5000)
    assert found["M-3"].claimed_by is None
    assert store.claim_messages("w1", now=DAY + 4999, limit=9, lease=60) == []
    assert [m.id for m in store.claim_messages("w1", now=DAY + 5000, limit=9, lease=60)] == ["M-3"]
    with pytest.raises(ValueError, match="due_at"):
        store.settle_message("M-3", "w1", "pending")


def test_a_claim_whose_worker_died_expires(store: Store) -> None:
    store.plan_messages([message(1)])
    [first] = store.claim_messages("dead", now=DAY + 100, limit=1, lease=60)
    assert store.claim_messages("w2", now=DAY + 159, limit=1, lease=60) == []
    [again] = store.claim_messages("w2", now=DAY + 160, limit=1, lease=60)
    assert (again.id, again.claimed_by, again.tries) == (first.id, "w2", 2)
    assert not store.settle_message("M-1", "dead", "sent")  # the dead worker lost it


def test_messages_are_listed_by_debtor_and_status(store: Store) -> None:
    store.plan_messages([message(1), message(2)])
    store.claim_messages("w1", now=DAY + 60, limit=1, lease=60)
    assert [m.id for m in store.planned_messages(status="pending")] == ["M-2"]
    assert [m.id for m in store.planned_messages(debtor_id="C-1", status="claimed")] == ["M-1"]
    assert store.planned_messages(debtor_id="C-2") == []


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_four_processes_claiming_at_once_never_take_the_same_message(
    kind: str, tmp_path: Path
) -> None:
    with shared_ledger(kind, tmp_path) as url:
        store = open_store(url)
        seed(store)
        planned = [dataclasses.replace(message(n), id=f"M-{n:04d}") for n in range(400)]
        store.plan_messages(planned)
        with ProcessPoolExecutor(4) as pool:
            taken = list(pool.map(workers.claim_until_empty, [url] * 4, ["a", "b", "c", "d"]))
        every = [m for batch in taken for m in batch]
        assert sorted(every) == sorted(m.id for m in planned)  # each exactly once
        assert {m.status for m in store.planned_messages()} == {"sent"}
        store.close()


def test_a_restarted_worker_takes_back_its_own_claims_at_once(store: Store) -> None:
    store.plan_messages([message(1)])
    store.claim_messages("host-1", now=DAY + 100, limit=1, lease=600)
    assert store.claim_messages("host-2", now=DAY + 101, limit=1, lease=600) == []
    [again] = store.claim_messages("host-1", now=DAY + 101, limit=1, lease=600)
    assert (again.id, again.tries) == ("M-1", 2)
    assert store.settle_message("M-1", "host-1", "sent", provider_id="SM123")
    assert store.planned_messages()[0].provider_id == "SM123"
