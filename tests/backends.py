"""The ledger back ends every store test runs against, by name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from contactengine.store import MemoryStore, PostgresStore, SQLiteStore, Store
from tests.postgres_cluster import fresh_database


@contextmanager
def memory_store(tmp: Path) -> Iterator[Store]:
    yield MemoryStore()


@contextmanager
def sqlite_store(tmp: Path) -> Iterator[Store]:
    store = SQLiteStore(tmp / "ledger.db", timeout=5.0)
    store.upgrade()
    try:
        yield store
    finally:
        store.close()


@contextmanager
def postgres_store(tmp: Path) -> Iterator[Store]:
    """A new database on the run's throwaway cluster (started on first use), dropped after."""
    with fresh_database() as url:
        store = PostgresStore(url, timeout=5.0)
        store.upgrade()
        try:
            yield store
        finally:
            store.close()


BACKENDS: dict[str, Callable[[Path], object]] = {
    "memory": memory_store,
    "sqlite": sqlite_store,
    "postgres": postgres_store,
}
