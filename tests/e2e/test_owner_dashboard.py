"""The owner's dashboard (`/panel/`) in Debian's Chromium against the real local stack: the
Chromium acceptance bullets of issue 24. Sales are seeded through REST by the demo cashier;
screenshots go to tests/e2e/artifacts/ (panel-*.png)."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from websockets.sync.client import connect

from tests.e2e.browser import png_size, screenshot, serious_violations
from tests.e2e.harness import RunningStack, launch_stack
from tests.e2e.live import Frames, close_open_caja

GREEN = (11, 92, 74)  # the first series' colour (charts.js COLORS[0])


@pytest.fixture(scope="module")
def panel_stack() -> Iterator[RunningStack]:
    """A stack of its own: today's figures hold only this module's sales."""
    running = launch_stack()
    try:
        yield running
    finally:
        running.stop()


class Shop:
    def __init__(self, stack: RunningStack) -> None:
        self.stack = stack
        self.admin = stack.as_(stack.login("admin", "Admin123!"))
        self.cajero = stack.as_(stack.login("cajero1", "Cajero123!"))
        close_open_caja(self.cajero)
        assert self.cajero.post("/api/caja/abrir", {"b100": 1}).status == 201
        made = self.admin.post("/api/productos", {"nombre": "Café con leche", "precio": "12.50", "stock": 100, "unidad": "taza"})
        assert made.status == 201, made
        self.cafe = made.body
        self.n = 0

    def sell(self, qty: int, method: str = "efectivo") -> Decimal:
        """A takeaway sale of café, paid in full: it closes at once (no kitchen items)."""
        self.n += 1
        sale = self.cajero.post("/api/transacciones", {"nro_reg": self.n, "concepto": "Para llevar"})
        assert sale.status == 201, sale
        sale_path = f"/api/transacciones/{sale.body['id']}"
        assert self.cajero.post(f"{sale_path}/items", {"producto_id": self.cafe["id"], "cantidad": qty}).status == 201
        total = Decimal(self.cafe["precio"]) * qty
        paid = self.cajero.call("POST", f"{sale_path}/pagos", {"metodo_pago": method, "monto": f"{total:.2f}"},
                                headers={"Idempotency-Key": f"panel-{time.time_ns()}"})
        assert paid.status == 201, paid
        assert self.cajero.get(f"/api/transacciones/{sale.body['id']}").body["estado"] == "cerrado"
        return total

    def serve(self, dish: str) -> Decimal:
        """A table's sale of one dish: paid, then cooked and served, which closes it (frames on the branch channel)."""
        self.n += 1
        plato = next(p for p in self.admin.get("/api/platos").body if p["nombre"] == dish)
        sale = self.cajero.post("/api/transacciones", {"nro_reg": self.n, "concepto": "Mesa 4", "mesa": "4"})
        assert sale.status == 201, sale
        item = self.cajero.post(f"/api/transacciones/{sale.body['id']}/items", {"plato_id": plato["id"], "cantidad": 1})
        assert item.status == 201, item
        paid = self.cajero.call("POST", f"/api/transacciones/{sale.body['id']}/pagos",
                                {"metodo_pago": "tarjeta", "monto": plato["precio"]},
                                headers={"Idempotency-Key": f"panel-{time.time_ns()}"})
        assert paid.status == 201, paid
        for status in ("preparing", "ready", "served"):
            assert self.admin.call("PATCH", f"/items/{item.body['uuid']}/status", {"status": status}).status == 200
        assert self.cajero.get(f"/api/transacciones/{sale.body['id']}").body["estado"] == "cerrado"
        return Decimal(plato["precio"])

    def counter(self) -> Decimal:
        """A counter sale of one producto, paid in cash: no kitchen work, so the only frame it makes
        is `sale:updated` on the branch channel."""
        self.n += 1
        producto = self.admin.get("/api/productos").body[0]
        sale = self.cajero.post("/api/transacciones", {"nro_reg": self.n, "concepto": "Mostrador",
                                                       "items": [{"producto_id": producto["id"], "cantidad": 1}]})
        assert sale.status == 201, sale
        paid = self.cajero.call("POST", f"/api/transacciones/{sale.body['id']}/pagos",
                                {"metodo_pago": "efectivo", "monto": producto["precio"]},
                                headers={"Idempotency-Key": f"panel-{time.time_ns()}"})
        assert paid.status == 201 and paid.body["transaccion"]["estado"] == "cerrado", paid
        return Decimal(producto["precio"])


