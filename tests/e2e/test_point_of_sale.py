"""The point of sale (`/pos/`) in Debian's Chromium against the real local stack: one test per
acceptance bullet of issue 23, in the order a shift runs (open the caja, sell, pay, close).
Screenshots go to tests/e2e/artifacts/ (pos-*.png)."""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from devstack.seed import DEMO_MESAS
from tests.e2e.browser import SocketSwitch, png_size, screenshot, serious_violations
from tests.e2e.harness import RunningStack, launch_stack
from tests.e2e.live import close_open_caja


@pytest.fixture(scope="module")
def pos_stack() -> Iterator[RunningStack]:
    """A stack of its own: the floor holds only this module's sales, and the caja starts closed."""
    running = launch_stack()
    try:
        close_open_caja(running.as_(running.login("cajero1", "Cajero123!")))
        yield running
    finally:
        running.stop()


@dataclass
class Staff:
    stack: RunningStack
    admin: RunningStack
    cajero: RunningStack
    mesero: RunningStack
    cocina: RunningStack
    platos: dict[str, dict[str, Any]]

    def sale(self, tx: int) -> dict[str, Any]:
        reply = self.cajero.get(f"/api/transacciones/{tx}")
        assert reply.status == 200, reply
        return reply.body  # type: ignore[no-any-return]

    def open_table(self, mesa: str, *dishes: str) -> dict[str, Any]:
        created = self.mesero.post("/api/transacciones", {"nro_reg": 1, "concepto": f"Mesa {mesa}", "mesa": mesa})
        assert created.status == 201, created
        for dish in dishes:
            assert self.mesero.post(f"/api/transacciones/{created.body['id']}/items",
                                    {"plato_id": self.platos[dish]["id"], "cantidad": 1}).status == 201
        return self.sale(created.body["id"])

    def kitchen(self, uuid: str, status: str) -> None:
        assert self.cocina.call("PATCH", f"/items/{uuid}/status", {"status": status}).status == 200


@pytest.fixture(scope="module")
def staff(pos_stack: RunningStack) -> Staff:
    s = pos_stack
    cajero = s.as_(s.login("cajero1", "Cajero123!"))
    platos = {p["nombre"]: p for p in cajero.get("/api/platos").body}
    return Staff(s, s.as_(s.login("admin", "Admin123!")), cajero, s.as_(s.login("mesero1", "Mesero123!")),
                 s.as_(s.login("cocina1", "Cocina123!")), platos)


@dataclass
class Tablet:
    page: Page
    stack: RunningStack
    errors: list[str] = field(default_factory=list)

    def open(self, path: str = "/pos/", **settings: Any) -> Tablet:
        query = f"?{urllib.parse.urlencode(settings)}" if settings else ""
        self.page.goto(f"{self.stack.base_url}{path}{query}")
        return self

    def sign_in(self, user: str, password: str, *, live: bool = True) -> Tablet:
        self.page.get_by_label("Usuario").fill(user)
        self.page.get_by_label("Contraseña").fill(password)
        self.page.get_by_role("button", name="Entrar").click()
        if live:
            expect(self.page.locator("body")).to_have_attribute("data-live", "yes", timeout=10_000)
        return self

    def table(self, mesa: str) -> Locator:
        return self.page.locator(f'.table[data-mesa="{mesa}"]')

    def line(self, item_id: int) -> Locator:
        return self.page.locator(f'#ticket .line[data-item-id="{item_id}"]')

    def shot(self, name: str) -> Any:
        return screenshot(self.page, f"pos-{name}")


@pytest.fixture
def tablets(browser: Browser, pos_stack: RunningStack) -> Iterator[Callable[..., Tablet]]:
    contexts = []

    def make(width: int = 1280, height: int = 800, timezone: str | None = None) -> Tablet:
        context = browser.new_context(viewport={"width": width, "height": height}, timezone_id=timezone)
        contexts.append(context)
        tablet = Tablet(context.new_page(), pos_stack)
        tablet.page.on("pageerror", lambda exc: tablet.errors.append(str(exc)))
        return tablet

    yield make
    for context in contexts:
        context.close()


