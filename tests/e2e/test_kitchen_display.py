"""The kitchen display (`/display/`) in Debian's Chromium against the real local stack: one
test per acceptance bullet of issue 12. Screenshots (1280×800) go to tests/e2e/artifacts/."""

from __future__ import annotations

import re
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.browser import ARTIFACTS, SocketSwitch, png_size, serious_violations
from tests.e2e.harness import RunningStack, launch_stack

ALARM_RGB = "rgb(198, 40, 40)"  # --late in kds.css


@pytest.fixture(scope="module")
def display_stack() -> Iterator[RunningStack]:
    """A stack of its own, so the board holds only this module's orders (and screenshots are stable)."""
    running = launch_stack()
    try:
        yield running
    finally:
        running.stop()


@dataclass
class Kitchen:
    stack: RunningStack
    cajero: RunningStack
    cocina: RunningStack
    admin: RunningStack
    platos: dict[str, dict[str, Any]]
    mesero: RunningStack

    def order(self, mesa: str | None, *lines: tuple[str, int, str | None, list[str]], cliente: str | None = None) -> Order:
        """A sale with kitchen items: (plato, cantidad, notas, [extras])."""
        body: dict[str, Any] = {"nro_reg": 1, "concepto": mesa or cliente or "Mostrador"}
        if mesa:
            body["mesa"] = mesa
        if cliente:
            body["cliente"] = cliente
        created = self.cajero.post("/api/transacciones", body)
        assert created.status == 201, created
        tx = created.body["id"]
        uuids = []
        for plato, cantidad, notas, extras in lines:
            item_body: dict[str, Any] = {"plato_id": self.platos[plato]["id"], "cantidad": cantidad}
            if notas:
                item_body["notas"] = notas
            item = self.cajero.post(f"/api/transacciones/{tx}/items", item_body)
            assert item.status == 201, item
            for extra in extras:
                added = self.cajero.post(f"/api/transacciones/{tx}/items/{item.body['id']}/extras",
                                         {"descripcion": extra, "precio": 2, "cantidad": 1})
                assert added.status == 201, added
            uuids.append(item.body["uuid"])
        return Order(tx, uuids)

    def coursed(self, mesa: str, *lines: tuple[str, int]) -> Order:
        """A table's sale whose items (plato, curso) keep their course: above 1, held until fired."""
        created = self.cajero.post("/api/transacciones", {"nro_reg": 1, "concepto": mesa, "mesa": mesa})
        assert created.status == 201, created
        tx = created.body["id"]
        uuids = []
        for plato, curso in lines:
            body = {"plato_id": self.platos[plato]["id"], "cantidad": 1, "curso": curso}
            item = self.cajero.post(f"/api/transacciones/{tx}/items", body)
            assert item.status == 201, item
            uuids.append(item.body["uuid"])
        return Order(tx, uuids)

    def server_order(self, tx: int) -> dict[str, Any] | None:
        return next((o for o in self.cocina.get("/orders").body["data"] if o["id"] == tx), None)

    def move(self, item: str, status: str) -> None:
        reply = self.cocina.call("PATCH", f"/items/{item}/status", {"status": status})
        assert reply.status == 200, reply


@dataclass
class Order:
    tx: int
    items: list[str]


@pytest.fixture(scope="module")
def kitchen(display_stack: RunningStack) -> Kitchen:
    s = display_stack
    cajero = s.as_(s.login("cajero1", "Cajero123!"))
    platos = {p["nombre"]: p for p in cajero.get("/api/platos").body}
    return Kitchen(s, cajero, s.as_(s.login("cocina1", "Cocina123!")), s.as_(s.login("admin", "Admin123!")), platos,
                   s.as_(s.login("mesero1", "Mesero123!")))


@dataclass
class Tablet:
    page: Page
    stack: RunningStack
    errors: list[str] = field(default_factory=list)

    def open(self, **settings: Any) -> Tablet:
        query = f"?{urllib.parse.urlencode(settings)}" if settings else ""
        self.page.goto(f"{self.stack.base_url}/display/{query}")
        return self

    def sign_in(self, user: str = "cocina1", password: str = "Cocina123!", *, live: bool = True) -> Tablet:
        self.page.get_by_label("Usuario").fill(user)
        self.page.get_by_label("Contraseña").fill(password)
        self.page.get_by_role("button", name="Entrar").click()
        if live:
            expect(self.page.locator("#board")).to_be_visible()
            self.wait_live()
        return self

    def wait_live(self, timeout: float = 10_000) -> None:
        expect(self.page.locator("body")).to_have_attribute("data-live", "yes", timeout=timeout)

    def card(self, tx: int) -> Locator:
        return self.page.locator(f'.card[data-order-id="{tx}"]')

    def item(self, uuid: str) -> Locator:
        return self.page.locator(f'button.item[data-item-id="{uuid}"]')

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def tablets(browser: Browser, display_stack: RunningStack) -> Iterator[Callable[..., Tablet]]:
    """Each call is another tablet: its own browser context (own storage), 1280×800."""
    contexts = []

    def make(**context_args: Any) -> Tablet:
        context = browser.new_context(viewport={"width": 1280, "height": 800}, **context_args)
        contexts.append(context)
        tablet = Tablet(context.new_page(), display_stack)
        tablet.page.on("pageerror", lambda exc: tablet.errors.append(str(exc)))
        return tablet

    yield make
    for context in contexts:
        context.close()


