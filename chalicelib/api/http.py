"""The HTTP edge: authentication, permission checks, body parsing, and the one place where
domain errors become HTTP responses. Views stay thin: parse, one use-case call, return."""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from http import HTTPStatus
from typing import Any, TypeVar

from chalice import Blueprint, Response

from chalicelib.api.responses import shape_of
from chalicelib.api.schemas import Schema, integer, validate, validate_query
from chalicelib.auth import Principal, bearer_token
from chalicelib.domain.money import json_default
from chalicelib.errors import (
    Busy,
    DomainError,
    Forbidden,
    InvalidInput,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
    is_busy,
)
from chalicelib.observability import logger as log
from chalicelib.services.audit import Actor, acting

LIST_MAXIMUM = 500


def limit_query(default: int = LIST_MAXIMUM, maximum: int = LIST_MAXIMUM) -> Schema:
    """The `limit` query parameter every list takes."""
    return {
        "limit": integer(
            required=False,
            default=default,
            minimum=1,
            maximum=maximum,
            description=f"at most this many (default {default}, maximum {maximum})",
        )
    }


LIMIT = limit_query()


ErrorShape = Callable[[int, Any, str], Any]


def nest_error(status: int, message: Any, phrase: str) -> Any:
    return {"statusCode": status, "message": message, "error": phrase}


@dataclass(frozen=True)
class ErrorFormat:
    """How a surface answers an error: the body it builds, and that body's schema (by name) in the
    OpenAPI document."""

    name: str
    shape: ErrorShape
    schema: dict[str, Any] = field(hash=False, compare=False)


MESSAGE = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
NESTED_ERROR = ErrorFormat("Error", nest_error, {
    "type": "object",
    "properties": {"statusCode": {"type": "integer"}, "message": MESSAGE, "error": {"type": "string"}},
    "required": ["statusCode", "message"],
})


@dataclass(frozen=True)
class Envelope:
    """How a surface wraps every success body (`wrap`), reads it back (`unwrap`), and documents
    the wrapper around the body's schema (`schema`)."""

    wrap: Callable[[Any], Any]
    unwrap: Callable[[Any], Any]
    schema: Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class RouteSpec:
    surface: str
    path: str
    methods: tuple[str, ...]
    permission: str | None  # None means public (login only)
    status: int = 200
    body: Schema | None = field(default=None, hash=False, compare=False)
    partial: bool = False  # PATCH: every field optional, at least one
    query: Schema = field(default_factory=dict, hash=False, compare=False)
    response: Any = field(default=None, hash=False, compare=False)  # a shape (api/responses.py): Name, list[Name] or Name | None
    summary: str = ""
    envelope: Envelope | None = field(default=None, hash=False, compare=False)  # the surface's, if it wraps its answers
    errors: ErrorFormat = field(default=NESTED_ERROR, hash=False, compare=False)
    media_types: tuple[str, ...] = ()  # what else a success may be (text/csv), besides the JSON shape: a query parameter picks it

    @property
    def model_name(self) -> str:
        """The name of the route's body and query models: `/api/caja/{caja_id}/arqueo` -> ApiCajaCajaIdArqueo."""
        return "".join(p.title() for p in re.findall(r"[a-z]+", self.path))


MAX_BODY_BYTES = 64 * 1024
T = TypeVar("T")


