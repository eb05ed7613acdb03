"""GastroMovil delivery (COMPAT C, issue 10): customers, tokens, orders on the sale aggregate, the
enforced state machine, the atomic driver claim, delivery into the caja."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain import delivery as d
from devstack.world import denominations
from tests.support.api import Api, TenantWorld, threaded_api
from tests.support.concurrency import concurrently
from tests.support.menu import Menu

ORDER = ("pendiente", "aceptado", "preparando", "enviado", "en_camino", "entregado", "cancelado")


# --- helpers --------------------------------------------------------------------------------------


def register(api: Api, tenant: str, username: str = "ana", email: str | None = None) -> dict[str, Any]:
    reply = api.as_(None).post("/api/clientes/registro", {
        "nombre": username.title() + " Pérez", "nombre_usuario": username, "email": email or f"{username}@example.com",
        "contrasena": "Cliente123!", "telefono": "+591 70000000", "tenant": tenant,
    })
    assert reply.status == 201, reply
    return dict(reply.body)


def customer_token(api: Api, tenant: str, username: str = "ana") -> str:
    reply = api.as_(None).post("/api/login/", {"username": username, "password": "Cliente123!", "tenant": tenant})
    assert reply.status == 200, reply
    return str(reply.body["access"])


@pytest.fixture
def ana(api: Api, alpha: TenantWorld) -> str:
    register(api, "alpha")
    return customer_token(api, "alpha")


def place(api: Api, token: str, menu: Menu, **extra: Any) -> Any:
    items = [{"plato_id": menu.plato, "cantidad": 2}, {"producto_id": menu.producto, "cantidad": 1}]
    body = {"sucursal_id": "centro", "items": items,
            "direccion": {"calle": "Av. Arce 123", "barrio": "Sopocachi"}, "metodo_pago": "efectivo", **extra}
    return api.as_(token).post("/api/pedidos/", body)


def placed(api: Api, token: str, menu: Menu) -> int:
    reply = place(api, token, menu)
    assert reply.status == 201, reply
    return int(reply.body["pedido_id"])


def move(api: Api, staff: str, pk: int, estado: str) -> Any:
    return api.as_(staff).post(f"/api/pedidos/{pk}/estado/", {"estado": estado})


def to_enviado(api: Api, alpha: TenantWorld, pk: int) -> None:
    for estado in ("aceptado", "preparando", "enviado"):
        assert move(api, alpha.tokens["cajero"], pk, estado).status == 200


def make_drivers(alpha: TenantWorld, api: Api, n: int, prefix: str = "driver") -> list[str]:
    from chalicelib.container import get_services

    tokens = []
    for i in range(n):
        get_services().accounts.create_user("alpha", {"nombre": f"Driver {i}", "nombre_usuario": f"{prefix}{i}",
                                                      "contrasena": "Driver123!", "rol": "repartidor", "sucursal_id": "centro"})
        token = api.login(f"{prefix}{i}", "Driver123!", "alpha")
        assert api.as_(token).post("/api/repartidores/estado", {"estado": "disponible"}).status == 200
        tokens.append(token)
    return tokens


def set_driver_status_view(user_token: str) -> str:
    from chalicelib.container import get_services

    principal = get_services().tokens.verify(user_token)
    return get_services().drivers.driver(principal).estado


# --- customers and tokens ---------------------------------------------------------------------------


def test_a_customer_registers_without_the_password_in_the_answer_and_a_duplicate_is_409(api: Api, alpha: TenantWorld) -> None:
    body = register(api, "alpha")
    assert body["id"] >= 1 and body["nombre_usuario"] == "ana"
    assert not any("contrasena" in k or "password" in k for k in body)
    again = api.as_(None).post("/api/clientes/registro", {
        "nombre": "X", "nombre_usuario": "ana", "email": "otra@example.com", "contrasena": "Cliente123!", "telefono": "7000000",
        "tenant": "alpha"})
    assert again.status == 409
    staff_name = api.as_(None).post("/api/clientes/registro", {
        "nombre": "X", "nombre_usuario": "cajero1", "email": "c@example.com", "contrasena": "Cliente123!", "telefono": "7000000",
        "tenant": "alpha"})
    assert staff_name.status == 409


def test_a_customer_logs_in_by_username_or_email_and_gets_403_on_staff_routes(api: Api, alpha: TenantWorld) -> None:
    register(api, "alpha")
    by_mail = api.as_(None).post("/api/login/", {"username": "ana@example.com", "password": "Cliente123!", "tenant": "alpha"})
    assert by_mail.status == 200 and set(by_mail.body) == {"access", "refresh"}
    token = by_mail.body["access"]
    for path in ("/api/transacciones", "/api/pedidos/", "/api/pedidos/activos/", "/orders", "/api/auth/profile", "/api/caja/actual"):
        assert api.as_(token).get(path).status == 403, path
    assert api.as_(token).post("/api/repartidores/estado", {"estado": "disponible"}).status == 403
    assert api.as_(token).get("/api/clientes/perfil").body["nombre_usuario"] == "ana"
    wrong = api.as_(None).post("/api/login/", {"username": "ana", "password": "nope", "tenant": "alpha"})
    assert wrong.status == 401


def test_staff_log_in_through_the_gastromovil_route_too(api: Api, alpha: TenantWorld) -> None:
    reply = api.as_(None).post("/api/login/", {"username": "cajero1", "password": "Cajero123!", "tenant": "alpha"})
    assert reply.status == 200
    assert api.as_(reply.body["access"]).get("/api/pedidos/activos/").status == 200


def test_a_refresh_token_is_single_use_and_a_replay_revokes_its_family(api: Api, alpha: TenantWorld) -> None:
    register(api, "alpha")
    first = api.as_(None).post("/api/login/", {"username": "ana", "password": "Cliente123!", "tenant": "alpha"}).body
    second = api.as_(None).post("/api/refresh/", {"refresh": first["refresh"]})
    assert second.status == 200 and second.body["access"] and second.body["refresh"] != first["refresh"]
    assert api.as_(second.body["access"]).get("/api/clientes/perfil").status == 200
    replay = api.as_(None).post("/api/refresh/", {"refresh": first["refresh"]})
    assert replay.status == 401
    # The replay revoked the family: the legitimate successor is refused too.
    assert api.as_(None).post("/api/refresh/", {"refresh": second.body["refresh"]}).status == 401
    assert api.as_(None).post("/api/refresh/", {"refresh": "alpha.garbage"}).status == 401


def test_addresses_are_kept_and_coordinates_are_checked(api: Api, ana: str) -> None:
    saved = api.as_(ana).post("/api/clientes/direcciones",
                              {"calle": "Calle 1", "barrio": "Centro", "latitud": -16.5, "longitud": -68.1})
    assert saved.status == 201 and saved.body["id"] == 1
    bad = api.as_(ana).post("/api/clientes/direcciones", {"calle": "Calle 1", "barrio": "Centro", "latitud": 91, "longitud": 0})
    assert bad.status == 400 and "latitud" in bad.body["error"]
    assert [a["calle"] for a in api.as_(ana).get("/api/clientes/perfil").body["direcciones"]] == ["Calle 1"]


# --- placing an order -------------------------------------------------------------------------------


def test_an_order_is_a_delivery_sale_priced_from_the_catalog_with_the_branch_fee(
        api: Api, alpha: TenantWorld, menu: Menu, ana: str) -> None:
    admin = api.as_(alpha.tokens["admin"])
    assert admin.patch("/api/sucursales/centro", {"tarifa_domicilio": "3.00"}).status == 200
    reply = place(api, ana, menu, notas="sin cebolla")
    assert reply.status == 201, reply
    assert reply.body["ok"] is True
    pk = reply.body["pedido_id"]
    assert reply.body["pedido"]["total"] == "63.00"  # 2 × 25 + 10 + fee 3
    assert reply.body["pedido"]["costo_envio"] == "3.00"
    sale = admin.get(f"/api/transacciones/{pk}").body
    assert sale["tipo"] == "delivery" and sale["estado_cocina"] == "pendiente"
    queue = admin.get("/api/transacciones/cocina/pendientes").body
    assert [t["id"] for t in queue] == [pk]
    orders = api.as_(alpha.tokens["cajero"]).get("/api/pedidos/").body
    assert orders[0]["id"] == pk and orders[0]["direccion"] == "Av. Arce 123, Sopocachi" and orders[0]["cliente_nombre"] == "Ana Pérez"
    assert orders[0]["productos"] == [{"nombre": "Silpancho", "cantidad": "2", "precio": "25.00"},
                                      {"nombre": "Coca-Cola", "cantidad": "1", "precio": "10.00"}]
    activos = api.as_(alpha.tokens["cajero"]).get("/api/pedidos/activos/").body
    assert activos == [{"id": pk, "cliente_nombre": "Ana Pérez", "total": "63.00", "estado": "pendiente", "detalles_count": 2,
                        "direccion_entrega": "Av. Arce 123, Sopocachi", "notas": "sin cebolla"}]
    kds = api.as_(alpha.tokens["cocina"]).get("/orders").body["data"]
    assert [o["id"] for o in kds] == [pk] or any(str(pk) in str(o) for o in kds)


@pytest.mark.parametrize("body, field", [
    ({"items": []}, "items"),
    ({"items": [{"plato_id": "plato_nowhere", "cantidad": 1}]}, "items.0"),
    ({"direccion": None}, "direccion"),
    ({"metodo_pago": "bitcoin"}, "metodo_pago"),
    ({"sucursal_id": "nowhere"}, "sucursal_id"),
    ({"items": [{"plato_id": "x", "cantidad": "dos"}]}, "cantidad"),
    ({"items": [{"plato_id": "x", "cantidad": 10**15}]}, "cantidad"),
    ({"extra": 1}, "extra"),
])
def test_bad_orders_get_a_400_naming_the_field_and_nothing_is_written(api: Api, alpha: TenantWorld, menu: Menu, ana: str,
                                                                     body: dict[str, Any], field: str) -> None:
    reply = place(api, ana, menu, **body)
    assert reply.status == 400, reply
    assert field in reply.body["error"] and reply.body["ok"] is False
    assert api.as_(alpha.tokens["cajero"]).get("/api/pedidos/").body == []
    assert api.as_(ana).get("/api/clientes/pedidos").body == []


def test_an_idempotency_key_makes_a_retried_submission_one_order(api: Api, alpha: TenantWorld, menu: Menu, ana: str) -> None:
    body = {"sucursal_id": "centro", "items": [{"plato_id": menu.plato, "cantidad": 1}],
            "direccion": {"calle": "A", "barrio": "B"}, "metodo_pago": "qr"}
    first = api.as_(ana).post("/api/pedidos/", body, headers={"Idempotency-Key": "k-1"})
    again = api.as_(ana).post("/api/pedidos/", body, headers={"Idempotency-Key": "k-1"})
    assert first.status == 201 and again.status in (200, 201)
    assert again.body["pedido_id"] == first.body["pedido_id"]
    assert len(api.as_(ana).get("/api/clientes/pedidos").body) == 1


def test_a_customer_reads_only_their_own_orders(api: Api, alpha: TenantWorld, menu: Menu, ana: str) -> None:
    pk = placed(api, ana, menu)
    register(api, "alpha", "beto")
    beto = customer_token(api, "alpha", "beto")
    assert api.as_(beto).get(f"/api/clientes/pedidos/{pk}").status == 404
    assert api.as_(beto).post(f"/api/clientes/pedidos/{pk}/cancelar").status == 404
    assert api.as_(beto).get("/api/clientes/pedidos").body == []
    assert [o["id"] for o in api.as_(ana).get("/api/clientes/pedidos").body] == [pk]


# --- the state machine -------------------------------------------------------------------------------


def test_every_pair_of_states_is_allowed_exactly_as_the_table_says() -> None:
    for current in ORDER:
        for target in ORDER:
            allowed = target in d.allowed_moves(current)
            expected = (current not in ("entregado", "cancelado")) and (
                target == "cancelado" or (target in d.FLOW and d.FLOW.index(target) == d.FLOW.index(current) + 1))
            assert allowed == expected, (current, target)


def _order_in(api: Api, alpha: TenantWorld, menu: Menu, ana: str, estado: str, driver: str | None) -> int:
    pk = placed(api, ana, menu)
    path = ORDER[:ORDER.index(estado) + 1] if estado != "cancelado" else ("pendiente", "cancelado")
    for step in path[1:]:
        if step == "en_camino":
            assert driver is not None
            assert api.as_(driver).post(f"/pedidos/{pk}/aceptar-entrega/").status == 200
        elif step == "entregado":
            assert driver is not None
            assert api.as_(driver).post(f"/pedidos/{pk}/marcar-entregado/").status == 200
        else:
            assert move(api, alpha.tokens["cajero"], pk, step).status == 200, step
    return pk


def test_the_restaurant_route_refuses_every_move_outside_the_table_and_changes_nothing(
        api: Api, alpha: TenantWorld, menu: Menu, ana: str) -> None:
    api.as_(alpha.tokens["cajero"]).post("/api/caja/abrir", denominations(b100=1))
    cajero = alpha.tokens["cajero"]
    for current in ORDER:
        driver = make_drivers(alpha, api, 1, prefix=f"d_{current}_") if current in ("en_camino", "entregado") else None
        driver = driver[0] if driver else None
        for target in ORDER:
            pk = _order_in(api, alpha, menu, ana, current, driver)
            before = api.as_(cajero).get(f"/api/transacciones/{pk}").body
            reply = move(api, cajero, pk, target)
            through_restaurant = target in d.allowed_moves(current) and target not in ("en_camino", "entregado")
            if through_restaurant:
                assert reply.status == 200, (current, target, reply)
                assert reply.body == {"ok": True, "estado": target}
            else:
                assert reply.status == 400, (current, target, reply)
                assert reply.body["ok"] is False and reply.body["error"]
                assert api.as_(cajero).get(f"/api/transacciones/{pk}").body == before
            if current == "en_camino" and target != "cancelado":
                # free the driver for the next round
                assert api.as_(driver).post(f"/pedidos/{pk}/marcar-entregado/").status == 200  # type: ignore[arg-type]
            elif current == "en_camino":
                assert driver is not None and set_driver_status_view(driver) == "disponible"
    assert move(api, cajero, 999999, "aceptado").status == 404
    assert move(api, cajero, _order_in(api, alpha, menu, ana, "pendiente", None), "volando").body == {
        "ok": False, "error": "Estado inválido", "statusCode": 400, "message": "Estado inválido"}


def test_the_kitchen_finishing_an_accepted_order_makes_it_enviado(api: Api, alpha: TenantWorld, menu: Menu, ana: str) -> None:
    pk = placed(api, ana, menu)
    assert move(api, alpha.tokens["cajero"], pk, "aceptado").status == 200
    assert api.as_(alpha.tokens["cocina"]).patch(f"/api/transacciones/{pk}/cocina/completar").status == 200
    assert api.as_(ana).get(f"/api/clientes/pedidos/{pk}").body["estado"] == "enviado"


def test_a_customer_may_cancel_only_while_pendiente_or_aceptado(api: Api, alpha: TenantWorld, menu: Menu, ana: str) -> None:
    pk = placed(api, ana, menu)
    assert api.as_(ana).post(f"/api/clientes/pedidos/{pk}/cancelar").status == 200
    late = placed(api, ana, menu)
    for estado in ("aceptado", "preparando"):
        move(api, alpha.tokens["cajero"], late, estado)
    assert api.as_(ana).post(f"/api/clientes/pedidos/{late}/cancelar").status == 400
    assert api.as_(ana).get(f"/api/clientes/pedidos/{late}").body["estado"] == "preparando"


# --- drivers ---------------------------------------------------------------------------------------


def test_ten_drivers_claiming_one_order_at_once_have_exactly_one_winner_twenty_times(
        api: Api, alpha: TenantWorld, menu: Menu, ana: str, atomic_requests: None) -> None:
    api.as_(alpha.tokens["cajero"]).post("/api/caja/abrir", denominations(b100=1))
    drivers = make_drivers(alpha, api, 10)
    clients = [threaded_api(t) for t in drivers]
    for _ in range(20):
        pk = placed(api, ana, menu)
        to_enviado(api, alpha, pk)
        path = f"/pedidos/{pk}/aceptar-entrega/"
        replies = concurrently([lambda c=c, path=path: c().post(path) for c in clients])
        statuses = sorted(r.status for r in replies)
        assert statuses == [200] + [409] * 9, statuses
        winner = drivers[[r.status for r in replies].index(200)]
        assert sorted(set_driver_status_view(t) for t in drivers) == ["disponible"] * 9 + ["ocupado"]
        assert api.as_(ana).get(f"/api/clientes/pedidos/{pk}").body["estado"] == "en_camino"
        assert api.as_(winner).post(f"/pedidos/{pk}/marcar-entregado/").status == 200


def test_one_driver_claiming_two_orders_at_once_wins_at_most_one(api: Api, alpha: TenantWorld, menu: Menu, ana: str,
                                                                   atomic_requests: None) -> None:
    driver = make_drivers(alpha, api, 1)[0]
    for _ in range(5):
        orders = [placed(api, ana, menu) for _ in range(2)]
        for pk in orders:
            to_enviado(api, alpha, pk)
        one, two = threaded_api(driver), threaded_api(driver)
        replies = concurrently([lambda c=c, pk=pk: c().post(f"/pedidos/{pk}/aceptar-entrega/")  # type: ignore[misc]
                                for c, pk in ((one, orders[0]), (two, orders[1]))])
        assert sorted(r.status for r in replies) == [200, 409]
        won = orders[[r.status for r in replies].index(200)]
        lost = orders[1 - orders.index(won)]
        assert api.as_(ana).get(f"/api/clientes/pedidos/{lost}").body["estado"] == "enviado"
        assert api.as_(alpha.tokens["cajero"]).post(f"/api/pedidos/{won}/estado/", {"estado": "cancelado"}).status == 200
        assert set_driver_status_view(driver) == "disponible"
        assert move(api, alpha.tokens["cajero"], lost, "cancelado").status == 200


def test_delivered_pays_the_open_caja_once_closes_the_sale_and_consumes_stock_once_even_on_retry(
        api: Api, alpha: TenantWorld, menu: Menu, ana: str) -> None:
    cajero = api.as_(alpha.tokens["cajero"])
    assert cajero.post("/api/caja/abrir", denominations(b100=1)).status == 201
    driver = make_drivers(alpha, api, 1)[0]
    pk = placed(api, ana, menu)  # 2 silpancho (0.25 kg carne each) + 1 cola: 60.00
    to_enviado(api, alpha, pk)
    assert api.as_(driver).post(f"/pedidos/{pk}/aceptar-entrega/").status == 200
    before = cajero.get("/api/caja/resumen").body["resumen"]
    for _ in range(3):
        assert api.as_(driver).post(f"/pedidos/{pk}/marcar-entregado/").body == {"ok": True}
    after = cajero.get("/api/caja/resumen").body["resumen"]
    assert Decimal(after["efectivo_esperado"]) - Decimal(before["efectivo_esperado"]) == Decimal("60.00")
    sale = cajero.get(f"/api/transacciones/{pk}").body
    assert sale["estado"] == "cerrado"
    carne = api.as_(alpha.tokens["admin"]).get(f"/api/ingredientes/{menu.carne}").body
    assert Decimal(carne["cantidad"]) == Decimal("9.5")
    cola = api.as_(alpha.tokens["admin"]).get(f"/api/productos/{menu.producto}").body
    assert int(cola["stock"]) == 49
    assert set_driver_status_view(driver) == "disponible"
    assert api.as_(ana).get(f"/api/clientes/pedidos/{pk}").body["estado"] == "entregado"


def test_refusals_change_nothing(api: Api, alpha: TenantWorld, menu: Menu, ana: str) -> None:
    from chalicelib.container import get_services

    drivers = make_drivers(alpha, api, 2)
    get_services().accounts.create_user("alpha", {"nombre": "Norte", "nombre_usuario": "driver_norte", "contrasena": "Driver123!",
                                                  "rol": "repartidor", "sucursal_id": "norte"})
    norte = api.login("driver_norte", "Driver123!", "alpha")
    api.as_(norte).post("/api/repartidores/estado", {"estado": "disponible"})
    pk = placed(api, ana, menu)
    to_enviado(api, alpha, pk)
    assert api.as_(norte).post(f"/pedidos/{pk}/aceptar-entrega/").status == 404
    assert api.as_(alpha.tokens["cajero"]).post(f"/pedidos/{pk}/aceptar-entrega/").status == 403
    assert api.as_(ana).post(f"/pedidos/{pk}/aceptar-entrega/").status == 403
    assert api.as_(drivers[0]).post(f"/pedidos/{pk}/aceptar-entrega/").status == 200
    assert api.as_(drivers[1]).post(f"/pedidos/{pk}/marcar-entregado/").status == 403
    assert api.as_(ana).get(f"/api/clientes/pedidos/{pk}").body["estado"] == "en_camino"
    assert set_driver_status_view(drivers[1]) == "disponible"
    assert api.as_(drivers[0]).post("/api/repartidores/estado", {"estado": "inactivo"}).status == 409
    # Cancelling an order with a driver frees the driver in the same write.
    assert move(api, alpha.tokens["cajero"], pk, "cancelado").status == 200
    assert set_driver_status_view(drivers[0]) == "disponible"


def test_a_driver_who_is_not_available_cannot_claim(api: Api, alpha: TenantWorld, menu: Menu, ana: str) -> None:
    driver = make_drivers(alpha, api, 1)[0]
    assert api.as_(driver).post("/api/repartidores/estado", {"estado": "inactivo"}).status == 200
    pk = placed(api, ana, menu)
    to_enviado(api, alpha, pk)
    assert api.as_(driver).post(f"/pedidos/{pk}/aceptar-entrega/").status == 409
    assert api.as_(driver).post("/api/repartidores/estado", {"estado": "ocupado"}).status == 400
    assert api.as_(driver).post("/api/repartidores/estado", {"estado": 3}).status == 400


# --- bad input on every new route ----------------------------------------------------------------

BAD_BODIES: list[Any] = [
    "not json", [], {"unknown": 1}, {"estado": 5}, {"username": 1, "password": None}, {"refresh": "x" * 5000},
    {"nombre": "x" * 10_000, "nombre_usuario": "A B", "email": "no", "contrasena": "1", "telefono": "abc"},
    {"calle": 1, "barrio": [], "latitud": "lejos", "longitud": 1e308},
    {"sucursal_id": "centro", "items": [{"plato_id": "x", "cantidad": 10**30}] * 3, "metodo_pago": "efectivo",
     "direccion": {"calle": "a", "barrio": "b", "latitud": 10**400}},
    {"sucursal_id": "centro", "items": "todo", "metodo_pago": "efectivo", "direccion": "calle"},
    {"estado": "disponible", "extra": True},
]
NEW_POSTS = ["/api/login/", "/api/refresh/", "/api/clientes/registro", "/api/clientes/direcciones", "/api/pedidos/",
             "/api/pedidos/1/estado/", "/api/repartidores/estado"]


def test_bad_input_on_every_new_route_is_a_clear_400_never_a_5xx(api: Api, alpha: TenantWorld, ana: str) -> None:
    tokens = {"/api/clientes/direcciones": ana, "/api/pedidos/": ana, "/api/pedidos/1/estado/": alpha.tokens["cajero"],
              "/api/repartidores/estado": alpha.tokens["repartidor"]}
    for path in NEW_POSTS:
        client = api.as_(tokens.get(path))
        for body in BAD_BODIES:
            reply = client.call("POST", path, raw=body) if isinstance(body, str) else client.post(path, body)
            assert reply.status == 400, (path, body, reply)
            assert reply.body["ok"] is False and reply.body["error"], (path, reply)
    for path in ("/pedidos/abc/aceptar-entrega/", "/pedidos/99999999999999999999999/marcar-entregado/"):
        reply = api.as_(alpha.tokens["repartidor"]).post(path)
        assert reply.status in (400, 404), (path, reply)
    assert api.as_(ana).get("/api/clientes/pedidos/abc").status == 400


def test_gastromovil_logins_are_throttled_for_customers_and_staff_alike(api: Api, alpha: TenantWorld) -> None:
    register(api, alpha.tenant, "lucia")
    for username in ("lucia", "cajero1", "nadie"):
        for _ in range(5):
            wrong = api.as_(None).post("/api/login/", {"username": username, "password": "Incorrecta-1", "tenant": alpha.tenant})
            assert wrong.status == 401, (username, wrong)
        right_password = {"lucia": "Cliente123!", "cajero1": "Cajero123!", "nadie": "x"}[username]
        blocked = api.as_(None).post("/api/login/", {"username": username, "password": right_password, "tenant": alpha.tenant})
        assert blocked.status == 429 and int(blocked.headers["Retry-After"]) > 0, (username, blocked)
