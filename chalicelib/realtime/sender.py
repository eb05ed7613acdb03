"""Posting to WebSocket connections through the API Gateway Management API.

One client shared by a thread pool sized to match. The default client is the lean one
(`make_lean_client`): each post is one SigV4-signed request (botocore's signer) over a keep-alive
urllib3 pool, under half the CPU per post of boto3's `apigatewaymanagementapi` client
(`make_client`, kept for the bench's comparison and for tests). Both retry throttling, 5xx and
transport errors with jittered exponential back-off and raise botocore's ClientError; a 410
(GoneException) removes that connection's rows and never stops the other sends; every call
has a timeout."""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from chalicelib import metrics
from chalicelib.observability import logger

MAX_ATTEMPTS = 4  # botocore counts the first call


@dataclass
class SendReport:
    delivered: int = 0
    gone: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def make_client(endpoint_url: str, region: str, threads: int, timeout_seconds: float = 3.0, max_attempts: int = MAX_ATTEMPTS,
                credentials: tuple[str, str] | None = None) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        max_pool_connections=threads,
        connect_timeout=timeout_seconds,
        read_timeout=timeout_seconds,
        retries={"total_max_attempts": max_attempts, "mode": "standard"},
    )
    access_key, secret_key = credentials or (None, None)
    return boto3.client("apigatewaymanagementapi", endpoint_url=endpoint_url, region_name=region, config=config,
                        aws_access_key_id=access_key, aws_secret_access_key=secret_key)


RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
BACKOFF_BASE_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 1.0


def make_lean_client(endpoint_url: str, region: str, threads: int, timeout_seconds: float = 3.0,
                     max_attempts: int = MAX_ATTEMPTS, credentials: tuple[str, str] | None = None) -> SignedManagementClient:
    """The lean client, with make_client's signature; `credentials` None: boto3's default chain."""
    return SignedManagementClient(endpoint_url, region, threads, timeout_seconds, max_attempts, credentials)


class SignedManagementClient:
    """`post_to_connection` and `delete_connection` of the Management API as SigV4-signed requests
    (botocore's SigV4Auth on an AWSRequest, service `execute-api`) over one keep-alive urllib3
    pool of `threads` connections, made on first use. Per endpoint it keeps the base URL and
    headers; per day and secret, the signing key; per message, the payload hash (a fan-out
    posts the same bytes to every connection). Each request is signed on its own.

    Errors look like boto3's: a ClientError carrying the code and the HTTP status; a transport
    error that outlives the attempts is raised as urllib3's."""

    def __init__(self, endpoint_url: str, region: str, threads: int, timeout_seconds: float = 3.0,
                 max_attempts: int = MAX_ATTEMPTS, credentials: tuple[str, str] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        parts = urlsplit(endpoint_url.rstrip("/"))
        self._endpoint = f"{parts.scheme}://{parts.netloc}"
        self._base_path = parts.path
        self._host = parts.netloc
        if (parts.scheme, parts.port) in (("https", 443), ("http", 80)):
            self._host = parts.hostname or parts.netloc
        self._region = region
        self._threads = threads
        self._timeout_seconds = timeout_seconds
        self._max_attempts = max(1, max_attempts)
        self._static_credentials = credentials
        self._sleep = sleep
        self._lock = threading.Lock()
        self._pool: Any = None
        self._credentials: Any = None
        self._keys: dict[tuple[str, str], bytes] = {}
        self._last_payload: tuple[bytes, str] = (b"", hashlib.sha256(b"").hexdigest())

    # --- boto3's interface ----------------------------------------------------------------

    def post_to_connection(self, ConnectionId: str, Data: bytes) -> None:  # noqa: N803 (boto3's names)
        self._call("POST", ConnectionId, Data, "PostToConnection")

    def delete_connection(self, ConnectionId: str) -> None:  # noqa: N803
        self._call("DELETE", ConnectionId, b"", "DeleteConnection")

    # --- one call: attempts, back-off, errors ------------------------------------------------

    def _call(self, method: str, connection_id: str, data: bytes, operation: str) -> None:
        from botocore.utils import percent_encode
        from urllib3.exceptions import HTTPError

        path = f"{self._base_path}/@connections/{percent_encode(connection_id)}"
        for attempt in range(1, self._max_attempts + 1):
            last = attempt == self._max_attempts
            try:
                status, headers, body = self._request(method, path, data)
            except HTTPError:  # connect/read timeout, reset, refused: retried like botocore's transient errors
                if last:
                    raise
                self._backoff(attempt)
                continue
            if status < 300:
                return
            if status in RETRIED_STATUSES and not last:
                self._backoff(attempt)
                continue
            raise _client_error(operation, status, headers, body)

    def _backoff(self, attempt: int) -> None:
        self._sleep(random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** attempt)))

    def _request(self, method: str, path: str, data: bytes) -> tuple[int, Any, bytes]:
        from botocore.awsrequest import AWSRequest

        pool = self._pool or self._open()
        request = AWSRequest(method=method, url=self._endpoint + path, data=data, headers={"Host": self._host})
        request.context["payload_sha256"] = self._payload_hash(data)
        _signer_class()(self._frozen_credentials(), self._region, self._keys).add_auth(request)
        response = pool.urlopen(method, path, body=data or None, headers=dict(request.headers.items()), retries=False,
                                redirect=False, timeout=self._timeout, preload_content=True, assert_same_host=False)
        return int(response.status), response.headers, bytes(response.data or b"")

    def _payload_hash(self, data: bytes) -> str:
        last = self._last_payload
        if last[0] is data or last[0] == data:
            return last[1]
        digest = hashlib.sha256(data).hexdigest()
        self._last_payload = (data, digest)
        return digest

    def _frozen_credentials(self) -> Any:
        credentials = self._credentials
        if credentials is None:
            credentials = self._open_credentials()
        return credentials.get_frozen_credentials()  # refreshable credentials refresh here

    # --- made once, on first use -----------------------------------------------------------

    def _open(self) -> Any:
        import urllib3

        with self._lock:
            if self._pool is None:
                self._timeout = urllib3.Timeout(connect=self._timeout_seconds, read=self._timeout_seconds)
                options: dict[str, Any] = {}
                if self._endpoint.startswith("https:"):
                    from botocore.httpsession import get_cert_path

                    options["ca_certs"] = get_cert_path(True)
                self._pool = urllib3.connection_from_url(self._endpoint, maxsize=self._threads, block=True, **options)
        return self._pool

    def _open_credentials(self) -> Any:
        from botocore.credentials import Credentials

        with self._lock:
            if self._credentials is None:
                if self._static_credentials is not None:
                    self._credentials = Credentials(*self._static_credentials)
                else:
                    import boto3

                    found = boto3.Session().get_credentials()
                    if found is None:
                        from botocore.exceptions import NoCredentialsError

                        raise NoCredentialsError()
                    self._credentials = found
        return self._credentials


