"""The kitchen queue is a sparse GSI: reading it costs O(pending), not O(history).

In-process moto, the real app through chalice.test.Client. 20 pending sales are created over the
API; the queue is read (GET /api/transacciones/cocina/pendientes and
SaleRepository.kitchen_queue) with no history, then again after 10,000 closed sales of the
same branch are written straight to the table (domain Orders closed through the domain methods,
mapped with store.transactions.to_record, written with a PynamoDB batch writer: a closed sale has
no queue_pk, so it is not in the `kitchen-queue` index).

Count and ScannedCount come from the Query's own response (an `after-call.dynamodb.Query` handler
on the shared botocore client). For contrast, the bench also runs the Scan the app never runs
(filter estado_cocina = pendiente over the whole table) and reports what it would have read.

Wall times here are moto's, not DynamoDB's: moto evaluates a GSI Query by walking the table in
Python, so its time grows with history even though DynamoDB's would not. The counts are the point.
"""

from __future__ import annotations

import statistics
import time
from decimal import Decimal as D
from typing import Any

from bench import machine, machine_line, table

PENDING = 20
HISTORY = 10_000
READS = 20


class QueryProbe:
    """Captures IndexName, Count and ScannedCount of every DynamoDB Query on a client."""

    def __init__(self, client: Any) -> None:
        self.queries: list[dict[str, Any]] = []
        self._index: str | None = None
        client.meta.events.register("before-parameter-build.dynamodb.Query", self._before, unique_id="bench-kq-before")
        client.meta.events.register("after-call.dynamodb.Query", self._after, unique_id="bench-kq-after")

    def _before(self, params: dict[str, Any], **_: Any) -> None:
        self._index = params.get("IndexName")

    def _after(self, parsed: dict[str, Any], **_: Any) -> None:
        self.queries.append({"index": self._index, "count": parsed.get("Count"), "scanned": parsed.get("ScannedCount")})

    def take(self) -> list[dict[str, Any]]:
        taken, self.queries = self.queries, []
        return taken


def closed_history(tenant: str, branch: str, plato_id: str, count: int, first_id: int) -> list[Any]:
    """Closed, served, paid sales built through the domain methods (as the service would)."""
    from chalicelib.domain.sales import ITEM_SERVED, Sale
    from chalicelib.store.sales import SaleRecord, to_record

    records = []
    for n in range(count):
        now = f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00+00:00"
        order = Sale(
            tenant_id=tenant, id=first_id + n, branch_id=branch, nro_reg=1, concepto=f"Venta {n}", mesa=str(1 + n % 20),
            cliente=None, tipo="venta", caja_id=None, usuario_id="bench", created_at=now, updated_at=now,
        )
        item = order.add_item(plato_id=plato_id, product_id=None, name="Silpancho", unit_price=D("25.00"),
                              quantity=D("1"), notes=None, station="cocina", now=now)
        order.complete_kitchen(now)
        order.set_item_status(item.uuid, ITEM_SERVED, now)
        order.add_payment(payment_id=n + 1, payment_method="qr", amount=D("25.00"), amount_received=None, qr_reference=None,
                          user_id="bench", now=now)
        if order.estado != "cerrado" or order.in_kitchen_queue:
            raise RuntimeError(f"history sale {order.id} is not closed and out of the queue: {order.estado}/{order.estado_cocina}")
        records.append(to_record(order, SaleRecord))
    return records


def read_queue(api: Any, token: str, repo: Any, probe: QueryProbe, tenant: str, branch: str, reads: int) -> dict[str, Any]:
    http_ms, repo_ms = [], []
    lengths = set()
    for _ in range(reads):
        started = time.perf_counter()
        reply = api.as_(token).get("/api/transacciones/cocina/pendientes")
        http_ms.append((time.perf_counter() - started) * 1000)
        if reply.status != 200:
            raise RuntimeError(f"kitchen queue: {reply}")
        lengths.add(len(reply.body))
    queries = probe.take()
    for _ in range(reads):
        started = time.perf_counter()
        lengths.add(len(repo.kitchen_queue(tenant, branch)))
        repo_ms.append((time.perf_counter() - started) * 1000)
    probe.take()
    last = queries[-1]
    return {
        "returned": sorted(lengths),
        "queries_per_read": len(queries) / reads,
        "index": last["index"],
        "count": last["count"],
        "scanned_count": last["scanned"],
        "http_ms_median": round(statistics.median(http_ms), 2),
        "repository_ms_median": round(statistics.median(repo_ms), 2),
        "reads": reads,
    }


