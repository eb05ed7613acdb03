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


def test_every_success_answer_is_documented_by_a_response_model(api: Api) -> None:
    document = api.as_(None).get("/api/openapi.json").body
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if "other" in operation["tags"]:
                continue
            success = next(body for code, body in operation["responses"].items() if code.startswith("2"))
            assert success["content"]["application/json"]["schema"], f"{method} {path} documents no success body"


def test_response_models_refuse_what_the_api_never_sends(api: Api) -> None:
    schemas = api.as_(None).get("/api/openapi.json").body["components"]["schemas"]
    sale_out = schemas["Transaccion"]
    assert sale_out["additionalProperties"] is False
    assert {"items", "pagos", "monto_total"} <= set(sale_out["required"])
    assert schemas["Caja"]["properties"]["b200"] == {"minimum": 0, "title": "B200", "type": "integer"}


def test_kitchen_display_answers_are_documented_inside_their_envelope(api: Api) -> None:
    orders = api.as_(None).get("/api/openapi.json").body["paths"]["/orders"]["get"]["responses"]["200"]
    schema = orders["content"]["application/json"]["schema"]
    assert schema["properties"]["success"] == {"const": True}
    assert schema["properties"]["data"] == {"type": "array", "items": {"$ref": "#/components/schemas/KdsOrder"}}


def test_a_response_declaration_that_names_no_shape_is_refused() -> None:
    from typing import TypedDict

    import pytest

    from chalicelib.api.responses import shape_of
    from chalicelib.presenters.caja import Caja
    from chalicelib.presenters.sales import Transaccion
    from chalicelib.presenters.shapes import Shape

    assert shape_of(list[Transaccion]) is not None and shape_of(Caja | None) is not None

    class Loose(TypedDict):  # a TypedDict not built on Shape would let unknown keys through
        id: int

    for bad in ("Transaccion", "list[Transaccion]", list[int], dict[str, Caja], dict, Shape, Loose, list[Loose], Caja | int):
        with pytest.raises(TypeError):
            shape_of(bad)


def test_the_docs_page_loads_the_vendored_renderer_and_the_document_beside_it(api: Api) -> None:
    page = api.as_(None).get("/api/docs")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert '<base href="/api/">' in page.body and 'spec-url="openapi.json"' in page.body
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    renderer = api.as_(None).get("/api/docs/redoc.standalone.js")
    assert renderer.status == 200 and "Redoc" in renderer.body[:400]
