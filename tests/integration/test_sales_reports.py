"""The owner's reports (`GET /api/reportes/ventas`, `GET /api/reportes/cajas`), fed by the
transactions table's real stream, over a seeded week (the seeded month is
test_sales_reports_month.py): sales in two branches in two time zones, with split payments, voids
(of open and of closed sales), reopenings and re-closings, some across a local midnight.

Given the sales written through the sale repository (each state change a stored write, as the
use cases make them) and the table's stream handed to the fan-out batch by batch,
when the owner asks for a report, then it equals a brute-force computation over the same sales,
to the cent; a replayed batch changes nothing; the CSV says the same with its accents; and the
backfill rebuilds a day deleted from the rollup to the same figures."""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from copy import deepcopy
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.container import get_services
from chalicelib.domain.clock import iso
from chalicelib.domain.sales import Sale
from ops.rebuild_reports import main as rebuild_main
from tests.support.api import Api, TenantWorld
from tests.support.table_stream import TableStream, batches, feed

ZONES = {"centro": "America/La_Paz", "norte": "America/Bogota"}  # UTC-4 and UTC-5
MONTH = [date(2026, 3, 1) + timedelta(days=n) for n in range(31)]
SALES = 3100
WAITERS = ("1", "2", "3", "cliente:9")  # admin, cajero1, mesero1, and a customer's own order (no staff name)
TIPOS = ("venta", "venta", "venta", "para llevar", "delivery")
CENT = Decimal("0.01")


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


@dataclass
class Month:
    api: Api
    alpha: TenantWorld
    sales: list[Sale]  # every sale's final state
    names: dict[str, str]  # catalog key ("plato:<id>") -> name
    records: list[dict[str, Any]]  # every stream record the month wrote

    def report(self, branch: str, since: str, until: str, grouping: str, **headers: str) -> Any:
        reply = self.api.as_(self.alpha.tokens["admin"]).get(
            f"/api/reportes/ventas?desde={since}&hasta={until}&agrupar={grouping}", headers={"X-Branch-Id": branch, **headers})
        assert reply.status == 200, reply
        return reply.body


def make_catalog() -> dict[str, tuple[str, Decimal]]:
    catalog = get_services().catalog
    out: dict[str, tuple[str, Decimal]] = {}
    for name, price in (("Silpancho", "25.00"), ("Pique macho", "48.50"), ("Salteña", "7.00"), ("Sopa de maní", "15.00")):
        plato = catalog.create_plato("alpha", {"nombre": name, "precio": Decimal(price), "estacion": "cocina"})
        out[f"plato:{plato.id}"] = (name, Decimal(price))
    for name, price in (("Café con leche", "9.50"), ("Jugo de piña", "12.00"), ("Coca-Cola 2 L", "16.00")):
        product = catalog.create_product("alpha", {"nombre": name, "precio": Decimal(price), "stock": 100000, "unidad": "u"})
        out[f"producto:{product.id}"] = (name, Decimal(price))
    return out


def at(moment: datetime) -> str:
    return iso(moment)