def add_dish(tablet: Tablet, dish: str, *, qty: int = 1, notes: str = "", extras: tuple[str, ...] = (), price: str = "0") -> None:
    page = tablet.page
    page.locator(".dish", has_text=dish).click()
    for _ in range(qty - 1):
        page.get_by_role("button", name="Uno más").click()
    if notes:
        page.get_by_label("Notas").fill(notes)
    for extra in extras:
        page.locator("#dish-panel .extra-toggle", has_text=extra).click()
    page.get_by_label("Precio de cada extra").fill(price)
    page.get_by_role("button", name="Agregar a la ronda").click()


# --- sign-in and caja --------------------------------------------------------------------------------


def test_a_cashier_signs_in_is_asked_to_open_the_caja_counts_the_drawer_and_opens_it_and_a_wrong_password_shows_an_error(
    tablets: Callable[..., Tablet], staff: Staff
) -> None:
    assert staff.cajero.get("/api/caja/actual").body is None
    tablet = tablets().open()
    page = tablet.page
    tablet.sign_in("cajero1", "equivocada", live=False)
    expect(page.get_by_role("alert").filter(has_text="Usuario o contraseña incorrectos")).to_be_visible()
    expect(page.locator("#floor")).to_have_count(0)
    tablet.shot("signin-wrong-password")

    tablet.sign_in("cajero1", "Cajero123!", live=False)
    expect(page.get_by_role("heading", name="Abrir caja")).to_be_visible()
    page.get_by_label("Cantidad de Bs 100", exact=True).fill("3")
    page.get_by_label("Cantidad de Bs 20", exact=True).fill("2")
    page.get_by_label("Cantidad de Bs 0.50", exact=True).fill("4")
    expect(page.locator("#open-total")).to_have_text("Total contado: Bs 342.00")
    tablet.shot("caja-open")
    page.get_by_role("button", name="Abrir caja").click()
    expect(page.locator("#floor")).to_be_visible()
    caja = staff.cajero.get("/api/caja/actual").body
    assert caja["monto_inicial"] == "342.00" and caja["b100"] == 3 and caja["m050"] == 4
    expect(page.get_by_role("button", name="Caja")).to_be_visible()  # a cashier's screen has the caja
    assert tablet.errors == []


def test_a_waiter_sees_no_caja_and_no_charge_button_and_a_throttled_login_shows_its_wait(
    tablets: Callable[..., Tablet], staff: Staff
) -> None:
    tablet = tablets().open()
    page = tablet.page
    for _ in range(5):
        assert staff.stack.post("/api/auth/login", {"nombre_usuario": "nadie", "contrasena": "x"}).status == 401
    tablet.sign_in("nadie", "x", live=False)
    expect(page.get_by_role("alert")).to_have_text(re.compile(r"Demasiados intentos\. Espere \d+ s"))
    tablet.shot("signin-throttled")

    tablet.sign_in("mesero1", "Mesero123!")
    expect(page.locator("#who")).to_have_text("Mesero Uno · Mesero")
    expect(page.get_by_role("button", name="Caja")).to_have_count(0)
    sale = staff.open_table("31", "Silpancho")
    tablet.table("31").click()
    expect(tablet.line(sale["items"][0]["id"])).to_be_visible()
    expect(page.locator("#charge")).to_have_count(0)  # a waiter does not take payments


def test_an_expired_or_revoked_session_returns_to_sign_in_with_a_message(tablets: Callable[..., Tablet], staff: Staff) -> None:
    tablet = tablets().open()
    tablet.sign_in("mesero1", "Mesero123!")
    token = tablet.page.evaluate("sessionStorage.getItem('pos.token')")
    assert staff.stack.as_(token).post("/api/auth/logout", {}).status == 200  # revoked elsewhere
    # The tablet may notice on its own first (a poll or a resync gets the 401) and forget the token;
    # the reload must start from the revoked token, as a tablet switched back on would.
    tablet.page.add_init_script(f"sessionStorage.setItem('pos.token', {json.dumps(token)})")
    tablet.page.reload()
    expect(tablet.page.get_by_role("alert")).to_have_text("La sesión expiró. Vuelva a entrar.")
    expect(tablet.page.locator("#floor")).to_have_count(0)


# --- the floor and an order ----------------------------------------------------------------------------


