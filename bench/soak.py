"""`make soak MINUTES=10`: a busy service on the local stack, watched from the outside.

    python -m bench.soak [--minutes 10] [--cashiers 10] [--sockets 200] [--deliveries-per-hour 20]
                         [--url http://localhost:3000 --aws-endpoint http://127.0.0.1:<moto port>]

A restaurant `soak-<n>` with two branches is provisioned on the stack. During the run:
- `cashiers` cashiers (split over the two branches, one caja open per branch) each loop:
  create a table sale, add 3 platos, complete the kitchen, pay until the sale closes;
- `sockets` sockets listen, mixed over JSON `/cocina` and `/kds`, Socket.IO `/cocina` and STOMP
  `/kds/{tenant}/{branch}`, half on each branch;
- delivery orders arrive at `deliveries-per-hour` (at least one per run) and go through the
  whole story: a customer orders, the restaurant accepts and prepares, the kitchen completes, a
  driver claims it and delivers.

It reports operations per second, p50/p99 per route, 4xx/5xx counts, the frames each socket
should have had (every sale of its branch, by id) against what it got, and the stack's RSS at
the start, every minute and at the end. Without `--url` it launches its own stack.
`tests/e2e/test_soak.py` runs a one-minute variant and fails on any 5xx or lost frame.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bench import rss_mb
from devstack.client import HttpClient, JsonClient
from devstack.world import denominations

BRANCHES = ("centro", "norte")
PASSWORD = "Soak1234!"
KINDS = ("json-cocina", "json-kds", "socketio-cocina", "stomp-kds")
QUIET_SECONDS = 15.0  # after the load: stop waiting for frames once none arrived for this long
DRAIN_LIMIT_SECONDS = 300.0


class Api(HttpClient):
    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url
        self.token = token


@dataclass
class Calls:
    """Every REST call of the run: latency per route, statuses; `think` seconds between a
    person's calls (0: flat out)."""

    think: float = 0.0
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, client: JsonClient, route: str, method: str, path: str, body: Any = None, **headers: str) -> Any:
        started = time.perf_counter()
        reply = client.call(method, path, body, headers=headers or None)
        elapsed = time.perf_counter() - started
        with self.lock:
            self.seconds[route].append(elapsed)
            self.statuses[reply.status] += 1
            if reply.status >= 400 and len(self.errors) < 20:
                self.errors.append(f"{route}: {reply.status} {str(reply.body)[:200]}")
        if self.think:
            time.sleep(self.think)
        return reply


@dataclass
class Listener:
    kind: str
    branch: str
    ids: set[int] = field(default_factory=set)
    ready: bool = False
    failure: str | None = None


@dataclass
class Restaurant:
    tenant: str
    admin: Api
    cashiers: dict[str, list[Api]]
    kitchen_tokens: dict[str, str]
    menu: list[dict[str, Any]]
    created: dict[str, set[int]] = field(default_factory=lambda: {b: set() for b in BRANCHES})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, branch: str, sale_id: int) -> None:
        with self.lock:
            self.created[branch].add(sale_id)


# --- the restaurant -----------------------------------------------------------------------------