class Seeder:
    """Sales of the month, each written through the repository at every state change."""

    def __init__(self, catalog: dict[str, tuple[str, Decimal]], rng: random.Random, days: list[date]) -> None:
        self.catalog = catalog
        self.days = days
        self.rng = rng
        self.repo = get_services().sale_repo
        self.next_payment = 1

    def write(self, sale: Sale, new: bool = False) -> None:
        if new:
            self.repo.add(sale)
            sale.version = 1
        else:
            self.repo.save(sale)
        sale.events.clear()

    def pay(self, sale: Sale, when: str) -> None:
        due = sale.monto_pendiente
        parts = [("efectivo", due)]
        if self.rng.random() < 0.3 and due > Decimal("1.00"):  # a split payment
            cash = (due * Decimal(self.rng.randint(10, 90)) / 100).quantize(CENT)
            parts = [("efectivo", cash), ("qr", due - cash)]
        elif self.rng.random() < 0.4:
            parts = [("qr", due)]
        for method, amount in parts:
            sale.add_payment(payment_id=self.next_payment, payment_method=method, amount=amount, amount_received=None,
                             qr_reference=None, user_id="2", now=when)
            self.next_payment += 1

    def add_lines(self, sale: Sale, when: str, count: int) -> None:
        for key in self.rng.sample(sorted(self.catalog), count):
            name, price = self.catalog[key]
            kind, _, entry = key.partition(":")
            line = sale.add_item(plato_id=entry if kind == "plato" else None, product_id=entry if kind == "producto" else None,
                                 name=name, unit_price=price, quantity=Decimal(self.rng.choice(("1", "1", "2", "3", "0.5"))),
                                 notes=None, station="cocina", now=when)
            if kind == "plato" and self.rng.random() < 0.2:
                sale.add_extra(line.id, ingredient_id=None, description="huevo", price=Decimal("3.50"), quantity=Decimal(1), now=when)

    def close(self, sale: Sale, when: str) -> None:
        sale.complete_kitchen(when)
        self.pay(sale, when)
        assert sale.estado == "cerrado"

    def one(self, sale_id: int) -> Sale:
        rng = self.rng
        branch = rng.choice(("centro", "norte"))
        zone = ZoneInfo(ZONES[branch])
        day = rng.choice(self.days)
        opened = datetime(day.year, day.month, day.day, rng.randint(8, 23), rng.randint(0, 59), tzinfo=zone)
        times = iter(opened + timedelta(minutes=m) for m in sorted(rng.sample(range(1, 600), 6)))
        header = {"nro_reg": sale_id, "concepto": f"Mesa {sale_id % 20}", "mesa": str(sale_id % 20), "tipo": rng.choice(TIPOS)}
        sale = Sale.new(tenant_id="alpha", sale_id=sale_id, branch_id=branch, header=header, caja_id=None,
                        user_id=rng.choice(WAITERS), user_name=None, now=at(opened))
        self.add_lines(sale, at(opened), rng.randint(1, 4))
        self.write(sale, new=True)
        fate = rng.random()
        if fate < 0.03:  # voided while open
            sale.void(at(next(times)))
            self.write(sale)
            return sale
        if fate < 0.05:  # left open at the end of the month
            return sale
        self.close(sale, at(next(times)))
        self.write(sale)
        if fate < 0.09:  # closed, then voided (often on a later local day)
            sale.void(at(next(times)))
            self.write(sale)
        elif fate < 0.15:  # reopened (by adding a line), and closed again
            self.add_lines(sale, at(next(times)), 1)
            self.write(sale)
            self.close(sale, at(next(times)))
            self.write(sale)
        elif fate < 0.17:  # reopened and left open
            sale.reopen(at(next(times)))
            self.write(sale)
        return sale


def quiet_fanout() -> Any:
    """The app's fan-out with its real sale decoding and rollup feed, over a memory connection store
    with no socket in it: publishing to nobody costs a Query per channel per record in moto, which
    the reports do not need (the container's own fan-out is driven in the replay test)."""
    from chalicelib.realtime.fanout import Fanout
    from tests.support.fakes import InMemoryConnections

    services = get_services()
    return Fanout(InMemoryConnections(), services.sale_repo, services.frames, services.sales.timezone, rollups=services.rollup_feed)


def seed(api: Api, alpha: TenantWorld, count: int, days: list[date]) -> Month:
    """`count` sales over `days` in both branches, plus the late-evening one, streamed into the rollup."""
    for branch, zone in ZONES.items():
        assert api.as_(alpha.tokens["admin"]).patch(f"/api/sucursales/{branch}", {"timezone": zone}).status == 200
    catalog = make_catalog()
    stream = TableStream("transactions")
    seeder = Seeder(catalog, random.Random(20260318), days)
    sales = [seeder.one(n) for n in range(1, count + 1)]
    sales.append(late_evening_sale(seeder, count + 1))
    records = stream.records()
    feed(quiet_fanout(), records)
    return Month(api, alpha, sales, {k: name for k, (name, _) in catalog.items()}, records)


