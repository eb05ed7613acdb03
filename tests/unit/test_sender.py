"""The self-cleaning concurrent sender (no AWS: a fake Management API client, and Management APIs
on loopback that both clients — boto3's and the lean signed one — talk to)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, ReadTimeoutError

from chalicelib.realtime.sender import Sender, SignedManagementClient, make_client, make_lean_client

CLIENTS: dict[str, Callable[..., Any]] = {"boto3": make_client, "lean": make_lean_client}


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
    protocol_version = "HTTP/1.1"  # keep-alive, as API Gateway
    statuses: list[int] = []
    seen: list[str] = []
    requests: list[tuple[str, str, dict[str, str], bytes]] = []
    delay = 0.0

    def do_DELETE(self) -> None:  # noqa: N802
        self.do_POST()

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).seen.append(self.path)
        type(self).requests.append((self.command, self.path, dict(self.headers.items()), body))
        if type(self).delay:
            time.sleep(type(self).delay)
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
    ScriptedManagementApi.statuses, ScriptedManagementApi.seen, ScriptedManagementApi.requests = [], [], []
    ScriptedManagementApi.delay = 0.0
    server = ThreadingHTTPServer(("127.0.0.1", 0), ScriptedManagementApi)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("statuses", [[429, 500], [503, 502], [500, 504]])
def test_throttling_and_server_errors_are_retried_with_back_off_then_delivered(management_api: str, client: str,
                                                                               statuses: list[int]) -> None:
    ScriptedManagementApi.statuses = list(statuses)
    report = Sender(CLIENTS[client](management_api, "us-east-1", 2), lambda c: None, threads=2).send(["a"], "hi")
    assert report.delivered == 1 and len(ScriptedManagementApi.seen) == 3


@pytest.mark.parametrize("client", CLIENTS)
def test_a_gone_connection_is_not_retried(management_api: str, client: str) -> None:
    ScriptedManagementApi.statuses = [410]
    forgotten: list[str] = []
    report = Sender(CLIENTS[client](management_api, "us-east-1", 1), forgotten.append, threads=1).send(["a", "b"], "hi")
    assert report.gone == ["a"] and forgotten == ["a"] and report.delivered == 1 and len(ScriptedManagementApi.seen) == 2


@pytest.mark.parametrize("client", CLIENTS)
def test_a_connection_still_throttled_after_the_attempts_is_reported_failed(management_api: str, client: str) -> None:
    ScriptedManagementApi.statuses = [429] * 10
    sender = Sender(CLIENTS[client](management_api, "us-east-1", 2, max_attempts=3), lambda c: None, threads=2)
    report = sender.send(["a"], "hi")
    assert report.failed == ["a"] and len(ScriptedManagementApi.seen) == 3


@pytest.mark.parametrize("client", CLIENTS)
def test_a_forbidden_post_is_failed_at_once_and_not_forgotten(management_api: str, client: str) -> None:
    ScriptedManagementApi.statuses = [403]
    forgotten: list[str] = []
    report = Sender(CLIENTS[client](management_api, "us-east-1", 2), forgotten.append, threads=2).send(["a"], "hi")
    assert report.failed == ["a"] and forgotten == [] and len(ScriptedManagementApi.seen) == 1


@pytest.mark.parametrize("client", CLIENTS)
def test_every_attempt_has_a_timeout_and_a_post_that_outlives_them_is_reported_failed(management_api: str, client: str) -> None:
    ScriptedManagementApi.delay = 1.0
    sender = Sender(CLIENTS[client](management_api, "us-east-1", 2, timeout_seconds=0.2, max_attempts=2), lambda c: None, threads=2)
    started = time.monotonic()
    report = sender.send(["a"], "hi")
    assert report.failed == ["a"] and len(ScriptedManagementApi.seen) == 2
    assert time.monotonic() - started < 1.9, "each attempt gave up after its timeout, not after the server's second"


@pytest.mark.parametrize("client", CLIENTS)
def test_both_clients_post_the_frame_to_the_same_path_and_close_with_a_delete(management_api: str, client: str) -> None:
    sender = Sender(CLIENTS[client](management_api + "/api", "us-east-1", 2), lambda c: None, threads=2)
    assert sender.send_one("L0SM9cOFvHcCIhw=", '{"event":"x"}') == "delivered"
    sender.close("L0SM9cOFvHcCIhw=")
    (post, path, _, body), (delete, delete_path, _, _) = ScriptedManagementApi.requests
    assert (post, path, body) == ("POST", "/api/@connections/L0SM9cOFvHcCIhw%3D", b'{"event":"x"}')
    assert (delete, delete_path) == ("DELETE", path)


# --- the lean client's requests pass an independent SigV4 check ------------------------------------


def verify_sigv4(method: str, url: str, headers: dict[str, str], body: bytes, secret: str, region: str) -> dict[str, str]:
    """Recompute the signature of a received request with botocore's own canonical request and
    string to sign (the plain SigV4Auth, nothing of the sender's), over exactly the headers the
    request says it signed; raise if it differs. Returns the Authorization header's fields."""
    match = re.fullmatch(r"AWS4-HMAC-SHA256 Credential=(?P<credential>[^,]+), SignedHeaders=(?P<signed>[^,]+), "
                         r"Signature=(?P<signature>[0-9a-f]{64})", headers["Authorization"])
    assert match, headers["Authorization"]
    access_key, day, scope_region, service, terminal = match["credential"].split("/")
    lower = {k.lower(): v for k, v in headers.items()}
    signed = match["signed"].split(";")
    assert {"host", "x-amz-date"} <= set(signed)
    request = AWSRequest(method=method, url=url, data=body, headers={name: lower[name] for name in signed})
    request.context["timestamp"] = lower["x-amz-date"]
    assert day == lower["x-amz-date"][:8] and terminal == "aws4_request"
    auth = SigV4Auth(Credentials(access_key, secret, lower.get("x-amz-security-token")), service, scope_region)
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    assert match["signature"] == expected, f"signature mismatch for canonical request:\n{canonical}"
    return {"access_key": access_key, "region": scope_region, "service": service, "signed": match["signed"]}


def test_the_lean_clients_posts_pass_an_independent_sigv4_verification(management_api: str) -> None:
    client = make_lean_client(management_api + "/api", "eu-west-1", 4, credentials=("AKIDLEAN", "lean-secret"))
    ids = ["L0SM9cOFvHcCIhw=", "plain", "with space/slash+plus", "ñandú"]
    report = Sender(client, lambda c: None, threads=4).send(ids, json.dumps({"event": "nuevo-pedido", "data": "ñ" * 300}))
    assert report.delivered == 4 and len(ScriptedManagementApi.requests) == 4
    for method, path, headers, body in ScriptedManagementApi.requests:
        fields = verify_sigv4(method, management_api + path, headers, body, "lean-secret", "eu-west-1")
        assert fields == {"access_key": "AKIDLEAN", "region": "eu-west-1", "service": "execute-api", "signed": "host;x-amz-date"}
    with pytest.raises(AssertionError, match="signature mismatch"):
        method, path, headers, body = ScriptedManagementApi.requests[0]
        verify_sigv4(method, management_api + path, headers, body + b" ", "lean-secret", "eu-west-1")


def test_the_lean_client_signs_with_the_default_chains_session_token_and_each_request_on_its_own(
        management_api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIATEMP")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "temp-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "the-session-token")
    client = SignedManagementClient(management_api + "/api", "us-east-1", 2)
    client.post_to_connection(ConnectionId="a", Data=b"one")
    client.post_to_connection(ConnectionId="a", Data=b"two")
    client.delete_connection(ConnectionId="a")
    signatures = set()
    for method, path, headers, body in ScriptedManagementApi.requests:
        fields = verify_sigv4(method, management_api + path, headers, body, "temp-secret", "us-east-1")
        assert fields["signed"] == "host;x-amz-date;x-amz-security-token" and headers["X-Amz-Security-Token"] == "the-session-token"
        signatures.add(headers["Authorization"])
    assert len(signatures) == 3


def test_the_lean_client_reuses_its_keep_alive_connections(management_api: str) -> None:
    client = make_lean_client(management_api, "us-east-1", 2, credentials=("a", "b"))
    for i in range(20):
        client.post_to_connection(ConnectionId=f"c{i}", Data=b"x")
    assert client._pool.num_connections == 1


def test_the_lean_clients_back_off_is_jittered_exponential_and_capped(management_api: str) -> None:
    ScriptedManagementApi.statuses = [429, 503, 500]
    delays: list[float] = []
    client = SignedManagementClient(management_api, "us-east-1", 1, credentials=("a", "b"), sleep=delays.append)
    client.post_to_connection(ConnectionId="a", Data=b"x")
    assert len(delays) == 3 and len(ScriptedManagementApi.seen) == 4
    assert all(0 <= d <= min(1.0, 0.05 * 2 ** n) for n, d in enumerate(delays, start=1))
    many = [SignedManagementClient(management_api, "us-east-1", 1, credentials=("a", "b"), sleep=delays.append) for _ in range(20)]
    for c in many:
        ScriptedManagementApi.statuses = [429]
        c.post_to_connection(ConnectionId="b", Data=b"x")
    assert len(set(delays[3:])) == 20, "every wait is drawn afresh"
