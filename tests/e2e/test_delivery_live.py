"""The GastroMovil delivery story over the running local stack, with real HTTP and real WebSocket
clients on GastroMovil's own paths: a customer orders, the restaurant panel and the kitchen
hear of it, the restaurant moves it along, two drivers are offered it and one wins the claim,
the customer follows the driver's position and sees it delivered, and the caja is paid."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from devstack.world import denominations
from tests.e2e.harness import RunningStack
from tests.e2e.live import Frames, close_open_caja

STATUS_MESSAGES = {
    "aceptado": "✅ ¡Tu pedido fue aceptado! El restaurante lo está preparando.",
    "preparando": "👨‍🍳 Tu pedido está siendo preparado.",
    "enviado": "🛵 ¡Tu pedido está en camino!",
    "entregado": "🎉 ¡Tu pedido fue entregado!",
}


def Gastro(ws: ClientConnection) -> Frames:  # noqa: N802 (reads like the frame reader it makes)
    """Plain GastroMovil frames (keyed by `tipo`), read in order with a deadline."""
    return Frames(ws, key="tipo")


def customer(stack: RunningStack, name: str) -> tuple[str, int]:
    reply = stack.post("/api/clientes/registro", {"nombre": f"{name.title()} E2E", "nombre_usuario": name,
                                                  "email": f"{name}@e2e.example.com", "contrasena": "Cliente123!",
                                                  "telefono": "+591 7000000"})
    assert reply.status == 201, reply
    tokens = stack.post("/api/login/", {"username": f"{name}@e2e.example.com", "password": "Cliente123!"}).body
    return tokens["access"], int(reply.body["id"])


def driver(stack: RunningStack, admin: RunningStack, username: str) -> tuple[str, str]:
    created = admin.post("/api/usuarios", {"nombre": username.title(), "nombre_usuario": username, "contrasena": "Driver123!",
                                           "rol": "repartidor", "sucursal_id": "centro"})
    assert created.status == 201, created
    token = stack.post("/api/login/", {"username": username, "password": "Driver123!"}).body["access"]
    assert stack.as_(token).post("/api/repartidores/estado", {"estado": "disponible"}).status == 200
    return token, str(created.body["id"])


def test_the_delivery_story_end_to_end(stack: RunningStack) -> None:
    suffix = str(int(time.time()))[-6:]
    admin = stack.as_(stack.login("admin", "Admin123!"))
    cajero_token = stack.login("cajero1", "Cajero123!")
    cajero = stack.as_(cajero_token)
    close_open_caja(cajero)
    assert cajero.post("/api/caja/abrir", denominations(b100=1)).status == 201
    plato = next(p for p in cajero.get("/api/platos").body if p["nombre"] == "Silpancho")
    ana, ana_id = customer(stack, f"ana{suffix}")
    beto, beto_id = customer(stack, f"beto{suffix}")
    (one, one_id), (two, two_id) = driver(stack, admin, f"moto1_{suffix}"), driver(stack, admin, f"moto2_{suffix}")
    try:
        story(stack, cajero, cajero_token, plato, ana, ana_id, beto, beto_id, ((one, one_id), (two, two_id)))
    finally:
        for user_id in (one_id, two_id):  # the demo tenant keeps its five staff users (tests/e2e/test_local_stack.py)
            assert admin.call("DELETE", f"/api/usuarios/{user_id}").status == 200
        close_open_caja(cajero)


def story(stack: RunningStack, cajero: Any, cajero_token: str, plato: dict[str, Any], ana: str, ana_id: int, beto: str,
          beto_id: int, motos: tuple[tuple[str, str], tuple[str, str]]) -> None:
    (one, one_id), (two, two_id) = motos
    ws = stack.ws_url

    with pytest.raises(InvalidStatus) as refused:
        connect(f"{ws}/ws/pedidos/cliente/{ana_id}/?token={beto}", open_timeout=10)
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as no_token:
        connect(f"{ws}/ws/pedidos/restaurante/centro/", open_timeout=10)
    assert no_token.value.response.status_code == 401

    with connect(f"{ws}/ws/pedidos/restaurante/centro/?token={cajero_token}", open_timeout=10) as panel_ws, \
            connect(f"{ws}/cocina?token={stack.login('cocina1', 'Cocina123!')}", open_timeout=10) as kitchen_ws, \
            connect(f"{ws}/ws/pedidos/cliente/{ana_id}/?token={ana}", open_timeout=10) as ana_ws, \
            connect(f"{ws}/ws/pedidos/cliente/{beto_id}/?token={beto}", open_timeout=10) as beto_ws, \
            connect(f"{ws}/ws/repartidor/{one_id}/?token={one}", open_timeout=10) as one_ws, \
            connect(f"{ws}/ws/repartidor/{two_id}/?token={two}", open_timeout=10) as two_ws:
        panel, kitchen, ana_frames, beto_frames = Gastro(panel_ws), Frames(kitchen_ws), Gastro(ana_ws), Gastro(beto_ws)
        drivers = {one_id: Gastro(one_ws), two_id: Gastro(two_ws)}

        placed = stack.as_(ana).post("/api/pedidos/", {
            "sucursal_id": "centro", "items": [{"plato_id": plato["id"], "cantidad": 2}], "metodo_pago": "nequi",
            "direccion": {"calle": "Av. 6 de Agosto 100", "barrio": "San Jorge"}, "notas": "timbre roto",
        }, headers={"Idempotency-Key": f"e2e-{ana_id}"})
        assert placed.status == 201, placed
        pk = placed.body["pedido_id"]
        total = placed.body["pedido"]["total"]

        nuevo = panel.next("nuevo_pedido", where=lambda f: f["pedido_id"] == pk)
        assert nuevo["mensaje"] == f"🍽️ ¡Nuevo pedido #{pk}!" and nuevo["total"] == total
        cocina = kitchen.next("nuevo-pedido", where=lambda f: f["data"]["id"] == pk)
        assert cocina["data"]["tipo"] == "delivery" and cocina["data"]["entrega"]["direccion"] == "Av. 6 de Agosto 100, San Jorge"
        activos = cajero.get("/api/pedidos/activos/").body
        assert any(a["id"] == pk and a["direccion_entrega"] == "Av. 6 de Agosto 100, San Jorge" for a in activos)

        for estado in ("aceptado", "preparando"):
            assert cajero.post(f"/api/pedidos/{pk}/estado/", {"estado": estado}).body == {"ok": True, "estado": estado}
            assert ana_frames.next("cambio_estado", where=lambda f, e=estado: f["estado"] == e)["mensaje"] == STATUS_MESSAGES[estado]
        # The kitchen finishing every item sends it out by itself.
        assert cajero.call("PATCH", f"/api/transacciones/{pk}/cocina/completar").status == 200
        assert ana_frames.next("cambio_estado", where=lambda f: f["estado"] == "enviado")["mensaje"] == STATUS_MESSAGES["enviado"]
        for frames in drivers.values():
            offer = frames.next("pedido_disponible", where=lambda f: f["pedido_id"] == pk)
            assert offer["direccion"] == "Av. 6 de Agosto 100, San Jorge"

        claims = {did: stack.as_(tok).post(f"/pedidos/{pk}/aceptar-entrega/") for did, tok in ((one_id, one), (two_id, two))}
        assert sorted(r.status for r in claims.values()) == [200, 409]
        winner_id = next(did for did, r in claims.items() if r.status == 200)
        loser_id = two_id if winner_id == one_id else one_id
        winner = one if winner_id == one_id else two
        drivers[loser_id].next("pedido_tomado", where=lambda f: f["pedido_id"] == pk)
        ana_frames.next("cambio_estado", where=lambda f: f["estado"] == "en_camino")

        with connect(f"{ws}/ws/ubicacion/{winner_id}/?token={winner}", open_timeout=10) as gps, \
                connect(f"{ws}/ws/ubicacion/{winner_id}/?token={ana}", open_timeout=10) as follow:
            with pytest.raises(InvalidStatus) as spy:
                connect(f"{ws}/ws/ubicacion/{winner_id}/?token={beto}", open_timeout=10)
            assert spy.value.response.status_code == 403
            following = Gastro(follow)
            gps.send(json.dumps({"latitud": -16.5, "longitud": -68.12}))
            position = following.next("ubicacion")
            assert (position["latitud"], position["longitud"]) == (-16.5, -68.12)
            gps.send(json.dumps({"latitud": 500, "longitud": 0}))
            assert Gastro(gps).next("error")["error"]

            before = Decimal(cajero.get("/api/caja/resumen").body["resumen"]["ventas_qr"])
            for _ in range(2):
                assert stack.as_(winner).post(f"/pedidos/{pk}/marcar-entregado/").body == {"ok": True}
            entregado = following.next("pedido_entregado")
            assert (entregado["latitud"], entregado["longitud"]) == (None, None)
        assert ana_frames.next("cambio_estado", where=lambda f: f["estado"] == "entregado")["mensaje"] == STATUS_MESSAGES["entregado"]
        after = Decimal(cajero.get("/api/caja/resumen").body["resumen"]["ventas_qr"])
        assert after - before == Decimal(total)
        assert cajero.get(f"/api/transacciones/{pk}").body["estado"] == "cerrado"
        assert all(f.get("pedido_id") != pk for f in beto_frames.quiet(1.0))
