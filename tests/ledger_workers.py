"""Worker processes for the ledger tests: reserve calls as fast as they can."""

from __future__ import annotations

import datetime as dt
import random
import sys
from zoneinfo import ZoneInfo

from contactengine.engine.loader import load_ruleset
from contactengine.ledger import Ledger
from contactengine.model import AttemptRecord, Debt, Debtor
from contactengine.store.connect import open_store

NEW_YORK = ZoneInfo("America/New_York")
WEEK = [dt.date(2026, 6, 8) + dt.timedelta(days=d) for d in range(7)]
HOURS = (9, 12, 15, 18)


def debtor(number: int) -> Debtor:
    return Debtor.model_validate(
        {
            "id": f"C-{number}",
            "address": {"city": "Buffalo", "state": "NY", "zip": "14201", "country": "US"},
            "phones": [{"number": f"+1716555{number:04d}", "kind": "landline"}],
        }
    )


CONVERSATION = dt.datetime(2026, 6, 7, 13, tzinfo=NEW_YORK)  # the day before the week


def seed(url: str, debtors: int, talked_to: int = 0) -> None:
    """Debtors and debts; the first `talked_to` had a conversation on 2026-06-07."""
    store = open_store(url)
    store.upgrade()
    for number in range(debtors):
        store.put_debtor(debtor(number))
        store.put_debt(
            f"C-{number}", Debt(id=f"D-{number}", type="credit_card", actor="debt_collector")
        )
        if number < talked_to:
            store.record_attempt(
                AttemptRecord(
                    id=f"T-{number}",
                    debtor_id=f"C-{number}",
                    debt_ids=(f"D-{number}",),
                    channel="call",
                    to=f"+1716555{number:04d}",
                    at=CONVERSATION.timestamp(),
                    outcome="conversation",
                )
            )
    store.close()


def reserve_week(url: str, debtors: int, seed_value: int) -> int:
    """Every slot of the week, every debtor in a shuffled order: reserve a call."""
    store = open_store(url, timeout=30.0)
    ledger = Ledger(load_ruleset(["rules"]), store)
    rng = random.Random(seed_value)
    reserved = 0
    for day in WEEK:
        for hour in HOURS:
            at = dt.datetime.combine(day, dt.time(hour), NEW_YORK)
            order = list(range(debtors))
            rng.shuffle(order)
            for number in order:
                decision = ledger.reserve(
                    {
                        "debtor_id": f"C-{number}",
                        "debt_id": f"D-{number}",
                        "channel": "call",
                        "to": f"+1716555{number:04d}",
                        "at": at.isoformat(),
                    }
                )
                reserved += decision.attempt_id is not None
    store.close()
    return reserved


def reserve_forever(url: str) -> None:
    """Reserve until killed: used to show that a kill leaves nothing half-written."""
    store = open_store(url, timeout=30.0)
    ledger = Ledger(load_ruleset(["rules"]), store)
    at = dt.datetime(2026, 6, 8, 13, tzinfo=dt.UTC)
    number = 0
    while True:
        number = (number + 1) % 20
        at += dt.timedelta(minutes=7)
        ledger.reserve(
            {
                "debtor_id": f"C-{number}",
                "debt_id": f"D-{number}",
                "channel": "call",
                "to": f"+1716555{number:04d}",
                "at": at.isoformat(),
            }
        )
        print("reserved", flush=True)


def claim_until_empty(url: str, worker: str) -> list[str]:
    """Claim due messages a few at a time and settle each as sent, until none is left."""
    store = open_store(url, timeout=30.0)
    taken: list[str] = []
    while True:
        claimed = store.claim_messages(worker, now=2e9, limit=5, lease=300.0)
        if not claimed:
            break
        for message in claimed:
            assert store.settle_message(message.id, worker, "sent")
            taken.append(message.id)
    store.close()
    return taken


if __name__ == "__main__":
    reserve_forever(sys.argv[1])
