"""The Restaurante catalog (COMPAT A): productos, ingredientes, platos and recipe lines."""

from __future__ import annotations

import re
from typing import Any

from tests.support.api import Api, TenantWorld

LOCAL_TIME = re.compile(r"^\d{2}:\d{2} - \d{2}/\d{2}/\d{4}$")

COCA = {"nombre": "Coca-Cola 500ml", "precio": 8.5, "stock": 48, "unidad": "botella"}
PAPA = {"nombre": "Papa", "unidad": "kg", "cantidad": 30, "cantidad_minima": 8}
SILPANCHO = {"nombre": "Silpancho", "precio": "35.00"}


def _admin(api: Api, world: TenantWorld) -> Api:
    return api.as_(world.tokens["admin"])


def _create(api: Api, world: TenantWorld, path: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = _admin(api, world).post(path, body)
    assert reply.status == 201, reply
    return dict(reply.body)


def _messages(reply: Any) -> str:
    message = reply.body["message"]
    return " | ".join(message) if isinstance(message, list) else str(message)


# --- productos --------------------------------------------------------------------------------


def test_an_admin_creates_a_producto_and_gets_it_back_with_strings_for_numbers(api: Api, alpha: TenantWorld) -> None:
    created = _create(api, alpha, "/api/productos", COCA)
    assert re.fullmatch(r"prod_[a-z0-9]{8}", created["id"])
    assert {k: created[k] for k in ("nombre", "precio", "stock", "unidad", "activo")} == {
        "nombre": "Coca-Cola 500ml", "precio": "8.50", "stock": "48", "unidad": "botella", "activo": True,
    }
    assert LOCAL_TIME.match(created["creado_en"]) and LOCAL_TIME.match(created["actualizado_en"])
    fetched = api.as_(alpha.tokens["cajero"]).get(f"/api/productos/{created['id']}")
    assert fetched.status == 200
    assert fetched.body == created


def test_stock_may_be_omitted_and_defaults_to_zero(api: Api, alpha: TenantWorld) -> None:
    created = _create(api, alpha, "/api/productos", {"nombre": "Salteña", "precio": 9, "unidad": "unidad"})
    assert created["stock"] == "0"
    assert created["precio"] == "9.00"


def test_producto_list_is_alphabetical_and_readable_by_every_staff_role(api: Api, alpha: TenantWorld) -> None:
    _create(api, alpha, "/api/productos", {**COCA, "nombre": "zumo"})
    _create(api, alpha, "/api/productos", {**COCA, "nombre": "Agua"})
    for role in ("admin", "cajero", "mesero", "cocina"):
        reply = api.as_(alpha.tokens[role]).get("/api/productos")
        assert reply.status == 200, role
        assert [p["nombre"] for p in reply.body] == ["Agua", "zumo"]


def test_a_producto_is_patched_field_by_field(api: Api, alpha: TenantWorld) -> None:
    created = _create(api, alpha, "/api/productos", COCA)
    reply = _admin(api, alpha).patch(f"/api/productos/{created['id']}", {"precio": "10", "stock": 12})
    assert reply.status == 200
    assert (reply.body["precio"], reply.body["stock"], reply.body["nombre"]) == ("10.00", "12", "Coca-Cola 500ml")
    assert api.as_(alpha.tokens["cajero"]).get(f"/api/productos/{created['id']}").body["precio"] == "10.00"


def test_an_empty_patch_is_400(api: Api, alpha: TenantWorld) -> None:
    created = _create(api, alpha, "/api/productos", COCA)
    reply = _admin(api, alpha).patch(f"/api/productos/{created['id']}", {})
    assert reply.status == 400


def test_producto_validation_names_the_field(api: Api, alpha: TenantWorld) -> None:
    admin = _admin(api, alpha)
    cases = [
        ({**COCA, "color": "rojo"}, "property color should not exist"),
        ({**COCA, "precio": -1}, "precio must not be less than 0"),
        ({**COCA, "precio": "8.505"}, "precio must have at most 2 decimal places"),
        ({**COCA, "precio": "ocho"}, "precio must be a number"),
        ({**COCA, "stock": 1.5}, "stock must be an integer number"),
        ({**COCA, "stock": -3}, "stock must not be less than 0"),
        ({**COCA, "nombre": ""}, "nombre should not be empty"),
        ({**COCA, "nombre": "x" * 101}, "nombre must be shorter than or equal to 100 characters"),
        ({k: v for k, v in COCA.items() if k != "unidad"}, "unidad is required"),
    ]
    for body, message in cases:
        reply = admin.post("/api/productos", body)
        assert reply.status == 400, (body, reply)
        assert reply.body["error"] == "Bad Request"
        assert message in _messages(reply), (message, reply)
    assert admin.get("/api/productos").body == []


def test_a_patch_is_validated_too(api: Api, alpha: TenantWorld) -> None:
    created = _create(api, alpha, "/api/productos", COCA)
    reply = _admin(api, alpha).patch(f"/api/productos/{created['id']}", {"precio": -5, "id": "prod_hijacked"})
    assert reply.status == 400
    assert "precio must not be less than 0" in _messages(reply)
    assert "property id should not exist" in _messages(reply)


def test_a_soft_deleted_producto_is_gone_from_lists_and_reads_as_404(api: Api, alpha: TenantWorld) -> None:
    created = _create(api, alpha, "/api/productos", COCA)
    admin = _admin(api, alpha)
    reply = admin.delete(f"/api/productos/{created['id']}")
    assert reply.status == 200
    assert reply.body["id"] == created["id"]
    assert admin.get("/api/productos").body == []
    assert admin.get(f"/api/productos/{created['id']}").status == 404
    assert admin.patch(f"/api/productos/{created['id']}", {"precio": 1}).status == 404
    assert admin.delete(f"/api/productos/{created['id']}").status == 404


def test_unknown_and_malformed_producto_ids_are_404(api: Api, alpha: TenantWorld) -> None:
    admin = _admin(api, alpha)
    for pid in ("prod_zzzzzzzz", "ing_zzzzzzzz", "PRODUCTO%23x", "x"):
        reply = admin.get(f"/api/productos/{pid}")
        assert reply.status == 404, pid
        assert reply.body["error"] == "Not Found"


def test_only_admins_write_the_catalog(api: Api, alpha: TenantWorld) -> None:
    producto = _create(api, alpha, "/api/productos", COCA)
    plato = _create(api, alpha, "/api/platos", SILPANCHO)
    ing = _create(api, alpha, "/api/ingredientes", PAPA)
    for role in ("cajero", "mesero", "cocina", "repartidor"):
        as_role = api.as_(alpha.tokens[role])
        attempts = [
            as_role.post("/api/productos", COCA),
            as_role.patch(f"/api/productos/{producto['id']}", {"precio": 1}),
            as_role.delete(f"/api/productos/{producto['id']}"),
            as_role.post("/api/ingredientes", PAPA),
            as_role.post("/api/platos", SILPANCHO),
            as_role.delete(f"/api/platos/{plato['id']}"),
            as_role.post(f"/api/platos/{plato['id']}/ingredientes", {"ingrediente_id": ing["id"], "cantidad": 1}),
        ]
        assert [r.status for r in attempts] == [403] * len(attempts), role
    assert len(_admin(api, alpha).get("/api/productos").body) == 1


def test_the_catalog_needs_a_token_and_repartidores_cannot_read_it(api: Api, alpha: TenantWorld) -> None:
    assert api.get("/api/productos").status == 401
    assert api.get("/api/platos").status == 401
    assert api.as_(alpha.tokens["repartidor"]).get("/api/platos").status == 403


# --- ingredientes -----------------------------------------------------------------------------


def test_an_ingrediente_has_quantities_as_decimal_strings_and_a_low_stock_flag(api: Api, alpha: TenantWorld) -> None:
    created = _create(api, alpha, "/api/ingredientes", {**PAPA, "cantidad": "7.500", "cantidad_minima": "8"})
    assert re.fullmatch(r"ing_[a-z0-9]{8}", created["id"])
    assert (created["cantidad"], created["cantidad_minima"], created["bajo_minimo"]) == ("7.5", "8", True)
    patched = _admin(api, alpha).patch(f"/api/ingredientes/{created['id']}", {"cantidad": 20})
    assert patched.status == 200
    assert (patched.body["cantidad"], patched.body["bajo_minimo"]) == ("20", False)
    fetched = api.as_(alpha.tokens["cocina"]).get(f"/api/ingredientes/{created['id']}")
    assert fetched.status == 200 and fetched.body["cantidad"] == "20"


def test_cantidad_minima_defaults_to_zero(api: Api, alpha: TenantWorld) -> None:
    created = _create(api, alpha, "/api/ingredientes", {"nombre": "Sal", "unidad": "kg", "cantidad": 1})
    assert created["cantidad_minima"] == "0"


def test_ingrediente_validation_names_the_field(api: Api, alpha: TenantWorld) -> None:
    admin = _admin(api, alpha)
    cases = [
        ({**PAPA, "cantidad": -1}, "cantidad must not be less than 0"),
        ({**PAPA, "cantidad_minima": "-0.5"}, "cantidad_minima must not be less than 0"),
        ({**PAPA, "cantidad": "mucho"}, "cantidad must be a number"),
        ({**PAPA, "precio": 1}, "property precio should not exist"),
        ({k: v for k, v in PAPA.items() if k != "cantidad"}, "cantidad is required"),
    ]
    for body, message in cases:
        reply = admin.post("/api/ingredientes", body)
        assert reply.status == 400, (body, reply)
        assert message in _messages(reply), (message, reply)


def test_a_deleted_ingrediente_is_hidden(api: Api, alpha: TenantWorld) -> None:
    created = _create(api, alpha, "/api/ingredientes", PAPA)
    admin = _admin(api, alpha)
    assert admin.delete(f"/api/ingredientes/{created['id']}").status == 200
    assert admin.get(f"/api/ingredientes/{created['id']}").status == 404
    assert admin.get("/api/ingredientes").body == []


# --- platos -----------------------------------------------------------------------------------


def test_a_plato_defaults_to_the_cocina_station_and_can_be_routed_elsewhere(api: Api, alpha: TenantWorld) -> None:
    silpancho = _create(api, alpha, "/api/platos", SILPANCHO)
    churrasco = _create(api, alpha, "/api/platos", {"nombre": "Churrasco", "precio": 55, "estacion": "parrilla"})
    assert re.fullmatch(r"plato_[a-z0-9]{8}", silpancho["id"])
    assert (silpancho["precio"], silpancho["estacion"]) == ("35.00", "cocina")
    assert churrasco["estacion"] == "parrilla"
    patched = _admin(api, alpha).patch(f"/api/platos/{silpancho['id']}", {"estacion": "bar"})
    assert patched.status == 200 and patched.body["estacion"] == "bar"
    names = [(p["nombre"], p["estacion"]) for p in api.as_(alpha.tokens["mesero"]).get("/api/platos").body]
    assert names == [("Churrasco", "parrilla"), ("Silpancho", "bar")]


def test_plato_validation_names_the_field(api: Api, alpha: TenantWorld) -> None:
    admin = _admin(api, alpha)
    cases = [
        ({**SILPANCHO, "estacion": "Parrilla Norte"}, "estacion must match"),
        ({**SILPANCHO, "precio": -0.01}, "precio must not be less than 0"),
        ({"nombre": "Sin precio"}, "precio is required"),
        ({**SILPANCHO, "stock": 3}, "property stock should not exist"),
    ]
    for body, message in cases:
        reply = admin.post("/api/platos", body)
        assert reply.status == 400, (body, reply)
        assert message in _messages(reply), (message, reply)


def test_a_deleted_plato_is_hidden_and_its_recipe_unreachable(api: Api, alpha: TenantWorld) -> None:
    plato = _create(api, alpha, "/api/platos", SILPANCHO)
    ing = _create(api, alpha, "/api/ingredientes", PAPA)
    admin = _admin(api, alpha)
    assert admin.post(f"/api/platos/{plato['id']}/ingredientes", {"ingrediente_id": ing["id"], "cantidad": 1}).status == 201
    assert admin.delete(f"/api/platos/{plato['id']}").status == 200
    assert admin.get(f"/api/platos/{plato['id']}").status == 404
    assert admin.get("/api/platos").body == []
    assert admin.get(f"/api/platos/{plato['id']}/ingredientes").status == 404
    assert admin.patch(f"/api/platos/{plato['id']}/ingredientes/{ing['id']}", {"cantidad": 2}).status == 404


# --- recipes ----------------------------------------------------------------------------------


def test_a_platos_recipe_is_built_line_by_line_and_shown_with_the_plato(api: Api, alpha: TenantWorld) -> None:
    plato = _create(api, alpha, "/api/platos", SILPANCHO)
    papa = _create(api, alpha, "/api/ingredientes", PAPA)
    arroz = _create(api, alpha, "/api/ingredientes", {**PAPA, "nombre": "Arroz"})
    admin = _admin(api, alpha)
    added = admin.post(f"/api/platos/{plato['id']}/ingredientes", {"ingrediente_id": papa["id"], "cantidad": "0.200"})
    assert added.status == 201
    assert added.body == {"plato_id": plato["id"], "ingrediente_id": papa["id"], "nombre": "Papa", "unidad": "kg", "cantidad": "0.2"}
    assert admin.post(f"/api/platos/{plato['id']}/ingredientes", {"ingrediente_id": arroz["id"], "cantidad": 0.15}).status == 201

    listed = api.as_(alpha.tokens["cocina"]).get(f"/api/platos/{plato['id']}/ingredientes")
    assert listed.status == 200
    assert [(r["nombre"], r["cantidad"]) for r in listed.body] == [("Arroz", "0.15"), ("Papa", "0.2")]

    shown = api.as_(alpha.tokens["cajero"]).get(f"/api/platos/{plato['id']}")
    assert shown.status == 200
    assert shown.body["ingredientes"] == [
        {"ingrediente_id": arroz["id"], "nombre": "Arroz", "unidad": "kg", "cantidad": "0.15"},
        {"ingrediente_id": papa["id"], "nombre": "Papa", "unidad": "kg", "cantidad": "0.2"},
    ]


def test_a_recipe_line_is_patched_and_removed(api: Api, alpha: TenantWorld) -> None:
    plato = _create(api, alpha, "/api/platos", SILPANCHO)
    papa = _create(api, alpha, "/api/ingredientes", PAPA)
    admin = _admin(api, alpha)
    path = f"/api/platos/{plato['id']}/ingredientes"
    assert admin.post(path, {"ingrediente_id": papa["id"], "cantidad": 1}).status == 201

    patched = admin.patch(f"{path}/{papa['id']}", {"cantidad": "0.25"})
    assert patched.status == 200 and patched.body["cantidad"] == "0.25"
    assert admin.get(path).body[0]["cantidad"] == "0.25"

    removed = admin.delete(f"{path}/{papa['id']}")
    assert removed.status == 200 and removed.body["ingrediente_id"] == papa["id"]
    assert admin.get(path).body == []
    assert admin.delete(f"{path}/{papa['id']}").status == 404
    assert admin.patch(f"{path}/{papa['id']}", {"cantidad": 1}).status == 404
    assert admin.post(path, {"ingrediente_id": papa["id"], "cantidad": 2}).status == 201  # may be added again


def test_a_duplicate_recipe_line_is_400_and_keeps_the_first(api: Api, alpha: TenantWorld) -> None:
    plato = _create(api, alpha, "/api/platos", SILPANCHO)
    papa = _create(api, alpha, "/api/ingredientes", PAPA)
    admin = _admin(api, alpha)
    path = f"/api/platos/{plato['id']}/ingredientes"
    assert admin.post(path, {"ingrediente_id": papa["id"], "cantidad": 1}).status == 201
    again = admin.post(path, {"ingrediente_id": papa["id"], "cantidad": 3})
    assert again.status == 400
    assert "ingrediente_id" in _messages(again)
    assert [r["cantidad"] for r in admin.get(path).body] == ["1"]


def test_recipe_cantidad_must_be_at_least_one_hundredth(api: Api, alpha: TenantWorld) -> None:
    plato = _create(api, alpha, "/api/platos", SILPANCHO)
    papa = _create(api, alpha, "/api/ingredientes", PAPA)
    admin = _admin(api, alpha)
    path = f"/api/platos/{plato['id']}/ingredientes"
    for cantidad in (0, "0.009", -1):
        reply = admin.post(path, {"ingrediente_id": papa["id"], "cantidad": cantidad})
        assert reply.status == 400, cantidad
        assert "cantidad must not be less than 0.01" in _messages(reply)
    assert admin.post(path, {"ingrediente_id": papa["id"], "cantidad": "0.01"}).status == 201
    assert admin.patch(f"{path}/{papa['id']}", {"cantidad": 0}).status == 400
    assert admin.patch(f"{path}/{papa['id']}", {"cantidad": 1, "ingrediente_id": "ing_x"}).status == 400
    missing = admin.post(path, {"cantidad": 1})
    assert missing.status == 400 and "ingrediente_id is required" in _messages(missing)


def test_a_recipe_line_needs_an_existing_plato_and_ingrediente(api: Api, alpha: TenantWorld) -> None:
    plato = _create(api, alpha, "/api/platos", SILPANCHO)
    papa = _create(api, alpha, "/api/ingredientes", PAPA)
    admin = _admin(api, alpha)
    assert admin.post("/api/platos/plato_zzzzzzzz/ingredientes", {"ingrediente_id": papa["id"], "cantidad": 1}).status == 404
    assert admin.post(f"/api/platos/{plato['id']}/ingredientes", {"ingrediente_id": "ing_zzzzzzzz", "cantidad": 1}).status == 404
    assert admin.delete(f"/api/ingredientes/{papa['id']}").status == 200
    gone = admin.post(f"/api/platos/{plato['id']}/ingredientes", {"ingrediente_id": papa["id"], "cantidad": 1})
    assert gone.status == 404
    assert admin.get("/api/platos/plato_zzzzzzzz/ingredientes").status == 404


def test_a_line_whose_ingrediente_is_deleted_later_stays_visible_by_id(api: Api, alpha: TenantWorld) -> None:
    plato = _create(api, alpha, "/api/platos", SILPANCHO)
    papa = _create(api, alpha, "/api/ingredientes", PAPA)
    admin = _admin(api, alpha)
    assert admin.post(f"/api/platos/{plato['id']}/ingredientes", {"ingrediente_id": papa["id"], "cantidad": 1}).status == 201
    assert admin.delete(f"/api/ingredientes/{papa['id']}").status == 200
    lines = admin.get(f"/api/platos/{plato['id']}/ingredientes").body
    assert [(r["ingrediente_id"], r["nombre"]) for r in lines] == [(papa["id"], "Papa")]
    assert admin.delete(f"/api/platos/{plato['id']}/ingredientes/{papa['id']}").status == 200


# --- tenant isolation -------------------------------------------------------------------------


def test_another_tenant_cannot_see_or_touch_the_catalog(api: Api, alpha: TenantWorld, beta: TenantWorld) -> None:
    producto = _create(api, alpha, "/api/productos", COCA)
    plato = _create(api, alpha, "/api/platos", SILPANCHO)
    papa = _create(api, alpha, "/api/ingredientes", PAPA)
    recipe = f"/api/platos/{plato['id']}/ingredientes"
    assert _admin(api, alpha).post(recipe, {"ingrediente_id": papa["id"], "cantidad": 1}).status == 201
    beta_papa = _create(api, beta, "/api/ingredientes", PAPA)

    intruder = _admin(api, beta)
    attempts = {
        "get producto": intruder.get(f"/api/productos/{producto['id']}"),
        "patch producto": intruder.patch(f"/api/productos/{producto['id']}", {"precio": 0}),
        "delete producto": intruder.delete(f"/api/productos/{producto['id']}"),
        "get plato": intruder.get(f"/api/platos/{plato['id']}"),
        "patch plato": intruder.patch(f"/api/platos/{plato['id']}", {"precio": 0}),
        "delete plato": intruder.delete(f"/api/platos/{plato['id']}"),
        "get ingrediente": intruder.get(f"/api/ingredientes/{papa['id']}"),
        "delete ingrediente": intruder.delete(f"/api/ingredientes/{papa['id']}"),
        "get recipe": intruder.get(recipe),
        "add to recipe": intruder.post(recipe, {"ingrediente_id": beta_papa["id"], "cantidad": 1}),
        "patch recipe line": intruder.patch(f"{recipe}/{papa['id']}", {"cantidad": 9}),
        "delete recipe line": intruder.delete(f"{recipe}/{papa['id']}"),
    }
    assert {name: r.status for name, r in attempts.items()} == {name: 404 for name in attempts}
    assert intruder.get("/api/productos").body == []
    assert intruder.get("/api/platos").body == []

    # alpha's own admin cannot use beta's ingrediente in a recipe either
    foreign = _admin(api, alpha).post(recipe, {"ingrediente_id": beta_papa["id"], "cantidad": 1})
    assert foreign.status == 404

    owner = _admin(api, alpha)
    assert owner.get(f"/api/productos/{producto['id']}").body["precio"] == "8.50"
    assert owner.get(f"/api/platos/{plato['id']}").body["ingredientes"][0]["cantidad"] == "1"