def provision(base_url: str, aws_endpoint: str, cashiers: int) -> Restaurant:
    from dataclasses import replace

    from chalicelib.container import use_settings
    from chalicelib.settings import load_settings

    tenant = f"soak-{int(time.time()) % 1_000_000}"
    settings = replace(load_settings({"COMANDA_STAGE": "local", "COMANDA_TABLE_PREFIX": "comanda-local", "AWS_REGION": "us-east-1",
                                      "AWS_ENDPOINT_URL": aws_endpoint}), aws_credentials=("testing", "testing"))
    with use_settings(settings) as services:
        services.accounts.provision_tenant(tenant, "Soak", [(b, b.title()) for b in BRANCHES], "admin", PASSWORD)
    anonymous = Api(base_url)
    admin = Api(base_url, anonymous.login("admin", PASSWORD, tenant))
    people: dict[str, list[Api]] = {b: [] for b in BRANCHES}
    kitchen: dict[str, str] = {}
    for n in range(cashiers):
        branch = BRANCHES[n % 2]
        name = f"cajero{n}"
        assert admin.post("/api/usuarios", {"nombre": name, "nombre_usuario": name, "contrasena": PASSWORD, "rol": "cajero",
                                            "sucursal_id": branch}).status == 201
        people[branch].append(Api(base_url, anonymous.login(name, PASSWORD, tenant)))
    for branch in BRANCHES:
        name = f"cocina_{branch}"
        assert admin.post("/api/usuarios", {"nombre": name, "nombre_usuario": name, "contrasena": PASSWORD, "rol": "cocina",
                                            "sucursal_id": branch}).status == 201
        kitchen[branch] = anonymous.login(name, PASSWORD, tenant)
        assert people[branch][0].post("/api/caja/abrir", denominations(b100=2)).status == 201
    dishes = (("Silpancho", "35.00", "cocina"), ("Churrasco", "55.00", "parrilla"), ("Sopa", "15.00", "cocina"))
    for nombre, precio, estacion in dishes:
        assert admin.post("/api/platos", {"nombre": nombre, "precio": precio, "estacion": estacion}).status == 201
    menu = admin.get("/api/platos").body
    return Restaurant(tenant, admin, people, kitchen, menu)


# --- the load -----------------------------------------------------------------------------------


def cashier_loop(restaurant: Restaurant, branch: str, cashier: JsonClient, calls: Calls, until: float) -> int:
    closed = 0
    table = 0
    while time.monotonic() < until:
        table += 1
        header = {"nro_reg": table, "concepto": f"Mesa {table}", "mesa": f"Mesa {table % 30 + 1}"}
        created = calls.timed(cashier, "POST /api/transacciones", "POST", "/api/transacciones", header)
        if created.status != 201:
            continue
        sale_id = created.body["id"]
        sale = f"/api/transacciones/{sale_id}"
        restaurant.record(branch, sale_id)
        for i in range(3):
            item = {"plato_id": restaurant.menu[i % len(restaurant.menu)]["id"], "cantidad": 1}
            calls.timed(cashier, "POST .../items", "POST", f"{sale}/items", item)
        calls.timed(cashier, "PATCH .../cocina/completar", "PATCH", f"{sale}/cocina/completar")
        due = Decimal(calls.timed(cashier, "GET /api/transacciones/{id}", "GET", sale).body["monto_pendiente"])
        while due > 0:
            part = min(due, Decimal("50.00"))
            payment = {"metodo_pago": "efectivo", "monto": str(part), "monto_recibido": str(part)}
            paid = calls.timed(cashier, "POST .../pagos", "POST", f"{sale}/pagos", payment, **{"Idempotency-Key": f"{sale_id}-{due}"})
            if paid.status != 201:
                break
            due -= part
        closed += due <= 0
    return closed


def delivery_story(base_url: str, restaurant: Restaurant, calls: Calls, n: int) -> bool:
    """A customer orders to `centro`; the restaurant takes it through; a driver delivers it."""
    anonymous, staff = Api(base_url), restaurant.cashiers["centro"][0]
    name = f"{restaurant.tenant.replace('-', '_')}_cliente{n}"
    registered = calls.timed(anonymous, "POST /api/clientes/registro", "POST", "/api/clientes/registro", {
        "nombre": "Cliente Soak", "nombre_usuario": name, "email": f"{name}@soak.example.com", "contrasena": PASSWORD,
        "telefono": "+591 7000000", "tenant": restaurant.tenant})
    if registered.status != 201:
        return False
    login = anonymous.post("/api/login/", {"username": f"{name}@soak.example.com", "password": PASSWORD, "tenant": restaurant.tenant})
    customer = Api(base_url, login.body["access"])
    placed = calls.timed(customer, "POST /api/pedidos/", "POST", "/api/pedidos/", {
        "sucursal_id": "centro", "items": [{"plato_id": restaurant.menu[0]["id"], "cantidad": 1}], "metodo_pago": "nequi",
        "direccion": {"calle": "Av. Soak 1", "barrio": "Centro"}}, **{"Idempotency-Key": f"soak-{name}"})
    if placed.status != 201:
        return False
    order = placed.body["pedido_id"]
    restaurant.record("centro", order)
    for estado in ("aceptado", "preparando"):
        calls.timed(staff, "POST /api/pedidos/{id}/estado/", "POST", f"/api/pedidos/{order}/estado/", {"estado": estado})
    calls.timed(staff, "PATCH .../cocina/completar", "PATCH", f"/api/transacciones/{order}/cocina/completar")
    driver_name = f"moto{n}"
    made = restaurant.admin.post("/api/usuarios", {"nombre": driver_name, "nombre_usuario": driver_name, "contrasena": PASSWORD,
                                                   "rol": "repartidor", "sucursal_id": "centro"})
    driver = Api(base_url, anonymous.login(driver_name, PASSWORD, restaurant.tenant)) if made.status == 201 else None
    if driver is None:
        return False
    calls.timed(driver, "POST /api/repartidores/estado", "POST", "/api/repartidores/estado", {"estado": "disponible"})
    claimed = calls.timed(driver, "POST /pedidos/{id}/aceptar-entrega/", "POST", f"/pedidos/{order}/aceptar-entrega/")
    delivered = calls.timed(driver, "POST /pedidos/{id}/marcar-entregado/", "POST", f"/pedidos/{order}/marcar-entregado/")
    return claimed.status == 200 and delivered.status == 200