@pytest.fixture(scope="module")
def shop(panel_stack: RunningStack) -> Shop:
    return Shop(panel_stack)


@pytest.fixture
def owner(browser: Browser, panel_stack: RunningStack) -> Iterator[Callable[..., Page]]:
    contexts = []
    errors: list[str] = []

    def make(lang: str = "", width: int = 1280, height: int = 900) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{panel_stack.base_url}/panel/{'?lang=' + lang if lang else ''}")
        page.get_by_label("Usuario" if lang != "en" else "Username").fill("admin")
        page.get_by_label("Contraseña" if lang != "en" else "Password").fill("Admin123!")
        page.get_by_role("button", name="Entrar" if lang != "en" else "Sign in").click()
        expect(page.locator("body")).to_have_attribute("data-live", "yes", timeout=10_000)
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == []


def api_message(body: Any) -> str:
    """What the page shows of a refusal: the API's message, as common/api.js reads it."""
    error = body.get("error")
    raw = error["message"] if isinstance(error, dict) else body["message"]
    return "; ".join(raw) if isinstance(raw, list) else str(raw)


def kpi(page: Page, key: str) -> Any:
    return page.locator(f'.kpi[data-kpi="{key}"] dd')


def test_the_owner_signs_in_and_todays_total_changes_live_when_a_sale_closes_elsewhere(owner: Callable[..., Page], shop: Shop,
                                                                                        axe_source: str) -> None:
    page = owner()
    expect(page.get_by_role("heading", name="Hoy, en vivo")).to_be_visible()
    start_total = Decimal(kpi(page, "total").inner_text().removeprefix("Bs "))
    start_tickets = int(kpi(page, "tickets").inner_text())
    reads = page.evaluate("window.__panel.reads")
    added = shop.serve("Silpancho")  # in another context: the cashier's and the kitchen's REST calls
    expect(kpi(page, "total")).to_have_text(f"Bs {start_total + added:.2f}", timeout=10_000)
    expect(kpi(page, "tickets")).to_have_text(str(start_tickets + 1))
    assert page.evaluate("window.__panel.reads") > reads and page.evaluate("document.body.dataset.live") == "yes"
    expect(kpi(page, "cajas")).to_have_text("1")
    shot = screenshot(page, "panel-today")
    assert png_size(shot) == (1280, 900)
    assert serious_violations(page, axe_source) == []


def test_a_counter_sale_with_no_kitchen_work_also_moves_todays_total_live(owner: Callable[..., Page], shop: Shop) -> None:
    page = owner()
    start_total = Decimal(kpi(page, "total").inner_text().removeprefix("Bs "))
    added = shop.counter()
    expect(kpi(page, "total")).to_have_text(f"Bs {start_total + added:.2f}", timeout=10_000)
    assert page.evaluate("document.body.dataset.live") == "yes", "heard on the socket, not by polling"


def canvas_pixels(page: Page, key: str, rgb: tuple[int, int, int]) -> int:
    """How many pixels of the chart's canvas are the given colour (its drawn bars or lines)."""
    return int(page.evaluate("""([key, rgb]) => {
      const canvas = document.querySelector(`#chart-${key}-canvas canvas`);
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        const near = (k) => Math.abs(data[i + k] - rgb[k]) < 8;
        if (near(0) && near(1) && near(2) && data[i + 3] > 200) n++;
      }
      return n;
    }""", [key, list(rgb)]))


