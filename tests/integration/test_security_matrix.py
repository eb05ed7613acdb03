"""The security matrix: every route of the app against every kind of caller.

For each route declared through `Surface.route` (`chalicelib.api.surfaces.ROUTES`, which must cover every
route Chalice knows):
- no token and a garbage token are 401;
- every role that lacks the route's permission (per `chalicelib.auth.PERMISSIONS`) is 403, and
  every role that has it gets past the gate (neither 401 nor 403); a customer session token
  opens no staff route at all;
- tenant beta's admin calling a route with tenant alpha's real ids is 404 (never 200, never
  403) and alpha's objects are unchanged afterwards;
- routes without ids, which act on "the caller's current thing", show beta only beta's data.

One two-tenant world is built once for the module (through the HTTP API, as a client would) and
emptied at the end; the checks that may write send bodies or ids that fail before any write.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.api.http import RouteSpec
from chalicelib.api.surfaces import ROUTES
from chalicelib.auth import CUSTOMER_PERMISSIONS, PERMISSIONS, ROLES
from devstack.world import denominations
from tests.support.api import Api, Reply, TenantWorld, provision_world
from tests.support.aws import clean_tables

ALPHA_MARK = "Alfa"  # every alpha object carries this in a name, so a leak shows up in any body
COUNTS = denominations(b100=2)

# (method, path) of every declared route, in declaration order.
CASES: list[tuple[str, RouteSpec]] = [(method, spec) for spec in ROUTES for method in spec.methods]
PROTECTED = [(method, spec) for method, spec in CASES if spec.permission is not None]
WITH_IDS = [(method, spec) for method, spec in PROTECTED if "{" in spec.path]
CURRENT_READS = [(method, spec) for method, spec in PROTECTED if "{" not in spec.path and method == "GET"]


def _id(case: tuple[str, RouteSpec]) -> str:
    method, spec = case
    return f"{method} {spec.path}"


def fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)


def call(api: Api, method: str, path: str, body: Any = None) -> Reply:
    return api.call(method, path, body if method in ("POST", "PATCH", "PUT") else None)


# Ids that exist nowhere: an allowed role reaches the lookup and gets 404, never a write.
NOWHERE = {
    "user_id": "999999",
    "producto_id": "producto_nowhere",
    "ingrediente_id": "ingrediente_nowhere",
    "plato_id": "plato_nowhere",
    "caja_id": "999999",
    "tx_id": "999999",
    "item_id": "999999",
    "extra_id": "999999",
    "order_id": "999999",
    "sucursal_id": "nowhere",
    "pk": "999999",
    "curso": "2",
}
KDS_ITEM_NOWHERE = "00000000-0000-4000-8000-000000000000"
# Every body schema is strict, so this fails validation (400) before any write.
PROBE_BODY = {"__matrix_probe__": 1}


def nowhere_path(spec: RouteSpec) -> str:
    ids = dict(NOWHERE)
    if spec.path.startswith("/items/"):
        ids["item_id"] = KDS_ITEM_NOWHERE
    return fill(spec.path, ids)


# --- the world --------------------------------------------------------------------------------


@dataclass
class World:
    api: Api
    alpha: TenantWorld
    beta: TenantWorld
    ids: dict[str, str]  # alpha's real ids, by path parameter name
    kds_item: str  # alpha's KDS item UUID
    customer_token: str  # a customer session token for one of alpha's sales
    beta_ids: dict[str, str] = field(default_factory=dict)  # beta's own, for bodies
    snapshot: dict[str, Any] = field(default_factory=dict)
    customers: dict[str, str] = field(default_factory=dict)  # tenant -> a registered customer account's token

    def caller(self, tenant: str, spec: RouteSpec) -> str:
        """Who may call `spec` in `tenant`: its customer for customer routes, its driver for driver
        routes, its admin otherwise."""
        world = self.alpha if tenant == "alpha" else self.beta
        if spec.permission in CUSTOMER_PERMISSIONS:
            return self.customers[tenant]
        if spec.permission == "pedidos:deliver":
            return world.tokens["repartidor"]
        return world.tokens["admin"]


def created(reply: Reply) -> Any:
    assert reply.status == 201, reply
    return reply.body


def alpha_snapshot(world: World) -> dict[str, Any]:
    """Alpha's objects as alpha's admin sees them; compared after every cross-tenant call."""
    admin = world.api.as_(world.alpha.tokens["admin"])
    paths = [
        "/api/usuarios/{user_id}",
        "/api/productos/{producto_id}",
        "/api/ingredientes/{ingrediente_id}",
        "/api/platos/{plato_id}",
        "/api/caja/{caja_id}/detalle",
        "/api/transacciones/{tx_id}",
        "/api/transacciones/{tx_id}/pagos",
        "/api/transacciones/caja/{caja_id}",
        "/api/caja/actual",
        "/api/usuarios",
        "/api/sucursales",
        "/api/pedidos",
    ]
    out: dict[str, Any] = {}
    for path in paths:
        reply = admin.get(fill(path, world.ids))
        assert reply.status == 200, (path, reply)
        out[path] = reply.body
    return out


def build_world(api: Api) -> World:
    alpha = provision_world(api, "alpha", ["centro", "norte"])
    beta = provision_world(api, "beta", ["sur"])
    a_admin, a_cajero = api.as_(alpha.tokens["admin"]), api.as_(alpha.tokens["cajero"])
    b_admin = api.as_(beta.tokens["admin"])

    # Alpha owns more numbered objects than beta, so its target ids do not exist in beta at all.
    user = created(a_admin.post("/api/usuarios", {
        "nombre": f"{ALPHA_MARK} Extra", "nombre_usuario": "alfa_extra", "contrasena": "Extra123!", "rol": "mesero",
        "sucursal_id": "centro",
    }))
    producto = created(a_admin.post("/api/productos", {"nombre": f"{ALPHA_MARK} Cola", "precio": "10.00", "stock": 50, "unidad": "u"}))
    ingrediente = created(a_admin.post("/api/ingredientes", {
        "nombre": f"{ALPHA_MARK} Carne", "unidad": "kg", "cantidad": "10", "cantidad_minima": "1",
    }))
    plato = created(a_admin.post("/api/platos", {"nombre": f"{ALPHA_MARK} Silpancho", "precio": "25.00"}))
    created(a_admin.post(f"/api/platos/{plato['id']}/ingredientes", {"ingrediente_id": ingrediente["id"], "cantidad": "0.25"}))
    assert a_admin.patch("/api/sucursales/centro", {"mesas": [f"{ALPHA_MARK} 1"]}).status == 200

    created(a_admin.post("/api/caja/abrir", COUNTS, headers={"X-Branch-Id": "norte"}))  # alpha's caja 1, in norte
    caja = created(a_cajero.post("/api/caja/abrir", COUNTS))
    created(a_cajero.post("/api/caja/gastos", {"descripcion": f"{ALPHA_MARK} gasto", "metodo_pago": "efectivo", "monto": "5.00"}))

    created(a_cajero.post("/api/transacciones", {"nro_reg": 1, "concepto": f"{ALPHA_MARK} primera", "mesa": "1"}))
    tx = created(a_cajero.post("/api/transacciones", {"nro_reg": 2, "concepto": f"{ALPHA_MARK} Mesa", "mesa": "2"}))
    created(a_cajero.post(f"/api/transacciones/{tx['id']}/items", {"producto_id": producto["id"], "cantidad": 1}))
    item = created(a_cajero.post(f"/api/transacciones/{tx['id']}/items", {"plato_id": plato["id"], "cantidad": 2}))
    extra = created(a_cajero.post(
        f"/api/transacciones/{tx['id']}/items/{item['id']}/extras",
        {"ingrediente_id": ingrediente["id"], "precio": "3.00", "cantidad": 1},
    ))
    removed = created(a_cajero.post(f"/api/transacciones/{tx['id']}/items", {"producto_id": producto["id"], "cantidad": 3}))
    assert a_cajero.delete(f"/api/transacciones/{tx['id']}/items/{removed['id']}").status == 200  # for items-eliminados
    created(a_cajero.post(f"/api/transacciones/{tx['id']}/pagos", {"metodo_pago": "qr", "monto": "20.00"}))
    customer = created(a_cajero.post(f"/orders/{tx['id']}/session-token"))["data"]["token"]
    customers = {t: register_customer(api, t) for t in ("alpha", "beta")}
    pedido = created(api.as_(customers["alpha"]).post("/api/pedidos", {
        "sucursal_id": "centro", "items": [{"plato_id": plato["id"], "cantidad": 1}],
        "direccion": {"calle": f"{ALPHA_MARK} calle", "barrio": "Centro"}, "metodo_pago": "efectivo",
    }))

    # Beta's own things, with the lowest ids, so "current thing" routes have something of beta's to show.
    b_cajero = api.as_(beta.tokens["cajero"])
    b_producto = created(b_admin.post("/api/productos", {"nombre": "Beta Cola", "precio": "9.00", "stock": 5, "unidad": "u"}))
    b_ing = created(b_admin.post("/api/ingredientes", {"nombre": "Beta Papa", "unidad": "kg", "cantidad": "3"}))
    b_plato = created(b_admin.post("/api/platos", {"nombre": "Beta Pique", "precio": "30.00"}))
    created(b_admin.post(f"/api/platos/{b_plato['id']}/ingredientes", {"ingrediente_id": b_ing["id"], "cantidad": "0.5"}))
    b_caja = created(b_cajero.post("/api/caja/abrir", COUNTS))
    created(b_cajero.post("/api/caja/gastos", {"descripcion": "Beta gasto", "metodo_pago": "qr", "monto": "1.00"}))
    b_tx = created(b_cajero.post("/api/transacciones", {"nro_reg": 1, "concepto": "Beta Mesa", "mesa": "7"}))
    created(b_cajero.post(f"/api/transacciones/{b_tx['id']}/items", {"plato_id": b_plato["id"], "cantidad": 1}))

    ids = {
        "user_id": str(user["id"]),
        "producto_id": producto["id"],
        "ingrediente_id": ingrediente["id"],
        "plato_id": plato["id"],
        "caja_id": str(caja["id"]),
        "tx_id": str(tx["id"]),
        "item_id": str(item["id"]),
        "extra_id": str(extra["id"]),
        "order_id": str(tx["id"]),
        "sucursal_id": "norte",
        "pk": str(pedido["pedido_id"]),
        "curso": "2",
    }
    # The premise of the cross-tenant checks: none of alpha's numeric target ids exists in beta.
    assert int(ids["caja_id"]) > b_caja["id"] and int(ids["tx_id"]) > b_tx["id"]
    assert b_admin.get(f"/api/usuarios/{ids['user_id']}").status == 404

    world = World(api, alpha, beta, ids, item["uuid"], customer, customers=customers)
    world.beta_ids = {"caja": str(b_caja["id"]), "tx": str(b_tx["id"]), "producto_id": b_producto["id"], "ingrediente_id": b_ing["id"]}
    seed_alpha_rollups()
    world.snapshot = alpha_snapshot(world)
    return world


def seed_alpha_rollups() -> None:
    """Kitchen rollup rows of alpha under beta's own branch id, around today: beta's report must
    not see them."""
    from chalicelib.container import get_services
    from chalicelib.domain.rollups import RollupKey

    today = datetime.now(UTC).date()
    for offset in (-1, 0, 1):
        day = (today + timedelta(days=offset)).isoformat()
        get_services().rollup_repo.apply_once("alpha", f"matrix-{day}", {
            RollupKey("cocina", "sur", day, "cocina"): {"items": Decimal(3), "h3": Decimal(3), f"plato:{ALPHA_MARK}:n": Decimal(3)}})


def register_customer(api: Api, tenant: str) -> str:
    created(api.post("/api/clientes/registro", {
        "nombre": f"Cliente {tenant}", "nombre_usuario": f"cliente_{tenant}", "email": f"c@{tenant}.example.com",
        "contrasena": "Cliente123!", "telefono": "7000000", "tenant": tenant,
    }))
    reply = api.post("/api/login", {"username": f"cliente_{tenant}", "password": "Cliente123!", "tenant": tenant})
    assert reply.status == 200, reply
    return str(reply.body["access"])


@pytest.fixture(scope="module")
def world(aws_session: None) -> Iterator[World]:
    clean_tables()
    try:
        with Client(app) as client:
            yield build_world(Api(client))
    finally:
        clean_tables()


# --- the registry -----------------------------------------------------------------------------


# Socket.IO's long-polling transport: no HTTP token by design (the namespace connect carries it,
# as over a WebSocket); tests/integration/test_socketio_polling.py shows it serves nothing unauthenticated.
SOCKET_TRANSPORTS = {("GET", "/socket.io"), ("POST", "/socket.io")}
# The web apps' static files (kitchen display, point of sale, owner's dashboard and its vendored
# charts, their shared modules): public, no data (tests/integration/test_display_static.py,
# test_pos_static.py, test_panel_static.py).
# The OpenAPI document and its Redoc page: public, describe the API, hold no data (tests/integration/test_openapi.py).
STATIC_PAGES = {("GET", "/display"), ("GET", "/display/{asset}"), ("GET", "/pos"), ("GET", "/pos/{asset}"), ("GET", "/common/{asset}"),
                ("GET", "/panel"), ("GET", "/panel/{asset}"), ("GET", "/panel/vendor/{asset}"),
                ("GET", "/api/openapi.json"), ("GET", "/api/docs"), ("GET", "/api/docs/redoc.standalone.js")}


def test_the_registry_covers_every_route_chalice_knows_and_nothing_else() -> None:
    chalice_routes = {(method, path) for path, methods in app.routes.items() for method in methods} - SOCKET_TRANSPORTS - STATIC_PAGES
    declared = {(method, spec.path) for method, spec in CASES}
    assert chalice_routes == declared
    assert len(CASES) == len(declared), "a route is declared twice"


def test_only_login_is_public_and_every_permission_is_granted_to_some_role() -> None:
    assert [_id(c) for c in CASES if c[1].permission is None] == [
        "POST /api/auth/login", "POST /api/login", "POST /api/refresh", "POST /api/clientes/registro"]
    granted = set().union(*PERMISSIONS.values()) | CUSTOMER_PERMISSIONS
    assert not CUSTOMER_PERMISSIONS & set().union(*PERMISSIONS.values()), "a staff role holds a customer permission"
    assert {spec.permission for _, spec in PROTECTED} <= granted
    assert set(PERMISSIONS) == set(ROLES)


# --- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", PROTECTED, ids=_id)
def test_every_route_refuses_a_missing_token(world: World, case: tuple[str, RouteSpec]) -> None:
    method, spec = case
    reply = call(world.api.as_(None), method, nowhere_path(spec), PROBE_BODY)
    assert reply.status == 401, reply


@pytest.mark.parametrize("case", PROTECTED, ids=_id)
def test_every_route_refuses_a_garbage_token(world: World, case: tuple[str, RouteSpec]) -> None:
    method, spec = case
    for token in ("garbage", "a.b.c", world.alpha.tokens["admin"][:-4] + "AAAA"):
        reply = call(world.api.as_(token), method, nowhere_path(spec), PROBE_BODY)
        assert reply.status == 401, (token, reply)


# --- authorisation ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", PROTECTED, ids=_id)
def test_roles_without_the_permission_get_403_and_roles_with_it_pass_the_gate(world: World, case: tuple[str, RouteSpec]) -> None:
    method, spec = case
    path = nowhere_path(spec)
    outcome = {}
    for role in ROLES:
        reply = call(world.api.as_(world.alpha.tokens[role]), method, path, PROBE_BODY)
        allowed = spec.permission in PERMISSIONS[role]
        outcome[role] = (allowed, reply.status)
        assert reply.status != 401, (role, reply)
        assert (reply.status == 403) == (not allowed), (role, reply)
        assert reply.status < 500, (role, reply)
    if spec.permission not in CUSTOMER_PERMISSIONS:
        assert any(allowed for allowed, _ in outcome.values()), f"no role may call {_id(case)}"


@pytest.mark.parametrize("case", PROTECTED, ids=_id)
def test_a_customer_account_opens_only_customer_routes(world: World, case: tuple[str, RouteSpec]) -> None:
    method, spec = case
    reply = call(world.api.as_(world.customers["alpha"]), method, nowhere_path(spec), PROBE_BODY)
    assert reply.status != 401 and reply.status < 500, reply
    assert (reply.status == 403) == (spec.permission not in CUSTOMER_PERMISSIONS), reply


@pytest.mark.parametrize("case", PROTECTED, ids=_id)
def test_a_customer_session_token_opens_no_staff_route(world: World, case: tuple[str, RouteSpec]) -> None:
    method, spec = case
    reply = call(world.api.as_(world.customer_token), method, nowhere_path(spec), PROBE_BODY)
    assert reply.status == 403, reply


# --- tenant isolation -------------------------------------------------------------------------


NAMED = ("/api/usuarios/{user_id}", "/api/sucursales/{sucursal_id}", "/api/productos/{producto_id}",
         "/api/ingredientes/{ingrediente_id}", "/api/platos/{plato_id}")


def valid_body(method: str, path: str, ids: dict[str, str]) -> Any:
    """A body that passes validation and names only the caller's own catalog (`ids`), so the
    path's foreign id is the only thing that can stop the call."""
    if method not in ("POST", "PATCH"):
        return None
    if path.endswith("/extras"):
        return {"descripcion": "Pwned", "precio": "1.00", "cantidad": 1}
    if path.endswith("/items"):
        return {"producto_id": ids["producto_id"], "cantidad": 1}
    if path.endswith("/pagos"):
        return {"metodo_pago": "qr", "monto": "1.00"}
    if path.endswith("/status"):
        return {"status": "preparing"}
    if path.endswith("/arqueo"):
        return dict(COUNTS)
    if path == "/api/platos/{plato_id}/ingredientes":
        return {"ingrediente_id": ids["ingrediente_id"], "cantidad": "1"}
    if path.endswith("/ingredientes/{ingrediente_id}"):
        return {"cantidad": "5"}
    if path == "/api/transacciones/{tx_id}":
        return {"concepto": "Pwned"}
    if path.endswith("/estado"):
        return {"estado": "cancelado"}
    if path.endswith("/prioridad"):
        return {"rush": True}
    if path in NAMED:
        return {"nombre": "Pwned"}
    return {}