@dataclass
class RequestContext:
    principal: Principal
    raw_body: bytes | str | None
    query: Mapping[str, str]
    headers: Mapping[str, str]
    lambda_context: Any = None
    spec: RouteSpec | None = None
    _body: Any = field(default=None, init=False)
    _params: dict[str, Any] | None = field(default=None, init=False)

    @property
    def tenant(self) -> str:
        return self.principal.tenant

    @property
    def branch(self) -> str:
        if not self.principal.branch:
            raise InvalidInput("Este usuario no tiene sucursal asignada")
        return self.principal.branch

    def json(self) -> Any:
        if self._body is None:
            self._body = parse_json(self.raw_body)
        return self._body

    def body(self) -> dict[str, Any]:
        """The request body, validated against the route's declared schema."""
        if self.spec is None or self.spec.body is None:
            raise TypeError("this route declares no body")
        return validate(self.json(), self.spec.body, partial=self.spec.partial, name=self.spec.model_name)

    def params(self) -> dict[str, Any]:
        """The query parameters the route declares, validated (defaults filled in)."""
        if self._params is None:
            schema = self.spec.query if self.spec is not None else {}
            self._params = validate_query(self.query, schema, name=(self.spec.model_name if self.spec else "") + "Query")
        return self._params

    def limit(self) -> int:
        """The declared `limit` query parameter (1..its maximum, 400 otherwise)."""
        return int(self.params()["limit"])

    def limited(self, items: list[T]) -> list[T]:
        return items[: self.limit()]


ANONYMOUS = Principal(user_id="", tenant="", branch=None, role="", kind="anonymous")


def parse_json(raw: bytes | str | None) -> Any:
    if not raw:
        return {}
    try:
        return json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nested too deep to parse
        raise InvalidInput("El cuerpo de la petición no es JSON válido") from exc


