"""The OpenAPI document is generated from the routes as declared, so it lists every route the
app serves, and it is a valid OpenAPI 3.1 document."""

from __future__ import annotations

from typing import Any

from app import app
from tests.support.api import Api


def test_the_document_is_valid_openapi_3_1(api: Api) -> None:
    from openapi_spec_validator import validate

    reply = api.as_(None).get("/api/openapi.json")
    assert reply.status == 200 and reply.body["openapi"] == "3.1.0"
    validate(reply.body)


def test_the_document_lists_every_route_of_the_app(api: Api) -> None:
    document: dict[str, Any] = api.as_(None).get("/api/openapi.json").body
    served = {(method.lower(), path) for path, methods in app.routes.items() for method in methods}
    documented = {(method, path) for path, operations in document["paths"].items() for method in operations}
    assert served == documented


def test_protected_operations_declare_the_bearer_token_and_their_permission(api: Api) -> None:
    document = api.as_(None).get("/api/openapi.json").body
    create = document["paths"]["/api/transacciones"]["post"]
    assert create["security"] == [{"bearer": []}] and create["x-permission"] == "transacciones:write"
    assert "security" not in document["paths"]["/api/auth/login"]["post"]


def test_a_body_schema_is_the_one_the_handler_validates_with(api: Api) -> None:
    document = api.as_(None).get("/api/openapi.json").body
    schemas = document["components"]["schemas"]
    create = schemas["ApiProductos"]
    assert create["required"] == ["nombre", "precio", "unidad"] and create["additionalProperties"] is False
    patch = schemas["ApiProductosProductoIdPatch"]
    assert "required" not in patch and patch["minProperties"] == 1
    assert schemas["ApiUsuarios"]["properties"]["rol"]["enum"] == ["admin", "cajero", "mesero", "cocina", "repartidor"]
