"""A 90-day sales report reads days × parts items of the `reports` table, whatever the number of
sales behind them.

In-process moto, the real app through chalice.test.Client. One branch, 90 local days, two very
different volumes of closed sales (built through the domain methods, batch-written to the
transactions table); the branch's "ventas" rollup is built from them by the backfill
(ops/rebuild_reports.py: the same rows the stream keeps). Then GET /api/reportes/ventas over the
90 days, once per grouping, with a probe on the shared botocore client counting every Query and
the items it returned (Count, ScannedCount), per table.

Expected: the reports table returns 90 × 2 items (part "" and part "platos" of each day) at either
volume; the name lookups (catalog for `plato`, users for `mesero`) read the catalog and the staff,
not the sales. Wall times are moto's.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date, datetime, timedelta
from decimal import Decimal as D
from typing import Any
from zoneinfo import ZoneInfo

from bench import machine, machine_line, table

DAYS = 90
FIRST = date(2026, 1, 1)
VOLUMES = (2, 40)  # closed sales per day
QUICK_VOLUMES = (1, 5)
GROUPINGS = ("dia", "hora", "plato", "metodo", "mesero", "tipo")
READS = 3


class QueryProbe:
    """Every DynamoDB Query on a client: its table, Count and ScannedCount, summed per page."""

    def __init__(self, client: Any) -> None:
        self.queries: list[dict[str, Any]] = []
        self._table: str | None = None
        client.meta.events.register("before-parameter-build.dynamodb.Query", self._before, unique_id="bench-sr-before")
        client.meta.events.register("after-call.dynamodb.Query", self._after, unique_id="bench-sr-after")

    def _before(self, params: dict[str, Any], **_: Any) -> None:
        self._table = params.get("TableName")

    def _after(self, parsed: dict[str, Any], **_: Any) -> None:
        self.queries.append({"table": self._table, "count": parsed.get("Count", 0), "scanned": parsed.get("ScannedCount", 0)})

    def take(self) -> list[dict[str, Any]]:
        taken, self.queries = self.queries, []
        return taken


def closed_sales(tenant: str, branch: str, entries: list[tuple[str, str, D]], per_day: int, rng: random.Random) -> list[Any]:
    """`per_day` closed sales on each of the 90 local days, 1-3 lines each, some paid in two methods."""
    from chalicelib.domain.clock import iso
    from chalicelib.domain.sales import Sale
    from chalicelib.store.sales import SaleRecord, to_record

    zone = ZoneInfo("America/La_Paz")
    records, sale_id = [], 0
    for day in range(DAYS):
        local = FIRST + timedelta(days=day)
        for _ in range(per_day):
            sale_id += 1
            moment = iso(datetime(local.year, local.month, local.day, rng.randint(9, 22), rng.randint(0, 59), tzinfo=zone))
            sale = Sale(tenant_id=tenant, id=sale_id, branch_id=branch, nro_reg=1, concepto="Mesa", mesa="1", cliente=None,
                        tipo=rng.choice(("venta", "delivery")), caja_id=None, usuario_id=rng.choice(("1", "2", "3")),
                        created_at=moment, updated_at=moment)
            for kind, entry, price in rng.sample(entries, rng.randint(1, 3)):
                sale.add_item(plato_id=entry if kind == "plato" else None, product_id=entry if kind == "producto" else None,
                              name=entry, unit_price=price, quantity=D(rng.randint(1, 3)), notes=None, station=None, now=moment)
            sale.complete_kitchen(moment)
            due = sale.monto_pendiente
            split = [("efectivo", due)] if rng.random() < 0.7 else [("efectivo", (due / 2).quantize(D("0.01"))),
                                                                     ("qr", due - (due / 2).quantize(D("0.01")))]
            for n, (method, amount) in enumerate(split):
                sale.add_payment(payment_id=sale_id * 10 + n, payment_method=method, amount=amount, amount_received=None,
                                 qr_reference=None, user_id="2", now=moment)
            records.append(to_record(sale, SaleRecord))
    return records


def measure(api: Any, token: str, probe: QueryProbe, reports_table: str) -> dict[str, Any]:
    until = (FIRST + timedelta(days=DAYS - 1)).isoformat()
    out: dict[str, Any] = {}
    for grouping in GROUPINGS:
        times, reads = [], []
        for _ in range(READS):
            probe.take()
            started = time.perf_counter()
            reply = api.as_(token).get(f"/api/reportes/ventas?desde={FIRST.isoformat()}&hasta={until}&agrupar={grouping}")
            times.append((time.perf_counter() - started) * 1000)
            if reply.status != 200:
                raise RuntimeError(f"report: {reply}")
            reads.append(probe.take())
        last = reads[-1]
        on_reports = [q for q in last if q["table"] == reports_table]
        others = [q for q in last if q["table"] != reports_table]
        out[grouping] = {
            "sales_in_report": reply.body["ventas"],
            "lines": len(reply.body["lineas"]),
            "reports_queries": len(on_reports),
            "reports_items": sum(q["count"] for q in on_reports),
            "reports_scanned": sum(q["scanned"] for q in on_reports),
            "other_queries": {table: [len(qs), sum(q["count"] for q in qs)]
                              for table in sorted({q["table"].rsplit("-", 1)[-1] for q in others})
                              for qs in [[q for q in others if q["table"].rsplit("-", 1)[-1] == table]]},
            "get_ms_median": round(statistics.median(times), 1),
        }
    return out


def run(quick: bool = False) -> dict[str, Any]:
    from chalice.test import Client

    from chalicelib.container import get_services
    from chalicelib.observability import logger
    from chalicelib.store.base import connection
    from devstack.client import ChaliceClient as Api
    from devstack.embedded import clean_tables, embedded_aws
    from devstack.world import provision_world
    from ops.rebuild_reports import rebuild

    info = machine()
    tenant, branch = "alpha", "centro"
    volumes: dict[str, Any] = {}
    with embedded_aws():
        from app import app

        logger.setLevel("WARNING")
        probe = QueryProbe(connection(get_services().settings).client)  # one probe: botocore keeps one handler per unique_id
        for per_day in QUICK_VOLUMES if quick else VOLUMES:
            clean_tables()
            with Client(app) as client:
                api = Api(client)
                world = provision_world(api, tenant, [branch])
                catalog = get_services().catalog
                entries = [("plato", catalog.create_plato(tenant, {"nombre": f"Plato {n}", "precio": D(20 + n)}).id, D(20 + n))
                           for n in range(8)]
                entries += [("producto", catalog.create_product(tenant, {"nombre": f"Bebida {n}", "precio": D(8 + n), "stock": 10**6,
                                                                         "unidad": "u"}).id, D(8 + n)) for n in range(4)]
                services = get_services()
                started = time.perf_counter()
                records = closed_sales(tenant, branch, entries, per_day, random.Random(per_day))
                with services.sale_repo.SaleRecord.batch_write() as batch:
                    for record in records:
                        batch.save(services.sale_repo.SaleRecord.from_raw_data(record.serialize()))
                written = time.perf_counter() - started
                started = time.perf_counter()
                built = rebuild(services, tenant, branch, FIRST, FIRST + timedelta(days=DAYS - 1), lookback_days=0)
                rebuilt = time.perf_counter() - started
                volumes[str(per_day)] = {
                    "sales": len(records), "write_s": round(written, 1), "rollup_rebuild_s": round(rebuilt, 1),
                    "rollup_rows": built.rows_written,
                    "reports": measure(api, world.tokens["admin"], probe, services.settings.table_name("reports")),
                }
        clean_tables()
    return {"machine": info, "backend": "moto (in-process, mock_aws)", "days": DAYS, "volumes": volumes}


def render(result: dict[str, Any]) -> str:
    rows = []
    for per_day, v in result["volumes"].items():
        for grouping, r in v["reports"].items():
            others = ", ".join(f"{name}: {n} Query, {items} items" for name, (n, items) in r["other_queries"].items()) or "-"
            rows.append([f"{v['sales']:,} sales ({per_day}/day)", grouping, r["sales_in_report"], r["lines"], r["reports_queries"],
                         r["reports_items"], r["reports_scanned"], others, r["get_ms_median"]])
    return "\n".join([
        f"== sales_report: GET /api/reportes/ventas over {result['days']} local days, by grouping ==",
        machine_line(result["machine"]),
        f"backend: {result['backend']}; rollups built by ops/rebuild_reports.rebuild "
        + "; ".join(f"{v['sales']:,} sales: {v['rollup_rows']} rows in {v['rollup_rebuild_s']} s" for v in result["volumes"].values()),
        table(["volume", "agrupar", "ventas", "lines", "reports Queries", "items read", "ScannedCount", "other Queries (items)",
               "GET ms (median)"], rows),
        "(items read on the reports table = days × parts, the same at both volumes; other Queries are the name lookups: "
        "catalog for plato, users for mesero)",
    ])
