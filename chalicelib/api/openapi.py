"""`GET /api/openapi.json`: the API's OpenAPI 3.1 document, generated from the routes as they
are declared (path, methods, permission, body schema, query parameters) and the pydantic models
of their bodies, so it cannot drift from what the handlers validate. Built once per container."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from chalice import Blueprint, Response

from chalicelib.api import display
from chalicelib.api.http import NESTED_ERROR, RouteSpec, guarded_headers, json_response
from chalicelib.api.schemas import model_for, query_model

blueprint = Blueprint(__name__)
PATH = "/api/openapi.json"
TITLE = "Comanda"

REF = "#/components/schemas/{model}"
# Routes outside the Surface registry: the web apps' static files, the Socket.IO polling transport, this document.
OTHER_ROUTES = {
    **{("get", path): (summary, "text/html" if summary.endswith("(HTML)") else "application/octet-stream")
       for path, summary in display.routes()},
    ("get", "/socket.io"): ("Socket.IO long-polling transport: poll (Engine.IO v4 text packets)", "text/plain"),
    ("post", "/socket.io"): ("Socket.IO long-polling transport: send packets", "text/plain"),
    ("get", PATH): ("This document", "application/json"),
    ("get", "/api/docs"): ("This document, rendered for reading (Redoc)", "text/html"),
    ("get", "/api/docs/redoc.standalone.js"): ("The vendored Redoc renderer", "text/javascript"),
}


def _query_parameters(spec: RouteSpec) -> list[dict[str, Any]]:
    if not spec.query:
        return []
    schema = query_model(spec.query, spec.model_name + "Query").model_json_schema()
    parameters = []
    for param, prop in schema.get("properties", {}).items():
        prop = {k: v for k, v in prop.items() if k != "title" and not (k == "default" and v is None)}
        options = [o for o in prop.pop("anyOf", []) if o.get("type") != "null"]
        if options:  # an optional parameter is `X | None` in the model; in the query it is simply absent
            prop |= options[0] if len(options) == 1 else {"anyOf": options}
        description = prop.pop("description", "")
        out = {"name": param, "in": "query", "required": param in schema.get("required", []), "schema": prop}
        parameters.append({**out, "description": description} if description else out)
    return parameters


def _path_params(path: str) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in re.findall(r"\{(\w+)\}", path)
    ]


def _body(spec: RouteSpec, components: dict[str, Any]) -> dict[str, Any]:
    assert spec.body is not None
    name = spec.model_name + ("Patch" if spec.partial else "")
    schema = model_for(spec.body, spec.model_name, partial=spec.partial).model_json_schema(ref_template=REF)
    for nested, definition in schema.pop("$defs", {}).items():
        _add_component(components, nested, definition)
    if spec.partial:
        schema["minProperties"] = 1
        for prop in schema.get("properties", {}).values():
            prop.pop("default", None)  # a PATCH changes only what it names: nothing defaults
    components[name] = schema
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def _operation(spec: RouteSpec, method: str, components: dict[str, Any]) -> dict[str, Any]:
    errors = {
        "400": "Invalid input: every problem is named in `message`",
        "404": "Not found (or another tenant's)",
        "409": "Conflict with the current state",
        "413": "Body too large",
    }
    if spec.permission is not None:
        errors |= {"401": "Missing, invalid or revoked token", "403": f"The role lacks `{spec.permission}`"}
    else:
        errors |= {"401": "Wrong credentials", "429": "Too many failed attempts: wait for Retry-After"}
    _add_component(components, spec.errors.name, spec.errors.schema)
    error_schema = {"$ref": REF.format(model=spec.errors.name)}
    success = _response_schema(spec, components)
    content: dict[str, Any] = {"application/json": {"schema": success}}
    content |= {media_type: {"schema": {"type": "string"}} for media_type in spec.media_types}
    responses: dict[str, Any] = {str(spec.status): {"description": "Success", "content": content}}
    for code, text in errors.items():
        responses[code] = {"description": text, "content": {"application/json": {"schema": error_schema}}}
    operation: dict[str, Any] = {
        "operationId": _operation_id(method, spec.path),
        "summary": spec.summary or f"{method.upper()} {spec.path}",
        "tags": [spec.surface],
        "parameters": _path_params(spec.path) + _query_parameters(spec),
        "responses": responses,
    }
    if spec.status == 201 and method == "post" and (links := _links(spec)):
        responses["201"]["links"] = links
    if spec.permission is not None:
        operation["security"] = [{"bearer": []}]
        operation["x-permission"] = spec.permission
    if spec.body is not None and method in ("post", "put", "patch"):
        operation["requestBody"] = _body(spec, components)
    return operation


def _add_component(components: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    if components.setdefault(name, schema) != schema:
        raise ValueError(f"two different schemas named {name}")


def _response_schema(spec: RouteSpec, components: dict[str, Any]) -> dict[str, Any]:
    """The success body: the schema pydantic derives from the route's response shape (a
    presenter's TypedDict; nested shapes become components by reference), inside the surface's
    envelope where it has one."""
    from pydantic import TypeAdapter

    if spec.response is None:
        raise ValueError(f"{spec.path} declares no response shape")
    schema = TypeAdapter(spec.response).json_schema(ref_template=REF)
    for nested, definition in schema.pop("$defs", {}).items():
        _add_component(components, nested, definition)
    if schema.get("type") == "object" and "title" in schema:
        _add_component(components, schema["title"], schema)
        schema = {"$ref": REF.format(model=schema["title"])}
    return spec.envelope.schema(schema) if spec.envelope is not None else schema


def _operation_id(method: str, path: str) -> str:
    return f"{method}_{re.sub(r'[^a-zA-Z0-9]+', '_', path).strip('_')}"


def _links(create: RouteSpec) -> dict[str, Any]:
    """What a 201 leads to: the created object's own routes (read, update, delete, and below),
    its new id taken from the response's `id` (or from the request body when the body names it)."""
    links: dict[str, Any] = {}
    from chalicelib.api.surfaces import ROUTES

    prefix = create.path + "/{"
    for spec in ROUTES:
        if not spec.path.startswith(prefix):
            continue
        new_param = spec.path[len(prefix) :].split("}", 1)[0]
        parameters: dict[str, str] = {p: f"$request.path.{p}" for p in re.findall(r"\{(\w+)\}", create.path)}
        if set(re.findall(r"\{(\w+)\}", spec.path)) != {*parameters, new_param}:
            continue  # deeper routes need ids this response does not give
        in_body = create.body is not None and new_param in create.body
        parameters[new_param] = f"$request.body#/{new_param}" if in_body else "$response.body#/id"
        for method in spec.methods:
            name = f"{method.title()}{''.join(p.title() for p in re.findall(r'[a-z]+', spec.path[len(create.path) :]))}"
            links[name] = {"operationId": _operation_id(method.lower(), spec.path), "parameters": parameters}
    return links


