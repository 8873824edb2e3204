"""`contactengine serve | keys`: the HTTP service and the keys that open it."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from contactengine.api.keys import create_key
from contactengine.engine.loader import load_paths
from contactengine.language.diagnostics import render_all_human
from contactengine.store.base import StoreError
from contactengine.store.connect import ENVIRONMENT as DATABASE_ENVIRONMENT
from contactengine.store.connect import open_store

DATABASE_HELP = "ledger URL (default: $CONTACTENGINE_DATABASE_URL, else ./contactengine.db)"


def add_commands(commands: Any) -> None:
    serve = commands.add_parser("serve", help="serve can_contact() and the ledger over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="server processes")
    serve.add_argument("--database", help=DATABASE_HELP)
    serve.add_argument(
        "--rules",
        action="append",
        default=None,
        help="rules folder or file (default: $CONTACTENGINE_RULES, else ./rules)",
    )
    serve.set_defaults(run=_serve)

    keys = commands.add_parser("keys", help="API keys for the HTTP service")
    keys.add_argument("action", choices=("create", "list", "revoke"))
    keys.add_argument("--name", help="create: whose key it is")
    keys.add_argument("--scope", choices=("read", "write"), default="read")
    keys.add_argument("--id", help="revoke: the key's id")
    keys.add_argument("--database", help=DATABASE_HELP)
    keys.set_defaults(run=_keys)


def _serve(args: argparse.Namespace) -> int:
    """Check the rules and the ledger here, then let uvicorn start its workers."""
    import uvicorn

    from contactengine.api.serve import RULES_ENVIRONMENT

    rules = list(args.rules or (os.environ.get(RULES_ENVIRONMENT) or "rules").split(os.pathsep))
    loaded = load_paths(rules)
    if loaded.ruleset is None:
        sys.stderr.write(render_all_human(loaded.diagnostics, loaded.sources))
        return 2
    store = open_store(args.database)
    try:
        store.upgrade()
    except StoreError as exc:
        print(f"contactengine: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    os.environ[RULES_ENVIRONMENT] = os.pathsep.join(str(Path(r).resolve()) for r in rules)
    if args.database:
        os.environ[DATABASE_ENVIRONMENT] = args.database
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    uvicorn.run(
        "contactengine.api.serve:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_level="info",
    )
    return 0


def _keys(args: argparse.Namespace) -> int:
    store = open_store(args.database)
    try:
        if args.action == "create":
            if not args.name:
                print("contactengine: `keys create` needs --name", file=sys.stderr)
                return 2
            key = create_key(store, args.name, args.scope)
            print(key)
            print(f"a {args.scope} key for {args.name}: shown once, keep it", file=sys.stderr)
        elif args.action == "list":
            for record in store.api_keys():
                state = "revoked" if record.revoked_at else "live"
                print(f"{record.id}\t{record.scope}\t{state}\t{record.name}")
        else:
            if not args.id or not store.revoke_api_key(args.id, time.time()):
                print(f"contactengine: no live key `{args.id}`", file=sys.stderr)
                return 1
            print(f"revoked {args.id}")
    except StoreError as exc:
        print(f"contactengine: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    return 0