@pytest.mark.parametrize("case", [c for c in WITH_IDS if c[0] == "GET"], ids=_id)
def test_alpha_s_ids_are_real_for_alpha_on_every_read_route(world: World, case: tuple[str, RouteSpec]) -> None:
    """The control for the 404s below: the same ids do resolve inside their own tenant."""
    _, spec = case
    reply = world.api.as_(world.caller("alpha", spec)).get(fill(spec.path, world.ids))
    assert reply.status == 200, reply
    assert reply.body


@pytest.mark.parametrize("case", WITH_IDS, ids=_id)
def test_another_tenants_object_is_404_and_stays_unchanged(world: World, case: tuple[str, RouteSpec]) -> None:
    method, spec = case
    ids = {**world.ids, "item_id": world.kds_item} if spec.path.startswith("/items/") else world.ids
    beta = world.api.as_(world.caller("beta", spec))
    reply = call(beta, method, fill(spec.path, ids), valid_body(method, spec.path, world.beta_ids))
    assert reply.status == 404, reply
    assert ALPHA_MARK not in json.dumps(reply.body, ensure_ascii=False)
    assert alpha_snapshot(world) == world.snapshot


@pytest.mark.parametrize("case", CURRENT_READS, ids=_id)
def test_routes_without_ids_show_beta_only_its_own_data(world: World, case: tuple[str, RouteSpec]) -> None:
    _, spec = case
    reply = world.api.as_(world.caller("beta", spec)).get(spec.path)
    assert reply.status == 200, reply
    text = json.dumps(reply.body, ensure_ascii=False)
    assert ALPHA_MARK not in text
    assert "alpha" not in text