def json_response(body: Any, status: int = 200) -> Response:
    return Response(
        body=json.dumps(body, default=json_default, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": "application/json"},
    )


def error_response(exc: DomainError, shape: ErrorShape = nest_error) -> Response:
    status = exc.status_code
    response = json_response(shape(status, exc.message, HTTPStatus(status).phrase), status)
    if isinstance(exc, (Busy, TooManyRequests)):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def internal_error_response() -> Response:
    return json_response({"statusCode": 500, "message": "Internal server error", "error": "Internal Server Error"}, 500)


def _lower_headers(headers: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in dict(headers or {}).items()}


def authenticate(headers: Mapping[str, str]) -> Principal:
    from chalicelib.container import get_services

    services = get_services()
    principal = services.tokens.verify(bearer_token(headers.get("authorization")))
    services.sessions.check(principal)
    override = headers.get("x-branch-id")
    if override and principal.kind == "staff" and override != principal.branch:
        principal = get_services().accounts.principal_in_branch(principal, override)
    return principal


ViewFn = Callable[..., Any]


class Surface:
    """One Chalice Blueprint per API surface, with routes that declare their permission."""

    def __init__(self, name: str, *, envelope: Envelope | None = None, errors: ErrorFormat = NESTED_ERROR) -> None:
        self.name = name
        self.blueprint = Blueprint(__name__ + "." + name)
        self.envelope = envelope
        self.errors = errors
        self.routes: list[RouteSpec] = []  # in declaration order (api/surfaces.py joins every surface's)

    def route(
        self,
        path: str,
        methods: list[str],
        *,
        permission: str | None,
        status: int = 200,
        body: Schema | None = None,
        partial: bool = False,
        query: Schema | None = None,
        response: Any = None,
        media_types: tuple[str, ...] = (),
    ) -> Callable[[ViewFn], ViewFn]:
        if response is not None:
            shape_of(response)  # a route names its answer's shape by the type, or it does not load

        def decorate(fn: ViewFn) -> ViewFn:
            summary = (fn.__doc__ or "").strip().split("\n", 1)[0]
            spec = RouteSpec(self.name, path, tuple(methods), permission, status, body, partial, query or {}, response, summary,
                             envelope=self.envelope, errors=self.errors, media_types=media_types)
            self.routes.append(spec)

            @functools.wraps(fn)
            def view(**params: str) -> Response:
                return self._dispatch(spec, fn, status, params)

            self.blueprint.route(path, methods=methods, cors=True)(view)
            return fn

        return decorate

    def _dispatch(self, spec: RouteSpec, fn: ViewFn, status: int, params: dict[str, str]) -> Response:
        request = self.blueprint.current_request
        headers = _lower_headers(request.headers)
        response = self._respond(spec, fn, status, params, headers)
        return guarded_headers(response, headers.get("origin"), authenticated=spec.permission is not None)

    def _respond(self, spec: RouteSpec, fn: ViewFn, status: int, params: dict[str, str], headers: dict[str, str]) -> Response:
        request = self.blueprint.current_request
        principal = ANONYMOUS
        try:
            if request.raw_body is not None and len(request.raw_body) > MAX_BODY_BYTES:
                raise PayloadTooLarge(f"El cuerpo de la petición supera {MAX_BODY_BYTES // 1024} KB")
            principal = ANONYMOUS if spec.permission is None else authenticate(headers)
            if spec.permission is not None and not principal.can(spec.permission):
                raise Forbidden("Forbidden resource")
            ctx = RequestContext(
                principal, request.raw_body, dict(request.query_params or {}), headers, self.blueprint.lambda_context, spec
            )
            with acting(Actor(principal.user_id, principal.name, request_id(request.context, self.blueprint.lambda_context))):
                result = fn(ctx, **params)
            if isinstance(result, Response):
                return result
            return json_response(self.envelope.wrap(result) if self.envelope else result, status)
        except DomainError as exc:
            if isinstance(exc, Unauthorized):
                log.info("unauthorized", extra={"path": spec.path})
            if request.method != "GET":
                report_refused_order_command(principal, params, headers, exc)
            return error_response(exc, self.errors.shape)
        except Exception as exc:
            if is_busy(exc):  # DynamoDB still throttling after botocore's retries: nothing was written
                log.warning("busy", extra={"path": spec.path})
                return error_response(Busy(), self.errors.shape)
            log.exception("unhandled error", extra={"path": spec.path, "methods": spec.methods})
            return internal_error_response()


def request_id(request_context: Mapping[str, Any] | None, lambda_context: Any) -> str:
    """API Gateway's request id (what its access logs show), else the Lambda invocation's."""
    found = (request_context or {}).get("requestId") or getattr(lambda_context, "aws_request_id", None)
    return str(found) if found else uuid.uuid4().hex


def guarded_headers(response: Response, origin: str | None, *, authenticated: bool) -> Response:
    """CORS for the stage's allowed origins (CORS_ALLOWED_ORIGINS; `*` only in local), and no
    sniffing or caching of what an authenticated route returns."""
    from chalicelib.container import get_services

    allowed = get_services().settings.cors_allowed_origins
    if "*" in allowed:
        response.headers["Access-Control-Allow-Origin"] = "*"
    else:
        # Chalice adds `*` unless the header is already set: an origin outside the list gets no match.
        fallback = allowed[0] if allowed else "null"
        response.headers["Access-Control-Allow-Origin"] = origin if origin and origin in allowed else fallback
        response.headers["Vary"] = "Origin"
    if authenticated:
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
    return response


ORDER_PARAMS = ("tx_id", "order_id")


def report_refused_order_command(
    principal: Principal, params: Mapping[str, str], headers: Mapping[str, str], exc: DomainError
) -> None:
    """A refused command on an order is also told to its user's sockets (COMPAT D's OrderEventError
    on `/kds/{tenant}/{user}`), for integrations that follow orders asynchronously. Never fails the request."""
    order_id = next((params[p] for p in ORDER_PARAMS if p in params), None)
    if order_id is None or principal.kind != "staff" or exc.status_code not in (400, 409, 422):
        return
    try:
        from chalicelib.container import get_services
        from chalicelib.presenters.notices import order_event_error

        correlation = headers.get("x-correlation-id") or headers.get("idempotency-key") or uuid.uuid4().hex
        notice = order_event_error(principal.user_id, order_id, exc.status_code, exc.message, correlation)
        get_services().connections.add_notice(principal.tenant, principal.user_id, json.dumps(notice, ensure_ascii=False))
    except Exception:
        log.exception("order error notice not recorded")