def test_a_waiter_opens_table_5_sends_two_dishes_with_a_note_and_an_extra_the_kitchen_shows_the_card_and_ready_dishes_are_served(
    tablets: Callable[..., Tablet], staff: Staff
) -> None:
    waiter = tablets().open()
    waiter.sign_in("mesero1", "Mesero123!")
    kitchen = tablets().open("/display/")
    kitchen.sign_in("cocina1", "Cocina123!")
    page = waiter.page
    expect(waiter.table("5")).to_have_attribute("data-state", "free")
    waiter.table("5").click()
    expect(page.get_by_role("heading", name=re.compile(r"Mesa 5 · Pedido #\d+"))).to_be_visible()
    page.get_by_label("Buscar plato").fill("chu")
    expect(page.locator(".dish")).to_have_count(1)
    add_dish(waiter, "Churrasco", qty=2, notes="sin cebolla", extras=("Papa",), price="3.50")
    page.get_by_label("Buscar plato").fill("")
    add_dish(waiter, "Silpancho")
    waiter.shot("order-round")
    page.get_by_role("button", name="Enviar a cocina (2)").click()
    expect(page.locator("#ticket .line")).to_have_count(2)
    tx = int(page.locator("#ticket").evaluate("() => window.__pos.saleId"))
    sale = staff.sale(tx)
    churrasco, silpancho = sale["items"]
    assert (churrasco["nombre"], churrasco["cantidad"], churrasco["notas"]) == ("Churrasco", "2", "sin cebolla")
    papa = next(i for i in staff.cajero.get("/api/ingredientes").body if i["nombre"] == "Papa")
    assert [(e["ingrediente_id"], e["descripcion"], e["nombre"], e["precio"], e["cantidad"]) for e in churrasco["extras"]] == [
        (papa["id"], None, "Papa", "3.50", "1")], "sent by ingredient (its stock is consumed), named by the API"
    assert sale["mesa"] == "5" and silpancho["nombre"] == "Silpancho"

    card = kitchen.page.locator(f'.card[data-order-id="{tx}"]')
    expect(card).to_be_visible(timeout=5000)
    expect(card.locator(".notes")).to_have_text("sin cebolla")
    expect(card.locator(".extra")).to_have_text("+ 1 Papa")  # the display names an extra by ingredient
    expect(waiter.line(churrasco["id"]).locator(".extra")).to_contain_text("+ 1 Papa")
    kitchen.page.locator(f'button.item[data-item-id="{churrasco["uuid"]}"]').click()
    expect(waiter.line(churrasco["id"]).locator(".badge")).to_have_text("Preparando", timeout=5000)
    kitchen.page.locator(f'button.item[data-item-id="{churrasco["uuid"]}"]').click()
    expect(waiter.line(churrasco["id"]).locator(".badge")).to_have_text("Listo", timeout=5000)

    page.get_by_role("button", name="Volver a mesas").click()
    expect(waiter.table("5")).to_have_attribute("data-state", "ready", timeout=5000)
    expect(waiter.table("5")).to_contain_text("Platos listos")
    waiter.shot("floor-table-ready")
    waiter.table("5").click()
    page.get_by_role("button", name="Marcar Churrasco servido").click()
    expect(waiter.line(churrasco["id"]).locator(".badge")).to_have_text("Servido")
    assert staff.sale(tx)["items"][0]["estado"] == "served"
    assert waiter.errors == [] and kitchen.errors == []


