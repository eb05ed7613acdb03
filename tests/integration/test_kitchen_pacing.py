"""Kitchen pacing over the REST API, the tables' streams and the socket edge: courses held and
fired, rush orders first, sold-out platos refused and pushed to every protocol."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal as D
from typing import Any

import pytest

from chalicelib.container import get_services
from chalicelib.domain.clock import utc_now
from chalicelib.realtime.fanout import Fanout, MenuLookups
from chalicelib.realtime.gateway import SocketGateway
from chalicelib.realtime.polling import Frames
from chalicelib.realtime.sender import Sender
from chalicelib.store.catalog import decode_plato_image
from tests.integration.test_realtime_protocols import RawManagementApi
from tests.support.api import Api, TenantWorld, threaded_api
from tests.support.events import ws_event
from tests.support.menu import Menu, stock
from tests.support.table_stream import TableStream


@dataclass
class Courses:
    drink: str  # Limonada, course 0
    starter: str  # Silpancho, course 1
    main: str  # Pique macho, course 2


@pytest.fixture
def courses(api: Api, alpha: TenantWorld, menu: Menu) -> Courses:
    admin = api.as_(alpha.tokens["admin"])
    assert admin.patch(f"/api/platos/{menu.plato_bar}", {"curso": 0}).body["curso"] == 0
    main = admin.post("/api/platos", {"nombre": "Pique macho", "precio": "45.00", "curso": 2}).body
    assert main["curso"] == 2 and main["agotado"] is False
    return Courses(menu.plato_bar, menu.plato, main["id"])


def table_order(api: Api, alpha: TenantWorld, courses: Courses, **header: Any) -> int:
    """A drink, two starters and a main, added one by one as a waiter does."""
    waiter = api.as_(alpha.tokens["mesero"])
    tx = waiter.post("/api/transacciones", {"nro_reg": 1, "concepto": "Mesa 5", "mesa": "5", **header}).body["id"]
    for plato in (courses.drink, courses.starter, courses.starter, courses.main):
        assert waiter.post(f"/api/transacciones/{tx}/items", {"plato_id": plato, "cantidad": 1}).status == 201
    return int(tx)


def kds_order(api: Api, token: str, tx: int, query: str = "") -> dict[str, Any]:
    (order,) = [o for o in api.as_(token).get(f"/orders{query}").body["data"] if o["id"] == tx]
    return order


# --- courses ------------------------------------------------------------------------------------


def test_the_drink_and_starters_go_to_the_kitchen_and_the_main_is_held(api: Api, alpha: TenantWorld, courses: Courses) -> None:
    tx = table_order(api, alpha, courses)
    kitchen = alpha.tokens["cocina"]

    order = kds_order(api, kitchen, tx)
    assert [i["name"] for i in order["items"]] == ["Limonada", "Silpancho", "Silpancho"]
    assert all(i["fired_at"] and not i["held"] for i in order["items"])
    assert order["held_items"] == [], "held items show only when asked for"
    with_held = kds_order(api, kitchen, tx, "?include=held")
    assert [(i["name"], i["course"], i["held"], i["fired_at"]) for i in with_held["held_items"]] == [("Pique macho", 2, True, None)]
    sale = api.as_(kitchen).get(f"/api/transacciones/{tx}").body
    assert [(i["curso"], i["held"]) for i in sale["items"]] == [(0, False), (1, False), (1, False), (2, True)]
    assert sale["curso_marchado"] == 1 and sale["rush"] is False


def test_firing_course_2_puts_the_main_on_the_queue_with_its_own_fired_at(api: Api, alpha: TenantWorld, courses: Courses) -> None:
    tx = table_order(api, alpha, courses)
    waiter = api.as_(alpha.tokens["mesero"])
    before = kds_order(api, alpha.tokens["cocina"], tx)["items"][0]["fired_at"]

    fired = waiter.post(f"/api/transacciones/{tx}/cursos/2/marchar")

    assert fired.status == 200 and fired.body["curso_marchado"] == 2
    main = fired.body["items"][-1]
    assert (main["nombre"], main["held"]) == ("Pique macho", False) and main["fired_at"] > before
    order = kds_order(api, alpha.tokens["cocina"], tx)
    assert [i["name"] for i in order["items"]][-1] == "Pique macho" and order["held_items"] == []


def test_firing_a_course_twice_or_one_with_nothing_held_is_409(api: Api, alpha: TenantWorld, courses: Courses) -> None:
    tx = table_order(api, alpha, courses)
    waiter = api.as_(alpha.tokens["mesero"])
    assert waiter.post(f"/api/transacciones/{tx}/cursos/2/marchar").status == 200
    again = waiter.post(f"/api/transacciones/{tx}/cursos/2/marchar")
    assert again.status == 409 and "ya fue marchado" in json.dumps(again.body, ensure_ascii=False)
    nothing = waiter.post(f"/api/transacciones/{tx}/cursos/3/marchar")
    assert nothing.status == 409 and "no tiene items retenidos" in json.dumps(nothing.body, ensure_ascii=False)
    assert waiter.post(f"/api/transacciones/{tx}/cursos/10/marchar").status == 400


def test_a_held_item_cannot_be_prepared(api: Api, alpha: TenantWorld, courses: Courses) -> None:
    tx = table_order(api, alpha, courses)
    kitchen = api.as_(alpha.tokens["cocina"])
    main = kds_order(api, alpha.tokens["cocina"], tx, "?include=held")["held_items"][0]
    refused = kitchen.patch(f"/items/{main['id']}/status", {"status": "preparing"})
    assert refused.status == 409 and "retenido" in refused.body["error"]["message"]
    assert kds_order(api, alpha.tokens["cocina"], tx, "?include=held")["held_items"][0]["status"] == "pending"


def test_the_kitchen_may_not_fire_courses(api: Api, alpha: TenantWorld, courses: Courses) -> None:
    tx = table_order(api, alpha, courses)
    assert api.as_(alpha.tokens["cocina"]).post(f"/api/transacciones/{tx}/cursos/2/marchar").status == 403


def test_bumping_an_order_with_a_held_course_finishes_only_what_was_fired(api: Api, alpha: TenantWorld, courses: Courses) -> None:
    tx = table_order(api, alpha, courses)
    bumped = api.as_(alpha.tokens["cocina"]).post(f"/orders/{tx}/bump").body["data"]
    assert {i["status"] for i in bumped["items"]} == {"ready"} and bumped["status"] == "ready"
    sale = api.as_(alpha.tokens["cocina"]).get(f"/api/transacciones/{tx}").body
    assert sale["estado_cocina"] == "pendiente", "the main is still to come"
    assert [i["estado"] for i in sale["items"] if i["held"]] == ["pending"]


def test_an_item_may_name_its_own_course_and_a_sale_may_start_at_another(api: Api, alpha: TenantWorld, courses: Courses) -> None:
    waiter = api.as_(alpha.tokens["mesero"])
    tx = waiter.post("/api/transacciones", {"nro_reg": 2, "concepto": "Mesa 6", "mesa": "6", "curso_marchado": 0}).body["id"]
    starter = waiter.post(f"/api/transacciones/{tx}/items", {"plato_id": courses.starter, "cantidad": 1}).body
    dessert_now = waiter.post(f"/api/transacciones/{tx}/items", {"plato_id": courses.main, "cantidad": 1, "curso": 0}).body
    assert (starter["curso"], starter["held"]) == (1, True)
    assert (dessert_now["curso"], dessert_now["held"]) == (0, False)
    assert waiter.post(f"/api/transacciones/{tx}/items", {"plato_id": courses.main, "cantidad": 1, "curso": 12}).status == 400


def test_a_restaurant_that_never_sets_courses_sees_every_item_fired_at_once(api: Api, alpha: TenantWorld, menu: Menu) -> None:
    cajero = api.as_(alpha.tokens["cajero"])
    tx = cajero.post("/api/transacciones", {"nro_reg": 3, "concepto": "Mesa", "mesa": "2", "items": [
        {"plato_id": menu.plato, "cantidad": 1}, {"plato_id": menu.plato_bar, "cantidad": 2}]}).body
    assert [(i["curso"], i["held"], i["fired_at"] is not None) for i in tx["items"]] == [(1, False, True), (1, False, True)]
    assert cajero.post(f"/api/transacciones/{tx['id']}/cursos/2/marchar").status == 409


def test_the_sweep_fires_the_next_course_once_the_sales_delay_has_elapsed(
    api: Api, alpha: TenantWorld, courses: Courses, monkeypatch: pytest.MonkeyPatch
) -> None:
    tx = table_order(api, alpha, courses, minutos_entre_cursos=10)
    sales = get_services().sales
    assert sales.fire_due_courses() == [], "not yet due"

    later = utc_now() + timedelta(minutes=11)
    monkeypatch.setattr("chalicelib.services.sales.utc_now", lambda: later)
    fired = sales.fire_due_courses()

    assert [o.id for o in fired] == [tx]
    sale = api.as_(alpha.tokens["cocina"]).get(f"/api/transacciones/{tx}").body
    assert sale["curso_marchado"] == 2 and not any(i["held"] for i in sale["items"])
    assert sales.fire_due_courses() == [], "nothing left to fire"


# --- rush ---------------------------------------------------------------------------------------


def test_a_rush_order_sorts_first_on_the_kds_feed_and_the_kitchen_queue(api: Api, alpha: TenantWorld, menu: Menu) -> None:
    cajero = api.as_(alpha.tokens["cajero"])
    first, second = (cajero.post("/api/transacciones", {"nro_reg": n, "concepto": f"Mesa {n}", "mesa": str(n),
                                                         "items": [{"plato_id": menu.plato, "cantidad": 1}]}).body["id"]
                     for n in (1, 2))
    kitchen = api.as_(alpha.tokens["cocina"])
    assert [o["id"] for o in kitchen.get("/orders").body["data"]] == [first, second]

    rushed = kitchen.post(f"/api/transacciones/{second}/prioridad", {"rush": True})

    assert rushed.status == 200 and rushed.body["rush"] is True
    feed = kitchen.get("/orders").body["data"]
    assert [(o["id"], o["rush"]) for o in feed] == [(second, True), (first, False)]
    assert [t["id"] for t in kitchen.get("/api/transacciones/cocina/pendientes").body] == [second, first]
    assert kitchen.post(f"/api/transacciones/{second}/prioridad", {"rush": False}).body["rush"] is False
    assert [o["id"] for o in kitchen.get("/orders").body["data"]] == [first, second]
    assert kitchen.post(f"/api/transacciones/{second}/prioridad", {"rush": "yes"}).status == 400


# --- sold out -----------------------------------------------------------------------------------


def test_a_plato_marked_agotado_by_the_kitchen_refuses_the_next_add_and_writes_nothing(
    api: Api, alpha: TenantWorld, menu: Menu
) -> None:
    kitchen, waiter = api.as_(alpha.tokens["cocina"]), api.as_(alpha.tokens["mesero"])
    tx = waiter.post("/api/transacciones", {"nro_reg": 1, "concepto": "Mesa", "mesa": "3"}).body["id"]
    assert kitchen.patch(f"/api/platos/{menu.plato}", {"agotado": True}).body["agotado"] is True
    before = waiter.get(f"/api/transacciones/{tx}").body

    refused = waiter.post(f"/api/transacciones/{tx}/items", {"plato_id": menu.plato, "cantidad": 1})

    assert refused.status == 409 and "Plato agotado: Silpancho" in json.dumps(refused.body, ensure_ascii=False)
    assert waiter.get(f"/api/transacciones/{tx}").body == before
    assert kitchen.patch(f"/api/platos/{menu.plato}", {"agotado": False}).body["agotado"] is False
    assert waiter.post(f"/api/transacciones/{tx}/items", {"plato_id": menu.plato, "cantidad": 1}).status == 201


def test_the_kitchen_may_mark_agotado_but_not_change_a_price(api: Api, alpha: TenantWorld, menu: Menu) -> None:
    kitchen = api.as_(alpha.tokens["cocina"])
    refused = kitchen.patch(f"/api/platos/{menu.plato}", {"precio": "1.00", "agotado": True})
    assert refused.status == 403
    assert api.as_(alpha.tokens["admin"]).get(f"/api/platos/{menu.plato}").body["agotado"] is False
    assert api.as_(alpha.tokens["mesero"]).patch(f"/api/platos/{menu.plato}", {"agotado": True}).status == 403


def close_with(api: Api, alpha: TenantWorld, plato: str, quantity: int, nro: int) -> int:
    """A sale of `quantity` of `plato`, cooked and paid (so it closes)."""
    cajero = api.as_(alpha.tokens["cajero"])
    tx = cajero.post("/api/transacciones", {"nro_reg": nro, "concepto": "Mesa", "mesa": str(nro),
                                            "items": [{"plato_id": plato, "cantidad": quantity}]}).body
    cajero.patch(f"/api/transacciones/{tx['id']}/cocina/completar")
    return int(tx["id"])


def pay_in_full(api: Api, token: str, tx: int) -> Any:
    due = api.as_(token).get(f"/api/transacciones/{tx}").body["monto_pendiente"]
    return api.as_(token).post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "efectivo", "monto": due})


def test_a_close_that_takes_an_ingredient_below_zero_marks_its_platos_agotado_in_the_same_write(
    api: Api, alpha: TenantWorld, menu: Menu
) -> None:
    admin = api.as_(alpha.tokens["admin"])
    admin.patch(f"/api/ingredientes/{menu.carne}", {"cantidad": "0.5"})  # two silpanchos' worth
    other = admin.post("/api/platos", {"nombre": "Lomito", "precio": "30.00"}).body
    admin.post(f"/api/platos/{other['id']}/ingredientes", {"ingrediente_id": menu.carne, "cantidad": "0.3"})
    catalog = TableStream("catalog")
    tx = close_with(api, alpha, menu.plato, 3, 1)

    paid = pay_in_full(api, alpha.tokens["cajero"], tx)

    assert paid.body["transaccion"]["estado"] == "cerrado", "the close itself goes through as before"
    assert stock("alpha", "ingrediente", menu.carne) == D("-0.25")
    platos = {p["nombre"]: p["agotado"] for p in admin.get("/api/platos").body}
    assert platos == {"Silpancho": True, "Lomito": True, "Limonada": False}
    assert len(plato_writes(catalog)) == 2, "one write per plato, in the closing transaction"
    again = close_with(api, alpha, menu.plato_bar, 1, 2)
    assert pay_in_full(api, alpha.tokens["cajero"], again).status == 201
    assert plato_writes(catalog) == [], "a close that empties nothing marks nothing"


def plato_writes(stream: TableStream) -> list[dict[str, Any]]:
    return [r for r in stream.records() if r["dynamodb"]["Keys"]["sk"]["S"].startswith("PLATO#")]


def test_two_racing_closes_mark_the_platos_once_and_deduct_both(api: Api, alpha: TenantWorld, menu: Menu) -> None:
    admin = api.as_(alpha.tokens["admin"])
    admin.patch(f"/api/ingredientes/{menu.carne}", {"cantidad": "0.3"})
    sales = [close_with(api, alpha, menu.plato, 1, n) for n in (1, 2)]
    catalog = TableStream("catalog")
    clients = threaded_api(alpha.tokens["cajero"])
    barrier = threading.Barrier(2)
    replies: list[Any] = []

    def close(tx: int) -> None:
        client = clients()
        due = client.get(f"/api/transacciones/{tx}").body["monto_pendiente"]
        barrier.wait()
        replies.append(client.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "efectivo", "monto": due}))

    threads = [threading.Thread(target=close, args=(tx,)) for tx in sales]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(r.status for r in replies) == [201, 201]
    assert stock("alpha", "ingrediente", menu.carne) == D("-0.20")
    assert len(plato_writes(catalog)) == 1


# --- pushed to every protocol -------------------------------------------------------------------


@dataclass
class Edge:
    api: RawManagementApi
    gateway: SocketGateway
    fanout: Fanout

    def connect(self, connection_id: str, query: dict[str, str]) -> None:
        self.gateway.connect(ws_event("$connect", connection_id, query=query))

    def say(self, connection_id: str, body: str) -> None:
        self.gateway.message(ws_event("$default", connection_id, body=body))

    def frames(self, connection_id: str) -> list[str]:
        return self.api.to(connection_id)


@pytest.fixture
def edge(alpha: TenantWorld) -> Iterator[Edge]:
    services = get_services()
    raw = RawManagementApi()
    sender = Sender(raw, services.connections.remove, threads=4)
    delivery = Frames(lambda: sender, services.connections)
    gateway = SocketGateway(
        services.tokens, services.connections,
        branch_exists=lambda t, b: services.tenant_repo.get_branch(t, b) is not None,
        reply=delivery.send_one, close=delivery.close, socketio_timing=(1000, 2000),
    )
    menu = MenuLookups(decode_plato_image, lambda tenant: [b.branch_id for b in services.tenant_repo.list_branches(tenant)])
    yield Edge(raw, gateway, Fanout(services.connections, services.sale_repo, delivery, services.sales.timezone, menu=menu))


def listeners(edge: Edge, token: str) -> None:
    """/cocina JSON, kds JSON, Socket.IO on /kds and STOMP on /kds and /venue, all of branch centro."""
    edge.connect("cocina", {"namespace": "cocina", "token": token})
    edge.say("cocina", json.dumps({"action": "subscribe", "channel": "cocina:centro"}))
    edge.connect("kds", {"namespace": "kds", "token": token})
    edge.say("kds", json.dumps({"action": "subscribe", "channel": "branch:centro"}))
    edge.connect("sio", {"protocol": "socketio"})
    edge.say("sio", "40/kds," + json.dumps({"token": token}))
    edge.say("sio", '42/kds,["subscribe","branch:centro"]')
    edge.connect("stomp", {"protocol": "stomp"})
    edge.say("stomp", f"CONNECT\nlogin:{token}\n\n\x00SUBSCRIBE\nid:k\ndestination:/kds/alpha/centro\n\n\x00"
                      "SUBSCRIBE\nid:v\ndestination:/venue/alpha/centro\n\n\x00")


def stomp_bodies(edge: Edge, subscription: str) -> list[dict[str, Any]]:
    out = []
    for frame in edge.frames("stomp"):
        head, _, body = frame.partition("\n\n")
        if head.startswith("MESSAGE\n") and f"subscription:{subscription}" in head:
            out.append(json.loads(body.rstrip("\x00")))
    return out


def test_firing_a_course_reaches_a_socket_on_each_protocol(api: Api, alpha: TenantWorld, courses: Courses, edge: Edge) -> None:
    tx = table_order(api, alpha, courses)
    listeners(edge, alpha.tokens["cocina"])
    stream = TableStream("transactions")

    api.as_(alpha.tokens["mesero"]).post(f"/api/transacciones/{tx}/cursos/2/marchar")
    for batch in stream.batches():
        assert edge.fanout.handle_batch(batch) == {"batchItemFailures": []}

    def fired(order: dict[str, Any]) -> bool:
        return [i["name"] for i in order["items"]][-1] == "Pique macho" and order["held_items"] == []

    kds = [json.loads(m) for m in edge.frames("kds")]
    assert any(m["event"] == "order:updated" and fired(m["data"]) for m in kds)
    sio = [json.loads(m.removeprefix("42/kds,")) for m in edge.frames("sio") if m.startswith('42/kds,["order:updated"')]
    assert any(fired(data) for _, data in sio)
    assert any(b["event"] == "order:updated" and fired(b["data"]) for b in stomp_bodies(edge, "k"))
    queue = [json.loads(m) for m in edge.frames("cocina") if '"pedidos-actualizados"' in m]
    assert queue and [i["held"] for i in queue[-1]["data"][0]["items"]] == [False, False, False, False]


def test_marking_a_dish_agotado_reaches_cocina_kds_and_stomp_venue_and_so_does_unmarking(
    api: Api, alpha: TenantWorld, menu: Menu, edge: Edge
) -> None:
    listeners(edge, alpha.tokens["cocina"])
    kitchen = api.as_(alpha.tokens["cocina"])
    catalog = TableStream("catalog")

    for flag in (True, False):
        kitchen.patch(f"/api/platos/{menu.plato}", {"agotado": flag})
        for batch in catalog.batches():
            assert edge.fanout.handle_menu_batch(batch) == {"batchItemFailures": []}

    cocina = [json.loads(m) for m in edge.frames("cocina") if '"menu-actualizado"' in m]
    kds = [json.loads(m) for m in edge.frames("kds") if '"menu:updated"' in m]
    venue = [b for b in stomp_bodies(edge, "v") if b["event"] == "menu:updated"]
    for frames in (cocina, kds, venue):
        assert [(f["data"]["id"], f["data"]["nombre"], f["data"]["agotado"]) for f in frames] == [
            (menu.plato, "Silpancho", True), (menu.plato, "Silpancho", False)]


def test_catalog_rows_that_are_not_menu_changes_push_nothing(api: Api, alpha: TenantWorld, menu: Menu, edge: Edge) -> None:
    listeners(edge, alpha.tokens["cocina"])
    catalog = TableStream("catalog")
    api.as_(alpha.tokens["admin"]).patch(f"/api/ingredientes/{menu.carne}", {"cantidad": "3"})
    for batch in catalog.batches():
        edge.fanout.handle_menu_batch(batch)
    assert not [m for m in edge.frames("cocina") + edge.frames("kds") if "menu" in m]
