"""The contact ledger: debtors, debts, consents, opt-outs, every attempt, the decision log.

One interface (`Store`), several back ends: in-memory for tests, SQLite as the embedded
default. Exceptions::

    StoreError                  anything the ledger cannot do
    ├── StoreUnavailable        the back end did not answer in time: decisions refuse
    ├── NotFound                no such debtor, debt or attempt
    └── ConflictingKey          an idempotency key reused for a different operation
"""

from contactengine.store.base import (
    AttemptRecord,
    ConflictingKey,
    NotFound,
    Snapshot,
    Store,
    StoreError,
    StoreUnavailable,
)
from contactengine.store.memory import MemoryStore
from contactengine.store.sqlite import SQLiteStore

__all__ = [
    "AttemptRecord",
    "ConflictingKey",
    "MemoryStore",
    "NotFound",
    "SQLiteStore",
    "Snapshot",
    "Store",
    "StoreError",
    "StoreUnavailable",
]