# --- the sockets ----------------------------------------------------------------------------------


async def listen(ws_url: str, tenant: str, listener: Listener, token: str, stop: asyncio.Event) -> None:
    from websockets.asyncio.client import connect

    kind, branch = listener.kind, listener.branch
    path = {"json-cocina": f"/cocina?token={token}", "json-kds": f"/kds?token={token}",
            "socketio-cocina": "/socket.io/?EIO=4&transport=websocket", "stomp-kds": "/ws"}[kind]
    options: dict[str, Any] = {"subprotocols": ["v12.stomp"]} if kind == "stomp-kds" else {}
    try:
        async with connect(ws_url + path, open_timeout=30, max_size=2**22, ping_interval=None, **options) as ws:
            if kind == "json-kds":
                await ws.send(json.dumps({"action": "subscribe", "channel": f"branch:{branch}"}))
            elif kind == "socketio-cocina":
                assert str(await asyncio.wait_for(ws.recv(), 30)).startswith("0{")
                await ws.send("40/cocina," + json.dumps({"token": token}))
            elif kind == "stomp-kds":
                await ws.send(f"CONNECT\naccept-version:1.2\nlogin:{token}\n\n\x00")
                await ws.send(f"SUBSCRIBE\nid:0\ndestination:/kds/{tenant}/{branch}\nreceipt:r0\n\n\x00")
            if kind == "json-cocina":
                listener.ready = True
            while not stop.is_set():
                try:
                    raw = str(await asyncio.wait_for(ws.recv(), 0.5))
                except TimeoutError:
                    continue
                for sale in sale_ids(kind, raw, listener):
                    listener.ids.add(sale)
                if kind == "socketio-cocina" and raw == "2":
                    await ws.send("3")
    except Exception as exc:  # a socket that dies is reported, the run goes on
        listener.failure = f"{type(exc).__name__}: {exc}"


def sale_ids(kind: str, raw: str, listener: Listener) -> list[int]:
    """The sale ids a frame announces as new (and marks the listener ready on its acknowledgement)."""
    if kind in ("json-cocina", "json-kds"):
        frame = json.loads(raw)
        if frame.get("event") == "subscribed":
            listener.ready = True
        wanted = "nuevo-pedido" if kind == "json-cocina" else "order:new"
        return [int(frame["data"]["id"])] if frame.get("event") == wanted else []
    if kind == "socketio-cocina":
        if raw.startswith("40/cocina,"):
            listener.ready = True
        if raw.startswith('42/cocina,["nuevo-pedido"'):
            return [int(json.loads(raw.split(",", 1)[1])[1]["id"])]
        return []
    found = []
    for frame in raw.split("\x00"):
        command, _, rest = frame.lstrip("\r\n").partition("\n")
        if command == "RECEIPT":
            listener.ready = True
        body = rest.partition("\n\n")[2]
        if command == "MESSAGE":
            envelope = json.loads(body)
            if envelope.get("event") == "order:new":
                found.append(int(envelope["data"]["id"]))
    return found


