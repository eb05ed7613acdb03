"""The kitchen speed report over 90 days reads days × stations items of the `reports` table,
whatever the number of sales behind them.

In-process moto, the real app through chalice.test.Client. One branch, 90 local days, two very
different volumes of cooked sales (devstack/kitchen_week.py: held courses, recalls); the rollup
rows are written with the facts the stream applies (chalicelib/domain/kitchen_pace.py), one
apply per sale. Then GET /api/reportes/cocina over the 90 days, and per station, with a probe on
the shared botocore client counting every Query and the items it returned.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import machine, machine_line, table
from bench.sales_report import QueryProbe

DAYS = 90
START = datetime(2026, 1, 1, 14, 0, tzinfo=UTC)
VOLUMES = (3, 30)  # sales per day
QUICK_VOLUMES = (1, 4)
READS = 3


def seed(tenant: str, branch: str, plato_ids: list[str], per_day: int) -> tuple[int, float]:
    """The sales' kitchen rollup rows; returns how many sales and the seconds it took."""
    from chalicelib.container import get_services
    from chalicelib.domain import kitchen_pace
    from devstack.kitchen_week import write_week

    services = get_services()
    sales = write_week(lambda sale: sale, lambda sale: None, tenant, branch, plato_ids, START, DAYS, DAYS * per_day, seed=per_day)
    started = time.perf_counter()
    settings = services.zones.branch(tenant, branch)
    for sale in sales:
        services.rollup_repo.apply_once(tenant, f"bench:{sale.id}", kitchen_pace.facts(sale, settings))
    return len(sales), time.perf_counter() - started


def measure(api: Any, token: str, probe: QueryProbe, reports_table: str) -> dict[str, Any]:
    until = (START + timedelta(days=DAYS - 1)).date().isoformat()
    out: dict[str, Any] = {}
    for label, extra in (("all stations", ""), ("parrilla", "&estacion=parrilla")):
        times, reads = [], []
        for _ in range(READS):
            probe.take()
            started = time.perf_counter()
            reply = api.as_(token).get(f"/api/reportes/cocina?desde={START.date().isoformat()}&hasta={until}{extra}")
            times.append((time.perf_counter() - started) * 1000)
            if reply.status != 200:
                raise RuntimeError(f"report: {reply}")
            reads.append(probe.take())
        on_reports = [q for q in reads[-1] if q["table"] == reports_table]
        out[label] = {
            "station_days": len(reply.body["dias"]),
            "items_in_report": sum(d["items"] for d in reply.body["dias"]),
            "reports_queries": len(on_reports),
            "reports_items": sum(q["count"] for q in on_reports),
            "other_queries": len([q for q in reads[-1] if q["table"] != reports_table]),
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

    info = machine()
    tenant, branch = "alpha", "centro"
    volumes: dict[str, Any] = {}
    with embedded_aws():
        from app import app

        logger.setLevel("WARNING")
        probe = QueryProbe(connection(get_services().settings).client)
        for per_day in QUICK_VOLUMES if quick else VOLUMES:
            clean_tables()
            with Client(app) as client:
                api = Api(client)
                world = provision_world(api, tenant, [branch])
                catalog = get_services().catalog
                platos = [catalog.create_plato(tenant, {"nombre": f"Plato {n}", "precio": 20}).id for n in range(8)]
                sales, seconds = seed(tenant, branch, platos, per_day)
                volumes[str(per_day)] = {
                    "sales": sales, "rollup_s": round(seconds, 1),
                    "reports": measure(api, world.tokens["cocina"], probe, get_services().settings.table_name("reports")),
                }
        clean_tables()
    return {"machine": info, "backend": "moto (in-process, mock_aws)", "days": DAYS, "volumes": volumes}


def render(result: dict[str, Any]) -> str:
    rows = [[f"{v['sales']:,} sales ({per_day}/day)", label, r["station_days"], r["items_in_report"], r["reports_queries"],
             r["reports_items"], r["other_queries"], r["get_ms_median"]]
            for per_day, v in result["volumes"].items() for label, r in v["reports"].items()]
    return "\n".join([
        f"== kitchen_report: GET /api/reportes/cocina over {result['days']} local days ==",
        machine_line(result["machine"]),
        f"backend: {result['backend']}",
        table(["volume", "estacion", "station-days", "items cooked", "reports Queries", "rows read", "other Queries",
               "GET ms (median)"], rows),
        "(rows read = days × stations with work, the same at both volumes; other Queries: the catalog, for the slowest dishes' names)",
    ])
