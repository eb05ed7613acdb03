"""Posting to WebSocket connections through the API Gateway Management API.

One botocore client shared by a thread pool sized to match. Throttling, 5xx and transport
errors are retried by botocore's `standard` retry mode (jittered exponential back-off); a 410
(GoneException) removes that connection's rows and never stops the other sends; every call
has a timeout."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

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


class Sender:
    def __init__(self, client: Any, forget: Callable[[str], None], threads: int = 16) -> None:
        self._client = client
        self._forget = forget
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
            self._forget(connection_id)
        metrics.count(metrics.FRAMES_SENT, report.delivered)
        metrics.count(metrics.CONNECTIONS_GONE, len(report.gone))
        return report

    def close(self, connection_id: str) -> None:
        """Close a connection from the server side (its $disconnect cleans the rows up)."""
        try:
            self._client.delete_connection(ConnectionId=connection_id)
        except Exception as exc:
            logger.info("websocket close failed", connection_id=connection_id, error=type(exc).__name__)

    def send_one(self, connection_id: str, message: str) -> str:
        outcome = self._post(connection_id, message.encode())
        if outcome == "gone":
            self._forget(connection_id)
            metrics.count(metrics.CONNECTIONS_GONE)
        elif outcome == "delivered":
            metrics.count(metrics.FRAMES_SENT)
        return outcome