def test_the_charts_render_with_data_and_the_right_labels(owner: Callable[..., Page], shop: Shop, axe_source: str) -> None:
    shop.sell(1, "qr")
    shop.sell(3, "efectivo")
    page = owner()
    for key in ("hour", "day", "dishes", "methods", "kitchen"):
        expect(page.locator(f"#chart-{key}-canvas canvas")).to_have_count(1, timeout=10_000)
    for key in ("hour", "day", "dishes", "methods", "kitchen"):
        assert canvas_pixels(page, key, GREEN) > 30, f"the {key} chart drew no data"
    # today against the same weekday a week ago, named in Spanish ("sábado pasado")
    weekday = page.evaluate("new Intl.DateTimeFormat('es', { weekday: 'long', timeZone: 'America/La_Paz' }).format(new Date())")
    expect(page.locator("#chart-hour .u-legend .u-series .u-label")).to_have_text(["Hoy", f"{weekday} pasado"])
    expect(page.locator("#chart-methods .u-legend .u-series .u-label")).to_have_text(["Pagos"])
    axis = lambda key: page.evaluate(f"window.__panel.charts['{key}'].axes[0]._values")  # noqa: E731
    assert "Café con le…" in axis("dishes")
    assert set(axis("methods")) == {"Efectivo", "QR", "Tarjeta"}  # the first test's table paid by card
    assert axis("hour")[0] == "00" and len(axis("hour")) == 24
    today = page.evaluate("window.__panel.reports.byDay.hasta")
    assert axis("day")[-1] == f"{today[8:10]}/{today[5:7]}"
    expect(page.locator("#chart-dishes-note")).to_contain_text("Café con leche")
    station = next(p for p in shop.admin.get("/api/platos").body if p["nombre"] == "Silpancho")["estacion"]
    assert station in axis("kitchen")  # the first test's Silpancho went through the kitchen
    expect(page.locator("#chart-kitchen .u-legend .u-series .u-label")).to_have_text(["Mediana (p50)", "p90"])
    screenshot(page, "panel-charts")
    assert serious_violations(page, axe_source) == []

    page.get_by_role("button", name="English").click()
    expect(page.locator("#chart-methods .u-legend .u-series .u-label")).to_have_text(["Payments"], timeout=10_000)
    assert set(axis("methods")) == {"Cash", "QR", "Card"}


def test_the_csv_downloads_with_a_bom_and_its_accents(owner: Callable[..., Page], shop: Shop) -> None:
    shop.sell(1)
    page = owner()
    expect(page.locator("#chart-dishes-canvas canvas")).to_have_count(1, timeout=10_000)
    with page.expect_download() as info:
        page.get_by_role("button", name="Descargar CSV: Lo más vendido").click()
    download = info.value
    raw = open(download.path(), "rb").read()  # noqa: SIM115
    assert raw.startswith(b"\xef\xbb\xbf")
    assert download.suggested_filename.startswith("ventas-centro-") and download.suggested_filename.endswith("-plato.csv")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    cafe = next(r for r in rows if r["nombre"] == "Café con leche")
    expected = shop.admin.get("/api/reportes/ventas?agrupar=plato").body
    line = next(x for x in expected["lineas"] if x["nombre"] == "Café con leche")
    assert (cafe["total"], cafe["cantidad"]) == (line["total"], line["cantidad"])

    page.get_by_role("button", name="Cajas").click()
    with page.expect_download() as info:
        page.get_by_role("button", name="Descargar CSV: Cajas").click()
    assert open(info.value.path(), "rb").read().startswith(b"\xef\xbb\xbfid,fecha_apertura")  # noqa: SIM115


