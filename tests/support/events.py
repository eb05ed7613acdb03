"""Builders for the Lambda events Chalice has no helpers for: DynamoDB stream batches and
API Gateway WebSocket events."""

from __future__ import annotations

import itertools
from typing import Any

from chalicelib.domain.sales import Sale
from chalicelib.store.sales import SaleRecord, to_record

_sequence = itertools.count(100000000000000000000)
STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/comanda-test-transactions/stream/2026-01-01T00:00:00.000"


def image(order: Sale) -> dict[str, Any]:
    return to_record(order, SaleRecord).serialize()


def stream_record(old: Sale | None, new: Sale | None, sequence: str | None = None) -> dict[str, Any]:
    sequence = sequence or str(next(_sequence))
    current = new or old
    assert current is not None
    dynamodb: dict[str, Any] = {
        "Keys": {"pk": {"S": current.tenant_id}, "sk": {"S": f"TX#{current.id:012d}"}},
        "SequenceNumber": sequence,
        "SizeBytes": 1024,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
        "ApproximateCreationDateTime": 1773837300,
    }
    if new is not None:
        dynamodb["NewImage"] = image(new)
    if old is not None:
        dynamodb["OldImage"] = image(old)
    return {
        "eventID": f"evt-{sequence}",
        "eventName": "INSERT" if old is None else ("REMOVE" if new is None else "MODIFY"),
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": dynamodb,
        "eventSourceARN": STREAM_ARN,
    }


def stream_batch(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


def ws_event(route: str, connection_id: str, *, query: dict[str, str] | None = None, headers: dict[str, str] | None = None,
             body: str | None = None) -> dict[str, Any]:
    event_type = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route, "MESSAGE")
    event: dict[str, Any] = {
        "requestContext": {
            "routeKey": route, "eventType": event_type, "connectionId": connection_id, "domainName": "localhost",
            "stage": "api", "apiId": "local", "requestId": f"req-{connection_id}", "connectedAt": 1773837300000,
            "messageDirection": "IN",
        },
        "isBase64Encoded": False,
    }
    if route == "$connect":
        event["queryStringParameters"] = query or None
        event["headers"] = headers or {}
    if body is not None:
        event["body"] = body
    return event


def channels_of(connection_id: str) -> list[str]:
    """The connection's subscriptions, less the per-user key every staff socket holds (_user/...)."""
    from chalicelib.container import get_services

    return [k for k in get_services().connections.subscriptions(connection_id) if not k.startswith("_user/")]
