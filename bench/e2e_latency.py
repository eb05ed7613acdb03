"""End-to-end latency on the local stack: REST write -> DynamoDB -> stream poller -> fan-out ->
@connections -> WebSocket frame.

The real local stack (`python -m devstack`, embedded moto, WebSocket emulator, stream poller) is
launched as a subprocess exactly as tests/e2e does (tests/e2e/harness.py `launch_stack`). A
`websockets` client connects to ws://127.0.0.1:PORT/cocina?token=<cocina1's token, tenant demo>.
Then, N times (after a few warm-up rounds):
  1. the cajero POSTs a transacción with a mesa; the clock runs until the `nuevo-pedido` frame
     whose data.id is that sale arrives;
  2. the cajero POSTs an item (plato) to it; the clock runs until a `pedidos-actualizados` frame
     lists that sale with that item;
  3. the sale's kitchen is completed and the bench waits for its `pedido-completado` frame, so the
     queue (and the size of `pedidos-actualizados`) stays the same from one round to the next.
Each latency is measured from just before the REST call to the frame's arrival, so it includes
the REST call itself (reported separately too). The local stream poller sleeps 0.2 s between
polls that find nothing, so up to 0.2 s of each figure is that wait: these are the local stack's
latencies, not AWS's (where Lambda's stream polling has its own, different, delay).
"""

from __future__ import annotations

import json
import time
from typing import Any

from bench import machine, machine_line, percentile, table

EVENTS = 200
WARM_UP = 5
FRAME_TIMEOUT_S = 10.0


def wait_for(ws: Any, match: Any, timeout: float = FRAME_TIMEOUT_S) -> float | None:
    """perf_counter time at which a frame satisfying `match` arrived, or None on time-out."""
    deadline = time.perf_counter() + timeout
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        try:
            raw = ws.recv(timeout=left)
        except TimeoutError:
            return None
        arrived = time.perf_counter()
        frame = json.loads(raw)
        if match(frame):
            return arrived


def is_new_order(tx: int) -> Any:
    return lambda f: f.get("event") == "nuevo-pedido" and isinstance(f.get("data"), dict) and f["data"].get("id") == tx


def lists_item(tx: int, item_id: int) -> Any:
    def match(f: dict[str, Any]) -> bool:
        if f.get("event") != "pedidos-actualizados" or not isinstance(f.get("data"), list):
            return False
        return any(o.get("id") == tx and any(i.get("id") == item_id for i in o.get("items") or []) for o in f["data"])

    return match


def is_completed(tx: int) -> Any:
    return lambda f: f.get("event") == "pedido-completado" and f.get("data") == tx


def stats(values_s: list[float]) -> dict[str, Any]:
    if not values_s:
        return {"n": 0}
    ms = [v * 1000 for v in values_s]
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 1), "p90_ms": round(percentile(ms, 90), 1),
            "p99_ms": round(percentile(ms, 99), 1), "min_ms": round(min(ms), 1), "max_ms": round(max(ms), 1)}


def run(quick: bool = False) -> dict[str, Any]:
    from websockets.sync.client import connect

    from devstack.launch import launch_stack

    events = 10 if quick else EVENTS
    info = machine()
    started = time.perf_counter()
    stack = launch_stack()
    startup_s = time.perf_counter() - started
    samples: dict[str, list[float]] = {"create -> nuevo-pedido": [], "add item -> pedidos-actualizados": [],
                                       "REST POST transacción": [], "REST POST item": []}
    missed = {"nuevo-pedido": 0, "pedidos-actualizados": 0, "pedido-completado": 0}
    try:
        login = stack.as_(None).post("/api/auth/login", {"nombre_usuario": "cocina1", "contrasena": "Cocina123!", "tenant": "demo"})
        if login.status != 201:
            raise RuntimeError(f"cocina1 login: {login}")
        kitchen_token = login.body["access_token"]
        cajero = stack.as_(stack.login("cajero1", "Cajero123!"))
        opened = cajero.post("/api/caja/abrir", {"b100": 1})
        if opened.status not in (201, 409):
            raise RuntimeError(f"caja: {opened}")
        platos = cajero.get("/api/platos")
        if platos.status != 200 or not platos.body:
            raise RuntimeError(f"demo catalog has no platos: {platos}")
        plato = platos.body[0]["id"]
        with connect(f"{stack.ws_url}/cocina?token={kitchen_token}", open_timeout=10, max_size=None) as ws:
            for n in range(WARM_UP + events):
                measured = n >= WARM_UP
                t0 = time.perf_counter()
                created = cajero.post("/api/transacciones", {"nro_reg": 1, "concepto": f"Bench {n}", "mesa": str(1 + n % 20)})
                t1 = time.perf_counter()
                if created.status != 201:
                    raise RuntimeError(f"create: {created}")
                tx = created.body["id"]
                arrived = wait_for(ws, is_new_order(tx))
                if measured:
                    samples["REST POST transacción"].append(t1 - t0)
                    if arrived is None:
                        missed["nuevo-pedido"] += 1
                    else:
                        samples["create -> nuevo-pedido"].append(arrived - t0)

                t0 = time.perf_counter()
                item = cajero.post(f"/api/transacciones/{tx}/items", {"plato_id": plato, "cantidad": 1})
                t1 = time.perf_counter()
                if item.status != 201:
                    raise RuntimeError(f"item: {item}")
                arrived = wait_for(ws, lists_item(tx, item.body["id"]))
                if measured:
                    samples["REST POST item"].append(t1 - t0)
                    if arrived is None:
                        missed["pedidos-actualizados"] += 1
                    else:
                        samples["add item -> pedidos-actualizados"].append(arrived - t0)

                done = cajero.call("PATCH", f"/api/transacciones/{tx}/cocina/completar")
                if done.status != 200:
                    raise RuntimeError(f"completar: {done}")
                if wait_for(ws, is_completed(tx)) is None and measured:
                    missed["pedido-completado"] += 1
    finally:
        stack.stop()
    return {
        "machine": info,
        "stack": "python -m devstack (embedded moto, WebSocket emulator, stream poller) via tests/e2e/harness.launch_stack",
        "stack_startup_s": round(startup_s, 2),
        "events": events,
        "warm_up": WARM_UP,
        "frame_timeout_s": FRAME_TIMEOUT_S,
        "latency": {name: stats(values) for name, values in samples.items()},
        "missed_frames": missed,
    }


def render(result: dict[str, Any]) -> str:
    rows = []
    for name, s in result["latency"].items():
        if s["n"]:
            rows.append([name, s["n"], s["p50_ms"], s["p90_ms"], s["p99_ms"], s["min_ms"], s["max_ms"]])
        else:
            rows.append([name, 0, "-", "-", "-", "-", "-"])
    missed = ", ".join(f"{k}={v}" for k, v in result["missed_frames"].items())
    return "\n".join([
        f"== e2e_latency: REST write -> WebSocket frame on the local stack, {result['events']} events ==",
        machine_line(result["machine"]),
        f"stack: {result['stack']}; ready in {result['stack_startup_s']} s",
        table(["measure", "n", "p50 ms", "p90 ms", "p99 ms", "min ms", "max ms"], rows),
        f"missed frames (no match within {result['frame_timeout_s']} s): {missed}",
        f"(after {result['warm_up']} warm-up rounds; the local stream poller sleeps 0.2 s after an empty poll; "
        "local figures, not AWS's)",
    ])


if __name__ == "__main__":
    from bench import main_for

    raise SystemExit(main_for("e2e_latency"))