def test_a_price_change_on_the_panel_reaches_the_kitchen_and_pos_sockets_and_the_audit_filter_finds_it(
    owner: Callable[..., Page], shop: Shop, panel_stack: RunningStack, axe_source: str
) -> None:
    page = owner()
    page.get_by_role("button", name="Menú").click()
    plato = next(p for p in shop.admin.get("/api/platos").body if p["nombre"] == "Silpancho")
    new_price = f"{Decimal(plato['precio']) + Decimal('1.50'):.2f}"
    with connect(f"{panel_stack.ws_url}/kds?token={shop.cajero.token}", open_timeout=10) as ws:
        frames = Frames(ws)
        ws.send(json.dumps({"action": "subscribe", "channel": "branch:centro"}))
        frames.next("subscribed", timeout=10)
        page.get_by_label("Precio de Silpancho", exact=True).fill(new_price)
        page.get_by_role("button", name="Guardar el precio de Silpancho").click()
        frame = frames.next("menu:updated", timeout=15, where=lambda f: f["data"]["id"] == plato["id"])
    assert frame["channel"] == "branch:centro" and frame["data"]["precio"] == new_price
    expect(page.locator("#message")).to_have_text("Precio de Silpancho guardado")
    assert shop.cajero.get(f"/api/platos/{plato['id']}").body["precio"] == new_price

    # a refusal shows the API's own message: a price the API rejects
    page.get_by_label("Precio de Silpancho", exact=True).fill("-3")
    page.get_by_role("button", name="Guardar el precio de Silpancho").click()
    expect(page.locator("#message")).not_to_have_text("")
    refusal = shop.admin.call("PATCH", f"/api/platos/{plato['id']}", {"precio": "-3.00"})
    assert refusal.status == 400
    expect(page.locator("#message")).to_have_text(api_message(refusal.body))
    screenshot(page, "panel-menu")

    # the audit trail: filtered by user and action, only the owner's plato changes remain
    page.get_by_role("button", name="Auditoría").click()
    expect(page.locator("#audit tbody tr").first).to_be_visible(timeout=10_000)
    everything = page.locator("#audit tbody tr").count()
    actions = page.locator("#audit-action option").all_inner_texts()
    changed = "catalogo.precio_cambiado"
    assert changed in actions and "usuario.creado" in actions
    page.get_by_label("Acción", exact=True).select_option(changed)
    page.get_by_label("Usuario", exact=True).select_option("Administrador")
    rows = page.locator("#audit tbody tr")
    expect(rows.first).to_be_visible()
    assert 0 < rows.count() < everything
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.action)")) == {changed}
    assert set(page.locator("#audit tbody tr td:nth-child(2)").all_inner_texts()) == {"Administrador"}
    expect(page.locator("#audit-count")).to_have_text(f"{rows.count()} entrada" + ("" if rows.count() == 1 else "s"))
    screenshot(page, "panel-audit")
    assert serious_violations(page, axe_source) == []


def test_staff_a_new_user_a_refused_duplicate_with_the_apis_message_a_role_change_and_a_deactivation(
    owner: Callable[..., Page], shop: Shop, axe_source: str
) -> None:
    page = owner()
    page.get_by_role("button", name="Personal").click()
    name = f"moza{str(time.time_ns())[-6:]}"
    form = page.locator("#new-user")
    for _ in range(2):
        form.get_by_label("Nombre").fill("Moza Nueva")
        form.get_by_label("Usuario").fill(name)
        form.get_by_label("Contraseña").fill("Moza1234!")
        form.get_by_role("button", name="Crear").click()
        if _ == 0:
            expect(page.locator("#message")).to_have_text(f"Usuario {name} creado")
            expect(page.locator(f'#users tr[data-user="{name}"]')).to_be_visible()
    duplicate = shop.admin.post("/api/usuarios", {"nombre": "x", "nombre_usuario": name, "contrasena": "Moza1234!", "rol": "mesero"})
    assert duplicate.status in (400, 409)
    expect(page.locator("#message")).to_have_text(api_message(duplicate.body))
    created = next(u for u in shop.admin.get("/api/usuarios").body if u["nombre_usuario"] == name)
    assert created["rol"] == "mesero" and created["sucursal_id"] == "centro"

    page.get_by_label(f"Rol de {name}").select_option("cajero")
    expect(page.locator("#message")).to_have_text(f"Rol de {name} cambiado")
    page.get_by_role("button", name=f"Restablecer contraseña: {name}").click()
    page.get_by_label(f"Nueva contraseña de {name}").fill("Otra1234!")
    page.locator(f'#users tr[data-user="{name}"] .reset button').click()
    expect(page.locator("#message")).to_have_text(f"Contraseña de {name} restablecida")
    assert shop.stack.login(name, "Otra1234!")
    assert shop.admin.get(f"/api/usuarios/{created['id']}").body["rol"] == "cajero"
    screenshot(page, "panel-staff")
    assert serious_violations(page, axe_source) == []

    deactivate = page.get_by_role("button", name=f"Desactivar a {name}")
    deactivate.click()
    expect(deactivate).to_have_text("¿Confirmar?")
    deactivate.click()
    expect(page.locator("#message")).to_have_text(f"Usuario {name} desactivado")
    assert shop.admin.get(f"/api/usuarios/{created['id']}").status == 404  # deactivated: gone from the list, cannot sign in
    assert shop.stack.as_(None).post("/api/auth/login", {"nombre_usuario": name, "contrasena": "Otra1234!"}).status == 401
    expect(page.locator(f'#users tr[data-user="{name}"]')).to_have_count(0)