def switched(tablet: Tablet) -> SocketSwitch:
    switch = SocketSwitch()
    tablet.page.route_web_socket(re.compile(r"/kds\?"), switch.handler)
    return switch


def test_the_stack_banner_prints_the_display_url_and_the_stack_serves_it(display_stack: RunningStack) -> None:
    url = display_stack.banner_value("Kitchen display").split()[0]
    assert url == f"http://localhost:{display_stack.port}/display/"
    page = display_stack.get("/display/")
    assert page.status == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert display_stack.get("/display/app.js").headers["Content-Type"] == "text/javascript; charset=utf-8"


# --- sign-in ---------------------------------------------------------------------------------------


def test_cocina1_signs_in_and_a_wrong_password_shows_an_error_and_no_board(tablets: Callable[..., Tablet]) -> None:
    tablet = tablets().open()
    page = tablet.page
    tablet.sign_in("cocina1", "equivocada", live=False)
    expect(page.get_by_role("alert").filter(has_text="Usuario o contraseña incorrectos")).to_be_visible()
    expect(page.locator("#board")).to_have_count(0)
    tablet.shot("signin-wrong-password")

    tablet.sign_in()
    expect(page.get_by_role("heading", name="Comanda · Cocina")).to_be_visible()
    page.get_by_role("button", name="Salir").click()
    expect(page.get_by_role("button", name="Entrar")).to_be_visible()
    expect(page.locator("#board")).to_have_count(0)
    assert tablet.errors == []


def test_a_refused_token_returns_to_sign_in_with_a_message(tablets: Callable[..., Tablet], kitchen: Kitchen) -> None:
    tablet = tablets().open()
    header, payload, _ = kitchen.cocina.token.split(".")  # type: ignore[union-attr]
    tablet.page.evaluate("t => sessionStorage.setItem('kds.token', t)", f"{header}.{payload}.forged-signature")
    tablet.page.reload()
    expect(tablet.page.get_by_role("alert")).to_have_text("La sesión expiró. Vuelva a entrar.")
    expect(tablet.page.locator("#board")).to_have_count(0)