def test_the_floor_shows_the_branch_s_configured_tables_in_order_then_the_other_tables_of_recent_sales(
    tablets: Callable[..., Tablet], staff: Staff
) -> None:
    staff.open_table("41", "Silpancho")  # not a configured table
    tablet = tablets().open()
    tablet.sign_in("mesero1", "Mesero123!")
    names = tablet.page.locator(".table")
    expect(names.first).to_have_attribute("data-mesa", DEMO_MESAS[0])
    shown = [names.nth(i).get_attribute("data-mesa") for i in range(names.count())]
    assert shown[: len(DEMO_MESAS)] == list(DEMO_MESAS), shown
    assert "41" in shown[len(DEMO_MESAS):] and "12" not in shown[: len(DEMO_MESAS)]
    expect(tablet.table("Terraza 1")).to_have_attribute("data-state", "free")
    expect(tablet.table("Terraza 1").locator(".table-name")).to_have_text("Terraza 1")
    tablet.shot("floor-configured-tables")

    changed = staff.admin.patch("/api/sucursales/centro", {"mesas": [*DEMO_MESAS, "Patio"]})
    assert changed.status == 200, changed
    try:
        tablet.page.reload()
        expect(tablet.table("Patio")).to_have_attribute("data-state", "free")
        tablet.table("Patio").click()
        expect(tablet.page.get_by_role("heading", name=re.compile(r"Patio · Pedido #\d+"))).to_be_visible()
        tx = int(tablet.page.locator("#order").evaluate("() => window.__pos.saleId"))
        assert staff.sale(tx)["mesa"] == "Patio"
    finally:
        assert staff.admin.patch("/api/sucursales/centro", {"mesas": list(DEMO_MESAS)}).status == 200


def test_a_tablet_in_another_time_zone_shows_a_just_opened_table_as_minutes_old_not_hours(
    tablets: Callable[..., Tablet], staff: Staff
) -> None:
    staff.open_table("42", "Silpancho")
    tablet = tablets(timezone="Asia/Tokyo").open()  # the branch is in La Paz, 13 hours behind
    tablet.sign_in("mesero1", "Mesero123!")
    expect(tablet.table("42")).to_have_attribute("data-state", "open")
    expect(tablet.table("42").locator(".table-detail")).to_have_text(re.compile(r"· [01] min$"))


def test_two_waiter_tablets_see_the_same_floor_change_without_a_reload(tablets: Callable[..., Tablet], staff: Staff) -> None:
    first, second = tablets().open(), tablets().open()
    first.sign_in("mesero1", "Mesero123!")
    second.sign_in("mesero1", "Mesero123!")
    navigations: list[str] = []
    second.page.on("framenavigated", lambda frame: navigations.append(frame.url))
    expect(second.table("8")).to_have_attribute("data-state", "free")
    first.table("8").click()
    add_dish(first, "Pique macho")
    first.page.get_by_role("button", name="Enviar a cocina (1)").click()
    expect(first.page.locator("#ticket .line")).to_have_count(1)
    expect(second.table("8")).to_have_attribute("data-state", "open", timeout=5000)
    expect(second.table("8")).to_contain_text("Bs ")
    assert navigations == []
    second.shot("floor-second-tablet")


def test_the_floor_has_a_takeaway_button_and_a_delivery_column_with_its_state(tablets: Callable[..., Tablet], staff: Staff) -> None:
    stack, suffix = staff.stack, str(int(time.time() * 1000))[-7:]
    assert stack.post("/api/clientes/registro", {"nombre": "Rosa Domicilio", "nombre_usuario": f"rosa{suffix}",
                                                 "email": f"rosa{suffix}@pos.example.com", "contrasena": "Cliente123!",
                                                 "telefono": "+591 7000001"}).status == 201
    token = stack.post("/api/login/", {"username": f"rosa{suffix}", "password": "Cliente123!"}).body["access"]
    placed = stack.as_(token).post("/api/pedidos/", {
        "sucursal_id": "centro", "items": [{"plato_id": staff.platos["Silpancho"]["id"], "cantidad": 1}], "metodo_pago": "efectivo",
        "direccion": {"calle": "Calle Sucre 12", "barrio": "Sopocachi"}})
    assert placed.status == 201, placed
    tablet = tablets().open()
    tablet.sign_in("cajero1", "Cajero123!")
    delivery = tablet.page.locator(f'#deliveries .delivery[data-sale-id="{placed.body["pedido_id"]}"]')
    expect(delivery).to_contain_text("Rosa Domicilio")
    expect(delivery).to_contain_text("Estado: ")
    tablet.page.get_by_role("button", name="+ Para llevar").click()
    expect(tablet.page.get_by_role("heading", name=re.compile(r"Para llevar · Pedido #\d+"))).to_be_visible()


# --- payment -------------------------------------------------------------------------------------------------


