"""Loading debtors, their debts and past contacts into the ledger from a JSON Lines file.

Each line is one debtor: `{"debtor": {...}, "debts": [...], "history": [...]}` in the
shapes of the decision contract (SPEC §5). Every line is checked before anything is
written; a bad line is reported by number and field, and nothing is loaded. Loading the
same file again changes nothing (each write carries a key derived from its content).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contactengine.engine.facts import contact_key
from contactengine.engine.models import Debt, Debtor, HistoryEntry, RequestError
from contactengine.store.base import AttemptRecord, Store


class LedgerFileError(ValueError):
    """Lines that cannot be loaded; nothing was."""


class DebtorRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    debtor: Debtor
    debts: list[Debt] = Field(min_length=1)
    history: list[HistoryEntry] = Field(default_factory=list)


def load_ledger_file(store: Store, path: Path) -> dict[str, int]:
    records = _read(path)
    counts = {"debtors": 0, "debts": 0, "attempts": 0}
    for line, record in records:
        key = f"load:{path.name}:{line}:{_digest(record.model_dump_json())}"
        store.put_debtor(record.debtor, key=key)
        counts["debtors"] += 1
        for debt in record.debts:
            store.put_debt(record.debtor.id, debt)
            counts["debts"] += 1
        for number, entry in enumerate(record.history, start=1):
            attempt = AttemptRecord(
                id=entry.id or f"{record.debtor.id}-past-{number}",
                debtor_id=record.debtor.id,
                debt_ids=tuple(entry.debt_ids),
                channel=entry.channel,
                to=contact_key(entry.to),
                at=entry.at.timestamp(),
                direction=entry.direction,
                outcome=entry.outcome,
                message_left=entry.message_left,
                purpose=entry.purpose,
                in_reply_to=entry.in_reply_to,
            )
            store.record_attempt(attempt, key=f"{key}:attempt:{number}")
            counts["attempts"] += 1
    return counts


def _read(path: Path) -> list[tuple[int, DebtorRecord]]:
    records: list[tuple[int, DebtorRecord]] = []
    problems: list[str] = []
    for line, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("//"):
            continue
        try:
            records.append((line, DebtorRecord.model_validate(json.loads(raw))))
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{line}: not JSON ({exc.msg} at column {exc.colno})")
        except ValidationError as exc:
            for error in RequestError.from_validation(exc).errors:
                problems.append(f"{path}:{line}: {error.field}: {error.message}")
    if problems:
        raise LedgerFileError("\n".join([*problems, f"nothing loaded: {len(problems)} problems"]))
    return records


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
