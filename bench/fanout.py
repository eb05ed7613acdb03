"""Fan-out: one event posted to 1,000 WebSocket connections through the Management API.

A tiny aiohttp server in its own process (so it does not share the GIL with the senders) stands
in for API Gateway's Management API: `POST /@connections/{id}` sleeps 20 ms and answers 200, and
`GET /count` says how many posts it received.

1. Senders: the app's own chalicelib.realtime.sender.Sender sends the frame with 16, 32 and 64
   threads, once with boto3's client (`make_client`) and once with the lean signed client
   (`make_lean_client`, the default); a plain sequential loop of post_to_connection on one boto3
   client is the baseline. The sender's CPU per post is the figure to compare.
2. Sharding: the same 1,000 connections as one instance posting them all (the direct path, 16
   threads as the container's Sender) vs the fan-out's ShardPlan handing 4 shards of 250 to
   send_frames through boto3's Lambda Invoke (Event) against the local stack's Lambda emulation
   (devstack.lambdas.LocalLambdas behind aiohttp, as `python -m devstack` serves it): each
   invocation runs in its own worker process, like separate Lambda instances. Wall time runs from
   the hand-off until the server has counted every post; per-shard times are send_frames' own.

Each client, and each worker process, first sends a warm-up round so the figures are those of
warm containers whose connection pools are already open.
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
SHARDS = 4
CONTAINER_THREADS = 16  # chalicelib.container's Sender


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

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.received() < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server counted {self.received()} posts, not {count}, within {timeout}s")
            time.sleep(0.002)

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


def threaded(endpoint: str, ids: list[str], message: str, threads: int, repeats: int,
             client: str = "boto3") -> tuple[list[float], list[float], int]:
    from chalicelib.realtime.sender import Sender, make_client, make_lean_client

    gone: list[str] = []
    make = make_lean_client if client == "lean" else make_client
    sender = Sender(make(endpoint, "us-east-1", threads), gone.append, threads=threads)
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


class LambdaEmulation:
    """The local stack's Lambda Invoke API (devstack.lambdas) on loopback, its worker processes
    sending to `management_endpoint`; and the app's ShardPlan invoking it through boto3."""

    def __init__(self, management_endpoint: str, concurrency: int, shard_size: int) -> None:
        from app import app
        from devstack.lambdas import LocalLambdas, ServedLambdas

        worker_env = {"WEBSOCKET_ENDPOINT": management_endpoint, "COMANDA_STAGE": "local", "LOG_LEVEL": "WARNING",
                      "COMANDA_TABLE_PREFIX": "comanda-bench"}
        self._restore = {k: os.environ.get(k) for k in worker_env}
        os.environ.update(worker_env)  # the workers are spawned with it (on the warm-up below)
        self.lambdas = LocalLambdas(app, concurrency)
        self.served = ServedLambdas(self.lambdas)
        self.endpoint = self.served.endpoint

        from chalicelib.container import Services
        from chalicelib.settings import load_settings

        env = {**os.environ, "COMANDA_LAMBDA_ENDPOINT_URL": self.endpoint, "COMANDA_FANOUT_SHARD_SIZE": str(shard_size),
               "COMANDA_FANOUT_SHARD_THRESHOLD": str(shard_size - 1)}
        self.plan = Services(load_settings(env)).shard_plan

    def results(self) -> list[dict[str, Any]]:
        return [r for _, r in self.lambdas.results]

    def hand_off(self, ids: list[str], message: str, server: ManagementApi,
                 expected: int) -> tuple[float, float, list[dict[str, Any]]]:
        """Shard and invoke; wait until the server counted `expected` posts and every shard reported."""
        before = len(self.lambdas.results)
        started, cpu = time.perf_counter(), time.process_time()
        shards = self.plan.hand_off(ids, message)
        handed = time.perf_counter() - started
        handed_cpu = time.process_time() - cpu
        server.wait_for(expected)
        seconds = time.perf_counter() - started
        deadline = time.monotonic() + 30
        while len(self.lambdas.results) < before + shards and time.monotonic() < deadline:
            time.sleep(0.002)
        outcomes = self.results()[before:]
        return seconds, handed, [{**o, "hand_off_s": round(handed, 4), "hand_off_cpu_s": round(handed_cpu, 4)} for o in outcomes]

    def stop(self) -> None:
        self.served.stop()
        for key, value in self._restore.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def sharding(server: ManagementApi, ids: list[str], message: str, repeats: int) -> dict[str, Any]:
    """One instance posting every connection vs SHARDS send_frames shards in separate processes."""
    from chalicelib.realtime.sender import Sender, make_lean_client

    connections = len(ids)
    shard_size = math.ceil(connections / SHARDS)
    single = Sender(make_lean_client(server.endpoint, "us-east-1", CONTAINER_THREADS), lambda c: None, threads=CONTAINER_THREADS)
    single.send([f"warm-single-{i}" for i in range(CONTAINER_THREADS)], message)
    single_runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        report = single.send(ids, message)
        single_runs.append(time.perf_counter() - started)
        if report.delivered != connections:
            raise RuntimeError(f"single instance delivered {report.delivered} of {connections}")
    single._pool.shutdown(wait=True)

    emulation = LambdaEmulation(server.endpoint, SHARDS, shard_size)
    try:
        for round_ in range(2):  # spawns the worker processes (app import = cold start), then warms their pools
            warm = [f"warm-shard-{round_}-{i}" for i in range(SHARDS * CONTAINER_THREADS)]
            emulation.plan.size = CONTAINER_THREADS
            emulation.hand_off(warm, message, server, server.received() + len(warm))
        emulation.plan.size = shard_size
        runs, shard_rows = [], []
        for _ in range(repeats):
            seconds, handed, outcomes = emulation.hand_off(ids, message, server, server.received() + connections)
            runs.append(seconds)
            shard_rows.append(outcomes)
            if sum(o["delivered"] for o in outcomes) != connections:
                raise RuntimeError(f"shards delivered {sum(o['delivered'] for o in outcomes)} of {connections}")
    finally:
        emulation.stop()
    return {
        "shards": SHARDS, "shard_size": shard_size, "threads_per_instance": CONTAINER_THREADS,
        "single_seconds": [round(s, 4) for s in single_runs], "single_median_s": round(statistics.median(single_runs), 3),
        "single_ideal_s": round(math.ceil(connections / CONTAINER_THREADS) * DELAY_MS / 1000, 3),
        "sharded_seconds": [round(s, 4) for s in runs], "sharded_median_s": round(statistics.median(runs), 3),
        "sharded_ideal_s": round(math.ceil(shard_size / CONTAINER_THREADS) * DELAY_MS / 1000, 3),
        "per_shard": shard_rows,
    }


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
        for client in ("boto3", "lean"):
            for threads in THREADS:
                runs, cpus, delivered = threaded(server.endpoint, ids, message, threads, repeats, client)
                rows.append({"sender": f"Sender({client}), threads={threads}", "client": client, "threads": threads,
                             "seconds": runs, "cpu_seconds": cpus, "delivered": delivered})
        received = server.received() - before
        shards = sharding(server, ids, message, repeats)
    finally:
        server.stop()
    expected = connections * (1 + 2 * repeats * len(THREADS)) + 1 + 2 * sum(THREADS)
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
        "sharding": shards,
    }