def test_the_cashier_splits_the_bill_into_cash_with_change_and_card_a_double_click_charges_once_and_the_receipt_has_the_totals(
    tablets: Callable[..., Tablet], staff: Staff
) -> None:
    sale = staff.open_table("12", "Churrasco", "Silpancho")
    total = sale["monto_total"]
    assert staff.cocina.post(f"/orders/{sale['id']}/bump").status == 200  # the kitchen is done: paying closes the sale
    tablet = tablets().open()
    tablet.sign_in("cajero1", "Cajero123!")
    page = tablet.page
    tablet.table("12").click()
    page.get_by_role("button", name="Cobrar").click()
    expect(page.locator("#amount-due")).to_have_text(f"Bs {total}")
    page.get_by_label("Monto", exact=True).fill("50")
    page.get_by_label("Recibido").fill("100")
    expect(page.locator("#pay-change")).to_have_text("Cambio: Bs 50.00")
    tablet.shot("payment-cash")
    page.locator("#pay").dblclick()
    expect(page.locator("#payments li")).to_have_count(1)
    time.sleep(0.5)
    pagos = staff.cajero.get(f"/api/transacciones/{sale['id']}/pagos").body
    assert [(p["metodo_pago"], p["monto"], p["monto_recibido"], p["cambio"]) for p in pagos] == [
        ("efectivo", "50.00", "100.00", "50.00")]

    rest = f"{float(total) - 50:.2f}"
    before = staff.cajero.get("/api/caja/resumen").body["resumen"]
    page.get_by_role("radio", name="Tarjeta").click()
    expect(page.get_by_label("Monto", exact=True)).to_have_value(rest)
    page.get_by_label("Referencia").fill("4242")
    page.locator("#pay").dblclick()
    expect(page.get_by_text("Venta cerrada.")).to_be_visible()
    pagos = staff.cajero.get(f"/api/transacciones/{sale['id']}/pagos").body
    assert [(p["metodo_pago"], p["monto"]) for p in pagos] == [("efectivo", "50.00"), ("tarjeta", rest)]
    assert pagos[1]["referencia_qr"] == "4242"
    after = staff.cajero.get("/api/caja/resumen").body["resumen"]
    assert float(after["ventas_tarjeta"]) - float(before["ventas_tarjeta"]) == pytest.approx(float(rest))
    assert after["efectivo_esperado"] == before["efectivo_esperado"], "a card payment is not cash"
    assert staff.sale(sale["id"])["estado"] == "cerrado"

    page.get_by_role("button", name="Recibo").click()
    receipt = page.locator("#receipt")
    expect(receipt).to_contain_text(f"Venta #{sale['id']}")
    expect(receipt.locator(".r-total")).to_contain_text(f"Bs {total}")
    expect(receipt.locator(".r-payment")).to_have_text([re.compile(r"Efectivo\s*Bs 50\.00"),
                                                        re.compile(rf"Tarjeta\s*Bs {re.escape(rest)}")])
    expect(receipt.locator(".r-change")).to_contain_text("Bs 50.00")
    expect(receipt.locator("#receipt-date")).to_have_text(re.compile(r"Fecha: \d{2}:\d{2} - \d{2}/\d{2}/\d{4}"))
    expect(receipt.locator("#receipt-cashier")).to_have_text("Atendió: Cajero Uno")
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") == "none"
    width = page.evaluate("document.querySelector('#receipt').getBoundingClientRect().width")
    assert abs(width - 80 * 96 / 25.4) < 2, width  # 80 mm
    page.emulate_media(media="screen")
    tablet.shot("receipt")
    page.get_by_role("button", name="Volver a mesas").click()
    expect(tablet.table("12")).to_have_attribute("data-state", "free")


# --- offline, refusals -------------------------------------------------------------------------------------------