@pytest.fixture
def week(api: Api, alpha: TenantWorld) -> Month:
    """A smaller world for the behaviours around the report: 60 sales over the last week of March."""
    return seed(api, alpha, 60, MONTH[-7:])


def late_evening_sale(seeder: Seeder, sale_id: int) -> Sale:
    """A sale closed at 23:30 in La Paz on 31 March: 03:30 on 1 April in UTC."""
    name, price = seeder.catalog[sorted(seeder.catalog)[0]]
    sale = Sale.new(tenant_id="alpha", sale_id=sale_id, branch_id="centro", header={"nro_reg": 1, "concepto": "Tarde"},
                    caja_id=None, user_id="3", user_name=None, now="2026-04-01T03:00:00.000Z")
    seeder.add_lines(sale, "2026-04-01T03:00:00.000Z", 1)
    seeder.write(sale, new=True)
    seeder.close(sale, "2026-04-01T03:30:00.000Z")
    seeder.write(sale)
    return sale


# --- the brute force ------------------------------------------------------------------------------


def local(moment: str, branch: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(ZoneInfo(ZONES[branch]))


def expected(sales: list[Sale], branch: str, since: str, until: str, grouping: str) -> dict[str, tuple[Any, ...]]:
    """Each line of the report, by its key, computed straight from the sales' final states."""
    first, last = date.fromisoformat(since), date.fromisoformat(until)
    closed = [s for s in sales if s.branch_id == branch and s.estado == "cerrado" and s.closed_at
              and first <= local(s.closed_at, branch).date() <= last]
    voided = [s for s in sales if s.branch_id == branch and s.estado == "anulado" and s.voided_at
              and first <= local(s.voided_at, branch).date() <= last]
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 4)

    def count(key: str, n: Decimal | int, total: Decimal, extra: Decimal = Decimal(0)) -> None:
        line = sums[key]
        line[0] += n
        line[1] += total
        line[2] += extra

    for s in closed:
        moment = local(s.closed_at or "", branch)
        if grouping == "dia":
            count(moment.date().isoformat(), 1, s.monto_total)
        elif grouping == "hora":
            count(f"{moment.hour:02d}", 1, s.monto_total)
        elif grouping == "mesero":
            count(s.usuario_id, 1, s.monto_total)
        elif grouping == "tipo":
            count(s.tipo, 1, s.monto_total)
        elif grouping == "metodo":
            for p in s.pagos:
                count(p.metodo_pago, 1, p.monto)
        elif grouping == "plato":
            for key in {f"plato:{i.plato_id}" if i.plato_id else f"producto:{i.producto_id}" for i in s.items}:
                lines = [i for i in s.items if (f"plato:{i.plato_id}" if i.plato_id else f"producto:{i.producto_id}") == key]
                count(key, 1, sum((i.subtotal for i in lines), Decimal(0)), sum((i.cantidad for i in lines), Decimal(0)))
    if grouping == "dia":
        for s in voided:
            sums[local(s.voided_at or "", branch).date().isoformat()][3] += 1
        for n in range((last - first).days + 1):
            _ = sums[(first + timedelta(days=n)).isoformat()]
    if grouping == "hora":
        for h in range(24):
            _ = sums[f"{h:02d}"]
    out: dict[str, tuple[Any, ...]] = {}
    for key, (n, total, quantity, voids) in sums.items():
        line: tuple[Any, ...] = (int(n), money(total))
        if grouping == "plato":
            line += (quantity.normalize(),)
        if grouping == "dia":
            voided_total = sum((s.monto_total for s in voided if local(s.voided_at or "", branch).date().isoformat() == key),
                               Decimal(0))
            line += (int(voids), money(voided_total))
        out[key] = line
    return out


