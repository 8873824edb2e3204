"""The HTTP service through real HTTP: uvicorn on loopback, httpx as the client."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from contactengine.api.app import create_app
from contactengine.api.keys import create_key
from contactengine.engine.loader import load_ruleset
from contactengine.ledger import Engine, Ledger
from contactengine.store.sqlite import SQLiteStore
from tests.dispatch_setup import ROOT, seed
from tests.helpers import make_request
from tests.live_server import serving

RULES = load_ruleset([ROOT / "rules"])


class Service:
    def __init__(self, url: str, store: SQLiteStore, read: str, write: str) -> None:
        self.url, self.store, self.read, self.write = url, store, read, write

    def client(self, key: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    store = SQLiteStore(tmp_path_factory.mktemp("api") / "ledger.db")
    seed(store, 2)
    read, write = create_key(store, "dialer", "read"), create_key(store, "crm", "write")
    app = create_app(Engine(RULES), Ledger(RULES, store))
    with serving(app) as url:
        yield Service(url, store, read, write)


def ask(**changes: Any) -> dict[str, Any]:
    return {
        "debtor_id": "C-0",
        "debt_id": "D-0",
        "channel": "call",
        "to": "+16175550000",
        "at": "2026-06-09T15:00:00Z",
        **changes,
    }


def test_every_route_but_health_needs_a_key_of_the_right_scope(service: Service) -> None:
    with service.client(None) as anonymous:
        assert anonymous.get("/healthz").json() == {"status": "ok"}
        refused = anonymous.post("/v1/decisions", json=make_request())
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["title"] == "Missing or unknown API key"
    with service.client("ce_abc_wrong") as forged:
        assert forged.post("/v1/decisions", json=make_request()).status_code == 401
    with service.client(service.read) as reader:
        assert reader.post("/v1/decisions", json=make_request()).status_code == 200
        assert reader.post("/v1/reservations", json=ask()).status_code == 403


def test_a_decision_follows_the_contract_one_or_a_batch(service: Service) -> None:
    with service.client(service.read) as reader:
        one = reader.post("/v1/decisions", json=make_request()).json()
        assert set(one) >= {"allowed", "decision_id", "reasons", "next_allowed_at", "ruleset"}
        batch = reader.post(
            "/v1/decisions", json={"requests": [make_request(), {"debtor": {}}, ask()]}
        ).json()["decisions"]
        assert "allowed" in batch[0] and "allowed" in batch[2]
        assert batch[1]["error"] == "invalid request"  # in its place, the rest decided
        bad = reader.post("/v1/decisions", json=make_request(channel="fax"))
        assert bad.status_code == 422
        assert {"field": "channel"}.items() <= bad.json()["errors"][0].items()


def test_reservations_and_writes_reach_the_ledger_and_the_history(service: Service) -> None:
    with service.client(service.write) as writer:
        reserved = writer.post(
            "/v1/reservations", json=ask(debtor_id="C-1", debt_id="D-1", to="+16175550001")
        ).json()
        assert reserved["allowed"] is True
        attempt = reserved["attempt_id"]
        patched = writer.patch(f"/v1/attempts/{attempt}", json={"outcome": "no_answer"})
        assert patched.status_code == 200
        history = writer.get("/v1/debtors/C-1/history").json()
        [entry] = history["attempts"]
        assert entry["id"] == attempt and entry["outcome"] == "no_answer"
        assert entry["allowed_by"]["decision_id"] == reserved["decision_id"]
        assert writer.get("/v1/debtors/C-404/history").status_code == 404
        opt_out = {"channel": "email", "at": "2026-06-09T14:00:00Z"}
        assert writer.post("/v1/debtors/C-1/opt-outs", json=opt_out).status_code == 201
        email = writer.post(
            "/v1/decisions",
            json=ask(debtor_id="C-1", debt_id="D-1", channel="email", to="pat1@example.com"),
        ).json()
        assert [r["rule"] for r in email["reasons"]] == ["reg-f-medium-opt-out"]


def test_an_idempotency_key_makes_a_retry_harmless(service: Service) -> None:
    body = {
        "id": "A-api-1",
        "debtor_id": "C-0",
        "debt_ids": ["D-0"],
        "channel": "call",
        "to": "+16175550000",
        "at": "2026-06-01T15:00:00Z",
    }
    with service.client(service.write) as writer:
        first = writer.post("/v1/attempts", json=body, headers={"Idempotency-Key": "k-1"})
        again = writer.post("/v1/attempts", json=body, headers={"Idempotency-Key": "k-1"})
        assert first.status_code == again.status_code == 201
        other = writer.post(
            "/v1/attempts", json={**body, "id": "A-api-2"}, headers={"Idempotency-Key": "k-1"}
        )
        assert other.status_code == 409
    assert [a.id for a in service.store.attempts("C-0")].count("A-api-1") == 1


def test_bad_bodies_get_problems_naming_the_field(service: Service) -> None:
    with service.client(service.write) as writer:
        wrong = writer.post(
            "/v1/attempts",
            json={"id": "A", "debtor_id": "C-0", "debt_ids": ["D-0"], "channel": "fax", "at": "x"},
        )
        assert wrong.status_code == 422
        assert "channel" in {e["field"] for e in wrong.json()["errors"]}
        huge = writer.post(
            "/v1/decisions",
            content=b"{" + b" " * 1_100_000 + b"}",
            headers={"Content-Type": "application/json"},
        )
        assert huge.status_code == 413
        assert writer.put("/v1/debtors/C-0/flags/sleepy", json={"value": True}).status_code == 422


def test_the_openapi_document_and_readiness(service: Service) -> None:
    with service.client(None) as anonymous:
        document = anonymous.get("/openapi.json").json()
        assert "/v1/decisions" in document["paths"] and "/v1/reservations" in document["paths"]
        assert anonymous.get("/readyz").json()["ruleset"] == RULES.digest


def test_the_access_log_holds_no_personal_data(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.INFO, logger="contactengine.access"),
        service.client(service.read) as reader,
    ):
        reader.get("/v1/debtors/C-0/history")
        reader.post("/v1/decisions", json=ask())
    lines = [r.getMessage() for r in caplog.records if r.name == "contactengine.access"]
    assert any(line.startswith("GET /v1/debtors/{debtor_id}/history 200") for line in lines)
    assert not any("C-0" in line or "+1617" in line for line in lines)