def test_with_the_socket_cut_the_banner_shows_a_new_order_appears_by_polling_and_reconnecting_resyncs(
    tablets: Callable[..., Tablet], staff: Staff
) -> None:
    polling, resyncing = tablets(), tablets()
    switches = []
    for tablet, poll in ((polling, 1), (resyncing, 600)):
        switch = SocketSwitch()
        tablet.page.route_web_socket(re.compile(r"/kds\?"), switch.handler)
        switches.append(switch)
        tablet.open(poll=poll, backoff=300, backoffMax=2000)
        tablet.sign_in("mesero1", "Mesero123!")
    for switch in switches:
        switch.cut()
    for tablet in (polling, resyncing):
        expect(tablet.page.locator("#offline")).to_be_visible(timeout=3000)
        expect(tablet.page.locator("#offline")).to_contain_text("Sin conexión")
    staff.open_table("9", "Silpancho")  # another tablet's order
    expect(polling.table("9")).to_have_attribute("data-state", "open", timeout=4000)
    polling.shot("floor-offline-polling")
    time.sleep(2)
    expect(resyncing.table("9")).to_have_attribute("data-state", "free")
    for switch in switches:
        switch.restore()
    for tablet in (polling, resyncing):
        expect(tablet.page.locator("body")).to_have_attribute("data-live", "yes", timeout=5000)
        expect(tablet.page.locator("#offline")).to_be_hidden()
    expect(resyncing.table("9")).to_have_attribute("data-state", "open", timeout=2000)


def test_a_round_line_and_its_extra_whose_answers_are_lost_are_sent_again_with_their_keys_and_added_once(
    tablets: Callable[..., Tablet], staff: Staff
) -> None:
    waiter = tablets().open()
    waiter.sign_in("mesero1", "Mesero123!")
    page = waiter.page
    keys: dict[str, list[str]] = {"item": [], "extra": []}

    def lose_the_first_answer(kind: str) -> Callable[[Any], None]:
        def handle(route: Any) -> None:
            if route.request.method != "POST":
                route.continue_()
                return
            keys[kind].append(route.request.headers.get("idempotency-key", ""))
            if len(keys[kind]) == 1:  # the server added it; the tablet never hears so
                route.fetch()
                route.abort("connectionreset")
            else:
                route.continue_()
        return handle

    page.route(re.compile(r"/api/transacciones/\d+/items$"), lose_the_first_answer("item"))
    page.route(re.compile(r"/api/transacciones/\d+/items/\d+/extras$"), lose_the_first_answer("extra"))
    waiter.table("6").click()
    add_dish(waiter, "Churrasco", extras=("Papa",), price="2.00")
    page.get_by_role("button", name="Enviar a cocina (1)").click()
    expect(page.locator("#round")).to_be_hidden(timeout=15_000)  # the round is empty once every line is in
    expect(page.locator("#ticket .line")).to_have_count(1)
    tx = int(page.locator("#ticket").evaluate("() => window.__pos.saleId"))
    [item] = staff.sale(tx)["items"]
    assert len(item["extras"]) == 1, "one extra, however often it was sent"
    assert len(keys["item"]) == 2 and keys["item"][0] == keys["item"][1] and keys["item"][0]
    assert len(keys["extra"]) == 2 and keys["extra"][0] == keys["extra"][1] and keys["extra"][0] != keys["item"][0]


def test_a_payment_lost_to_the_network_is_retried_with_the_same_idempotency_key_and_charged_once(
    tablets: Callable[..., Tablet], staff: Staff
) -> None:
    sale = staff.open_table("15", "Silpancho")
    assert staff.cocina.post(f"/orders/{sale['id']}/bump").status == 200
    tablet = tablets().open()
    tablet.sign_in("cajero1", "Cajero123!")
    page = tablet.page
    keys: list[str] = []
    dropped: list[bool] = []

    def flaky(route: Any) -> None:
        keys.append(route.request.headers.get("idempotency-key", ""))
        if not dropped:  # the first answer is lost after the server charged
            route.fetch()
            dropped.append(True)
            route.abort("connectionreset")
        else:
            route.continue_()

    def route_payments(route: Any) -> None:
        if route.request.method == "POST":
            flaky(route)
        else:
            route.continue_()

    page.route(re.compile(rf"/api/transacciones/{sale['id']}/pagos$"), route_payments)
    tablet.table("15").click()
    page.get_by_role("button", name="Cobrar").click()
    page.locator("#pay").click()
    expect(page.get_by_text("Venta cerrada.")).to_be_visible(timeout=10_000)  # live, while the tablet retries
    for _ in range(100):
        if len(keys) == 2:
            break
        page.wait_for_timeout(100)
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0]
    expect(page.locator("#retrying")).to_be_hidden()
    expect(page.locator("#toast")).to_be_hidden()  # the replay answered as the first payment did
    assert len(staff.cajero.get(f"/api/transacciones/{sale['id']}/pagos").body) == 1