@cache
def document() -> dict[str, Any]:
    from chalicelib.api.surfaces import ROUTES  # the surfaces list this blueprint: imported when first asked

    components: dict[str, Any] = {NESTED_ERROR.name: NESTED_ERROR.schema}
    paths: dict[str, Any] = {}
    for spec in ROUTES:
        for method in spec.methods:
            paths.setdefault(spec.path, {})[method.lower()] = _operation(spec, method.lower(), components)
    for (method, path), (summary, content_type) in OTHER_ROUTES.items():
        parameters = _path_params(path)
        paths.setdefault(path, {})[method] = {
            "operationId": f"{method}_{re.sub(r'[^a-zA-Z0-9]+', '_', path).strip('_')}",
            "summary": summary,
            "tags": ["other"],
            "parameters": parameters,
            "responses": {
                "200": {"description": summary, "content": {content_type: {"schema": {}}}},
                "400": {"description": "A malformed request"},
                "404": {"description": "Not found"},
            },
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": "1",
            "description": "Comanda's REST API: the Restaurante (COMPAT A), kitchen display (COMPAT B) and "
            "GastroMovil (COMPAT C) surfaces. Every protected operation needs `Authorization: Bearer <token>` from "
            "`POST /api/auth/login`.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


@blueprint.route(PATH, methods=["GET"], cors=True)
def openapi() -> Response:
    origin = {k.lower(): v for k, v in dict(blueprint.current_request.headers or {}).items()}.get("origin")
    return guarded_headers(json_response(document()), origin, authenticated=False)
