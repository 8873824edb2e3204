"""The HTTP service (FastAPI): decisions, reservations and the ledger's writes, by API key.

Errors are RFC 9457 problem details (`application/problem+json`) naming each bad field.
Bodies over `max_body` bytes are refused before they are read. The access log names the
method, the route (its template, not the path: ids are personal data), the status and
the time taken, and nothing else.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from starlette.exceptions import HTTPException

from contactengine.api.keys import allows, authenticate
from contactengine.api.webhooks import WebhookSettings, webhook_router
from contactengine.ledger import Engine, Ledger, decide
from contactengine.model.debtor import (
    Consent,
    InconvenientTime,
    OptOut,
    Revocation,
    channel_contact_point,
)
from contactengine.model.errors import (
    FieldError,
    JSONError,
    RequestError,
    field_path,
    readable,
)
from contactengine.model.history import Attempt
from contactengine.model.instant import Instant
from contactengine.model.limits import MAX_RECORDS, Id, check_depth, load_json
from contactengine.model.records import PlannedMessage
from contactengine.model.request import LedgerRequest
from contactengine.model.vocabulary import Channel, Outcome
from contactengine.store.audit import export
from contactengine.store.base import ApiKeyRecord, ConflictingKey, NotFound, StoreError

ACCESS = logging.getLogger("contactengine.access")
MAX_BODY = 1_000_000  # bytes: a batch of 100 requests with long histories fits
MAX_BATCH = 1_000
PROBLEM = "application/problem+json"


class Problem(Exception):
    """An answer that is an error: status, a title, and what exactly is wrong."""

    def __init__(
        self, status: int, title: str, detail: str = "", errors: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(title)
        self.status, self.title, self.detail, self.errors = status, title, detail, errors or []


# --- request bodies -----------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OutcomeBody(_Body):
    outcome: Outcome
    message_left: bool | None = None


class FlagBody(_Body):
    value: bool | list[str]


class PlannedMessageBody(_Body):
    id: Id
    debtor_id: Id
    debt_id: Id
    channel: Channel
    template: Id
    not_before: Instant
    to: str | None = Field(default=None, max_length=1000)
    variables: dict[str, Any] = Field(default_factory=dict)

    @field_validator("to")
    @classmethod
    def _to(cls, value: str | None, info: ValidationInfo) -> str | None:
        return channel_contact_point(value, info)

    @field_validator("variables")
    @classmethod
    def _variables(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_depth(value, "variables")
        return value


class PlanBody(_Body):
    messages: list[PlannedMessageBody] = Field(min_length=1, max_length=10_000)


DECISION_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "One request (with its facts, or by `debtor_id`) or"
                    ' `{"requests": [...]}`',
                }
            }
        },
    }
}


# --- the application ----------------------------------------------------------------------


def create_app(
    engine: Engine,
    ledger: Ledger,
    webhooks: WebhookSettings | None = None,
    max_body: int = MAX_BODY,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    app = FastAPI(
        title="contactengine",
        version="1",
        description="Executable contact rules for debt-collection communications.",
    )
    store = ledger.store

    def key(scope: str) -> Callable[..., Awaitable[ApiKeyRecord]]:
        async def check(
            authorization: Annotated[str | None, Header()] = None,
            x_api_key: Annotated[str | None, Header()] = None,
        ) -> ApiKeyRecord:
            presented = x_api_key or (authorization or "").removeprefix("Bearer ").strip()
            try:
                record = authenticate(store, presented) if presented else None
            except StoreError as exc:
                raise Problem(503, "The ledger is unavailable", str(exc)) from exc
            if record is None:
                raise Problem(
                    401, "Missing or unknown API key", "send `Authorization: Bearer <key>`"
                )
            if not allows(record, scope):
                raise Problem(
                    403, f"This key may not {scope}", f"the key `{record.id}` is for {record.scope}"
                )
            return record

        return check

    reader = Depends(key("read"))
    writer = Depends(key("write"))

    app.add_middleware(Guard, max_body=max_body)

    @app.exception_handler(Problem)
    async def problem(request: Request, exc: Problem) -> Response:
        return _problem(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors: list[dict[str, str]] = []
        for e in exc.errors():
            error = {"field": field_path(e["loc"][1:]) or "body", "message": readable(e)}
            if error not in errors:  # each member of a union tried says the same
                errors.append(error)
        return _problem(Problem(422, "Invalid request", "see `errors`", errors))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 400 and exc.__cause__ is not None:  # FastAPI could not read it
            why = _unreadable_body(exc.__cause__)
            return _problem(Problem(400, "Invalid JSON", why, [{"field": "body", "message": why}]))
        return _problem(Problem(exc.status_code, str(exc.detail)))

    # --- decisions ---------------------------------------------------------------------

    @app.post("/v1/decisions", tags=["decisions"], openapi_extra=DECISION_BODY)
    async def decisions(request: Request, _: ApiKeyRecord = reader) -> Response:
        """One request (the decision contract) or `{"requests": [...]}`, up to 1,000.

        A request naming `debtor_id` is decided from the ledger; one carrying `debtor`
        from its own facts.
        """
        raw = await request.body()
        if b'"requests"' not in raw:  # one request: read straight into its model
            return _json(_decide_one(engine, ledger, raw, batch=False))
        try:
            body = load_json(raw, "body")
        except JSONError as exc:
            raise _invalid(exc, 400, "Invalid JSON") from None
        if isinstance(body, dict) and "requests" in body:
            batch = body["requests"]
            if not isinstance(batch, list) or not 1 <= len(batch) <= MAX_BATCH:
                raise Problem(422, "Invalid batch", f"`requests` is a list of 1 to {MAX_BATCH}")
            decided = [_decide_one(engine, ledger, item, batch=True) for item in batch]
            return _json({"decisions": decided})
        return _json(_decide_one(engine, ledger, body, batch=False))

    @app.post("/v1/reservations", tags=["decisions"])
    def reservations(body: LedgerRequest, _: ApiKeyRecord = writer) -> Any:
        """Decide and, when allowed, record the attempt in one transaction."""
        return ledger.reserve(body).to_json()

    # --- the ledger's writes -------------------------------------------------------------

    @app.post("/v1/attempts", status_code=201, tags=["ledger"])
    def attempts(
        body: Attempt,
        _: ApiKeyRecord = writer,
        idempotency_key: Annotated[str | None, Header()] = None,
    ) -> Any:
        record = body.record()
        return {"id": _store(lambda: store.record_attempt(record, key=idempotency_key))}

    @app.patch("/v1/attempts/{attempt_id}", tags=["ledger"])
    def outcome(
        attempt_id: str,
        body: OutcomeBody,
        _: ApiKeyRecord = writer,
        idempotency_key: Annotated[str | None, Header()] = None,
    ) -> Any:
        _store(
            lambda: store.record_outcome(
                attempt_id, body.outcome, body.message_left, key=idempotency_key
            )
        )
        return {"id": attempt_id, "outcome": body.outcome}

    @app.post("/v1/debtors/{debtor_id}/consents", status_code=201, tags=["ledger"])
    def consents(
        debtor_id: str,
        body: Consent,
        _: ApiKeyRecord = writer,
        idempotency_key: Annotated[str | None, Header()] = None,
    ) -> Any:
        _store(lambda: store.record_consent(debtor_id, body, key=idempotency_key))
        return {"recorded": True}

    @app.post("/v1/debtors/{debtor_id}/consents/revocations", tags=["ledger"])
    def revocations(
        debtor_id: str,
        body: Revocation,
        _: ApiKeyRecord = writer,
        idempotency_key: Annotated[str | None, Header()] = None,
    ) -> Any:
        revoked = _store(
            lambda: store.revoke_consent(
                debtor_id, body.channel, body.to, body.at, key=idempotency_key
            )
        )
        return {"revoked": revoked}

    @app.post("/v1/debtors/{debtor_id}/opt-outs", status_code=201, tags=["ledger"])
    def opt_outs(
        debtor_id: str,
        body: OptOut,
        _: ApiKeyRecord = writer,
        idempotency_key: Annotated[str | None, Header()] = None,
    ) -> Any:
        _store(lambda: store.record_opt_out(debtor_id, body, key=idempotency_key))
        return {"recorded": True}

    @app.put("/v1/debtors/{debtor_id}/flags/{flag}", tags=["ledger"])
    def flags(debtor_id: str, flag: str, body: FlagBody, _: ApiKeyRecord = writer) -> Any:
        try:
            _store(lambda: store.set_flag(debtor_id, flag, body.value))
        except ValueError as exc:
            raise Problem(
                422, "Invalid flag", str(exc), [{"field": "flag", "message": str(exc)}]
            ) from exc
        return {"flag": flag, "value": body.value}

    @app.post("/v1/debtors/{debtor_id}/inconvenient-times", status_code=201, tags=["ledger"])
    def inconvenient_time(
        debtor_id: str,
        body: InconvenientTime,
        _: ApiKeyRecord = writer,
        idempotency_key: Annotated[str | None, Header()] = None,
    ) -> Any:
        _store(lambda: store.record_inconvenient_time(debtor_id, body, key=idempotency_key))
        return {"recorded": True}

    @app.put("/v1/debtors/{debtor_id}/inconvenient-times", tags=["ledger"])
    def inconvenient_times(
        debtor_id: str,
        body: Annotated[list[InconvenientTime], Field(max_length=MAX_RECORDS)],
        _: ApiKeyRecord = writer,
    ) -> Any:
        _store(lambda: store.set_inconvenient_times(debtor_id, body))
        return {"recorded": len(body)}

    @app.post("/v1/planned-messages", status_code=201, tags=["dispatch"])
    def plan(body: PlanBody, _: ApiKeyRecord = writer) -> Any:
        messages = [
            PlannedMessage(
                id=m.id,
                debtor_id=m.debtor_id,
                debt_id=m.debt_id,
                channel=m.channel,
                template=m.template,
                not_before=m.not_before,
                to=m.to,
                variables=m.variables,
            )
            for m in body.messages
        ]
        return {"planned": _store(lambda: store.plan_messages(messages))}

    @app.get("/v1/planned-messages", tags=["dispatch"])
    def planned(
        debtor_id: str | None = None, status: str | None = None, _: ApiKeyRecord = reader
    ) -> Any:
        found = _store(lambda: store.planned_messages(debtor_id, status))
        return {"messages": [vars(m) for m in found]}

    @app.get("/v1/debtors/{debtor_id}/history", tags=["ledger"])
    def history(debtor_id: str, _: ApiKeyRecord = reader) -> Any:
        """Every attempt on file, with the logged decision and rules that allowed it."""
        _store(lambda: store.debtor(debtor_id))
        return _store(lambda: export(store, debtor_id))

    if webhooks is not None:
        app.include_router(webhook_router(ledger, webhooks, clock))

    # --- health --------------------------------------------------------------------------

    @app.get("/healthz", tags=["health"])
    def health() -> Any:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    def ready() -> Any:
        try:
            store.api_key("-")
        except StoreError as exc:
            raise Problem(503, "The ledger is unavailable", str(exc)) from exc
        return {"status": "ready", "ruleset": ledger.ruleset.digest}

    return app


def _decide_one(engine: Engine, ledger: Ledger, item: Any, batch: bool) -> dict[str, Any]:
    """One request (a JSON object from a batch, or a body's raw text) through the one
    decide path; a bad one is its error object in a batch, a problem alone (400 for text
    that is not JSON, 422 for bad fields)."""
    try:
        if not isinstance(item, dict | bytes):
            raise RequestError.single("request", "a request is a JSON object")
        decision = decide(item, engine.ruleset, ledger=ledger, now=engine.clock())
        return dict(decision.to_json())
    except JSONError as exc:  # only a body's raw text can be unreadable: it is the body
        body = JSONError(FieldError("body", e.message) for e in exc.errors)
        raise _invalid(body, 400, "Invalid JSON") from exc
    except RequestError as exc:
        if batch:
            return dict(exc.to_json())
        raise _invalid(exc) from exc


def _unreadable_body(cause: BaseException) -> str:
    """Why FastAPI could not read a body it parses itself (the ledger's writes)."""
    if isinstance(cause, RecursionError):
        return "objects and lists nest too deeply"
    if isinstance(cause, UnicodeDecodeError):
        return "the body is not UTF-8 text"
    return "the body cannot be read as JSON"


def _invalid(exc: RequestError, status: int = 422, title: str = "Invalid request") -> Problem:
    errors = [{"field": e.field, "message": e.message} for e in exc.errors]
    return Problem(status, title, "see `errors`", errors)


def _store(write: Callable[[], Any]) -> Any:
    """A ledger call, its failures as problems: unknown records, reused keys, an outage."""
    try:
        return write()
    except NotFound as exc:
        raise Problem(404, "Not found", str(exc)) from exc
    except ConflictingKey as exc:
        raise Problem(409, "Idempotency key reused", str(exc)) from exc
    except StoreError as exc:
        raise Problem(503, "The ledger is unavailable", str(exc)) from exc
    except ValueError as exc:
        raise Problem(422, "Invalid request", str(exc)) from exc


class Guard:
    """Refuses bodies over the limit before they are read, and logs each request: method,
    route template, status, time. Plain ASGI: the cheapest place for both."""

    def __init__(self, app: Any, max_body: int) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            refusal = _problem(
                Problem(413, "Request body too large", f"at most {self.max_body} bytes")
            )
            status = 413
            await refusal(scope, receive, send)
        else:

            async def sending(message: Any) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            await self.app(scope, receive, sending)
        if ACCESS.isEnabledFor(logging.INFO):
            route = scope.get("route")
            ACCESS.info(
                "%s %s %s %.1fms",
                scope["method"],
                getattr(route, "path", "-"),
                status,
                (time.perf_counter() - began) * 1000,
            )


def _json(content: Any) -> Response:
    """A JSON answer as is: the contract's dicts need no re-validation on the way out."""
    return Response(json.dumps(content), media_type="application/json")


def _problem(problem: Problem) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": problem.title, "status": problem.status}
    if problem.detail:
        body["detail"] = problem.detail
    if problem.errors:
        body["errors"] = problem.errors
    return JSONResponse(body, status_code=problem.status, media_type=PROBLEM)
