"""The self-cleaning concurrent sender (no AWS: a fake Management API client)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from chalicelib.realtime.sender import Sender, make_client


def error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "PostToConnection")


class Script:
    """post_to_connection answers from a per-connection script of outcomes, then succeeds."""

    def __init__(self, **scripts: list[Exception]) -> None:
        self.scripts = {k: list(v) for k, v in scripts.items()}
        self.calls: list[str] = []
        self.threads: set[str] = set()
        self.lock = threading.Lock()

    def post_to_connection(self, ConnectionId: str, Data: bytes) -> None:  # noqa: N803
        with self.lock:
            self.calls.append(ConnectionId)
            self.threads.add(threading.current_thread().name)
            script = self.scripts.get(ConnectionId, [])
            outcome = script.pop(0) if script else None
        if outcome is not None:
            raise outcome


def test_a_gone_connection_is_forgotten_and_the_others_still_receive() -> None:
    forgotten: list[str] = []
    client = Script(b=[error("GoneException", 410)])
    report = Sender(client, forgotten.append, threads=4).send(["a", "b", "c"], "hi")
    assert (report.delivered, report.gone, report.failed) == (2, ["b"], [])
    assert forgotten == ["b"]
    assert client.calls.count("b") == 1  # a 410 is never retried


def test_a_connection_that_keeps_failing_is_reported_not_forgotten() -> None:
    forgotten: list[str] = []
    client = Script(a=[ReadTimeoutError(endpoint_url="http://x")])
    report = Sender(client, forgotten.append, threads=2).send(["a", "b"], "hi")
    assert report.failed == ["a"] and report.delivered == 1 and forgotten == []
    assert client.calls.count("a") == 1, "retries are botocore's, inside the one call"


def test_a_client_error_that_is_not_transient_is_not_retried() -> None:
    client = Script(a=[error("ForbiddenException", 403)])
    report = Sender(client, lambda c: None, threads=1).send(["a"], "hi")
    assert report.failed == ["a"] and client.calls == ["a"]


def test_sends_run_on_the_pool_and_duplicates_are_sent_once() -> None:
    client = Script()
    report = Sender(client, lambda c: None, threads=8).send([f"c{i}" for i in range(50)] + ["c1", "c2"], "hi")
    assert report.delivered == 50 and len(client.calls) == 50
    assert all(name.startswith("ws-send") for name in client.threads)


# --- botocore's standard retry mode, against a Management API on loopback ------------------------


class ScriptedManagementApi(BaseHTTPRequestHandler):
    statuses: list[int] = []
    seen: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).seen.append(self.path)
        status = type(self).statuses.pop(0) if type(self).statuses else 200
        codes = {410: "GoneException", 429: "LimitExceededException", 500: "InternalServerErrorException"}
        body = json.dumps({"message": codes.get(status, "ok")}).encode() if status != 200 else b""
        self.send_response(status)
        if status != 200:
            self.send_header("x-amzn-ErrorType", codes.get(status, "Error"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def management_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    ScriptedManagementApi.statuses, ScriptedManagementApi.seen = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), ScriptedManagementApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_throttling_and_server_errors_are_retried_by_botocore_then_delivered(management_api: str) -> None:
    ScriptedManagementApi.statuses = [429, 500]
    report = Sender(make_client(management_api, "us-east-1", 2), lambda c: None, threads=2).send(["a"], "hi")
    assert report.delivered == 1 and len(ScriptedManagementApi.seen) == 3


def test_a_gone_connection_is_not_retried_by_botocore(management_api: str) -> None:
    ScriptedManagementApi.statuses = [410]
    forgotten: list[str] = []
    report = Sender(make_client(management_api, "us-east-1", 2), forgotten.append, threads=2).send(["a"], "hi")
    assert report.gone == ["a"] and forgotten == ["a"] and len(ScriptedManagementApi.seen) == 1


def test_a_connection_still_throttled_after_the_attempts_is_reported_failed(management_api: str) -> None:
    ScriptedManagementApi.statuses = [429] * 10
    report = Sender(make_client(management_api, "us-east-1", 2, max_attempts=3), lambda c: None, threads=2).send(["a"], "hi")
    assert report.failed == ["a"] and len(ScriptedManagementApi.seen) == 3
