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
  3. the sale's kitchen is completed and the bench waits for its `pedido-completado` frame and
     for the `pedidos-actualizados` without it, so the queue (and the size of
     `pedidos-actualizados`) stays the same from one round to the next and the next round starts
     on a quiet pipeline (one batch in flight per shard: a write made while the previous
     batch is still publishing waits for it).
Each latency is measured from just before the REST call to the frame's arrival, so it includes
the REST call itself (reported separately too). It runs on three fresh stacks: the pace and
reads before issue 14 (`--stream-poll fixed --stream-reads http`: a 0.2 s sleep after every
empty poll, GetRecords over HTTP; up to 0.2 s of each figure is that wait), the adaptive pace
alone (`adaptive/http`), and the default now (`adaptive/in-process`: woken right after each
request, 20 ms sleeps while busy, 0.2 s after a second of silence, shards read from moto's
backend in-process). For each: the stack process's CPU while idle (/proc, over 10 s) and the
cost of one empty GetRecords on its moto over HTTP. These are the local stack's latencies, not
AWS's (where Lambda's stream polling has its own, different, delay).
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


def queue_without(tx: int) -> Any:
    def match(f: dict[str, Any]) -> bool:
        if f.get("event") != "pedidos-actualizados" or not isinstance(f.get("data"), list):
            return False
        return all(o.get("id") != tx for o in f["data"])

    return match


def stats(values_s: list[float]) -> dict[str, Any]:
    if not values_s:
        return {"n": 0}
    ms = [v * 1000 for v in values_s]
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 1), "p90_ms": round(percentile(ms, 90), 1),
            "p99_ms": round(percentile(ms, 99), 1), "min_ms": round(min(ms), 1), "max_ms": round(max(ms), 1)}


# label -> (--stream-poll, --stream-reads)
MODES = {
    "fixed/http": ("fixed", "http"),  # before issue 14
    "adaptive/http": ("adaptive", "http"),
    "adaptive/in-process": ("adaptive", "auto"),  # the default now
}
IDLE_SETTLE_S = 2.0
IDLE_MEASURE_S = 10.0
GET_RECORDS_CALLS = 50


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), threads included."""
    import os

    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu_percent(pid: int, settle_s: float = IDLE_SETTLE_S, measure_s: float = IDLE_MEASURE_S) -> float:
    """The process's CPU use (% of one core) over `measure_s` of silence, after `settle_s` to let
    the pollers back off."""
    time.sleep(settle_s)
    before, t0 = process_cpu_seconds(pid), time.perf_counter()
    time.sleep(measure_s)
    return round(100 * (process_cpu_seconds(pid) - before) / (time.perf_counter() - t0), 2)


def get_records_cost(endpoint: str, calls: int = GET_RECORDS_CALLS) -> dict[str, Any]:
    """What one empty GetRecords on the stack's moto costs, seen from outside (HTTP included)."""
    import boto3

    client = boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="x", aws_secret_access_key="x")
    streams = [s for s in client.list_streams()["Streams"] if s["TableName"].endswith("-transactions")]
    if not streams:
        return {"n": 0}
    arn = streams[0]["StreamArn"]
    shard = client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][-1]["ShardId"]
    iterator = client.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        page = client.get_records(ShardIterator=iterator, Limit=100)
        times.append(time.perf_counter() - t0)
        iterator = page.get("NextShardIterator") or iterator
    return stats(times)


def run_mode(pace: str, reads: str, events: int) -> dict[str, Any]:
    from websockets.sync.client import connect

    from devstack.launch import launch_stack

    started = time.perf_counter()
    stack = launch_stack(args=["--stream-poll", pace, "--stream-reads", reads])
    startup_s = time.perf_counter() - started
    samples: dict[str, list[float]] = {"create -> nuevo-pedido": [], "add item -> pedidos-actualizados": [],
                                       "REST POST transacción": [], "REST POST item": []}
    missed = {"nuevo-pedido": 0, "pedidos-actualizados": 0, "pedido-completado": 0}
    try:
        idle_before = idle_cpu_percent(stack.process.pid)
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
                wait_for(ws, queue_without(tx))  # the pipeline is quiet again before the next round
            idle_connected = idle_cpu_percent(stack.process.pid)
        get_records = get_records_cost(stack.aws_endpoint)
    finally:
        stack.stop()
    return {
        "stack_startup_s": round(startup_s, 2),
        "latency": {name: stats(values) for name, values in samples.items()},
        "missed_frames": missed,
        "idle_cpu_percent": {"after start": idle_before, "after the rounds, socket open": idle_connected},
        "get_records_ms": get_records,
    }


def run(quick: bool = False) -> dict[str, Any]:
    events = 10 if quick else EVENTS
    info = machine()
    modes = {label: run_mode(pace, reads, events) for label, (pace, reads) in MODES.items()}
    return {
        "machine": info,
        "stack": "python -m devstack --stream-poll PACE --stream-reads READS (embedded moto, WebSocket emulator, stream pollers) via "
                 "devstack.launch.launch_stack",
        "events": events,
        "warm_up": WARM_UP,
        "frame_timeout_s": FRAME_TIMEOUT_S,
        "idle_window_s": IDLE_MEASURE_S,
        "modes": modes,
    }


def render(result: dict[str, Any]) -> str:
    rows = []
    for name in next(iter(result["modes"].values()))["latency"]:
        for mode, r in result["modes"].items():
            s = r["latency"][name]
            if s["n"]:
                rows.append([name, mode, s["n"], s["p50_ms"], s["p90_ms"], s["p99_ms"], s["min_ms"], s["max_ms"]])
            else:
                rows.append([name, mode, 0, "-", "-", "-", "-", "-"])
    lines = [
        f"== e2e_latency: REST write -> WebSocket frame on the local stack, {result['events']} events per variant ==",
        machine_line(result["machine"]),
        f"stack: {result['stack']}",
        table(["measure", "pace/reads", "n", "p50 ms", "p90 ms", "p99 ms", "min ms", "max ms"], rows),
    ]
    for mode, r in result["modes"].items():
        cpu = ", ".join(f"{k} {v} %" for k, v in r["idle_cpu_percent"].items())
        gr = r["get_records_ms"]
        missed = ", ".join(f"{k}={v}" for k, v in r["missed_frames"].items())
        lines.append(f"{mode}: ready in {r['stack_startup_s']} s; idle CPU of the stack process over "
                     f"{result['idle_window_s']} s: {cpu}; one empty GetRecords (moto, from outside): "
                     f"p50 {gr.get('p50_ms', '-')} ms, p99 {gr.get('p99_ms', '-')} ms; missed frames: {missed}")
    lines.append(f"(after {result['warm_up']} warm-up rounds. Pace: fixed = a 0.2 s sleep after every empty poll (before "
                 "issue 14); adaptive = woken right after each request, 20 ms sleeps while busy or within 1 s of activity, "
                 "0.2 s when idle. Reads: http = GetRecords through boto3 to the embedded moto server (before issue 14); "
                 "in-process = straight from moto's backend in the stack process (the default now). Local figures, not AWS's)")
    return "\n".join(lines)


if __name__ == "__main__":
    from bench import main_for

    raise SystemExit(main_for("e2e_latency"))
