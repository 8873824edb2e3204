"""Migration 7, in Python: contact points stored before the models owned their normal form.

A step is a function given the open connection and `run(db, sql, params)`, which runs one
statement written with `?` placeholders in the store's dialect; it runs in the same
transaction, under the same lock, as the SQL migrations (`store.migrations`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from contactengine.model.contact import ContactPointError, contact_point

Run = Callable[[Any, str, Sequence[Any]], Any]
"""Runs one `?`-placeholder statement on the connection, in the store's dialect; returns
the cursor."""
Step = Callable[[Any, Run], None]
"""A migration written in Python: `step(db, run)`."""

PAGE = 2000  # rows a step reads at a time, in id order
CHUNK = 400  # rows a step writes per statement (800 parameters: within any SQLite's limit)


def normal_contact_points(db: Any, run: Run) -> None:
    """Migration 7: contact points written before the models owned their normal form.

    Until then numbers and addresses were stored as callers wrote them, so a record written
    `+1 (617) 555-0101` never matched a decision about `+16175550101`. Each stored value is
    put in its channel's normal form (`model.contact`); only rows whose value changes are
    written. A value that is not a contact point is read the conservative way for its table:

    * debtors: a phone or email address that cannot be read leaves the profile (a contact
      to it is then refused as not on file); `contact_points`, which migration 6 filled only
      for debtors written after it, is rebuilt for every debtor from the normal profile;
    * consents: left as written (it matched no contact before; widening it to every contact
      point of its channel would allow more);
    * opt-outs: NULL, which applies it to every contact point of its channel;
    * attempts: NULL (it still counts per debtor and per debt);
    * planned messages: NULL, and one still pending or claimed is closed with the reason
      `contact-point: <why>` (sending it to the debtor's default contact point instead
      would send it somewhere it was not meant to go).
    """
    _normal_profiles(db, run)
    _normal_contacts(db, run, "consents", unreadable_to_null=False)
    _normal_contacts(db, run, "opt_outs", unreadable_to_null=True)
    _normal_contacts(db, run, "attempts", unreadable_to_null=True)
    _normal_messages(db, run)


def normal_profile(profile: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A stored profile (raw JSON) with its numbers and addresses in normal form, those that
    cannot be read left out; and the contact points it can be found by, sorted."""
    normal = dict(profile)
    points: set[str] = set()
    for field, key, channel in (("phones", "number", "call"), ("emails", "address", "email")):
        entries = profile.get(field)
        if not isinstance(entries, list):
            continue
        kept = []
        for entry in entries:
            value = _read(channel, entry.get(key))[0] if isinstance(entry, dict) else None
            if value is not None:
                kept.append({**entry, key: value})
                points.add(value)
        normal[field] = kept
    return normal, sorted(points)


def _normal_profiles(db: Any, run: Run) -> None:
    profiles = _Batch(db, run, _update("debtors", "profile"), 2)
    cleared = _Batch(
        db, run, lambda n: f"DELETE FROM contact_points WHERE debtor_id IN ({_marks(n)})", 1
    )
    points = _Batch(
        db,
        run,
        lambda n: (
            "INSERT INTO contact_points (contact, debtor_id) VALUES " + ", ".join(["(?, ?)"] * n)
        ),
        2,
        before=cleared,  # a debtor's rows are deleted before its new ones go in
    )
    for debtor_id, text in _rows(db, run, "debtors", "id, profile"):
        try:
            profile = json.loads(text)
        except (TypeError, ValueError):
            continue  # not JSON: left as it is, with its rows in the index
        if not isinstance(profile, dict):
            continue
        normal, found = normal_profile(profile)
        if normal != profile:
            profiles.add(debtor_id, json.dumps(normal, separators=(",", ":"), ensure_ascii=False))
        cleared.add(debtor_id)
        for contact in found:
            points.add(contact, debtor_id)
    profiles.flush()
    points.flush()


def _normal_contacts(db: Any, run: Run, table: str, unreadable_to_null: bool) -> None:
    changes = _Batch(db, run, _update(table, "contact"), 2)
    for row_id, channel, contact in _rows(db, run, table, "id, channel, contact", True):
        normal, _ = _read(channel, contact)
        if normal is None:
            if unreadable_to_null:
                changes.add(row_id, None)
        elif normal != contact:
            changes.add(row_id, normal)
    changes.flush()


def _normal_messages(db: Any, run: Run) -> None:
    changes = _Batch(db, run, _update("planned_messages", "contact"), 2)
    columns = "id, channel, contact, status"
    for message_id, channel, contact, status in _rows(db, run, "planned_messages", columns, True):
        normal, why = _read(channel, contact)
        if normal is None:
            changes.add(message_id, None)
            if status in ("pending", "claimed"):
                run(
                    db,
                    "UPDATE planned_messages SET status = 'closed', reason = ?,"
                    " claimed_by = NULL, claim_until = NULL, updated_at = ? WHERE id = ?",
                    (f"contact-point: {why}", time.time(), message_id),
                )
        elif normal != contact:
            changes.add(message_id, normal)
    changes.flush()


def _read(channel: str, value: object) -> tuple[str | None, str]:
    """`value` in `channel`'s normal form and "", or None and why it is not one."""
    if not isinstance(value, str):
        return None, f"`{value!r}` is not text"
    return _reading(channel, value)


@lru_cache(maxsize=65536)
def _reading(channel: str, value: str) -> tuple[str | None, str]:
    """Cached, failures too (the models' caches keep no failures): a ledger repeats its
    values."""
    try:
        return contact_point(channel, value), ""
    except ContactPointError as exc:
        return None, str(exc)


def _rows(
    db: Any, run: Run, table: str, columns: str, with_contact: bool = False
) -> Iterator[Sequence[Any]]:
    """Every row of `table` (with a contact, if asked) in id order, read a page at a time;
    `columns` begins with `id`. Each page is read whole before its rows are handed out, so
    the caller may write between them."""
    last: Any = None
    while True:
        conditions = ["contact IS NOT NULL"] if with_contact else []
        if last is not None:
            conditions.append("id > ?")
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        params = () if last is None else (last,)
        page = run(
            db, f"SELECT {columns} FROM {table}{where} ORDER BY id LIMIT ?", (*params, PAGE)
        ).fetchall()
        yield from page
        if len(page) < PAGE:
            return
        last = page[-1][0]


def _update(table: str, column: str) -> Callable[[int], str]:
    """Set `column` of many rows by id in one statement (UPDATE ... FROM, in both dialects;
    a VALUES list's columns are `column1`, `column2` in both)."""
    return lambda n: (
        f"UPDATE {table} SET {column} = v.column2 FROM (VALUES {', '.join(['(?, ?)'] * n)}) AS v"
        f" WHERE {table}.id = v.column1"
    )


def _marks(n: int) -> str:
    return ", ".join(["?"] * n)


class _Batch:
    """Rows written `CHUNK` to a statement; `before` is flushed first whenever this is."""

    def __init__(
        self,
        db: Any,
        run: Run,
        statement: Callable[[int], str],
        width: int,
        before: _Batch | None = None,
    ) -> None:
        self.db, self.run, self.statement, self.width = db, run, statement, width
        self.before = before
        self.rows: list[Any] = []

    def add(self, *values: Any) -> None:
        assert len(values) == self.width
        self.rows.extend(values)
        if len(self.rows) >= CHUNK * self.width:
            self.flush()

    def flush(self) -> None:
        if self.before is not None:
            self.before.flush()
        if self.rows:
            self.run(self.db, self.statement(len(self.rows) // self.width), self.rows)
            self.rows = []
