"""Which ledger to use: `CONTACTENGINE_DATABASE_URL`, or the embedded default file.

A `postgresql://` URL is a PostgreSQL server, in libpq's URL form
(`postgresql://user:password@host:port/database?sslmode=require`).
"""

from __future__ import annotations

import os
from pathlib import Path

from contactengine.store.base import Store, StoreError
from contactengine.store.memory import MemoryStore
from contactengine.store.sqlite import DEFAULT_PATH, SQLiteStore

ENVIRONMENT = "CONTACTENGINE_DATABASE_URL"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_store(url: str | None = None, timeout: float = 5.0) -> Store:
    """`postgresql://...` (or `postgres://...`), `sqlite:///path`, a plain path, or `memory:`.

    Unset means `contactengine.db` here.
    """
    url = url or os.environ.get(ENVIRONMENT) or str(DEFAULT_PATH)
    if url == "memory:":
        return MemoryStore()
    if url.startswith("sqlite:///"):
        return SQLiteStore(Path(url.removeprefix("sqlite:///")), timeout=timeout)
    if url.startswith(POSTGRES_SCHEMES):
        from contactengine.store.postgres import PostgresStore  # psycopg only when asked for

        return PostgresStore(url, timeout=timeout)
    if "://" in url:
        scheme = url.split("://", 1)[0]
        raise StoreError(
            f"`{scheme}` ledgers are not supported by this version: use a file path,"
            " `sqlite:///path`, `postgresql://...` or `memory:`"
        )
    return SQLiteStore(Path(url), timeout=timeout)
