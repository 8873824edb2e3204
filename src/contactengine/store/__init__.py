"""The contact ledger: debtors, debts, consents, opt-outs, every attempt, the decision log.

One interface (`Store`), several back ends: in-memory for tests, SQLite as the embedded
default, PostgreSQL for several hosts sharing one ledger (`PostgresStore`, imported on
first use so that psycopg loads only when it is needed). Exceptions::

    StoreError                  anything the ledger cannot do
    ├── StoreUnavailable        the back end did not answer in time: decisions refuse
    ├── NotFound                no such debtor, debt or attempt
    ├── UnreadableRecord        a stored record the models refuse: decisions refuse
    └── ConflictingKey          an idempotency key reused for a different operation
"""

from typing import TYPE_CHECKING, Any

from contactengine.model.records import AttemptRecord, PlannedMessage
from contactengine.store.base import (
    ConflictingKey,
    NotFound,
    Snapshot,
    Store,
    StoreError,
    StoreUnavailable,
    UnreadableRecord,
)
from contactengine.store.memory import MemoryStore
from contactengine.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from contactengine.store.postgres import PostgresStore

__all__ = [
    "AttemptRecord",
    "ConflictingKey",
    "MemoryStore",
    "NotFound",
    "PlannedMessage",
    "PostgresStore",
    "SQLiteStore",
    "Snapshot",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "UnreadableRecord",
]


def __getattr__(name: str) -> Any:
    if name == "PostgresStore":
        from contactengine.store.postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