BETA_SEES = {
    "/api/auth/profile": lambda body: body["tenant_id"] == "beta",
    "/api/usuarios": lambda body: {u["nombre_usuario"] for u in body} == {"admin", "cajero1", "mesero1", "cocina1", "repartidor1"},
    "/api/productos": lambda body: [p["nombre"] for p in body] == ["Beta Cola"],
    "/api/ingredientes": lambda body: [i["nombre"] for i in body] == ["Beta Papa"],
    "/api/platos": lambda body: [p["nombre"] for p in body] == ["Beta Pique"],
    "/api/caja/actual": lambda body: body["sucursal_id"] == "sur",
    "/api/caja/resumen": lambda body: body["caja"]["sucursal_id"] == "sur",
    "/api/caja/gastos/historial": lambda body: [g["descripcion"] for g in body] == ["Beta gasto"],
    "/api/caja/historial": lambda body: [c["sucursal_id"] for c in body] == ["sur"],
    "/api/transacciones": lambda body: [t["concepto"] for t in body] == ["Beta Mesa"],
    "/api/transacciones/cocina/pendientes": lambda body: [t["concepto"] for t in body] == ["Beta Mesa"],
    "/orders": lambda body: [o["table"] for o in body["data"]] == ["7"],
    "/api/sucursales": lambda body: [b["id"] for b in body] == ["sur"],
    "/api/sucursales/actual": lambda body: body["id"] == "sur" and body["mesas"] == [],
    "/api/pedidos": lambda body: body == [],
    "/api/reportes/cocina": lambda body: body["sucursal_id"] == "sur" and body["dias"] == [],
    "/api/pedidos/activos": lambda body: body == [],
    "/api/clientes/perfil": lambda body: body["nombre_usuario"] == "cliente_beta",
    "/api/clientes/pedidos": lambda body: body == [],
    "/api/reportes/ventas": lambda body: body["sucursal_id"] == "sur" and body["ventas"] == 0,
    "/api/reportes/cajas": lambda body: body["sucursal_id"] == "sur" and body["cajas"] == [],
    "/api/auditoria": lambda body: sorted(e["detalle"]["nombre_usuario"] for e in body if e["accion"] == "usuario.creado")
    == ["admin", "cajero1", "cocina1", "mesero1", "repartidor1"],
}


