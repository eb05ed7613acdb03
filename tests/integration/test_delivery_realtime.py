"""GastroMovil's sockets (the `gastromovil` namespace): path-level authorization at $connect, and
the frames the stream fan-out derives from delivery orders and driver positions (COMPAT C).

REST calls go through the Chalice test client; the stream records the fan-out gets are built
from the order as stored before and after each call (in-process moto has no Streams API)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.container import Services, get_services
from chalicelib.domain import delivery as d
from chalicelib.realtime.sender import Sender
from devstack.world import denominations
from tests.integration.test_delivery import make_drivers, move, placed, register
from tests.integration.test_realtime import FakeManagementApi
from tests.support.api import Api, TenantWorld
from tests.support.events import stream_batch, stream_record, ws_event
from tests.support.menu import Menu


class Frames(FakeManagementApi):
    def of(self, connection_id: str) -> list[dict[str, Any]]:
        return [f for c, f in self.posts if c == connection_id]


@dataclass
class Live:
    api: Api
    alpha: TenantWorld
    frames: Frames
    services: Services

    def connect(self, cid: str, path: str, token: str | None) -> int:
        query = {"namespace": "gastromovil", "ruta": path}
        if token:
            query["token"] = token
        return int(self.services.sockets.connect(ws_event("$connect", cid, query=query))["statusCode"])

    def send(self, cid: str, body: Any) -> None:
        self.services.sockets.message(ws_event("$default", cid, body=json.dumps(body)))

    def streamed(self, pk: int, call: Callable[[], Any]) -> Any:
        """Run `call` and hand the order's stored change to the fan-out, as its stream record would."""
        repo = self.services.sale_repo
        before = repo.get("alpha", pk)
        result = call()
        after = repo.get("alpha", pk)
        assert self.services.fanout.handle_batch(stream_batch(stream_record(before, after))) == {"batchItemFailures": []}
        return result

    def place(self, token: str, menu: Menu) -> int:
        repo = self.services.sale_repo
        pk = placed(self.api, token, menu)
        created = repo.get("alpha", pk)
        assert self.services.fanout.handle_batch(stream_batch(stream_record(None, created))) == {"batchItemFailures": []}
        return pk

    def position_record(self, driver: str) -> dict[str, Any]:
        from chalicelib.store.delivery import PositionRepository, position_key

        repo = PositionRepository(self.services.settings)
        row = repo.PositionRecord.get(position_key("alpha", driver), "POSITION", consistent_read=True)
        return {"eventName": "MODIFY", "eventSource": "aws:dynamodb", "eventID": "p1",
                "dynamodb": {"SequenceNumber": "900000000000000000001", "NewImage": row.serialize(),
                             "Keys": {"pk": {"S": row.pk}, "sk": {"S": row.sk}}}}


@pytest.fixture
def live(api: Api, alpha: TenantWorld) -> Iterator[Live]:
    services = get_services()
    frames = Frames()
    services.__dict__["sender"] = Sender(frames, services.connections.remove, threads=4)
    yield Live(api, alpha, frames, services)


def customer(live: Live, name: str) -> tuple[str, int]:
    body = register(live.api, "alpha", name)
    reply = live.api.as_(None).post("/api/login/", {"username": name, "password": "Cliente123!", "tenant": "alpha"})
    return reply.body["access"], int(body["id"])


def user_id(live: Live, token: str) -> str:
    return live.services.tokens.verify(token).user_id


def test_every_socket_needs_a_token_and_only_its_owner_may_open_a_path(live: Live) -> None:
    ana, ana_id = customer(live, "ana")
    beto, _ = customer(live, "beto")
    driver = make_drivers(live.alpha, live.api, 1)[0]
    driver_id = user_id(live, driver)
    cajero = live.alpha.tokens["cajero"]
    assert live.connect("c0", f"pedidos/cliente/{ana_id}", None) == 401
    assert live.connect("c1", f"pedidos/cliente/{ana_id}", "garbage") == 401
    assert live.connect("c2", f"pedidos/cliente/{ana_id}", beto) == 403
    assert live.connect("c3", f"pedidos/cliente/{ana_id}", cajero) == 403
    assert live.connect("c4", "pedidos/restaurante/norte", cajero) == 403  # another branch
    assert live.connect("c5", "pedidos/restaurante/centro", ana) == 403
    assert live.connect("c6", f"repartidor/{driver_id}", ana) == 403
    assert live.connect("c7", f"repartidor/{user_id(live, cajero)}", driver) == 403
    assert live.connect("c8", f"ubicacion/{driver_id}", ana) == 403  # the driver carries nothing of hers
    assert live.connect("c9", "nowhere/1", ana) == 404
    assert all(live.services.connections.get(f"c{n}") is None for n in range(10))
    assert live.connect("ok1", f"pedidos/cliente/{ana_id}", ana) == 200
    assert live.connect("ok2", "pedidos/restaurante/centro", cajero) == 200
    assert live.connect("ok3", f"repartidor/{driver_id}", driver) == 200
    assert live.connect("ok4", f"ubicacion/{driver_id}", driver) == 200