def start_sockets(ws_url: str, restaurant: Restaurant, count: int) -> tuple[list[Listener], Callable[[], None]]:
    listeners = [Listener(KINDS[n % len(KINDS)], BRANCHES[(n // len(KINDS)) % 2]) for n in range(count)]
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def main() -> None:
        await asyncio.gather(*(listen(ws_url, restaurant.tenant, one, restaurant.kitchen_tokens[one.branch], stop)
                               for one in listeners))

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), name="soak-sockets", daemon=True)
    thread.start()

    def finish() -> None:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)

    return listeners, finish


# --- the run --------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(quick: bool = False, minutes: float | None = None, cashiers: int = 10, sockets: int = 200, think: float = 1.0,
        deliveries_per_hour: float = 20.0, url: str | None = None, aws_endpoint: str | None = None) -> dict[str, Any]:
    minutes = minutes if minutes is not None else (0.5 if quick else 10.0)
    stack = None
    if url is None:
        from devstack.launch import launch_stack

        stack = launch_stack()
        url, aws_endpoint = stack.base_url, stack.aws_endpoint
    assert aws_endpoint, "--aws-endpoint: the running stack's AWS endpoint (its banner's 'AWS endpoint' line)"
    pid = stack.process.pid if stack else None
    try:
        restaurant = provision(url, aws_endpoint, cashiers)
        listeners, close_sockets = start_sockets(url.replace("http", "ws", 1), restaurant, sockets)
        deadline = time.monotonic() + 60
        while not all(one.ready or one.failure for one in listeners) and time.monotonic() < deadline:
            time.sleep(0.2)
        calls = Calls(think)
        rss = [{"minute": 0.0, "rss_mb": rss_mb(pid)}]
        started = time.monotonic()
        until = started + minutes * 60
        results: dict[str, int] = Counter()
        tally = threading.Lock()

        def count(outcome: str, n: int = 1) -> None:
            with tally:
                results[outcome] += n

        def cashier_thread(branch: str, cashier: JsonClient) -> None:
            count("sales closed", cashier_loop(restaurant, branch, cashier, calls, until))

        def deliveries() -> None:
            n = 0
            gap = 3600.0 / deliveries_per_hour
            while n == 0 or time.monotonic() + gap < until:
                n += 1
                count("deliveries done" if delivery_story(url, restaurant, calls, n) else "deliveries failed")
                time.sleep(min(gap, max(0.0, until - time.monotonic())))

        threads = [threading.Thread(target=cashier_thread, args=(b, c)) for b, group in restaurant.cashiers.items() for c in group]
        threads.append(threading.Thread(target=deliveries))
        for thread in threads:
            thread.start()
        next_sample = started + 60
        while any(t.is_alive() for t in threads):
            time.sleep(0.5)
            if time.monotonic() >= next_sample:
                rss.append({"minute": round((time.monotonic() - started) / 60, 1), "rss_mb": rss_mb(pid)})
                next_sample += 60
        elapsed = time.monotonic() - started
        drained = drain(listeners, restaurant)
        close_sockets()
        rss.append({"minute": round((time.monotonic() - started) / 60, 1), "rss_mb": rss_mb(pid)})
    finally:
        if stack is not None:
            stack.stop()
    stack_errors = [line for line in (stack.output if stack else []) if any(
        word in line for word in ("ERROR", "Traceback", "discarding", "raised", "failed"))][:20]
    return {**report(restaurant, listeners, calls, results, rss, elapsed, minutes), "drain_seconds": drained, "think": think,
            "stack_errors": stack_errors,
            "cashiers": cashiers, "sockets": sockets}


def drain(listeners: list[Listener], restaurant: Restaurant) -> float:
    """Wait for the fan-out to catch up once the load stops: until every socket has every sale of
    its branch, or nothing arrived for QUIET_SECONDS. Returns how long the last frames took."""
    started = last_progress = time.monotonic()
    seen = -1
    while time.monotonic() - started < DRAIN_LIMIT_SECONDS:
        now_seen = sum(len(one.ids) for one in listeners)
        if now_seen != seen:
            seen, last_progress = now_seen, time.monotonic()
        if all(restaurant.created[one.branch] <= one.ids for one in listeners if not one.failure):
            return round(time.monotonic() - started, 1)
        if time.monotonic() - last_progress > QUIET_SECONDS:
            break
        time.sleep(0.25)
    return round(last_progress - started, 1)


