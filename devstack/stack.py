"""`python -m devstack`: embedded AWS, tables from infra/, demo data, and REST + WebSocket on one port."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from devstack.aws import AwsEndpoint, apply_local_defaults, start_aws

log = logging.getLogger("devstack")

READY_LINE = "COMANDA READY"
LAMBDA_INVOKE_PREFIX = "/2015-03-31/functions/"
WRITE_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Router:
    """One port: Management API, WebSocket namespaces, and everything else to the REST app."""

    rest: Handler
    websocket: Any = None  # devstack.websocket.WebsocketEmulator
    lambdas: Any = None  # devstack.lambdas.LocalLambdas

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        if self.lambdas is not None and request.path.startswith(LAMBDA_INVOKE_PREFIX):
            return await self.lambdas.handle(request)
        ws = self.websocket
        if ws is not None:
            if ws.matches_management(request.path):
                return await ws.management(request)
            upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
            if upgrade and ws.accepts(request.path):
                return await ws.handle(request)
        return await self.rest(request)

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        # [\s\S], not ".": a decoded path may hold a newline, which "." would leave to aiohttp's plain-text 404
        app.router.add_route("*", "/{tail:[\\s\\S]*}", self.dispatch)
        return app


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind early: a busy port fails before we spend seconds deploying, and port 0 works."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devstack", description="Comanda's local stack (REST + WebSocket on one port).")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--workers", type=int, default=16, help="threads running the Lambda handlers")
    parser.add_argument("--lambda-concurrency", type=int, default=4,
                        help="processes running invoked functions (send_frames shards), like Lambda's concurrency")
    parser.add_argument("--no-seed", action="store_true", help="deploy the tables but do not seed demo data")
    parser.add_argument("--no-streams", action="store_true", help="do not poll the tables' streams")
    parser.add_argument("--streams-from", choices=("latest", "trim_horizon"), default="latest",
                        help="where stream polling starts at stack start (default: latest)")
    parser.add_argument("--stream-poll", choices=("adaptive", "fixed"),
                        default=os.environ.get("COMANDA_LOCAL_STREAM_POLL", "adaptive"),
                        help="stream polling pace: adaptive (20 ms while busy, woken after each request; 200 ms after 1 s "
                             "of silence) or fixed (200 ms after every empty poll, the pace before issue 14)")
    parser.add_argument("--stream-reads", choices=("auto", "http"), default=os.environ.get("COMANDA_LOCAL_STREAM_READS", "auto"),
                        help="auto: read the embedded moto's streams in-process (HTTP GetRecords otherwise); "
                             "http: always GetRecords over HTTP (as before issue 14)")
    parser.add_argument("--stream-retention-minutes", type=float,
                        default=float(os.environ.get("COMANDA_LOCAL_STREAM_RETENTION_MINUTES", "10")),
                        help="embedded moto: drop a stream record once every poller has read it and it is this old "
                             "(DynamoDB Streams keeps 24 h; inf keeps every record)")
    parser.add_argument("--data-dir", default=os.environ.get("COMANDA_LOCAL_DATA_DIR"),
                        help="keep the tables in this folder across restarts (make run: .devstack/data); none: in memory")
    parser.add_argument("--fresh", action="store_true", help="with --data-dir: forget the kept tables and start empty")
    parser.add_argument("--save-every", type=float, default=60.0, help="with --data-dir: seconds between saves")
    return parser.parse_args(argv)


class Stack:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.aws: AwsEndpoint | None = None
        self.sock: socket.socket | None = None
        self.port = 0
        self.executor = ThreadPoolExecutor(max_workers=args.workers, thread_name_prefix="lambda")
        self.pollers: list[Any] = []
        self.stream_reads = "http"
        self._write_events: Any = None
        self.schedules: list[Any] = []
        self.timings: dict[str, float] = {}
        self.kitchen_token = ""
        self.seed_summary = ""
        self.app: Any = None
        self.websocket: Any = None
        self.lambdas: Any = None
        self.retention: Any = None
        self.keeper: Any = None
        self.data_line = ""

    # --- setup (synchronous) -----------------------------------------------------------

    def _timed(self, name: str, started: float) -> None:
        self.timings[name] = time.monotonic() - started

    def setup(self) -> None:
        t = time.monotonic()
        self.sock = bind_socket(self.args.host, self.args.port)
        self.port = self.sock.getsockname()[1]
        apply_local_defaults(os.environ)
        self.aws = start_aws(os.environ)
        self._timed("aws", t)

        t = time.monotonic()
        from app import app  # after the environment is ready; reading settings is lazy anyway
        from devstack.gateway import load_config

        self.app = app
        self.config = load_config(app, "local")
        for key, value in self.config.environment_variables.items():
            os.environ.setdefault(key, value)
        os.environ["WEBSOCKET_ENDPOINT"] = f"http://127.0.0.1:{self.port}"
        # Lambda's Invoke for the app's own functions is emulated here (devstack/lambdas.py), whatever AWS_ENDPOINT_URL is.
        os.environ.setdefault("COMANDA_LAMBDA_ENDPOINT_URL", f"http://127.0.0.1:{self.port}")
        from chalicelib.container import reset_services
        from chalicelib.store.base import forget_connections

        reset_services()
        forget_connections()
        self._timed("import", t)

        t = time.monotonic()
        import boto3

        from chalicelib.settings import get_settings
        from devstack.infra import deploy_tables

        settings = get_settings()
        self.settings = settings
        deploy_tables(boto3.Session(region_name=settings.region), settings.table_prefix, settings.endpoint_url)
        self._timed("deploy", t)
        self.keep_tables()

        t = time.monotonic()
        from chalicelib.container import get_services
        from devstack.seed import CREDENTIALS, DEMO_TENANT, seed_demo

        services = get_services()
        if not self.args.no_seed:
            self.seed_summary = seed_demo(services).summary()
            username = "cocina1"
            self.kitchen_token, _ = services.accounts.login(username, CREDENTIALS[username][0], DEMO_TENANT)
        self._timed("seed", t)

    def keep_tables(self) -> None:
        """--data-dir: load the kept tables (unless --fresh) and keep saving them."""
        assert self.aws is not None
        if not self.args.data_dir:
            self.data_line = "in memory (lost at Ctrl-C; make run keeps them in .devstack/data/)"
            return
        if not self.aws.embedded:
            self.data_line = f"kept by {self.aws.url} (--data-dir applies to the embedded moto only)"
            return
        from pathlib import Path

        from devstack.persistence import Keeper, load

        t = time.monotonic()
        path = Path(self.args.data_dir) / f"{self.settings.table_prefix}.json"
        if self.args.fresh and path.exists():
            path.unlink()
        loaded = None if self.args.fresh else load(self.settings.table_prefix, path)
        if loaded is not None:
            self.data_line = f"restored {loaded.items} items saved at {loaded.saved_at} from {path} (FRESH=1 starts empty)"
        else:
            self.data_line = f"{'fresh start (FRESH=1)' if self.args.fresh else 'nothing kept yet'}; saved to {path}"
        self.data_line += f", every {self.args.save_every:.0f} s and at Ctrl-C"
        self.keeper = Keeper(self.settings.table_prefix, path, self.args.save_every).start()
        self._timed("load", t)

    # --- serving -------------------------------------------------------------------------

    def router(self) -> Router:
        from devstack.gateway import RestGateway
        from devstack.lambdas import LocalLambdas

        rest = RestGateway(self.app, self.config, self.executor)
        rest.after_request = self.nudge_pollers
        self.lambdas = LocalLambdas(self.app, self.args.lambda_concurrency, on_failure=self.shard_dead_letter)
        router = Router(rest=rest.handle, lambdas=self.lambdas)
        try:
            from devstack.websocket import WebsocketEmulator
        except ImportError:  # phase 1: REST only
            return router
        self.websocket = WebsocketEmulator(self.app, self.executor, port=self.port, stage=self.config.api_gateway_stage)
        self.websocket.after_invoke = self.nudge_pollers
        router.websocket = self.websocket
        return router

    def shard_dead_letter(self, function: str, record: dict[str, Any]) -> None:
        """send_frames's on-failure destination, as deployed: the stage's shard DLQ."""
        import json

        import boto3

        sqs = boto3.client("sqs", region_name=self.settings.region, endpoint_url=self.settings.endpoint_url)
        queue = sqs.get_queue_url(QueueName=f"{self.settings.table_prefix}-shard-dlq")["QueueUrl"]
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(record))

    def start_pollers(self) -> None:
        if self.args.no_streams:
            return
        try:
            from devstack.streams import start_stream_pollers
        except ImportError:
            return
        in_process = self.args.stream_reads == "auto" and self.aws is not None and self.aws.embedded
        self.stream_reads = "in-process" if in_process else "http"
        self.pollers = start_stream_pollers(self.app, self.settings, self.args.streams_from.upper(), self.args.stream_poll,
                                            in_process=in_process)
        if self.args.stream_poll == "adaptive":
            self.nudge_on_writes()

    def start_stream_retention(self) -> None:
        """Embedded moto, pollers reading in-process (or none): trim what every poller has read."""
        from devstack import moto_tidy

        if self.aws is None or not self.aws.embedded or not moto_tidy.installed():
            return
        if self.args.stream_retention_minutes == float("inf"):  # keep every record, as moto does
            return
        if self.pollers and self.stream_reads != "in-process":
            return
        from devstack.stream_retention import StreamRetention

        self.retention = StreamRetention(self.settings.table_prefix, self.pollers, self.args.stream_retention_minutes).start()

    def nudge_on_writes(self) -> None:
        """Wake the pollers as soon as the app's shared DynamoDB client has written, not only
        when the request that wrote is over: the fan-out then overlaps the rest of the request."""
        if not self.pollers:
            return
        from chalicelib.store.base import connection

        self._write_events = connection(self.settings).client.meta.events
        for operation in WRITE_OPERATIONS:
            self._write_events.register(f"after-call.dynamodb.{operation}", self._nudge_after_call,
                                        unique_id=f"devstack-nudge-{operation}")

    def _nudge_after_call(self, **_: Any) -> None:
        self.nudge_pollers()

    def nudge_pollers(self) -> None:
        """A request or WebSocket handler just ran and may have written: poll the streams now."""
        for poller in self.pollers:
            poller.nudge()

    def start_schedules(self) -> None:
        from devstack.schedules import start_schedules

        self.schedules = start_schedules(self.app)

    async def serve(self, started: float) -> None:
        assert self.sock is not None
        runner = web.AppRunner(self.router().web_app(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.SockSite(runner, self.sock, shutdown_timeout=2.0)
        await site.start()
        self.start_pollers()
        self.start_stream_retention()
        self.start_schedules()
        self._timed("total", started)
        self.banner()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            print("\nStopping Comanda local stack...", flush=True)
            if self.websocket is not None:
                await self.websocket.close_all()
            await runner.cleanup()

    def banner(self) -> None:
        from devstack.seed import CREDENTIALS, DEMO_TENANT

        host = "localhost" if self.args.host in ("127.0.0.1", "0.0.0.0", "::") else self.args.host
        aws = self.aws
        assert aws is not None
        lines = [
            "",
            "Comanda local stack",
            f"  REST API        http://{host}:{self.port}/api",
            f"  Kitchen display http://{host}:{self.port}/display/   (sign in as cocina1 / Cocina123!)",
            f"  Point of sale   http://{host}:{self.port}/pos/       (cajero1 / Cajero123!, mesero1 / Mesero123!)",
            f"  Dashboard       http://{host}:{self.port}/panel/     (admin / Admin123!)",
            f"  WebSocket       ws://{host}:{self.port}/cocina   (also /kds; token as ?token=...)",
            f"  Socket.IO       http://{host}:{self.port}/cocina   (io(url + '/cocina', {{auth: {{token}}}}), path /socket.io/)",
            f"  Management API  http://127.0.0.1:{self.port}/@connections/{{connectionId}}",
            f"  Lambda Invoke   {os.environ.get('COMANDA_LAMBDA_ENDPOINT_URL')}{LAMBDA_INVOKE_PREFIX}{{name}}/invocations "
            f"({', '.join(sorted(self.lambdas.names)) if self.lambdas else 'none'}; {self.args.lambda_concurrency} processes)",
            f"  AWS endpoint    {aws.url} ({'embedded moto' if aws.embedded else 'AWS_ENDPOINT_URL'})",
            f"  Tables          {self.settings.table_prefix}-*: {self.data_line}",
            *([f"  Not emulated    {skipped} (moto's CloudFormation skips them; they exist only on AWS)"]
              if aws.embedded and (skipped := self._skipped_by_moto()) else []),
            "  Stream pollers  " + (", ".join(p.name for p in self.pollers) or "none (the app registers no stream handlers)")
            + (f" ({self.args.stream_poll} pace, {self.stream_reads} reads)" if self.pollers else ""),
            *([f"  Stream records  kept {self.args.stream_retention_minutes:g} min after every poller read them "
               "(DynamoDB Streams: 24 h)"] if self.retention else []),
        ]
        if self.seed_summary:
            lines.append(f"  Demo data       tenant '{DEMO_TENANT}': {self.seed_summary}")
            lines.append("  Demo users      " + "  ".join(f"{u}/{p} ({r})" for u, (p, r) in CREDENTIALS.items()))
            lines.append(f"  Kitchen token   {self.kitchen_token}")
            lines.append(f"  Try             curl -s -X POST http://{host}:{self.port}/api/auth/login "
                         "-H 'Content-Type: application/json' -d '{\"nombre_usuario\":\"admin\",\"contrasena\":\"Admin123!\"}'")
        timings = " ".join(f"{k}={v:.2f}s" for k, v in self.timings.items())
        lines += [f"  Started in      {timings}", "  Ctrl-C stops everything.", "", READY_LINE]
        print("\n".join(lines), flush=True)

    @staticmethod
    def _skipped_by_moto() -> str:
        from devstack.infra import skipped_by_moto

        return ", ".join(f"{count} {kind.removeprefix('AWS::')}" for kind, count in sorted(skipped_by_moto().items()))

    def close(self) -> None:
        if self._write_events is not None:
            for operation in WRITE_OPERATIONS:
                self._write_events.unregister(f"after-call.dynamodb.{operation}", unique_id=f"devstack-nudge-{operation}")
            self._write_events = None
        for poller in self.pollers:
            poller.stop()
        for schedule in self.schedules:
            schedule.stop()
        if self.retention is not None:
            self.retention.stop()
        if self.keeper is not None:
            saved = self.keeper.stop()
            if saved is not None:
                print(f"Saved {saved} items to {self.keeper.path}.", flush=True)
        if self.lambdas is not None:
            self.lambdas.close()
        self.executor.shutdown(wait=False, cancel_futures=True)
        if self.aws is not None:
            self.aws.stop()
        if self.sock is not None:
            self.sock.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    started = time.monotonic()

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)  # during setup; serve() installs loop handlers
    stack = Stack(args)
    try:
        stack.setup()
        asyncio.run(stack.serve(started))
    except KeyboardInterrupt:
        print("\nInterrupted.", flush=True)
    finally:
        stack.close()
    print("Comanda local stack stopped.", flush=True)
    return 0