def test_the_whole_order_reaches_restaurant_customer_and_drivers_as_gastromovil_frames(live: Live, menu: Menu) -> None:
    api, alpha = live.api, live.alpha
    api.as_(alpha.tokens["cajero"]).post("/api/caja/abrir", denominations(b100=1))
    ana, ana_id = customer(live, "ana")
    beto, beto_id = customer(live, "beto")
    one, two, busy = make_drivers(alpha, api, 3)
    api.as_(busy).post("/api/repartidores/estado", {"estado": "inactivo"})
    ids = [user_id(live, t) for t in (one, two, busy)]
    assert live.connect("panel", "pedidos/restaurante/centro", alpha.tokens["cajero"]) == 200
    assert live.connect("ana", f"pedidos/cliente/{ana_id}", ana) == 200
    assert live.connect("beto", f"pedidos/cliente/{beto_id}", beto) == 200
    for n, token in enumerate((one, two, busy)):
        assert live.connect(f"driver{n}", f"repartidor/{ids[n]}", token) == 200

    pk = live.place(ana, menu)
    assert live.frames.of("panel")[-1] == {"tipo": "nuevo_pedido", "mensaje": f"🍽️ ¡Nuevo pedido #{pk}!", "pedido_id": pk,
                                           "cliente": "Ana Pérez", "total": "60.00", "id": live.frames.of("panel")[-1]["id"]}
    for estado in ("aceptado", "preparando", "enviado"):
        live.streamed(pk, lambda estado=estado: move(api, alpha.tokens["cajero"], pk, estado))
    offers = {n: [f for f in live.frames.of(f"driver{n}") if f["tipo"] == "pedido_disponible"] for n in range(3)}
    assert [f["pedido_id"] for f in offers[0]] == [pk] and [f["pedido_id"] for f in offers[1]] == [pk]
    assert offers[2] == []  # inactive drivers are not offered anything
    assert offers[0][0]["direccion"] == "Av. Arce 123, Sopocachi" and offers[0][0]["restaurante"] == "Centro"

    live.streamed(pk, lambda: api.as_(one).post(f"/pedidos/{pk}/aceptar-entrega/"))
    assert [f["tipo"] for f in live.frames.of("driver1")][-1] == "pedido_tomado"

    # The customer follows the driver that carries her order, and only then; beto may not.
    assert live.connect("follow-ana", f"ubicacion/{ids[0]}", ana) == 200
    assert live.connect("follow-beto", f"ubicacion/{ids[0]}", beto) == 403
    assert live.connect("gps", f"ubicacion/{ids[0]}", one) == 200
    live.send("gps", {"latitud": -16.5, "longitud": -68.15})
    handled = live.services.fanout.handle_notice_batch(stream_batch(live.position_record(ids[0])))
    assert handled == {"batchItemFailures": []}
    assert [(f["tipo"], f["latitud"], f["longitud"]) for f in live.frames.of("follow-ana")] == [("ubicacion", -16.5, -68.15)]
    live.send("gps", {"latitud": 123, "longitud": 0})
    assert live.frames.of("gps")[-1]["tipo"] == "error" and "latitud" in live.frames.of("gps")[-1]["error"]
    live.send("gps", {"latitud": "x", "longitud": 0, "extra": 1})
    assert live.frames.of("gps")[-1]["tipo"] == "error"

    live.streamed(pk, lambda: api.as_(one).post(f"/pedidos/{pk}/marcar-entregado/"))
    assert live.frames.of("follow-ana")[-1]["tipo"] == "pedido_entregado"
    answered = len(live.frames.of("gps"))
    live.send("gps", {"tipo": "pedido_entregado"})  # what GastroMovil's driver panel sends after delivering
    assert len(live.frames.of("gps")) == answered
    assert live.frames.of("follow-ana")[-1]["latitud"] is None

    steps = [(f["estado"], f["mensaje"]) for f in live.frames.of("ana") if f["tipo"] == "cambio_estado"]
    assert steps == [(e, d.STATUS_MESSAGES[e]) for e in ("aceptado", "preparando", "enviado", "en_camino", "entregado")]
    assert live.frames.of("beto") == []
    assert live.frames.of("follow-beto") == []