def reported(body: Any) -> dict[str, tuple[Any, ...]]:
    out: dict[str, tuple[Any, ...]] = {}
    for line in body["lineas"]:
        got: tuple[Any, ...] = (line["ventas"], line["total"])
        if body["agrupar"] == "plato":
            got += (Decimal(line["cantidad"]).normalize(),)
        if body["agrupar"] == "dia":
            got += (line["anuladas"], line["monto_anulado"])
        out[line["clave"]] = got
    return out


GROUPINGS = ("dia", "hora", "plato", "metodo", "mesero", "tipo")


def test_lines_carry_the_names_of_platos_productos_and_waiters_read_at_report_time(week: Month) -> None:
    dishes = week.report("centro", "2026-03-25", "2026-03-31", "plato")["lineas"]
    assert dishes
    assert {line["clave"]: line["nombre"] for line in dishes} == {line["clave"]: week.names[line["clave"]] for line in dishes}
    staff = {str(user.user_id): user.nombre for user in get_services().users.list("alpha")}
    waiters = {line["clave"]: line["nombre"] for line in week.report("centro", "2026-03-25", "2026-03-31", "mesero")["lineas"]}
    assert waiters == {key: staff.get(key, key) for key in waiters} and waiters.get("cliente:9") in (None, "cliente:9")


def test_a_sale_closed_at_23_30_local_is_on_that_local_day_though_it_is_the_next_day_in_utc(week: Month) -> None:
    late = week.sales[-1]
    assert (late.closed_at, late.estado) == ("2026-04-01T03:30:00.000Z", "cerrado")
    last_day = week.report("centro", "2026-03-31", "2026-03-31", "hora")
    assert reported(last_day) == expected(week.sales, "centro", "2026-03-31", "2026-03-31", "hora")
    assert reported(last_day)["23"][0] >= 1
    next_day = week.report("centro", "2026-04-01", "2026-04-01", "dia")
    assert reported(next_day) == expected(week.sales, "centro", "2026-04-01", "2026-04-01", "dia")
    assert late not in [s for s in week.sales if s.closed_at and local(s.closed_at, "centro").date() == date(2026, 4, 1)]


def test_a_replayed_stream_batch_changes_nothing(week: Month) -> None:
    before = {g: week.report(b, "2026-03-25", "2026-03-31", g) for g in GROUPINGS for b in ZONES}
    for batch in batches(week.records):  # again, through the container's own fan-out
        assert get_services().fanout.handle_batch(deepcopy(batch)) == {"batchItemFailures": []}
    assert {g: week.report(b, "2026-03-25", "2026-03-31", g) for g in GROUPINGS for b in ZONES} == before


def test_a_sale_reopened_and_closed_again_through_the_api_is_counted_once(api: Api, alpha: TenantWorld, menu: Any) -> None:
    stream = TableStream("transactions")
    cashier = api.as_(alpha.tokens["cajero"])
    assert cashier.post("/api/caja/abrir", {"b100": 1}).status == 201
    sale = cashier.post("/api/transacciones", {"nro_reg": 1, "concepto": "Mesa 1", "mesa": "1"}).body
    cashier.post(f"/api/transacciones/{sale['id']}/items", {"producto_id": menu.producto, "cantidad": 2})
    assert cashier.post(f"/api/transacciones/{sale['id']}/pagos", {"metodo_pago": "efectivo", "monto": "20.00"}).status == 201
    assert cashier.post(f"/api/transacciones/{sale['id']}/reabrir").status in (200, 201)
    cashier.post(f"/api/transacciones/{sale['id']}/items", {"producto_id": menu.producto, "cantidad": 1})
    assert cashier.post(f"/api/transacciones/{sale['id']}/pagos", {"metodo_pago": "qr", "monto": "10.00"}).status == 201
    assert cashier.get(f"/api/transacciones/{sale['id']}").body["estado"] == "cerrado"
    records = stream.records()
    assert len(records) >= 5
    feed(get_services().fanout, records)
    feed(get_services().fanout, records)  # and the stream delivers it all again: nothing moves
    body = api.as_(alpha.tokens["admin"]).get("/api/reportes/ventas?agrupar=metodo").body
    assert (body["ventas"], body["total"]) == (1, "30.00")
    by_method = {line["clave"]: (line["ventas"], line["total"]) for line in body["lineas"]}
    assert by_method == {"efectivo": (1, "20.00"), "qr": (1, "10.00")}


