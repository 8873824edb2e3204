"""Loading debtors, their debts and past contacts into the ledger from a JSON Lines file.

Each line is one debtor: `{"debtor": {...}, "debts": [...], "history": [...]}` in the
shapes of the decision contract (SPEC §5). Every line is checked before anything is
written; a bad line is reported by number and field, and nothing is loaded. Loading the
same file again changes nothing (each write carries a key derived from its content).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import Field

from contactengine.model.debtor import Debt, Debtor, Model
from contactengine.model.errors import RequestError
from contactengine.model.history import HistoryEntry
from contactengine.model.limits import MAX_HISTORY, load_json
from contactengine.model.request import validated
from contactengine.store.base import Store


class LedgerFileError(ValueError):
    """Lines that cannot be loaded; nothing was."""


class DebtorRecord(Model):
    debtor: Debtor
    debts: list[Debt] = Field(min_length=1, max_length=1000)
    history: list[HistoryEntry] = Field(default_factory=list, max_length=MAX_HISTORY)


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
            attempt = entry.attempt(record.debtor.id, f"{record.debtor.id}-past-{number}")
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
            records.append((line, validated(DebtorRecord, load_json(raw, "line"))))
        except RequestError as exc:
            for error in exc.errors:
                problems.append(f"{path}:{line}: {error.field}: {error.message}")
    if problems:
        raise LedgerFileError("\n".join([*problems, f"nothing loaded: {len(problems)} problems"]))
    return records


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