def render(result: dict[str, Any]) -> str:
    rows = [
        [r["sender"], f"{r['median_s']:.3f}", r["posts_per_s"], f"{r['ideal_s']:.3f}", r["sender_cpu_ms_per_post"],
         " ".join(f"{s:.3f}" for s in r["seconds"]), r["delivered"]]
        for r in result["results"]
    ]
    sh = result["sharding"]
    shard_rows = [[f"run {n + 1}", o["connections"], f"{o['seconds']:.3f}",
                   round(o["cpu_seconds"] * 1000 / max(1, o["connections"]), 2), f"{o['hand_off_s']:.3f}"]
                  for n, run_ in enumerate(sh["per_shard"]) for o in run_]
    return "\n".join([
        f"== fanout: one {result['frame_bytes']} B frame to {result['connections']:,} connections, "
        f"Management API stand-in sleeping {result['server_delay_ms']} ms per post ==",
        machine_line(result["machine"]),
        table(["sender", "seconds (median)", "posts/s", "ideal s", "sender CPU ms/post", "runs s", "delivered"], rows),
        f"(threaded rows: median of {result['repeats_threaded']} warm runs; sequential: one run; ideal = ceil(N/threads) x delay; "
        f"server counted {result['posts_received_by_server']:,} posts of {result['posts_expected']:,} sent incl. warm-ups;",
        " sender CPU = the sending process's CPU time per post (botocore serialise/sign/parse under one GIL): when it x posts/s",
        " nears 1 s/s, the sender is CPU-bound, not waiting on the 20 ms server)",
        "",
        f"-- sharding: {result['connections']:,} connections, one instance ({sh['threads_per_instance']} threads) vs "
        f"{sh['shards']} send_frames shards of {sh['shard_size']} (local Lambda emulation, one process per invocation) --",
        table(["path", "seconds (median)", "ideal s", "runs s"], [
            ["single instance", f"{sh['single_median_s']:.3f}", f"{sh['single_ideal_s']:.3f}",
             " ".join(f"{s:.3f}" for s in sh["single_seconds"])],
            [f"{sh['shards']} shards", f"{sh['sharded_median_s']:.3f}", f"{sh['sharded_ideal_s']:.3f}",
             " ".join(f"{s:.3f}" for s in sh["sharded_seconds"])],
        ]),
        table(["shard", "connections", "shard s", "shard CPU ms/post", "hand-off s (all shards)"], shard_rows),
        "(sharded seconds: from the hand-off (boto3 Invoke, Event, to the emulation) until the server counted every post;"
        " shard s: send_frames' own time in its worker process)",
    ])


if __name__ == "__main__":
    from bench import main_for

    raise SystemExit(main_for("fanout"))