def test_the_csv_download_is_utf8_with_a_bom_and_says_what_the_json_says_accents_included(week: Month) -> None:
    client = week.api._client  # the raw bytes, not the JSON client's text
    headers = {"Authorization": f"Bearer {week.alpha.tokens['admin']}", "X-Branch-Id": "norte"}
    reply = client.http.get("/api/reportes/ventas?desde=2026-03-25&hasta=2026-03-31&agrupar=plato&formato=csv", headers=headers)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert reply.headers["Content-Disposition"] == 'attachment; filename="ventas-norte-2026-03-25-2026-03-31-plato.csv"'
    assert reply.body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(reply.body.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["id", "nombre", "ventas", "cantidad", "total"]
    json_lines = week.report("norte", "2026-03-25", "2026-03-31", "plato")["lineas"]
    assert rows[1:] == [[line["clave"], line["nombre"], str(line["ventas"]), line["cantidad"], line["total"]] for line in json_lines]
    assert {"Salteña", "Café con leche", "Sopa de maní", "Jugo de piña"} <= {row[1] for row in rows[1:]}
    by_day = client.http.get("/api/reportes/ventas?desde=2026-03-25&hasta=2026-03-31&formato=csv", headers=headers)
    rows = list(csv.reader(io.StringIO(by_day.body.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["fecha", "ventas", "total", "ticket_promedio", "anuladas", "monto_anulado"] and len(rows) == 8


def test_the_backfill_rebuilds_a_day_deleted_from_the_rollup_to_the_same_figures_and_again_idempotently(week: Month) -> None:
    day = "2026-03-28"
    before = {g: week.report("centro", day, day, g) for g in GROUPINGS}
    assert before["dia"]["ventas"] > 0
    assert get_services().rollup_repo.forget_day("alpha", "centro", "ventas", day) >= 2
    assert week.report("centro", day, day, "dia")["ventas"] == 0
    args = ["--stage", "local", "--table-prefix", "comanda-test", "--tenant", "alpha", "--branch", "centro",
            "--desde", "2026-03-27", "--hasta", "2026-03-29"]
    out = io.StringIO()
    for _ in range(2):  # a second run forgets and rewrites the same days: the same figures, not blocked, not doubled
        assert rebuild_main(args, out=out) == 0
        get_services()
        assert {g: week.report("centro", day, day, g) for g in GROUPINGS} == before
    runs = out.getvalue().splitlines()
    assert runs[0].startswith("alpha/centro ventas 2026-03-27..2026-03-29 (3 days): ")
    assert runs[0].endswith("4 rows forgotten, 6 rows written")
    assert runs[1].endswith("6 rows forgotten, 6 rows written")
    for grouping in ("dia", "plato", "metodo"):
        body = week.report("centro", "2026-03-25", "2026-03-31", grouping)
        assert reported(body) == expected(week.sales, "centro", "2026-03-25", "2026-03-31", grouping)


def test_the_backfill_refuses_bad_input_with_exit_2(api: Api, alpha: TenantWorld) -> None:
    base = ["--stage", "local", "--table-prefix", "comanda-test", "--tenant", "alpha"]
    errors = io.StringIO()
    assert rebuild_main([*base, "--branch", "nowhere", "--desde", "2026-03-01", "--hasta", "2026-03-02"], err=errors) == 2
    assert rebuild_main([*base, "--branch", "centro", "--desde", "2026-03-05", "--hasta", "2026-03-02"], err=errors) == 2
    get_services()
    err = errors.getvalue()
    assert "tenant 'alpha' has no branch 'nowhere'" in err and "desde must not be after hasta" in err


def test_a_bad_date_or_too_long_a_range_is_a_clear_400(api: Api, alpha: TenantWorld) -> None:
    admin = api.as_(alpha.tokens["admin"])
    cases = {
        "/api/reportes/ventas?desde=2026-3-1": "desde must match ^\\d{4}-\\d{2}-\\d{2}$ regular expression",
        "/api/reportes/ventas?desde=2026-02-30&hasta=2026-03-01": "desde must be a valid date",
        "/api/reportes/ventas?desde=2026-03-02&hasta=2026-03-01": "desde must not be after hasta",
        "/api/reportes/ventas?desde=2025-01-01&hasta=2026-03-01": "the range desde..hasta must not exceed 366 days",
        "/api/reportes/ventas?agrupar=semana": "agrupar must be one of the following values: dia, hora, plato, metodo, mesero, tipo",
        "/api/reportes/cajas?hasta=2026-13-01": "hasta must be a valid date",
    }
    for path, message in cases.items():
        reply = admin.get(path)
        assert (reply.status, reply.body["message"]) == (400, [message]), path


def test_another_tenants_branch_is_not_found_and_a_cashier_may_not_read_the_owners_reports(api: Api, alpha: TenantWorld) -> None:
    admin = api.as_(alpha.tokens["admin"])
    assert admin.get("/api/reportes/ventas", headers={"X-Branch-Id": "sur"}).status == 404
    assert admin.get("/api/reportes/cajas", headers={"X-Branch-Id": "sur"}).status == 404
    cashier = api.as_(alpha.tokens["cajero"])
    assert cashier.get("/api/reportes/ventas").status == 403
    assert cashier.get("/api/reportes/cajas", headers={"X-Branch-Id": "norte"}).status == 403


def test_the_cajas_report_lists_each_closed_caja_of_the_branch_with_expected_counted_cash_and_difference(
    api: Api, alpha: TenantWorld, menu: Any
) -> None:
    cashier, admin = api.as_(alpha.tokens["cajero"]), api.as_(alpha.tokens["admin"])
    caja = cashier.post("/api/caja/abrir", {"b100": 1}).body  # 100.00
    sale = cashier.post("/api/transacciones", {"nro_reg": 1, "concepto": "Mesa 1"}).body
    cashier.post(f"/api/transacciones/{sale['id']}/items", {"producto_id": menu.producto, "cantidad": 3})
    cashier.post(f"/api/transacciones/{sale['id']}/pagos", {"metodo_pago": "efectivo", "monto": "30.00", "monto_recibido": "50.00"})
    cashier.post("/api/caja/gastos", {"descripcion": "Hielo", "metodo_pago": "efectivo", "monto": "4.50"})
    assert cashier.post("/api/caja/cerrar", {"b100": 1, "b20": 1, "b5": 1, "m050": 1}).status == 200  # 125.50 counted
    assert admin.post("/api/caja/abrir", {}, headers={"X-Branch-Id": "norte"}).status == 201  # open: not listed, other branch
    body = admin.get("/api/reportes/cajas").body
    assert (body["sucursal_id"], body["total_diferencia"]) == ("centro", "0.00")
    assert [(c["id"], c["monto_inicial"], c["ventas_efectivo"], c["gastos_efectivo"], c["efectivo_esperado"], c["efectivo_contado"],
             c["diferencia"], c["estado_diferencia"]) for c in body["cajas"]] == [
        (caja["id"], "100.00", "30.00", "4.50", "125.50", "125.50", "0.00", "exacto")]
    assert admin.get("/api/reportes/cajas", headers={"X-Branch-Id": "norte"}).body["cajas"] == []
    assert admin.get("/api/reportes/cajas?desde=2020-01-01&hasta=2020-01-31").body["cajas"] == []