def test_every_current_thing_read_is_checked_for_beta_s_own_data() -> None:
    assert {spec.path for _, spec in CURRENT_READS} == set(BETA_SEES)


@pytest.mark.parametrize("case", CURRENT_READS, ids=_id)
def test_routes_without_ids_show_beta_its_own_things(world: World, case: tuple[str, RouteSpec]) -> None:
    _, spec = case
    reply = world.api.as_(world.caller("beta", spec)).get(spec.path)
    assert BETA_SEES[spec.path](reply.body), reply


def test_alpha_ids_inside_beta_s_bodies_and_queries_are_not_found(world: World) -> None:
    beta = world.api.as_(world.beta.tokens["admin"])
    ids, b_tx = world.ids, world.beta_ids["tx"]
    cases = {
        "sale on alpha's caja": (beta.post("/api/transacciones", {"nro_reg": 9, "concepto": "x", "caja_id": int(ids["caja_id"])}),
                                 400),
        "alpha's producto": (beta.post(f"/api/transacciones/{b_tx}/items", {"producto_id": ids["producto_id"], "cantidad": 1}), 404),
        "alpha's plato": (beta.post(f"/api/transacciones/{b_tx}/items", {"plato_id": ids["plato_id"], "cantidad": 1}), 404),
    }
    for name, (reply, status) in cases.items():
        assert reply.status == status, (name, reply)
        assert ALPHA_MARK not in json.dumps(reply.body, ensure_ascii=False), name
    gastos = beta.get(f"/api/caja/gastos/historial?caja_id={ids['caja_id']}")
    assert gastos.status in (200, 404) and ALPHA_MARK not in json.dumps(gastos.body, ensure_ascii=False), gastos
    assert alpha_snapshot(world) == world.snapshot
