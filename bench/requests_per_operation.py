"""DynamoDB requests per operation of the sale lifecycle, counted at the botocore layer.

In-process moto (tests/support/aws.py `embedded_aws`), the real Chalice app through
chalice.test.Client, a tenant provisioned like the integration tests. A `before-call.dynamodb`
handler is registered on the one botocore client that every PynamoDB record shares
(chalicelib.store.base.connection(settings).client) and on the Powertools idempotency layer's own
client; as a cross-check every DynamoDB call made through any botocore client is counted too.

The lifecycle is run twice on fresh sales; the second (warm) run is the steady state of a warm
Lambda container. The first run also pays the per-process caches (branch time zone).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal as D
from typing import Any

from bench import machine, machine_line, table
from devstack.world import denominations

OPERATIONS = (
    "create transacción (mesa)",
    "add item (plato)",
    "add extra (ingrediente)",
    "complete kitchen",
    "pay (partial)",
    "pay (closing: stock deduction)",
    "pay (closing, Idempotency-Key)",
    "GET kitchen queue",
)
COUNTS = denominations(b100=1)
# Totals this bench measured at main@6191189 (before issue 14), warm and first run, for the
# "before" column: the old read paths are gone from the code, so they are recorded, not re-run.
BASELINE_COMMIT = "6191189"
BASELINE = {
    "create transacción (mesa)": (4, 4),
    "add item (plato)": (3, 3),
    "add extra (ingrediente)": (3, 3),
    "complete kitchen": (2, 3),
    "pay (partial)": (3, 3),
    "pay (closing: stock deduction)": (4, 4),
    "pay (closing, Idempotency-Key)": (7, 7),
    "GET kitchen queue": (1, 1),
}


class Recorder:
    def __init__(self) -> None:
        self.hooked: Counter[str] = Counter()
        self.everything: Counter[str] = Counter()
        self.by_client: Counter[str] = Counter()

    def reset(self) -> None:
        self.hooked.clear()
        self.everything.clear()
        self.by_client.clear()

    def hook(self, client: Any, label: str) -> None:
        def before_call(model: Any, **_: Any) -> None:
            self.hooked[model.name] += 1
            self.by_client[label] += 1

        client.meta.events.register("before-call.dynamodb", before_call, unique_id=f"bench-{label}")


@contextmanager
def every_dynamodb_call(recorder: Recorder) -> Iterator[None]:
    """Cross-check: count DynamoDB calls made through any botocore client at all."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    def counting(self: Any, operation_name: str, api_params: Any) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            recorder.everything[operation_name] += 1
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = counting  # type: ignore[method-assign]
    try:
        yield
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def make_menu(tenant: str) -> dict[str, str]:
    from chalicelib.container import get_services

    catalog = get_services().catalog
    carne = catalog.create_ingredient(tenant, {"nombre": "Carne", "unidad": "kg", "cantidad": D("100"), "cantidad_minima": D("1")})
    arroz = catalog.create_ingredient(tenant, {"nombre": "Arroz", "unidad": "kg", "cantidad": D("100"), "cantidad_minima": D("2")})
    tomate = catalog.create_ingredient(tenant, {"nombre": "Tomate", "unidad": "kg", "cantidad": D("100"), "cantidad_minima": D("1")})
    plato = catalog.create_plato(tenant, {"nombre": "Silpancho", "precio": D("25.00"), "estacion": "cocina"})
    catalog.add_recipe_line(tenant, plato.id, {"ingrediente_id": carne.id, "cantidad": D("0.25")})
    catalog.add_recipe_line(tenant, plato.id, {"ingrediente_id": arroz.id, "cantidad": D("0.2")})
    return {"plato": plato.id, "tomate": tomate.id}


