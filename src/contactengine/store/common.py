"""Pieces every back end shares: profile changes, records from rows, the log's hashes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from contactengine.model.contact import contact_point
from contactengine.model.debtor import Debtor, Flags, InconvenientTime
from contactengine.model.errors import RequestError
from contactengine.model.records import NEVER, AttemptRecord, ConsentRecord, Event, OptOutRecord
from contactengine.store.base import ConflictingKey, LogEntry, UnreadableRecord

GENESIS = "0" * 64
LIST_FLAGS = ("cease_communication", "attorney_represented")
BOOL_FLAGS = ("employer_prohibits_contact", "bankruptcy", "deceased")


def with_flag(debtor: Debtor, flag: str, value: bool | list[str]) -> Debtor:
    """The profile with one flag set; list flags name the debts they cover (`*` for all)."""
    if flag in LIST_FLAGS:
        if not isinstance(value, list):
            raise ValueError(f"`{flag}` takes the list of debt ids it covers")
    elif flag in BOOL_FLAGS:
        if not isinstance(value, bool):
            raise ValueError(f"`{flag}` is true or false")
    else:
        raise ValueError(f"unknown flag `{flag}`; known: {', '.join(LIST_FLAGS + BOOL_FLAGS)}")
    flags = Flags.model_validate({**debtor.flags.model_dump(), flag: value})
    return debtor.model_copy(update={"flags": flags})


def with_inconvenient_times(debtor: Debtor, times: Sequence[InconvenientTime]) -> Debtor:
    """The profile with the times the consumer said are inconvenient, replacing the list."""
    return debtor.model_copy(update={"inconvenient_times": list(times)})


@lru_cache(maxsize=8192)
def parse_profile(text: str) -> Debtor:
    """A stored profile as a model; the same text gives the same (immutable) model, once.

    `UnreadableRecord` names every field the model refuses.
    """
    try:
        return Debtor.model_validate_json(text)
    except ValidationError as exc:
        problems = "; ".join(
            f"{e.field}: {e.message}" for e in RequestError.from_validation(exc).errors
        )
        raise UnreadableRecord(f"the stored profile cannot be read: {problems}") from None


def revoked_point(channel: str, to: str | None) -> str | None:
    """The contact point a revocation names, in the form consents are stored in: callers
    of `revoke_consent` pass it as text (`ValueError` when it is not one)."""
    return None if to is None else contact_point(channel, to)


def profile_json(debtor: Debtor) -> str:
    """The profile as stored: records (consents, opt-outs) live in their own tables."""
    return debtor.model_copy(update={"consents": [], "opt_outs": []}).model_dump_json()


# --- rows of the SQL back ends, in the column order of their SELECTs -----------------------


def attempt_from_row(row: Sequence[Any]) -> AttemptRecord:
    """`id, debtor_id, debt_ids, channel, contact, at, direction, outcome, message_left,
    purpose, in_reply_to`, debt ids as JSON text."""
    return AttemptRecord(
        id=row[0],
        debtor_id=row[1],
        debt_ids=tuple(json.loads(row[2])),
        channel=row[3],
        to=row[4],
        at=row[5],
        direction=row[6],
        outcome=row[7],
        message_left=None if row[8] is None else bool(row[8]),
        purpose=row[9],
        in_reply_to=row[10],
    )


@lru_cache(maxsize=4096)
def debt_ids_of(text: str) -> frozenset[str]:
    """A row's debt ids (JSON text); most rows of a ledger repeat a few values."""
    return frozenset(json.loads(text))


def event_from_row(row: Sequence[Any], kinds: dict[str, str]) -> Event:
    """An attempt row straight into an event, the hot path of every snapshot (rows hold
    contact points in their normal form: every write came through a model)."""
    to = row[4]
    return Event(
        row[5],
        row[3],
        debt_ids_of(row[2]),
        to,
        row[6],
        row[7],
        None if row[8] is None else bool(row[8]),
        row[9],
        kinds.get(to) if to is not None else None,
        row[0],
        row[10],
    )


def consent_from_row(row: Sequence[Any]) -> ConsentRecord:
    """`channel, contact, given_at, revoked_at, source, given_to, kind`."""
    return ConsentRecord(
        channel=row[0],
        to=row[1],
        given_at=row[2],
        revoked_at=NEVER if row[3] is None else row[3],
        given_to=row[5],
        kind=row[6],
    )


def opt_out_from_row(row: Sequence[Any]) -> OptOutRecord:
    """`channel, contact, at`."""
    return OptOutRecord(channel=row[0], to=row[1], at=row[2])


def log_entry_from_row(row: Sequence[Any]) -> LogEntry:
    """`seq, at, debtor_id, decision_id, ruleset, facts, decision, prev_hash, hash`."""
    facts, decision = json.loads(row[5]), json.loads(row[6])
    return LogEntry(row[0], row[1], row[2], row[3], row[4], facts, decision, row[7], row[8])


def sql_statements(script: str) -> list[str]:
    """A migration script's statements, one by one."""
    return [s.strip() for s in script.split(";") if s.strip()]


def fingerprint(operation: str, payload: Any) -> str:
    """What an idempotency key promises: this operation with this payload."""
    text = json.dumps([operation, payload], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def check_key(key: str, found: str | None, expected: str) -> bool:
    """True when the key was already used for exactly this; raises when for something else."""
    if found is None:
        return False
    if found != expected:
        raise ConflictingKey(f"idempotency key `{key}` was already used for another request")
    return True


def canonical(value: Any) -> str:
    """The one JSON spelling of a value that the log stores and hashes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def log_texts(entry: Mapping[str, Any]) -> tuple[str, str, str]:
    """An entry as the log stores it: its head (time, debtor, decision id, rule set), the
    facts and the decision, each as canonical JSON, encoded once per append."""
    head = canonical([entry["at"], entry["debtor_id"], entry["decision_id"], entry["ruleset"]])
    return head, canonical(entry["facts"]), canonical(entry["decision"])


def chained_body(head: str, facts: str, decision: str) -> bytes:
    """What follows the previous hash and the sequence number in the hashed text."""
    return f"\n{head}\n{facts}\n{decision}".encode()


def chain_hash(prev_hash: str, seq: int, body: bytes) -> str:
    """sha256 of the previous entry's hash, this entry's place in the log, and its body.

    The PostgreSQL back end computes the same digest in SQL (`sha256(prev || seq || body)`),
    so that an append is one statement; the audit recomputes it here.
    """
    return hashlib.sha256(f"{prev_hash}{seq}".encode() + body).hexdigest()


def entry_hash(prev_hash: str, entry: Mapping[str, Any], seq: int) -> str:
    """The hash a log entry must carry, from its fields."""
    return chain_hash(prev_hash, seq, chained_body(*log_texts(entry)))
