"""Business and delivery metrics in CloudWatch's embedded metric format (Powertools Metrics),
written to stdout and flushed once per invocation by `metrics_middleware`.

Namespace `Comanda` (POWERTOOLS_METRICS_NAMESPACE), dimensions `service` and `stage`. Off in
the local stage unless POWERTOOLS_METRICS_DISABLED=false; POWERTOOLS_METRICS_DISABLED=true turns
them off anywhere. Powertools is imported on the first metric, not at import."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any

ORDERS_CREATED = "OrdersCreated"
ITEM_STATUS_CHANGES = "ItemStatusChanges"
PAYMENTS = "PaymentsRecorded"
FRAMES_SENT = "FramesSent"
CONNECTIONS_GONE = "ConnectionsGone"
FANOUT_RECORD_FAILURES = "FanoutRecordFailures"
FANOUT_SHARDS = "FanoutShards"  # send_frames invocations of big channels
STREAM_TO_SOCKET_DELAY = "StreamToSocketDelay"

_lock = threading.Lock()  # the fan-out's sender threads and the handler share one metric set


_config = {"enabled": False, "stage": "local"}


def configure(enabled: bool, stage: str) -> None:
    """Set by the composition root from the settings it builds the services on."""
    if (_config["enabled"], _config["stage"]) != (enabled, stage):
        reset()
    _config.update(enabled=enabled, stage=stage)


def enabled() -> bool:
    return bool(_config["enabled"])


@lru_cache(maxsize=1)
def _metrics() -> Any:
    from aws_lambda_powertools import Metrics

    metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Comanda"),
                      service=os.environ.get("POWERTOOLS_SERVICE_NAME", "comanda"))
    metrics.set_default_dimensions(stage=str(_config["stage"]))
    return metrics


def _add(name: str, unit: str, value: float) -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    with _lock:
        _metrics().add_metric(name=name, unit=MetricUnit(unit), value=value)


def count(name: str, value: int = 1) -> None:
    if value > 0 and enabled():
        _add(name, "Count", value)


def milliseconds(name: str, value: float) -> None:
    if enabled():
        _add(name, "Milliseconds", max(0.0, value))


def flush() -> None:
    if enabled() and _metrics.cache_info().currsize:
        with _lock:
            if _metrics().metric_set:
                _metrics().flush_metrics(raise_on_empty_metrics=False)


def reset() -> None:
    """Forget the metrics object and anything not flushed (tests change the environment)."""
    if _metrics.cache_info().currsize:
        _metrics().clear_metrics()
        _metrics().clear_default_dimensions()
    _metrics.cache_clear()


def metrics_middleware(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Every invocation (REST, WebSocket, stream, schedule) ends by flushing what it recorded."""
    try:
        return get_response(event)
    finally:
        flush()