def test_the_display_speaks_english_when_asked_and_remembers_it(tablets: Callable[..., Tablet]) -> None:
    tablet = tablets().open()
    tablet.sign_in()
    tablet.page.get_by_role("button", name="English").click()
    expect(tablet.page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(tablet.page.locator("html")).to_have_attribute("lang", "en")
    tablet.page.reload()
    expect(tablet.page.get_by_role("button", name="Tap to enable sound")).to_be_visible()


# --- live board --------------------------------------------------------------------------------------


def test_the_header_counts_one_pedido_and_several_pedidos_in_both_languages(tablets: Callable[..., Tablet]) -> None:
    tablet = tablets().open()
    counts = tablet.page.evaluate(
        """async () => {
            const { translator } = await import(new URL('strings.js', location.href));
            return ['es', 'en'].flatMap(lang => [0, 1, 2].map(count => translator(lang)('ordersCount', { count })));
        }"""
    )
    assert counts == ["0 pedidos", "1 pedido", "2 pedidos", "0 orders", "1 order", "2 orders"]


def test_an_order_created_through_rest_appears_without_a_reload_with_items_notes_and_extras(
    tablets: Callable[..., Tablet], kitchen: Kitchen
) -> None:
    tablet = tablets().open()
    tablet.sign_in()
    tablet.page.get_by_role("button", name="Tocar para activar sonido").click()
    expect(tablet.page.get_by_role("button", name="Sonido activado")).to_be_visible()
    navigations: list[str] = []
    tablet.page.on("framenavigated", lambda frame: navigations.append(frame.url))

    order = kitchen.order("Mesa 7", ("Churrasco", 2, "sin cebolla", ["Huevo frito"]), ("Silpancho", 1, None, []))

    card = tablet.card(order.tx)
    expect(card).to_be_visible(timeout=5000)
    expect(card.locator("h2")).to_contain_text("Mesa 7")
    expect(card.locator("h2")).to_contain_text(f"Pedido #{order.tx}")
    expect(card.locator(".waiter")).to_have_text("Mesero: Cajero Uno")
    churrasco = tablet.item(order.items[0])
    expect(churrasco).to_contain_text("2×")
    expect(churrasco).to_contain_text("Churrasco")
    expect(churrasco.locator(".notes")).to_have_text("sin cebolla")
    expect(churrasco.locator(".extra")).to_have_text("+ 1 Huevo frito")
    expect(tablet.item(order.items[1])).to_contain_text("Silpancho")
    expect(churrasco).to_have_class(re.compile(r"\bstatus-pending\b"))
    assert navigations == []  # no reload
    expect(tablet.page.locator("body")).to_have_attribute("data-chimes", "1")  # the order:new chime played
    tablet.shot("board-new-order")


def test_a_home_delivery_order_shows_its_customer_and_address_on_the_card(tablets: Callable[..., Tablet], kitchen: Kitchen) -> None:
    tablet = tablets().open()
    tablet.sign_in()
    stack, suffix = kitchen.stack, str(int(time.time() * 1000))[-7:]
    registered = stack.post("/api/clientes/registro", {"nombre": "Rosa Domicilio", "nombre_usuario": f"rosa{suffix}",
                                                       "email": f"rosa{suffix}@kds.example.com", "contrasena": "Cliente123!",
                                                       "telefono": "+591 7000001"})
    assert registered.status == 201, registered
    token = stack.post("/api/login/", {"username": f"rosa{suffix}", "password": "Cliente123!"}).body["access"]
    placed = stack.as_(token).post("/api/pedidos/", {
        "sucursal_id": "centro", "items": [{"plato_id": kitchen.platos["Silpancho"]["id"], "cantidad": 1}], "metodo_pago": "efectivo",
        "direccion": {"calle": "Calle Sucre 12", "barrio": "Sopocachi", "referencia": "portón verde"},
    })
    assert placed.status == 201, placed

    card = tablet.card(placed.body["pedido_id"])
    expect(card).to_be_visible(timeout=5000)
    expect(card.locator("h2")).to_contain_text("Domicilio: Rosa Domicilio")
    expect(card.locator(".delivery-address")).to_have_text("Calle Sucre 12, Sopocachi · portón verde")
    expect(card.locator(".waiter")).to_have_count(0)  # the customer is not a waiter
    tablet.shot("board-home-delivery")
    assert kitchen.cocina.post(f"/orders/{placed.body['pedido_id']}/bump").status == 200  # leave the board as it was


def test_tapping_an_item_moves_it_rest_confirms_and_a_second_tablet_shows_it(
    tablets: Callable[..., Tablet], kitchen: Kitchen
) -> None:
    first, second = tablets().open(), tablets().open()
    first.sign_in()
    second.sign_in()
    order = kitchen.order("Mesa 2", ("Silpancho", 1, None, []), ("Pique macho", 1, None, []))
    expect(first.card(order.tx)).to_be_visible(timeout=5000)
    expect(second.card(order.tx)).to_be_visible(timeout=5000)

    first.item(order.items[0]).click()
    expect(first.item(order.items[0])).to_have_class(re.compile(r"\bstatus-preparing\b"))
    server = kitchen.server_order(order.tx)
    assert server is not None and [i["status"] for i in server["items"]] == ["preparing", "pending"]
    expect(second.item(order.items[0])).to_have_class(re.compile(r"\bstatus-preparing\b"), timeout=1000)

    first.item(order.items[0]).click()
    expect(second.item(order.items[0])).to_have_class(re.compile(r"\bstatus-ready\b"), timeout=1000)
    assert [i["status"] for i in kitchen.server_order(order.tx)["items"]] == ["ready", "pending"]  # type: ignore[index]
    expect(first.item(order.items[0])).to_have_css("background-color", "rgb(123, 216, 143)")  # green
    expect(first.item(order.items[1])).to_have_css("background-color", "rgb(217, 220, 223)")  # grey
    first.item(order.items[1]).click()
    expect(first.item(order.items[1])).to_have_css("background-color", "rgb(255, 213, 79)")  # yellow
    second.shot("second-tablet-after-taps")


def test_bump_removes_the_card_on_both_tablets_and_recall_brings_it_back_with_previous_states(
    tablets: Callable[..., Tablet], kitchen: Kitchen
) -> None:
    first, second = tablets().open(), tablets().open()
    first.sign_in()
    second.sign_in()
    order = kitchen.order("Mesa 9", ("Churrasco", 1, None, []), ("Silpancho", 1, None, []))
    expect(second.card(order.tx)).to_be_visible(timeout=5000)
    first.item(order.items[0]).click()
    expect(second.item(order.items[0])).to_have_class(re.compile(r"\bstatus-preparing\b"), timeout=2000)

    first.card(order.tx).get_by_role("button", name=f"Despachar pedido {order.tx}").click()
    expect(first.card(order.tx)).to_have_count(0)
    expect(second.card(order.tx)).to_have_count(0, timeout=1000)
    assert [i["status"] for i in kitchen.server_order(order.tx)["items"]] == ["ready", "ready"]  # type: ignore[index]

    first.page.get_by_role("button", name=f"Recuperar #{order.tx}").click()
    for tablet in (first, second):
        expect(tablet.card(order.tx)).to_be_visible(timeout=1000)
        expect(tablet.item(order.items[0])).to_have_class(re.compile(r"\bstatus-preparing\b"))
        expect(tablet.item(order.items[1])).to_have_class(re.compile(r"\bstatus-pending\b"))
    first.shot("board-after-recall")


def test_the_station_picker_shows_only_that_stations_items_and_the_tablet_remembers_it(
    tablets: Callable[..., Tablet], kitchen: Kitchen
) -> None:
    tablet = tablets().open()
    tablet.sign_in()
    page = tablet.page
    page.get_by_label("Estación").select_option("parrilla")
    tablet.wait_live()
    order = kitchen.order("Mesa 5", ("Churrasco", 1, None, []), ("Silpancho", 2, None, []))
    expect(tablet.card(order.tx)).to_be_visible(timeout=5000)
    expect(tablet.card(order.tx).locator("button.item")).to_have_count(1)
    expect(tablet.item(order.items[0])).to_be_visible()
    expect(tablet.item(order.items[1])).to_have_count(0)
    stations = page.locator("button.item").evaluate_all("els => els.map(e => e.dataset.station)")
    assert set(stations) == {"parrilla"}
    tablet.shot("board-station-parrilla")

    page.reload()
    tablet.wait_live()
    expect(page.get_by_label("Estación")).to_have_value("parrilla")
    expect(tablet.card(order.tx).locator("button.item")).to_have_count(1)
    only_cocina = kitchen.order("Mesa 6", ("Silpancho", 1, None, []))
    page.get_by_label("Estación").select_option("")
    tablet.wait_live()
    expect(tablet.card(order.tx).locator("button.item")).to_have_count(2)
    expect(tablet.card(only_cocina.tx)).to_be_visible()


# --- pacing: courses, rush, sold out, today (issue 22) ---------------------------------------------------


def test_held_courses_show_dimmed_on_hold_and_a_waiter_firing_them_moves_the_items_onto_the_card_live(
    tablets: Callable[..., Tablet], kitchen: Kitchen
) -> None:
    """Given a table with a starter (course 1), a main (course 2) and a dessert (course 3), the kitchen
    sees the starter to cook and the others held; when the waiter fires course 2, the main comes on."""
    cook = tablets().open()
    cook.sign_in()
    waiter = tablets()
    waiter_switch = switched(waiter)
    waiter.open(poll=600)
    waiter.sign_in("mesero1", "Mesero123!")
    order = kitchen.coursed("Mesa 30", ("Silpancho", 1), ("Churrasco", 2), ("Pique macho", 3))
    starter, main, dessert = order.items

    card = cook.card(order.tx)
    expect(card).to_be_visible(timeout=5000)
    expect(card.locator("button.item")).to_have_count(1)
    expect(cook.item(starter)).to_have_class(re.compile(r"\bstatus-pending\b"))
    for course, uuid in ((2, main), (3, dessert)):
        section = card.locator(f'section.course.held[data-course="{course}"]')
        expect(section.locator("h3")).to_have_text(f"Curso {course} En espera")
        expect(section.locator(f'li[data-held-item-id="{uuid}"]')).to_be_visible()
    expect(card.locator(f'li[data-held-item-id="{main}"]')).to_have_css("background-color", "rgb(42, 47, 54)")  # dimmed
    expect(card.get_by_role("button", name=re.compile("Marchar"))).to_have_count(0)  # cocina may not fire
    held = kitchen.server_order(order.tx)
    assert held is None or held["held_items"] == []  # without include=held the queue keeps them apart
    server = kitchen.cocina.get("/orders?include=held").body["data"]
    server_order = next(o for o in server if o["id"] == order.tx)
    assert [i["id"] for i in server_order["held_items"]] == [main, dessert]
    assert card.get_attribute("data-started-at") == server_order["items"][0]["fired_at"]  # the timer counts from the firing
    cook.shot("board-held-courses")

    waiter_card = waiter.card(order.tx)
    expect(waiter_card.get_by_role("button", name=f"Marchar curso 3 del pedido {order.tx}")).to_be_visible(timeout=5000)
    waiter_card.get_by_role("button", name=f"Marchar curso 2 del pedido {order.tx}").click()

    expect(cook.item(main)).to_be_visible(timeout=2000)  # live, on the kitchen's tablet
    expect(cook.item(main)).to_have_class(re.compile(r"\bstatus-pending\b"))
    expect(card.locator('section.course.held[data-course="2"]')).to_have_count(0)
    expect(card.locator(f'section.course.held[data-course="3"] li[data-held-item-id="{dessert}"]')).to_be_visible()
    fired = next(i for i in kitchen.server_order(order.tx)["items"] if i["id"] == main)  # type: ignore[index]
    assert fired["held"] is False and fired["fired_at"] and fired["course"] == 2
    cook.item(main).click()  # fired: the kitchen may start it now
    expect(cook.item(main)).to_have_class(re.compile(r"\bstatus-preparing\b"))
    cook.shot("board-course-fired")

    # The waiter's tablet misses the next firing (socket cut): its button is stale, and the API says why.
    expect(waiter_card.locator('section.course.held[data-course="2"]')).to_have_count(0, timeout=2000)
    waiter_switch.cut()
    assert kitchen.mesero.post(f"/api/transacciones/{order.tx}/cursos/3/marchar").status == 200
    waiter_card.get_by_role("button", name=f"Marchar curso 3 del pedido {order.tx}").click()
    expect(waiter.page.locator("#toast")).to_contain_text("No se pudo: El curso 3 ya fue marchado")
    expect(waiter_card.locator("section.course.held")).to_have_count(0)  # re-read: as the server says
    expect(cook.item(dessert)).to_be_visible(timeout=2000)
    assert cook.errors == [] and waiter.errors == []


def test_a_table_whose_every_item_is_held_shows_no_timer_until_fired_and_then_counts_from_the_firing(
    tablets: Callable[..., Tablet], kitchen: Kitchen
) -> None:
    tablet = tablets().open()
    tablet.sign_in()
    order = kitchen.coursed("Mesa 31", ("Churrasco", 2))
    card = tablet.card(order.tx)
    expect(card.locator('section.course.held[data-course="2"]')).to_be_visible(timeout=5000)
    expect(card.locator("button.item")).to_have_count(0)
    expect(card.get_by_role("button", name=re.compile("Despachar"))).to_have_count(0)  # nothing fired, nothing to bump
    time.sleep(3.2)
    expect(card.locator(".timer")).to_have_text("")
    assert kitchen.mesero.post(f"/api/transacciones/{order.tx}/cursos/2/marchar").status == 200
    expect(tablet.item(order.items[0])).to_be_visible(timeout=2000)
    expect(card.locator(".timer")).to_have_text(re.compile(r"^0:0[0-2]$"))  # from the firing, not the 3 s before


def test_a_rush_order_sorts_first_with_its_marker_the_kitchen_toggles_it_and_every_tablet_follows(
    tablets: Callable[..., Tablet], kitchen: Kitchen
) -> None:
    first, second = tablets().open(), tablets().open()
    first.sign_in()
    second.sign_in()
    older = kitchen.order("Mesa 32", ("Silpancho", 1, None, []))
    newer = kitchen.order("Mesa 33", ("Pique macho", 1, None, []))
    expect(first.card(newer.tx)).to_be_visible(timeout=5000)
    try:
        toggle = first.card(newer.tx).get_by_role("button", name=f"Pedido {newer.tx} urgente")
        expect(toggle).to_have_attribute("aria-pressed", "false")
        toggle.click()  # cocina may rush
        for tablet in (first, second):
            head = tablet.page.locator(".card").first
            expect(head).to_have_attribute("data-order-id", str(newer.tx), timeout=2000)
            expect(head.locator(".rush-marker")).to_have_text("Urgente")
            expect(head).to_have_css("border-top-color", "rgb(255, 112, 67)")
        expect(toggle).to_have_attribute("aria-pressed", "true")
        expect(first.card(older.tx).locator(".rush-marker")).to_have_count(0)
        queue = kitchen.cocina.get("/orders").body["data"]
        assert queue[0]["id"] == newer.tx and queue[0]["rush"] is True
        first.shot("board-rush-first")

        # A waiter rushes the older one through the API: two rush orders, oldest first, then the rest.
        assert kitchen.mesero.post(f"/api/transacciones/{older.tx}/prioridad", {"rush": True}).status == 200
        expect(second.page.locator(".card").nth(0)).to_have_attribute("data-order-id", str(older.tx), timeout=2000)
        expect(second.page.locator(".card").nth(1)).to_have_attribute("data-order-id", str(newer.tx))
        expect(second.page.locator(".card.rush")).to_have_count(2)
    finally:
        for tx in (older.tx, newer.tx):
            assert kitchen.cocina.post(f"/api/transacciones/{tx}/prioridad", {"rush": False}).status == 200
    expect(first.page.locator(".card.rush")).to_have_count(0, timeout=2000)
    expect(toggle).to_have_attribute("aria-pressed", "false")


def test_the_menu_panel_marks_a_dish_sold_out_the_api_then_refuses_it_and_un_marking_brings_it_back(
    tablets: Callable[..., Tablet], kitchen: Kitchen
) -> None:
    cook, other = tablets().open(), tablets().open()
    cook.sign_in()
    other.sign_in()
    plato = kitchen.platos["Pique macho"]
    sale = kitchen.order("Mesa 34", ("Silpancho", 1, None, []))
    add = lambda: kitchen.cajero.post(f"/api/transacciones/{sale.tx}/items", {"plato_id": plato["id"], "cantidad": 1})  # noqa: E731
    agotado = lambda: next(p["agotado"] for p in kitchen.cocina.get("/api/platos").body if p["id"] == plato["id"])  # noqa: E731
    try:
        for tablet in (cook, other):
            tablet.page.get_by_role("button", name="Menú").click()
            expect(tablet.page.get_by_role("heading", name="Menú: platos agotados")).to_be_visible()
        toggle = cook.page.get_by_role("button", name="Pique macho agotado")
        expect(toggle).to_have_attribute("aria-pressed", "false")
        toggle.click()
        expect(toggle).to_have_attribute("aria-pressed", "true")
        assert agotado() is True
        refused = add()
        assert refused.status == 409 and refused.body["message"] == "Plato agotado: Pique macho", refused
        # The other tablet hears it (menu:updated) without a reload: its toggle and the header's count.
        expect(other.page.get_by_role("button", name="Pique macho agotado")).to_have_attribute("aria-pressed", "true", timeout=2000)
        expect(other.page.locator("#menu-open")).to_have_text("Menú · 1 agotado")
        cook.shot("menu-sold-out")

        # Un-marked elsewhere (the admin, through the API): both panels follow.
        assert kitchen.admin.call("PATCH", f"/api/platos/{plato['id']}", {"agotado": False}).status == 200
        for tablet in (cook, other):
            mark = tablet.page.get_by_role("button", name="Pique macho agotado")
            expect(mark).to_have_attribute("aria-pressed", "false", timeout=2000)
            expect(tablet.page.locator("#menu-open")).to_have_text("Menú")
        assert add().status == 201
        toggle.click()  # and back and forth from the tablet
        expect(other.page.get_by_role("button", name="Pique macho agotado")).to_have_attribute("aria-pressed", "true", timeout=2000)
        toggle.click()
        expect(other.page.get_by_role("button", name="Pique macho agotado")).to_have_attribute("aria-pressed", "false", timeout=2000)
        assert agotado() is False
        cook.page.keyboard.press("Escape")
        expect(cook.page.locator("#menu-panel")).to_have_count(0)
    finally:
        kitchen.admin.call("PATCH", f"/api/platos/{plato['id']}", {"agotado": False})


def test_a_waiter_sees_the_sold_out_dishes_but_no_toggle_and_no_today_strip(tablets: Callable[..., Tablet], kitchen: Kitchen) -> None:
    plato = kitchen.platos["Churrasco"]
    try:
        assert kitchen.cocina.call("PATCH", f"/api/platos/{plato['id']}", {"agotado": True}).status == 200
        tablet = tablets().open()
        tablet.sign_in("mesero1", "Mesero123!")
        tablet.page.get_by_role("button", name="Menú · 1 agotado").click()
        row = tablet.page.locator(f'#menu-panel [data-plato-id="{plato["id"]}"]')
        expect(row.locator(".sold-out-badge")).to_have_text("Agotado")
        expect(tablet.page.locator("#menu-panel button.sold-out-toggle")).to_have_count(0)
        expect(tablet.page.locator("#today")).to_have_count(0)  # the speed report is for admin and cocina
    finally:
        assert kitchen.cocina.call("PATCH", f"/api/platos/{plato['id']}", {"agotado": False}).status == 200


def _clock(seconds: int | None) -> str:
    return "–" if seconds is None else f"{seconds // 60}:{seconds % 60:02d}"


def test_the_today_strip_shows_tickets_median_and_late_per_station_and_changes_when_items_become_ready(
    tablets: Callable[..., Tablet], kitchen: Kitchen
) -> None:
    tablet = tablets().open(today=2)
    reads: list[float] = []
    tablet.page.on("request", lambda r: reads.append(time.monotonic()) if "/api/reportes/cocina" in r.url else None)
    tablet.sign_in()
    strip = tablet.page.locator("#today")
    expect(strip).to_have_attribute("data-loaded", "yes", timeout=5000)
    time.sleep(2.5)  # let the sign-in's reads settle
    report = kitchen.cocina.get("/api/reportes/cocina").body
    before = sum(d["tickets"] for d in report["dias"])
    expect(strip).to_have_attribute("data-tickets", str(before))

    order = kitchen.order("Mesa 35", ("Silpancho", 1, None, []), ("Pique macho", 1, None, []))
    expect(tablet.card(order.tx)).to_be_visible(timeout=5000)
    burst = time.monotonic()
    for uuid in order.items:
        kitchen.move(uuid, "preparing")
        kitchen.move(uuid, "ready")
    expect(strip).to_have_attribute("data-tickets", str(before + 1), timeout=8000)  # one ticket: both at the cocina station

    report = kitchen.cocina.get("/api/reportes/cocina").body
    assert sum(d["tickets"] for d in report["dias"]) == before + 1
    for day in report["dias"]:
        group = strip.locator(f'.today-station[data-station="{day["estacion"]}"]')
        expect(group).to_have_text(f'{day["estacion"]} {day["tickets"]} ticket{"" if day["tickets"] == 1 else "s"} · '
                                   f'mediana {_clock(day["tickets_p50_segundos"])} · {day["tickets_tarde"]} tarde')
    assert int(strip.get_attribute("data-late") or -1) == sum(d["tickets_tarde"] for d in report["dias"])
    during = [t for t in reads if t >= burst]
    span = max(during) - min(during) if during else 0
    assert 1 <= len(during) <= span / 2 + 2, (len(during), span)  # re-read, at most once per 2 s
    tablet.shot("board-today-strip")


# --- offline ------------------------------------------------------------------------------------------


def test_with_the_socket_cut_the_banner_shows_polling_keeps_the_board_fresh_and_reconnecting_resyncs(
    tablets: Callable[..., Tablet], kitchen: Kitchen
) -> None:
    polling = tablets().open()  # polls every second while down
    switch = switched(polling)
    polling.open(poll=1, backoff=300, backoffMax=2000)
    polling.sign_in()
    resyncing = tablets()  # polls rarely: only the reconnect can bring it up to date
    resync_switch = switched(resyncing)
    resyncing.open(poll=600, backoff=300, backoffMax=2000)
    resyncing.sign_in()
    before = kitchen.order("Mesa 11", ("Silpancho", 1, None, []))
    expect(resyncing.card(before.tx)).to_be_visible(timeout=5000)

    switch.cut()
    resync_switch.cut()
    for tablet in (polling, resyncing):
        expect(tablet.page.locator("#offline")).to_be_visible(timeout=3000)
        expect(tablet.page.locator("#offline")).to_contain_text("Sin conexión")

    during = kitchen.order("Mesa 12", ("Pique macho", 1, "bien cocido", []))
    kitchen.move(before.items[0], "preparing")
    expect(polling.card(during.tx)).to_be_visible(timeout=4000)
    expect(polling.item(before.items[0])).to_have_class(re.compile(r"\bstatus-preparing\b"))
    expect(polling.page.locator("#offline")).to_be_visible()
    polling.shot("board-offline-polling")
    time.sleep(2)  # long enough for several reconnect attempts and (had it been polling) a poll
    assert resyncing.card(during.tx).count() == 0
    assert "status-pending" in (resyncing.item(before.items[0]).get_attribute("class") or "")
    attempts = resyncing.page.evaluate("window.__kds.feed.attempt")
    delay = resyncing.page.evaluate("window.__kds.feed.nextDelay")
    assert attempts >= 2 and resync_switch.refused >= 2
    assert 0 < delay <= 2000

    switch.restore()
    resync_switch.restore()
    for tablet in (polling, resyncing):
        tablet.wait_live(timeout=5000)
        expect(tablet.page.locator("#offline")).to_be_hidden()
    expect(resyncing.card(during.tx)).to_be_visible(timeout=2000)
    expect(resyncing.item(before.items[0])).to_have_class(re.compile(r"\bstatus-preparing\b"))
    # Live again: events flow without polling.
    after = kitchen.order("Mesa 13", ("Silpancho", 1, None, []))
    expect(resyncing.card(after.tx)).to_be_visible(timeout=2000)


def test_reconnect_delays_grow_exponentially_with_jitter_up_to_the_cap(tablets: Callable[..., Tablet]) -> None:
    tablet = tablets().open()
    delays = tablet.page.evaluate("""async () => {
        const { backoffDelay } = await import('./live.js');
        const at = (r) => [0, 1, 2, 3, 4, 5, 8].map((n) => backoffDelay(n, 1000, 30000, () => r));
        return { low: at(0), high: at(0.999999), random: Array.from({ length: 50 }, () => backoffDelay(3, 1000, 30000)) };
    }""")
    assert [round(d) for d in delays["low"]] == [500, 1000, 2000, 4000, 8000, 15000, 15000]
    assert [round(d) for d in delays["high"]] == [1000, 2000, 4000, 8000, 16000, 30000, 30000]
    assert all(4000 <= d <= 8000 for d in delays["random"]) and len(set(delays["random"])) > 40


def test_a_failed_action_shows_why_and_leaves_the_card_as_the_server_says(
    tablets: Callable[..., Tablet], kitchen: Kitchen
) -> None:
    tablet = tablets()
    switch = switched(tablet)
    tablet.open(poll=600, backoff=5000, backoffMax=5000)
    tablet.sign_in()
    order = kitchen.order("Mesa 14", ("Silpancho", 1, None, []))
    expect(tablet.card(order.tx)).to_be_visible(timeout=5000)
    switch.cut()  # the tablet will not hear about the void
    assert kitchen.admin.call("DELETE", f"/api/transacciones/{order.tx}").status == 200

    tablet.item(order.items[0]).click()
    toast = tablet.page.locator("#toast")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("No se pudo:")
    expect(toast).to_contain_text("anulad")  # the server's own reason
    expect(tablet.card(order.tx)).to_have_count(0)  # as the server says: a void sale is off the board
    tablet.shot("board-failed-action")


# --- time ----------------------------------------------------------------------------------------------


def test_a_card_older_than_late_has_the_alarm_colour_and_its_timer_advances(
    tablets: Callable[..., Tablet], kitchen: Kitchen
) -> None:
    tablet = tablets().open(warn=0.02, late=0.05)  # 1.2 s and 3 s
    tablet.sign_in()
    order = kitchen.order("Mesa 15", ("Churrasco", 1, None, []))
    card = tablet.card(order.tx)
    expect(card).to_have_class(re.compile(r"\bage-(ok|warn)\b"), timeout=5000)
    expect(card).to_have_class(re.compile(r"\bage-late\b"), timeout=6000)
    expect(card.locator(".card-head")).to_have_css("background-color", ALARM_RGB)
    first = card.locator(".timer").inner_text()
    time.sleep(2.2)
    second = card.locator(".timer").inner_text()

    def seconds(text: str) -> int:
        return sum(int(part) * 60**i for i, part in enumerate(reversed(text.split(":"))))

    assert seconds(second) - seconds(first) in (2, 3), (first, second)
    tablet.shot("board-late-card")


def test_timers_count_from_the_servers_clock_when_the_tablets_clock_is_wrong(
    tablets: Callable[..., Tablet], kitchen: Kitchen
) -> None:
    order = kitchen.order("Mesa 16", ("Silpancho", 1, None, []))
    for skew_hours in (3, -3):
        tablet = tablets()
        tablet.page.clock.install(time=datetime.now() + timedelta(hours=skew_hours))
        tablet.open()  # default settings: warn 10 min, late 20 min
        tablet.sign_in()
        card = tablet.card(order.tx)
        expect(card).to_be_visible()
        text = card.locator(".timer").inner_text()
        assert re.fullmatch(r"0:[0-5]\d", text), text  # seconds, not hours
        expect(card).to_have_class(re.compile(r"\bage-ok\b"))


# --- screen, touch, accessibility -------------------------------------------------------------------------


def test_the_board_fills_a_1280x800_screen_in_columns_with_48px_touch_targets_and_is_saved_as_a_screenshot(
    tablets: Callable[..., Tablet], kitchen: Kitchen
) -> None:
    tablet = tablets().open(warn=0.5, late=0.75)  # 30 s / 45 s: the module's earlier orders show both age colours
    tablet.sign_in()
    for table in ("Mesa 18", "Mesa 19"):  # enough cards of its own for four columns, whatever ran before
        kitchen.order(table, ("Silpancho", 1, None, []))
    kitchen.order(None, ("Churrasco", 1, "término medio", ["Huevo"]), cliente="Ana (delivery)")
    latest = kitchen.order("Mesa 20", ("Pique macho", 2, None, ["Llajua extra"]), ("Silpancho", 1, "sin huevo", []))
    expect(tablet.card(latest.tx)).to_be_visible(timeout=5000)
    page = tablet.page
    tablet.item(latest.items[0]).click()
    expect(tablet.item(latest.items[0])).to_have_class(re.compile(r"\bstatus-preparing\b"))

    # measured in one script run, so a re-render (a live frame) cannot detach what is being measured
    boxes = page.evaluate("""() => [...document.querySelectorAll('button, select')]
        .filter(e => e.checkVisibility())
        .map(e => { const r = e.getBoundingClientRect(); return [e.className || e.id, r.width, r.height]; })""")
    small = [b for b in boxes if b[1] < 48 or b[2] < 48]
    assert boxes and not small, small
    lefts = sorted({round(x) for x in page.locator(".card").evaluate_all("els => els.map(e => e.getBoundingClientRect().left)")})
    assert len(lefts) == 4, lefts  # four columns
    created = page.locator(".card").evaluate_all("els => els.map(e => Date.parse(e.dataset.createdAt))")
    assert created == sorted(created)  # oldest first
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280

    page.locator("#board").evaluate("el => el.scrollTo(0, 0)")  # the tap scrolled the newest card into view
    path = tablet.shot("board-1280x800")
    assert png_size(path) == (1280, 800)


def test_axe_finds_no_serious_accessibility_violations_on_sign_in_and_board(
    tablets: Callable[..., Tablet], kitchen: Kitchen, axe_source: str
) -> None:
    tablet = tablets().open()
    page = tablet.page
    assert serious_violations(page, axe_source) == []
    tablet.sign_in("cocina1", "equivocada", live=False)
    expect(page.get_by_role("alert")).not_to_be_empty()
    assert serious_violations(page, axe_source) == []
    tablet.sign_in()
    order = kitchen.order("Mesa 21", ("Churrasco", 1, "sin sal", ["Huevo"]), ("Silpancho", 1, None, []))
    expect(tablet.card(order.tx)).to_be_visible(timeout=5000)
    tablet.item(order.items[0]).click()
    expect(tablet.item(order.items[0])).to_have_class(re.compile(r"\bstatus-preparing\b"))
    tablet.item(order.items[0]).click()
    expect(tablet.item(order.items[0])).to_have_class(re.compile(r"\bstatus-ready\b"))
    assert serious_violations(page, axe_source) == []
    # the pacing parts: a held course with its fire button (an admin may fire), a rush card, the menu panel, the today strip
    page.get_by_role("button", name="Salir").click()
    tablet.sign_in("admin", "Admin123!")
    coursed = kitchen.coursed("Mesa 22", ("Silpancho", 1), ("Churrasco", 2))
    expect(tablet.card(coursed.tx).get_by_role("button", name=f"Marchar curso 2 del pedido {coursed.tx}")).to_be_visible(timeout=5000)
    tablet.card(coursed.tx).get_by_role("button", name=f"Pedido {coursed.tx} urgente").click()
    expect(tablet.card(coursed.tx).locator(".rush-marker")).to_be_visible()
    expect(page.locator(".card").first).to_have_attribute("data-order-id", str(coursed.tx))
    expect(page.locator("#today")).to_have_attribute("data-loaded", "yes")
    page.locator("#board").evaluate("el => el.scrollTo(0, 0)")
    tablet.shot("board-pacing")  # docs/img/kds-pacing.png
    page.get_by_role("button", name="Menú").click()
    expect(page.locator("#menu-panel")).to_be_visible()
    expect(page.locator("#today")).to_have_attribute("data-loaded", "yes")
    try:
        assert serious_violations(page, axe_source) == []
    finally:
        assert kitchen.admin.post(f"/api/transacciones/{coursed.tx}/prioridad", {"rush": False}).status == 200
