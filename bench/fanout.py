"""Fan-out: one event posted to 1,000 WebSocket connections through the Management API.

A tiny aiohttp server in its own process (so it does not share the GIL with the senders) stands
in for API Gateway's Management API: `POST /@connections/{id}` sleeps 20 ms and answers 200, and
`GET /count` says how many posts it received. The app's own chalicelib.realtime.sender.Sender,
with a client from `make_client(endpoint, region, threads)`, sends the frame with 16, 32 and 64
threads; a plain sequential loop of post_to_connection on one client is the baseline.

Each client first sends a warm-up round (one post per thread) so the figures are those of a warm
container whose connection pool is already open.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from typing import Any

from bench import REPO, machine, machine_line, table

CONNECTIONS = 1000
DELAY_MS = 20
THREADS = (16, 32, 64)
REPEATS = 3


def serve(delay_ms: int) -> None:
    """The stand-in Management API (runs in a child process; prints its port, then serves)."""
    import asyncio

    from aiohttp import web

    received = 0

    async def post(request: web.Request) -> web.Response:
        nonlocal received
        await request.read()
        await asyncio.sleep(delay_ms / 1000)
        received += 1
        return web.Response(status=200)

    async def count(_: web.Request) -> web.Response:
        return web.json_response({"received": received})

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/@connections/{connection_id}", post)
        app.router.add_get("/count", count)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(f"PORT {port}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


class ManagementApi:
    def __init__(self, delay_ms: int) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-c", f"from bench.fanout import serve; serve({delay_ms})"],
            cwd=REPO, env=env, stdout=subprocess.PIPE, text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("PORT "):
            self.process.kill()
            raise RuntimeError(f"management API stand-in did not start: {line!r}")
        self.endpoint = f"http://127.0.0.1:{line.split()[1]}"

    def received(self) -> int:
        with urllib.request.urlopen(f"{self.endpoint}/count", timeout=10) as response:
            return int(json.loads(response.read())["received"])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def frame(size_hint: int = 1000) -> str:
    data = {"id": 42, "mesa": "5", "items": [{"nombre": "Silpancho", "cantidad": "2", "notas": "x" * 40}] * 8}
    message = json.dumps({"event": "nuevo-pedido", "channel": "restaurante_centro", "data": data, "id": "4970000000000000001"})
    return message if len(message) >= size_hint else message + " " * (size_hint - len(message))


def sequential(endpoint: str, ids: list[str], message: str) -> tuple[float, float]:
    from chalicelib.realtime.sender import make_client

    client = make_client(endpoint, "us-east-1", 1)
    data = message.encode()
    client.post_to_connection(ConnectionId="warm-up", Data=data)
    started, cpu = time.perf_counter(), time.process_time()
    for connection_id in ids:
        client.post_to_connection(ConnectionId=connection_id, Data=data)
    return time.perf_counter() - started, time.process_time() - cpu


def threaded(endpoint: str, ids: list[str], message: str, threads: int, repeats: int) -> tuple[list[float], list[float], int]:
    from chalicelib.realtime.sender import Sender, make_client

    gone: list[str] = []
    sender = Sender(make_client(endpoint, "us-east-1", threads), gone.append, threads=threads)
    try:
        sender.send([f"warm-{i}" for i in range(threads)], message)
        seconds, cpu_seconds, delivered = [], [], 0
        for _ in range(repeats):
            started, cpu = time.perf_counter(), time.process_time()
            report = sender.send(ids, message)
            seconds.append(time.perf_counter() - started)
            cpu_seconds.append(time.process_time() - cpu)
            delivered = report.delivered
            if report.failed or report.gone:
                raise RuntimeError(f"{threads} threads: {len(report.failed)} failed, {len(report.gone)} gone")
        return seconds, cpu_seconds, delivered
    finally:
        sender._pool.shutdown(wait=True)


def run(quick: bool = False) -> dict[str, Any]:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    connections = 50 if quick else CONNECTIONS
    repeats = 1 if quick else REPEATS
    info = machine()
    ids = [f"conn-{i:05d}=" for i in range(connections)]
    message = frame()
    server = ManagementApi(DELAY_MS)
    rows: list[dict[str, Any]] = []
    try:
        before = server.received()
        seconds, cpu = sequential(server.endpoint, ids, message)
        rows.append({"sender": "sequential loop (1 client, threads=1)", "threads": 1, "seconds": [seconds], "cpu_seconds": [cpu],
                     "delivered": connections})
        for threads in THREADS:
            runs, cpus, delivered = threaded(server.endpoint, ids, message, threads, repeats)
            rows.append({"sender": f"Sender, threads={threads}", "threads": threads, "seconds": runs, "cpu_seconds": cpus,
                         "delivered": delivered})
        received = server.received() - before
    finally:
        server.stop()
    expected = connections * (1 + repeats * len(THREADS)) + 1 + sum(THREADS)
    for row in rows:
        row["median_s"] = round(statistics.median(row["seconds"]), 3)
        row["posts_per_s"] = round(connections / statistics.median(row["seconds"]), 1)
        row["ideal_s"] = round(math.ceil(connections / row["threads"]) * DELAY_MS / 1000, 3)
        row["sender_cpu_ms_per_post"] = round(statistics.median(row["cpu_seconds"]) * 1000 / connections, 2)
    return {
        "machine": info,
        "connections": connections,
        "server_delay_ms": DELAY_MS,
        "frame_bytes": len(message.encode()),
        "repeats_threaded": repeats,
        "posts_received_by_server": received,
        "posts_expected": expected,
        "results": rows,
    }


def render(result: dict[str, Any]) -> str:
    rows = [
        [r["sender"], f"{r['median_s']:.3f}", r["posts_per_s"], f"{r['ideal_s']:.3f}", r["sender_cpu_ms_per_post"],
         " ".join(f"{s:.3f}" for s in r["seconds"]), r["delivered"]]
        for r in result["results"]
    ]
    return "\n".join([
        f"== fanout: one {result['frame_bytes']} B frame to {result['connections']:,} connections, "
        f"Management API stand-in sleeping {result['server_delay_ms']} ms per post ==",
        machine_line(result["machine"]),
        table(["sender", "seconds (median)", "posts/s", "ideal s", "sender CPU ms/post", "runs s", "delivered"], rows),
        f"(threaded rows: median of {result['repeats_threaded']} warm runs; sequential: one run; ideal = ceil(N/threads) x delay; "
        f"server counted {result['posts_received_by_server']:,} posts of {result['posts_expected']:,} sent incl. warm-ups;",
        " sender CPU = the sending process's CPU time per post (botocore serialise/sign/parse under one GIL): when it x posts/s",
        " nears 1 s/s, the sender is CPU-bound, not waiting on the 20 ms server)",
    ])


if __name__ == "__main__":
    from bench import main_for

    raise SystemExit(main_for("fanout"))