def scan_for_contrast(table_name: str) -> dict[str, Any]:
    """What a Scan would read to find the same sales (the app never does this)."""
    import boto3

    ddb = boto3.client("dynamodb", region_name="us-east-1")
    scanned = found = pages = 0
    started = time.perf_counter()
    pages_of = ddb.get_paginator("scan").paginate(
        TableName=table_name, Select="COUNT",
        FilterExpression="estado_cocina = :p", ExpressionAttributeValues={":p": {"S": "pendiente"}},
    )
    for page in pages_of:
        scanned += page["ScannedCount"]
        found += page["Count"]
        pages += 1
    return {"scanned_count": scanned, "count": found, "pages": pages, "ms": round((time.perf_counter() - started) * 1000, 1)}


def run(quick: bool = False) -> dict[str, Any]:
    from chalice.test import Client

    from bench.requests_per_operation import make_menu
    from chalicelib.container import get_services
    from chalicelib.observability import logger
    from chalicelib.store.base import connection
    from devstack.client import ChaliceClient as Api
    from devstack.embedded import embedded_aws
    from devstack.world import provision_world

    history = 500 if quick else HISTORY
    reads = 3 if quick else READS
    info = machine()
    tenant, branch = "alpha", "centro"
    with embedded_aws():
        from app import app

        logger.setLevel("WARNING")
        with Client(app) as client:
            api = Api(client)
            world = provision_world(api, tenant, [branch])
            menu = make_menu(tenant)
            cajero, cocina = world.tokens["cajero"], world.tokens["cocina"]
            for n in range(PENDING):
                body = {"nro_reg": 1, "concepto": f"Mesa {n}", "mesa": str(n), "items": [{"plato_id": menu["plato"], "cantidad": 1}]}
                reply = api.as_(cajero).post("/api/transacciones", body)
                if reply.status != 201:
                    raise RuntimeError(f"pending sale: {reply}")
            services = get_services()
            repo = services.sale_repo
            probe = QueryProbe(connection(services.settings).client)
            before = read_queue(api, cocina, repo, probe, tenant, branch, reads)

            started = time.perf_counter()
            records = closed_history(tenant, branch, menu["plato"], history, first_id=100_000)
            built = time.perf_counter() - started
            started = time.perf_counter()
            bound_sales = repo.SaleRecord  # type: ignore[attr-defined]
            with bound_sales.batch_write() as batch:
                for record in records:
                    batch.save(bound_sales.from_raw_data(record.serialize()))
            written = time.perf_counter() - started

            after = read_queue(api, cocina, repo, probe, tenant, branch, reads)
            scan = scan_for_contrast(services.settings.table_name("transactions"))
    return {
        "machine": info,
        "backend": "moto (in-process, mock_aws)",
        "pending": PENDING,
        "history_closed": history,
        "history_build_s": round(built, 2),
        "history_write_s": round(written, 2),
        "no_history": before,
        "with_history": after,
        "scan_contrast": scan,
    }


def render(result: dict[str, Any]) -> str:
    rows = []
    states = (("20 pending, no history", "no_history"), (f"20 pending + {result['history_closed']:,} closed", "with_history"))
    for label, key in states:
        r = result[key]
        rows.append([label, r["index"], r["queries_per_read"], r["count"], r["scanned_count"], ",".join(map(str, r["returned"])),
                     r["http_ms_median"], r["repository_ms_median"]])
    s = result["scan_contrast"]
    return "\n".join([
        "== kitchen_queue: GET /api/transacciones/cocina/pendientes on a sparse GSI ==",
        machine_line(result["machine"]),
        f"backend: {result['backend']}; history of {result['history_closed']:,} closed sales built in {result['history_build_s']} s "
        f"and batch-written in {result['history_write_s']} s",
        table(["table state", "index", "Query/read", "Count", "ScannedCount", "returned", "GET ms (median)", "repo ms (median)"],
              rows),
        f"for contrast, a Scan filtered on estado_cocina = pendiente (never used by the app): ScannedCount {s['scanned_count']:,}, "
        f"Count {s['count']}, {s['pages']} page(s), {s['ms']} ms",
        f"(medians of {result['with_history']['reads']} reads each; wall times are moto's, which walks the table in Python for a GSI "
        "Query, so they grow with history where DynamoDB's would not; Count/ScannedCount are the evidence)",
    ])


if __name__ == "__main__":
    from bench import main_for

    raise SystemExit(main_for("kitchen_queue"))