def lifecycle(api: Any, cajero: str, cocina: str, menu: dict[str, str], recorder: Recorder, round_no: int) -> dict[str, Any]:
    """One pass over OPERATIONS; returns operation -> {hooked counts, all-client counts, status, ms}."""
    out: dict[str, Any] = {}
    as_cajero, as_cocina = api.as_(cajero), api.as_(cocina)
    state: dict[str, Any] = {}

    def measure(name: str, call: Any, expected: int) -> Any:
        recorder.reset()
        started = time.perf_counter()
        reply = call()
        elapsed = time.perf_counter() - started
        if reply.status != expected:
            raise RuntimeError(f"{name}: expected HTTP {expected}, got {reply}")
        out[name] = {
            "requests": dict(sorted(recorder.hooked.items())),
            "total": sum(recorder.hooked.values()),
            "all_clients_total": sum(recorder.everything.values()),
            "by_client": dict(recorder.by_client),
            "ms": round(elapsed * 1000, 1),
        }
        return reply.body

    header = {"nro_reg": 1, "concepto": "Mesa 5", "mesa": "5"}
    tx = measure(OPERATIONS[0], lambda: as_cajero.post("/api/transacciones", header), 201)["id"]
    line = {"plato_id": menu["plato"], "cantidad": 2}
    item = measure(OPERATIONS[1], lambda: as_cajero.post(f"/api/transacciones/{tx}/items", line), 201)
    state["item"] = item["id"]
    extra = {"ingrediente_id": menu["tomate"], "precio": "3.00", "cantidad": 1}
    measure(OPERATIONS[2], lambda: as_cajero.post(f"/api/transacciones/{tx}/items/{state['item']}/extras", extra), 201)
    measure(OPERATIONS[3], lambda: as_cocina.patch(f"/api/transacciones/{tx}/cocina/completar"), 200)
    partial = {"metodo_pago": "efectivo", "monto": "20.00", "monto_recibido": "50.00"}
    measure(OPERATIONS[4], lambda: as_cajero.post(f"/api/transacciones/{tx}/pagos", partial), 201)
    rest = {"metodo_pago": "qr", "monto": "36.00"}
    closing = measure(OPERATIONS[5], lambda: as_cajero.post(f"/api/transacciones/{tx}/pagos", rest), 201)
    if closing["transaccion"]["estado"] != "cerrado":
        raise RuntimeError(f"the closing payment did not close the sale: {closing}")

    # a second sale, closed by a payment carrying an Idempotency-Key (Powertools idempotency)
    other = as_cajero.post("/api/transacciones", {"nro_reg": 2, "concepto": "Mesa 6", "mesa": "6"}).body["id"]
    as_cajero.post(f"/api/transacciones/{other}/items", {"plato_id": menu["plato"], "cantidad": 1})
    as_cocina.patch(f"/api/transacciones/{other}/cocina/completar")
    keyed = as_cajero.as_(cajero)
    measure(
        OPERATIONS[6],
        lambda: keyed.post(f"/api/transacciones/{other}/pagos", {"metodo_pago": "qr", "monto": "25.00"},
                           headers={"Idempotency-Key": f"bench-{round_no}"}),
        201,
    )
    measure(OPERATIONS[7], lambda: as_cocina.get("/api/transacciones/cocina/pendientes"), 200)
    return out


def run(quick: bool = False) -> dict[str, Any]:
    from chalice.test import Client

    from chalicelib.container import get_services
    from chalicelib.store.base import connection
    from devstack.client import ChaliceClient as Api
    from devstack.embedded import embedded_aws
    from devstack.world import provision_world

    info = machine()
    recorder = Recorder()
    with embedded_aws():
        from app import app
        from chalicelib.observability import logger

        logger.setLevel("WARNING")
        with Client(app) as client:
            api = Api(client)
            world = provision_world(api, "alpha", ["centro"])
            menu = make_menu("alpha")
            services = get_services()
            recorder.hook(connection(services.settings).client, "pynamodb-shared")
            recorder.hook(services.sales.idempotency._persistence.client, "powertools-idempotency")
            cajero, cocina = world.tokens["cajero"], world.tokens["cocina"]
            opened = api.as_(cajero).post("/api/caja/abrir", COUNTS)
            if opened.status != 201:
                raise RuntimeError(f"could not open a caja: {opened}")
            with every_dynamodb_call(recorder):
                first = lifecycle(api, cajero, cocina, menu, recorder, 1)
                warm = lifecycle(api, cajero, cocina, menu, recorder, 2)
    return {"machine": info, "backend": "moto (in-process, mock_aws)", "warm": warm, "first": first}


def render(result: dict[str, Any]) -> str:
    warm, first = result["warm"], result["first"]
    names = sorted({op for r in warm.values() for op in r["requests"]})
    rows = []
    for op, r in warm.items():
        before = BASELINE.get(op, ("-", "-"))
        rows.append([op, *[r["requests"].get(n, "") for n in names], r["total"], r["all_clients_total"], first[op]["total"],
                     f"{before[0]} / {before[1]}"])
    first_runs = [f"  {op}: {', '.join(f'{n} {c}' for n, c in r['requests'].items())}" for op, r in first.items()]
    notes = []
    for op, r in warm.items():
        if r["total"] != r["all_clients_total"]:
            notes.append(f"  ! {op}: {r['all_clients_total'] - r['total']} DynamoDB calls through an unhooked client")
        if "powertools-idempotency" in r["by_client"]:
            notes.append(f"  {op}: {r['by_client']['powertools-idempotency']} of them through the Powertools idempotency client")
    return "\n".join([
        "== requests_per_operation: DynamoDB requests per API operation (warm container) ==",
        machine_line(result["machine"]),
        f"backend: {result['backend']}; counted with before-call.dynamodb on the shared PynamoDB client and the idempotency client",
        table(["operation", *names, "total", "all clients", "first run", f"at {BASELINE_COMMIT}: warm / first"], rows),
        *notes,
        "first run, by request (empty per-process caches: branch time zone, catalog entries):",
        *first_runs,
        "(`all clients` cross-checks with a counter on every botocore client; `first run` is the same operation on a fresh process,",
        " which also fills per-process caches such as the branch time zone and the catalog entries (5 s); the last column is",
        f" what this bench measured at main@{BASELINE_COMMIT}, before issue 14, recorded in bench/requests_per_operation.py)",
    ])


if __name__ == "__main__":
    from bench import main_for

    raise SystemExit(main_for("requests_per_operation"))
