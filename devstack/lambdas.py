"""Lambda's Invoke API for the app's own functions (`@app.lambda_function`, e.g. `send_frames`),
served on the stack's port: `POST /2015-03-31/functions/{FunctionName}/invocations`, what boto3's
`lambda` client sends when the app's COMANDA_LAMBDA_ENDPOINT_URL points here.

- FunctionName may be the bare name (`send_frames`), Chalice's deployed name
  (`comanda-local-send_frames`, `<app>-<stage>-<name>`), or an ARN ending in either.
- `Event` (asynchronous) answers 202 at once and runs the function later; `RequestResponse` waits
  and answers 200 with the result (an error as `X-Amz-Function-Error: Unhandled`); `DryRun` 204.
  An Event payload over 256 KB is a 413, as on AWS.
- Concurrency as on Lambda: every invocation runs in its own process from a pool of `concurrency`
  worker processes (spawned on first use, each importing app.py once: a warm container), so
  concurrent invocations do not share a GIL. The workers inherit the stack's environment.
- An asynchronous invocation that raises is retried twice (Lambda's default MaximumRetryAttempts,
  and send_frames's setting), after `retry_delay` seconds (Lambda waits about 1 and 2 minutes);
  then it goes to `on_failure` as the destination record Lambda sends to an on-failure
  destination (`failure_record`): the stack sends it to the `<prefix>-shard-dlq` queue, as the
  deployed send_frames does, and `python -m ops.replay_dlq` replays it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import re
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any
from urllib.parse import unquote

from aiohttp import web

log = logging.getLogger("devstack.lambdas")

INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
MAX_EVENT_BYTES = 256 * 1024
ASYNC_RETRIES = 2


def run_function(name: str, payload: bytes) -> Any:
    """In a worker process: one invocation of the app's function `name`."""
    from chalice.local import LambdaContext

    from app import app

    for function in app.pure_lambda_functions:
        if function.name == name:
            context: Any = LambdaContext(function_name=name, memory_size=1024, max_runtime_ms=900_000)
            return function(json.loads(payload or b"{}"), context)
    raise LookupError(f"no function {name!r} in app.py")


def _warm() -> None:
    import app  # noqa: F401  (a worker imports the app once, like a Lambda container's init)


def failure_record(function_arn: str, payload: bytes, error: BaseException, attempts: int) -> dict[str, Any]:
    """What Lambda sends an asynchronous invocation's on-failure destination."""
    import uuid
    from datetime import UTC, datetime

    try:
        request: Any = json.loads(payload)
    except ValueError:
        request = payload.decode(errors="replace")
    return {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {"requestId": str(uuid.uuid4()), "functionArn": function_arn, "condition": "RetriesExhausted",
                           "approximateInvokeCount": attempts},
        "requestPayload": request,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": str(error), "errorType": type(error).__name__},
    }


class LocalLambdas:
    def __init__(self, app: Any, concurrency: int = 4, retry_delay: float = 1.0,
                 on_failure: Callable[[str, dict[str, Any]], None] | None = None) -> None:
        self.app_name = str(app.app_name)
        self.names = {f.name for f in app.pure_lambda_functions}
        self.concurrency = max(1, concurrency)
        self.retry_delay = retry_delay
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self.results: deque[tuple[str, Any]] = deque(maxlen=10_000)  # (function, result) of finished async invocations
        self.failures: deque[tuple[str, int, str]] = deque(maxlen=10_000)  # (function, attempt, error) of failed ones
        self.on_failure = on_failure  # (function, destination record) once the retries are spent

    def resolve(self, function_name: str) -> str | None:
        """The app's function a FunctionName means, or None."""
        name = unquote(function_name)
        if ":function:" in name:
            name = name.split(":function:", 1)[1].split(":", 1)[0]
        if name in self.names:
            return name
        for candidate in self.names:
            if name.startswith(self.app_name + "-") and name.endswith("-" + candidate):
                return candidate
        return None

    @property
    def pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=self.concurrency, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_warm)
            return self._pool

    def submit(self, name: str, payload: bytes) -> Future[Any]:
        return self.pool.submit(run_function, name, payload)

    def invoke_event(self, name: str, payload: bytes, attempt: int = 1) -> Future[Any]:
        future = self.submit(name, payload)

        def done(f: Future[Any]) -> None:
            error = f.exception()
            if error is None:
                self.results.append((name, f.result()))
                return
            self.failures.append((name, attempt, f"{type(error).__name__}: {error}"))
            if attempt <= ASYNC_RETRIES:
                log.warning("async invocation of %s failed (%s: %s); retry %d in %.1fs", name, type(error).__name__, error,
                            attempt, self.retry_delay * attempt)
                timer = threading.Timer(self.retry_delay * attempt, self.invoke_event, (name, payload, attempt + 1))
                timer.daemon = True
                timer.start()
            elif self.on_failure is not None:
                log.error("async invocation of %s failed after %d attempts, sent to its on-failure destination: %s: %s",
                          name, attempt, type(error).__name__, error)
                arn = f"arn:aws:lambda:us-east-1:000000000000:function:{self.app_name}-local-{name}"
                try:
                    self.on_failure(name, failure_record(arn, payload, error, attempt))
                except Exception:
                    log.exception("the on-failure destination of %s refused the record; it is lost", name)
            else:
                log.error("async invocation of %s failed after %d attempts, dropped: %s: %s", name, attempt,
                          type(error).__name__, error)

        future.add_done_callback(done)
        return future

    async def handle(self, request: web.Request) -> web.Response:
        match = INVOKE_PATH.match(request.path)
        name = self.resolve(match["name"]) if match and request.method == "POST" else None
        if name is None:
            return _error(404, "ResourceNotFoundException", f"Function not found: {request.path}")
        payload = await request.read()
        kind = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if kind == "DryRun":
            return web.Response(status=204)
        if kind == "Event":
            if len(payload) > MAX_EVENT_BYTES:
                return _error(413, "RequestEntityTooLargeException", f"{len(payload)} bytes exceeds {MAX_EVENT_BYTES}")
            self.invoke_event(name, payload)
            return web.Response(status=202)
        try:
            result = await asyncio.wrap_future(self.submit(name, payload))
        except Exception as exc:
            body = json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__})
            return web.Response(status=200, body=body, content_type="application/json",
                                headers={"X-Amz-Function-Error": "Unhandled"})
        return web.Response(status=200, body=json.dumps(result), content_type="application/json")

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            processes = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:  # the worker processes this stack started
                if process.is_alive():
                    process.terminate()


def _error(status: int, code: str, message: str) -> web.Response:
    return web.Response(status=status, body=json.dumps({"Type": "User", "message": message}), content_type="application/json",
                        headers={"x-amzn-ErrorType": code})


class ServedLambdas:
    """`lambdas` behind its own aiohttp server on loopback, in a thread (benches and tests; the
    stack serves it on its own port instead)."""

    def __init__(self, lambdas: LocalLambdas) -> None:
        self.lambdas = lambdas
        self.loop = asyncio.new_event_loop()
        started = threading.Event()

        async def start() -> None:
            app = web.Application(client_max_size=1024 * 1024)
            app.router.add_route("*", "/{tail:.*}", lambdas.handle)
            self.runner = web.AppRunner(app, access_log=None)
            await self.runner.setup()
            site = web.TCPSite(self.runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            started.set()

        def serve() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(start())
            self.loop.run_forever()

        threading.Thread(target=serve, daemon=True, name="lambda-invoke").start()
        if not started.wait(10):
            raise RuntimeError("the Lambda Invoke emulation did not start")
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.lambdas.close()
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