def test_a_refused_action_shows_the_apis_message_and_the_screen_shows_what_the_server_says(
    tablets: Callable[..., Tablet], staff: Staff
) -> None:
    sale = staff.open_table("16", "Churrasco", "Silpancho")
    tablet, switch = tablets(), SocketSwitch()
    tablet.page.route_web_socket(re.compile(r"/kds\?"), switch.handler)
    tablet.open(poll=600)
    tablet.sign_in("cajero1", "Cajero123!")
    page = tablet.page
    tablet.table("16").click()
    first, second = sale["items"]
    switch.cut()  # the tablet does not hear the kitchen start the Churrasco
    staff.kitchen(first["uuid"], "preparing")
    tablet.line(first["id"]).get_by_role("button", name="Quitar Churrasco").click()
    expect(page.locator("#toast")).to_have_text(
        "No se pudo: No se puede eliminar el item Churrasco: la cocina ya lo empezó (en preparación)")  # the API's message
    expect(tablet.line(first["id"]).locator(".badge")).to_have_text("Preparando")  # and what the server says
    tablet.shot("refused-remove")
    switch.restore()
    assert len(staff.sale(sale["id"])["items"]) == 2

    page.get_by_role("button", name="Cobrar").click()
    page.get_by_label("Monto", exact=True).fill("999")
    page.locator("#pay").click()
    toast = page.locator("#toast")
    expect(toast).to_contain_text("No se pudo:")
    expect(toast).to_contain_text("excede el monto pendiente")  # the API's own message
    tablet.shot("refused-payment")
    assert staff.cajero.get(f"/api/transacciones/{sale['id']}/pagos").body == []

    # Paid down to less than the Silpancho: removing it would leave the total under what was paid.
    paid = f"{float(sale['monto_total']) - float(second['subtotal']) + 1:.2f}"
    page.get_by_label("Monto", exact=True).fill(paid)
    page.locator("#pay").click()
    expect(page.locator("#payments li")).to_have_count(1)
    page.get_by_role("button", name=re.compile("Mesa 16")).click()
    expect(tablet.line(first["id"]).get_by_role("button", name="Quitar Churrasco")).to_have_count(0)
    tablet.line(second["id"]).get_by_role("button", name="Quitar Silpancho").click()
    expect(toast).to_contain_text("por debajo de lo ya pagado")
    expect(tablet.line(second["id"])).to_be_visible()
    assert len(staff.sale(sale["id"])["items"]) == 2


# --- closing the caja -------------------------------------------------------------------------------------------


def test_the_cashier_records_an_expense_and_closes_the_caja_with_a_count_that_differs_seeing_the_difference_first(
    tablets: Callable[..., Tablet], staff: Staff
) -> None:
    tablet = tablets().open()
    tablet.sign_in("cajero1", "Cajero123!")
    page = tablet.page
    page.get_by_role("button", name="Caja").click()
    before = staff.cajero.get("/api/caja/resumen").body["resumen"]
    expect(page.locator("#sum-expected")).to_have_text(f"Bs {before['efectivo_esperado']}")
    page.get_by_label("Descripción").fill("Hielo")
    page.get_by_label("Monto").first.fill("12.50")
    page.get_by_role("button", name="Registrar gasto").click()
    expect(page.locator("#toast")).to_have_text("Gasto registrado.")
    summary = staff.cajero.get("/api/caja/resumen").body["resumen"]
    assert summary["gastos_efectivo"] == "12.50"
    expect(page.locator("#sum-expected")).to_have_text(f"Bs {summary['efectivo_esperado']}")
    expect(page.locator("#sum-card")).to_have_text(f"Bs {summary['ventas_tarjeta']}")
    tablet.shot("caja-summary")

    page.locator("#close-b100").fill("2")
    page.get_by_role("button", name="Ver diferencia").click()
    expected = summary["efectivo_esperado"]
    diff = f"{200 - float(expected):.2f}"
    expect(page.locator("#close-expected")).to_have_text(f"Bs {expected}")
    expect(page.locator("#close-counted")).to_have_text("Bs 200.00")
    expect(page.locator("#close-difference")).to_contain_text(f"Bs {diff}")
    assert staff.cajero.get("/api/caja/actual").body is not None  # nothing closed before confirming
    tablet.shot("caja-close-review")
    page.get_by_role("button", name="Confirmar cierre").click()
    expect(page.locator("#toast")).to_contain_text(f"Diferencia: Bs {diff}")
    assert staff.cajero.get("/api/caja/actual").body is None
    last = staff.cajero.get("/api/caja/historial").body[0]
    assert (last["diferencia"], last["monto_final"], last["efectivo_esperado"]) == (diff, "200.00", expected)
    expect(page.get_by_role("heading", name="Abrir caja")).to_be_visible()


