"""Structured JSON logs (Powertools Logger) with a correlation id per request, and X-Ray
tracing (Powertools Tracer) of every handler outside the local stage."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger

logger = Logger(service="comanda", level=os.environ.get("LOG_LEVEL", "INFO"))


def correlation_id_for(headers: Any, context: Any) -> str:
    supplied = (headers or {}).get("x-correlation-id") if headers is not None else None
    if supplied and len(supplied) <= 128:
        return str(supplied)
    request_id = (context or {}).get("requestId") if isinstance(context, dict) else None
    return str(request_id or uuid.uuid4())


def http_logging_middleware(event: Any, get_response: Callable[[Any], Any]) -> Any:
    correlation_id = correlation_id_for(event.headers, event.context)
    logger.set_correlation_id(correlation_id)
    logger.append_keys(method=event.method, path=event.path)
    try:
        response = get_response(event)
        response.headers["X-Correlation-Id"] = correlation_id
        logger.info("request handled", status=response.status_code)
        return response
    finally:
        logger.remove_keys(["method", "path"])


def tracing_wanted(env: Any = os.environ) -> bool:
    return str(env.get("COMANDA_STAGE", "local")) != "local"


@lru_cache(maxsize=1)
def tracer() -> Any:
    """Imported on first use: the X-Ray SDK stays off the local stack and the tests."""
    from aws_lambda_powertools import Tracer

    return Tracer(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "comanda"), disabled=not tracing_wanted())


def tracing_middleware(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """One X-Ray subsegment per invocation, annotated with the stage and the kind of event
    (boto3 calls inside it are traced by the Tracer's patching)."""
    with tracer().provider.in_subsegment(f"## {type(event).__name__}") as subsegment:
        subsegment.put_annotation("stage", os.environ.get("COMANDA_STAGE", "local"))
        return get_response(event)
