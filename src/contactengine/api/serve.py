"""The service as uvicorn starts it in each worker process, configured by the environment.

`contactengine serve` sets the variables and asks uvicorn for this factory, so that every
worker process builds its own engine and ledger connection.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from contactengine.api.app import create_app
from contactengine.api.webhooks import WebhookSettings
from contactengine.dispatch.unsubscribe import signing_key
from contactengine.engine.loader import load_ruleset
from contactengine.ledger import Engine, Ledger
from contactengine.store.connect import open_store

RULES_ENVIRONMENT = "CONTACTENGINE_RULES"


def app_from_environment() -> FastAPI:
    paths = (os.environ.get(RULES_ENVIRONMENT) or "rules").split(os.pathsep)
    ruleset = load_ruleset([Path(p) for p in paths])
    store = open_store(None)
    webhooks = WebhookSettings.from_environment(signing_key=signing_key())
    return create_app(Engine(ruleset), Ledger(ruleset, store), webhooks)