def test_positions_older_than_the_stored_one_are_dropped(live: Live) -> None:
    drivers = live.services.drivers
    assert drivers.record_position("alpha", "9", -16.5, -68.1, at_ms=2000) is True
    assert drivers.record_position("alpha", "9", -10, -60, at_ms=1000) is False
    assert drivers.positions is not None
    stored = drivers.positions.get("alpha", "9")
    assert stored is not None and stored[2] == 2000 and float(stored[0]) == -16.5


def test_an_unclaimed_order_is_offered_again_after_the_reoffer_delay(live: Live, menu: Menu) -> None:
    api, alpha = live.api, live.alpha
    ana, _ = customer(live, "ana")
    pk = live.place(ana, menu)
    for estado in ("aceptado", "preparando", "enviado"):
        move(api, alpha.tokens["cajero"], pk, estado)
    assert live.services.delivery_orders.reoffer_due(5) == []
    before = live.services.sale_repo.get("alpha", pk)
    again = live.services.delivery_orders.reoffer_due(0)
    assert [s.id for s in again] == [pk]
    after = live.services.sale_repo.get("alpha", pk)
    assert before is not None and after is not None and after.entrega and before.entrega
    assert after.entrega.offered_at != before.entrega.offered_at
    driver = make_drivers(alpha, api, 1)[0]
    assert live.connect("d", f"repartidor/{user_id(live, driver)}", driver) == 200
    live.services.fanout.handle_batch(stream_batch(stream_record(before, after)))
    assert [f["tipo"] for f in live.frames.of("d")] == ["pedido_disponible"]


def test_the_kitchen_sees_a_delivery_order_as_nuevo_pedido_on_cocina(live: Live, menu: Menu) -> None:
    ana, _ = customer(live, "ana")
    query = {"namespace": "cocina", "token": live.alpha.tokens["cocina"]}
    assert live.services.sockets.connect(ws_event("$connect", "kitchen", query=query))["statusCode"] == 200
    pk = live.place(ana, menu)
    nuevo = [f for f in live.frames.of("kitchen") if f.get("event") == "nuevo-pedido"]
    assert [f["data"]["id"] for f in nuevo] == [pk]
    assert nuevo[0]["data"]["tipo"] == "delivery" and nuevo[0]["data"]["entrega"]["direccion"] == "Av. Arce 123, Sopocachi"


def test_a_customer_still_following_a_driver_from_an_earlier_order_hears_nothing_of_the_next(
        live: Live, menu: Menu) -> None:
    api, alpha = live.api, live.alpha
    api.as_(alpha.tokens["cajero"]).post("/api/caja/abrir", denominations(b100=1))
    ana, _ = customer(live, "ana")
    beto, _ = customer(live, "beto")
    driver = make_drivers(alpha, api, 1)[0]
    driver_id = user_id(live, driver)

    def claimed_by_driver(token: str) -> int:
        pk = live.place(token, menu)
        for estado in ("aceptado", "preparando", "enviado"):
            move(api, alpha.tokens["cajero"], pk, estado)
        assert api.as_(driver).post(f"/pedidos/{pk}/aceptar-entrega/").status == 200
        return pk

    first = claimed_by_driver(ana)
    assert live.connect("ana-follows", f"ubicacion/{driver_id}", ana) == 200
    assert api.as_(driver).post(f"/pedidos/{first}/marcar-entregado/").status == 200
    claimed_by_driver(beto)
    assert live.connect("beto-follows", f"ubicacion/{driver_id}", beto) == 200
    assert live.services.drivers.record_position("alpha", driver_id, -16.4, -68.1) is True
    live.services.fanout.handle_notice_batch(stream_batch(live.position_record(driver_id)))
    assert [f["tipo"] for f in live.frames.of("beto-follows")] == ["ubicacion"]
    assert live.frames.of("ana-follows") == []