def report(restaurant: Restaurant, listeners: list[Listener], calls: Calls, results: dict[str, int], rss: list[dict[str, Any]],
           elapsed: float, minutes: float) -> dict[str, Any]:
    per_kind: dict[str, dict[str, int]] = {}
    for kind in KINDS:
        mine = [one for one in listeners if one.kind == kind]
        expected = sum(len(restaurant.created[one.branch]) for one in mine)
        received = sum(len(one.ids & restaurant.created[one.branch]) for one in mine)
        per_kind[kind] = {"sockets": len(mine), "expected": expected, "received": received, "lost": expected - received,
                          "failed sockets": sum(1 for one in mine if one.failure)}
    operations = sum(len(v) for v in calls.seconds.values())
    return {
        "minutes": minutes, "seconds": round(elapsed, 1), "operations": operations, "ops_per_second": round(operations / elapsed, 1),
        "routes": {route: {"calls": len(v), "p50_ms": round(statistics.median(v) * 1000, 1),
                           "p99_ms": round(percentile(v, 0.99) * 1000, 1)} for route, v in sorted(calls.seconds.items())},
        "status_4xx": sum(n for s, n in calls.statuses.items() if 400 <= s < 500),
        "status_5xx": sum(n for s, n in calls.statuses.items() if s >= 500),
        "errors": calls.errors, "results": dict(results), "frames": per_kind,
        "frames_lost": sum(k["lost"] for k in per_kind.values()),
        "missing": {f"{one.kind}/{one.branch}": sorted(restaurant.created[one.branch] - one.ids)[:12] for one in listeners
                    if restaurant.created[one.branch] - one.ids},
        "socket_failures": [f"{one.kind}/{one.branch}: {one.failure}" for one in listeners if one.failure][:10],
        "rss": rss,
    }


def render(result: dict[str, Any]) -> str:
    lines = [f"== soak: {result['cashiers']} cashiers ({result['think']} s between taps), {result['sockets']} sockets, "
             f"{result['minutes']} min ({result['seconds']} s of load): {result['operations']} REST calls, "
             f"{result['ops_per_second']}/s; 4xx {result['status_4xx']}, 5xx {result['status_5xx']}; {result['results']}",
             f"{'route':<40} {'calls':>7} {'p50 ms':>8} {'p99 ms':>8}"]
    lines += [f"{route:<40} {r['calls']:>7} {r['p50_ms']:>8} {r['p99_ms']:>8}" for route, r in result["routes"].items()]
    lines.append(f"{'sockets':<16} {'n':>4} {'expected':>9} {'received':>9} {'lost':>5} {'died':>5}")
    lines += [f"{kind:<16} {f['sockets']:>4} {f['expected']:>9} {f['received']:>9} {f['lost']:>5} {f['failed sockets']:>5}"
              for kind, f in result["frames"].items()]
    lines.append(f"after the load, the last frames arrived {result['drain_seconds']} s later")
    lines.append("RSS of the stack: " + ", ".join(f"min {r['minute']}: {r['rss_mb']:.0f} MB" for r in result["rss"] if r["rss_mb"]))
    lines += [f"  {e}" for e in result["errors"] + result["socket_failures"] + result.get("stack_errors", [])]
    lines += [f"  missing on {socket}: {ids}" for socket, ids in list(result["missing"].items())[:8]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--cashiers", type=int, default=10)
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--think", type=float, default=1.0, help="seconds a cashier takes between two taps (0: flat out)")
    parser.add_argument("--deliveries-per-hour", type=float, default=20.0)
    parser.add_argument("--url", help="a running stack (make run); default: launch one")
    parser.add_argument("--aws-endpoint", help="with --url: the stack's AWS endpoint, from its banner")
    args = parser.parse_args(argv)
    result = run(minutes=args.minutes, cashiers=args.cashiers, sockets=args.sockets, think=args.think,
                 deliveries_per_hour=args.deliveries_per_hour, url=args.url, aws_endpoint=args.aws_endpoint)
    print(render(result))
    return 1 if result["status_5xx"] or result["frames_lost"] else 0


if __name__ == "__main__":
    sys.exit(main())