# --- screen, touch, accessibility, language ----------------------------------------------------------------------


def test_axe_finds_no_serious_accessibility_violations_on_sign_in_floor_order_and_payment(
    tablets: Callable[..., Tablet], staff: Staff, axe_source: str
) -> None:
    staff.cajero.post("/api/caja/abrir", {"b100": 1})
    sale = staff.open_table("21", "Churrasco")
    tablet = tablets().open()
    page = tablet.page
    assert serious_violations(page, axe_source) == []
    tablet.sign_in("cajero1", "Cajero123!")
    assert serious_violations(page, axe_source) == []  # floor
    tablet.table("21").click()
    expect(tablet.line(sale["items"][0]["id"])).to_be_visible()
    assert serious_violations(page, axe_source) == []  # order
    page.locator(".dish", has_text="Silpancho").click()
    assert serious_violations(page, axe_source) == []  # a dish's options
    page.get_by_role("button", name="Cancelar").click()
    page.get_by_role("button", name="Cobrar").click()
    expect(page.locator("#pay-form")).to_be_visible()
    assert serious_violations(page, axe_source) == []  # payment


def test_the_tablet_layout_has_48px_targets_and_no_horizontal_scroll_at_1280x800(tablets: Callable[..., Tablet], staff: Staff) -> None:
    staff.open_table("3", "Silpancho")
    tablet = tablets().open()
    tablet.sign_in("cajero1", "Cajero123!")
    page = tablet.page
    expect(tablet.table("3")).to_have_attribute("data-state", "open")
    for view in ("floor", "order"):
        if view == "order":
            tablet.table("3").click()
            expect(page.locator("#menu")).to_be_visible()
        boxes = page.locator("button:visible, select:visible, input:visible").evaluate_all(
            "els => els.map(e => { const r = e.getBoundingClientRect(); return [e.id || e.className, r.width, r.height]; })")
        small = [b for b in boxes if b[1] < 48 or b[2] < 48]
        assert boxes and not small, (view, small)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        path = tablet.shot(f"{view}-1280x800")
        assert png_size(path) == (1280, 800)


def test_on_a_390x844_phone_the_floor_and_an_order_show_without_horizontal_scrolling(
    tablets: Callable[..., Tablet], staff: Staff
) -> None:
    staff.open_table("4", "Churrasco")
    phone = tablets(390, 844).open()
    phone.sign_in("mesero1", "Mesero123!")
    page = phone.page
    expect(phone.table("4")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator(".table").first.evaluate("e => e.getBoundingClientRect().right") <= 390
    assert png_size(phone.shot("phone-floor")) == (390, 844)
    phone.table("4").click()
    expect(page.locator("#menu")).to_be_visible()
    expect(page.locator("#ticket")).to_be_visible()
    overflowing = page.locator("body *:visible").evaluate_all(
        "els => els.filter(e => e.getBoundingClientRect().right > 390.5).map(e => e.id || e.className || e.tagName)")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 and overflowing == [], overflowing
    phone.shot("phone-order")


def test_the_point_of_sale_speaks_english_when_asked_and_remembers_it(tablets: Callable[..., Tablet]) -> None:
    tablet = tablets().open()
    tablet.sign_in("mesero1", "Mesero123!")
    tablet.page.get_by_role("button", name="English").click()
    expect(tablet.page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(tablet.page.locator("html")).to_have_attribute("lang", "en")
    tablet.page.reload()
    expect(tablet.page.get_by_role("heading", name="Tables")).to_be_visible()
