"""`contactengine plan | dispatch | db load`: planned messages in, lawful messages out.

`dispatch` runs once (for cron) or every interval; a terminal gets a progress line and a
summary table, anything else structured log lines (JSON, personal data masked). SIGTERM or
Ctrl-C finishes the message in hand, gives the rest of the batch back and stops.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from contactengine.channels import ChannelConfigError, adapter_for, load_channels
from contactengine.dispatch.ledger_file import LedgerFileError, load_ledger_file
from contactengine.dispatch.planner import PlanError, read_plan
from contactengine.dispatch.progress import Progress
from contactengine.dispatch.run import Dispatcher, Settled, Summary
from contactengine.dispatch.unsubscribe import signing_key
from contactengine.engine.loader import load_paths
from contactengine.language.diagnostics import render_all_human
from contactengine.ledger import Ledger
from contactengine.model.instant import instant, iso
from contactengine.model.records import PlannedMessage
from contactengine.store.base import ConflictingKey, NotFound, Store, StoreError
from contactengine.store.connect import open_store
from contactengine.templates import TemplateError, TemplateSet

DATABASE_HELP = "ledger URL (default: $CONTACTENGINE_DATABASE_URL, else ./contactengine.db)"
_INTERVAL = re.compile(r"^(\d+)\s*(s|m|h)$")


def add_commands(commands: Any) -> None:
    plan = commands.add_parser("plan", help="import planned messages (CSV or JSON Lines)")
    plan.add_argument("file", help="a .csv or .jsonl file of planned messages")
    plan.add_argument("--database", help=DATABASE_HELP)
    plan.add_argument("--templates", default="templates", help="templates folder")
    plan.set_defaults(run=_plan)

    run = commands.add_parser("dispatch", help="send the planned messages that are due and lawful")
    when = run.add_mutually_exclusive_group()
    when.add_argument("--once", action="store_true", help="one run, then exit (the default)")
    when.add_argument("--every", metavar="INTERVAL", help="run again every 30s, 5m, 1h ...")
    run.add_argument("--dry-run", action="store_true", help="say what would happen; change nothing")
    run.add_argument("--limit", type=int, help="handle at most this many messages a run")
    run.add_argument(
        "--worker",
        help="this worker's name (default: host:pid); a restarted worker of the same name takes back its claims",
    )
    run.add_argument(
        "--lease",
        default="5m",
        help="how long a claim holds before another worker may take it (default 5m)",
    )
    run.add_argument(
        "--now", help="decide as of this instant (ISO 8601 with offset): for demos and backtests"
    )
    run.add_argument("--database", help=DATABASE_HELP)
    run.add_argument("--rules", action="append", default=None, help="rules folder or file")
    run.add_argument("--templates", default="templates", help="templates folder")
    run.add_argument("--channels", default="channels", help="channel files folder")
    run.add_argument("--outbox", default="outbox", help="where the outbox provider writes")
    run.add_argument(
        "--outbox-only",
        action="store_true",
        help="write every message to the outbox, whatever credentials the environment holds",
    )
    run.add_argument(
        "--log", help="structured log file (- for stderr; default: stderr unless it is a terminal)"
    )
    run.add_argument(
        "--format", choices=("human", "json"), default="human", help="the summary's form"
    )
    run.set_defaults(run=_dispatch)


def add_db_load(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", help="for `load`: a JSON Lines file of debtors")


# --- plan ---------------------------------------------------------------------------------


def _plan(args: argparse.Namespace) -> int:
    lines: dict[str, int] = {}
    try:
        templates = TemplateSet(args.templates)
        messages = read_plan(args.file, frozenset(templates.kinds()), lines)
    except FileNotFoundError as exc:
        return _unusable(f"no such file: {exc.filename}")
    except TemplateError as exc:
        return _unusable(str(exc))
    except PlanError as exc:
        for problem in exc.problems:
            print(f"{exc.source}:{problem}", file=sys.stderr)
        print(f"nothing planned: {len(exc.problems)} bad rows", file=sys.stderr)
        return 1
    store = open_store(args.database)
    try:
        added = store.plan_messages(messages)
    except NotFound:
        for message in _unknown_records(store, messages):
            print(
                f"{args.file}:line {lines[message.id]}: no debt `{message.debt_id}`"
                f" for debtor `{message.debtor_id}` in the ledger",
                file=sys.stderr,
            )
        print("nothing planned", file=sys.stderr)
        return 1
    except ConflictingKey as exc:
        print(f"{args.file}:line {_line_of(exc, lines)}: {exc}; nothing planned", file=sys.stderr)
        return 1
    except StoreError as exc:
        return _unusable(str(exc))
    finally:
        store.close()
    print(f"planned {added} new messages ({len(messages) - added} already planned)")
    return 0


def _unknown_records(store: Store, messages: list[PlannedMessage]) -> list[PlannedMessage]:
    """The messages naming a debtor or debt the ledger does not have (the error path only)."""
    known: dict[tuple[str, str], bool] = {}
    unknown = []
    for message in messages:
        pair = (message.debtor_id, message.debt_id)
        if pair not in known:
            try:
                store.snapshot(*pair, since=math.inf)
                known[pair] = True
            except NotFound:
                known[pair] = False
        if not known[pair]:
            unknown.append(message)
    return unknown


def _line_of(exc: ConflictingKey, lines: dict[str, int]) -> str:
    named = re.search(r"`([^`]+)`", str(exc))
    return str(lines.get(named.group(1), "?")) if named else "?"


# --- db load ------------------------------------------------------------------------------


def load_ledger(args: argparse.Namespace) -> int:
    if not args.file:
        return _unusable("`db load` needs a JSON Lines file of debtors")
    store = open_store(args.database)
    try:
        counts = load_ledger_file(store, Path(args.file))
    except FileNotFoundError as exc:
        return _unusable(f"no such file: {exc.filename}")
    except LedgerFileError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        store.close()
    print(
        f"loaded {counts['debtors']} debtors, {counts['debts']} debts, "
        f"{counts['attempts']} past contacts"
    )
    return 0


# --- dispatch -----------------------------------------------------------------------------


def _dispatch(args: argparse.Namespace) -> int:
    try:
        interval = _seconds(args.every) if args.every else None
        lease = _seconds(args.lease)
        clock = _fixed_clock(args.now) if args.now else time.time
    except ValueError as exc:
        return _unusable(str(exc))
    if args.now and interval is not None:
        return _unusable("--now fixes the clock; it cannot be combined with --every")
    if args.limit is not None and args.limit < 1:
        return _unusable("--limit must be at least 1")
    loaded = load_paths(list(args.rules or ["rules"]))
    if loaded.ruleset is None:
        sys.stderr.write(render_all_human(loaded.diagnostics, loaded.sources))
        return 2
    try:
        templates = TemplateSet(args.templates)
        channels = load_channels(args.channels)
    except (TemplateError, ChannelConfigError) as exc:
        return _unusable(str(exc))
    if args.outbox_only:
        channels = {n: c.model_copy(update={"provider": "outbox"}) for n, c in channels.items()}
    try:
        adapters = {
            name: adapter_for(config, os.environ, outbox=args.outbox)
            for name, config in channels.items()
        }
    except ChannelConfigError as exc:
        return _unusable(str(exc))
    store = open_store(args.database)
    dispatcher = Dispatcher(
        Ledger(loaded.ruleset, store, clock=clock),
        templates,
        channels,
        adapters,
        worker=args.worker or f"{socket.gethostname()}:{os.getpid()}",
        signing_key=signing_key(),
        clock=clock,
        lease=lease,
    )
    with _stopping_on_signals(dispatcher), _log_stream(args.log) as log:
        try:
            while True:
                summary = _one_run(dispatcher, args, log)
                _print_summary(summary, args, clock())
                if interval is None or dispatcher.stop.wait(interval):
                    break
        except StoreError as exc:
            return _unusable(f"the ledger: {exc}")
        finally:
            store.close()
    return 0


def _one_run(dispatcher: Dispatcher, args: argparse.Namespace, log: TextIO | None) -> Summary:
    progress = Progress(enabled=sys.stderr.isatty() and log is None, dry_run=args.dry_run)

    def report(settled: Settled) -> None:
        progress.advance(settled)
        if log is not None:
            log.write(json.dumps({"at": _iso(dispatcher.clock()), **settled.event()}) + "\n")
            log.flush()

    with progress:
        if args.dry_run:
            return dispatcher.preview(args.limit, report)
        return dispatcher.run(args.limit, report)


def _print_summary(summary: Summary, args: argparse.Namespace, now: float) -> None:
    if args.format == "json":
        print(json.dumps({"at": _iso(now), "dry_run": args.dry_run, **summary.as_dict()}))
        return
    Progress.print_summary(summary, dry_run=args.dry_run, at=_iso(now))


@contextmanager
def _stopping_on_signals(dispatcher: Dispatcher) -> Iterator[None]:
    """SIGTERM and Ctrl-C finish the message in hand, then stop."""

    def stop(signum: int, frame: object) -> None:
        dispatcher.stop.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _log_stream(target: str | None) -> Iterator[TextIO | None]:
    if target == "-" or (target is None and not sys.stderr.isatty()):
        yield sys.stderr
    elif target is None:
        yield None
    else:
        with open(target, "a", encoding="utf-8") as stream:
            yield stream


def _seconds(text: str) -> float:
    found = _INTERVAL.match(text.strip())
    if not found:
        raise ValueError(f"`{text}` is not an interval such as 30s, 5m or 1h")
    return int(found.group(1)) * {"s": 1, "m": 60, "h": 3600}[found.group(2)]


def _fixed_clock(text: str) -> Callable[[], float]:
    try:
        fixed = instant(text)
    except ValueError as exc:
        raise ValueError(f"--now: {exc}") from None
    return lambda: fixed


def _iso(ts: float) -> str:
    """An instant to the second, for summaries and log lines."""
    return iso(float(int(ts)))


def _unusable(message: str) -> int:
    print(f"contactengine: {message}", file=sys.stderr)
    return 2