@lru_cache(maxsize=1)
def _signer_class() -> type:
    """botocore's SigV4 with the day's signing key cached and the payload hash given (botocore is
    imported on the first post, not with this module)."""
    from botocore.auth import SigV4Auth

    class Signer(SigV4Auth):
        def __init__(self, credentials: Any, region: str, keys: dict[tuple[str, str], bytes]) -> None:
            super().__init__(credentials, "execute-api", region)
            self._keys = keys

        def payload(self, request: Any) -> str:
            return str(request.context["payload_sha256"])

        def signature(self, string_to_sign: str, request: Any) -> str:
            day = request.context["timestamp"][0:8]
            cache_key = (self.credentials.secret_key, day)
            key = self._keys.get(cache_key)
            if key is None:
                key = self._sign(f"AWS4{self.credentials.secret_key}".encode(), day)
                for part in (self._region_name, self._service_name, "aws4_request"):
                    key = self._sign(key, part)
                if len(self._keys) > 4:
                    self._keys.clear()
                self._keys[cache_key] = key
            return str(self._sign(key, string_to_sign, hex=True))

    return Signer


def _client_error(operation: str, status: int, headers: Any, body: bytes) -> Exception:
    import json

    from botocore.exceptions import ClientError

    code = (headers.get("x-amzn-ErrorType") or "").split(":")[0]
    if not code:
        code = "GoneException" if status == 410 else str(status)
    try:
        message = str(json.loads(body).get("message", "")) if body else ""
    except (ValueError, AttributeError):
        message = body[:200].decode("utf-8", "replace")
    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


class Sender:
    def __init__(self, client: Any, forget: Callable[[str], None], threads: int = 16) -> None:
        self._client = client
        self.forget = forget
        self._threads = threads
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ws-send")

    def _post(self, connection_id: str, data: bytes) -> str:
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=data)
            return "delivered"
        except Exception as exc:  # botocore ClientError (after its retries) or a transport error
            response = getattr(exc, "response", None) or {}  # transport errors carry response=None
            code = response.get("Error", {}).get("Code", type(exc).__name__)
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "GoneException" or status == 410:
                return "gone"
            logger.warning("websocket send failed", connection_id=connection_id, code=code, status=status)
            return "failed"

    def send(self, connection_ids: Iterable[str], message: str) -> SendReport:
        ids = list(dict.fromkeys(connection_ids))
        data = message.encode()
        report = SendReport()
        for connection_id, outcome in zip(ids, self._pool.map(lambda c: self._post(c, data), ids), strict=True):
            if outcome == "delivered":
                report.delivered += 1
            elif outcome == "gone":
                report.gone.append(connection_id)
            else:
                report.failed.append(connection_id)
        for connection_id in report.gone:
            self.forget(connection_id)
        metrics.count(metrics.FRAMES_SENT, report.delivered)
        metrics.count(metrics.CONNECTIONS_GONE, len(report.gone))
        return report

    def close(self, connection_id: str) -> None:
        """Close a connection from the server side (its $disconnect cleans the rows up)."""
        try:
            self._client.delete_connection(ConnectionId=connection_id)
        except Exception as exc:
            logger.info("websocket close failed", connection_id=connection_id, error=type(exc).__name__)

    def post(self, connection_id: str, message: str) -> str:
        """One post whose "gone" is only reported: the caller decides whether the connection is gone."""
        outcome = self._post(connection_id, message.encode())
        if outcome == "delivered":
            metrics.count(metrics.FRAMES_SENT)
        return outcome

    def send_one(self, connection_id: str, message: str) -> str:
        outcome = self.post(connection_id, message)
        if outcome == "gone":
            self.forget(connection_id)
            metrics.count(metrics.CONNECTIONS_GONE)
        return outcome


POST_THREADS = 16  # a container's concurrent posts: the Sender's pool and the lean client's connections
# A 410 for a connection younger than this is not taken as gone: a frame can reach API Gateway
# before that connection's $connect has returned (docs/websocket.md).
GONE_SETTLE_SECONDS = 10


def management_sender(endpoint_url: str, region: str, credentials: tuple[str, str] | None,
                      remove_gone: Callable[[str, float, float], Any]) -> Sender:
    """The Sender the fan-out and the socket edge post through: the lean SigV4 client, POST_THREADS
    wide; a connection API Gateway calls gone is removed through `remove_gone` once it is settled."""

    def forget(connection_id: str) -> None:
        remove_gone(connection_id, time.time(), GONE_SETTLE_SECONDS)

    return Sender(make_lean_client(endpoint_url, region, POST_THREADS, credentials=credentials), forget, threads=POST_THREADS)
