"""Messages for one user (`user:<id>`, STOMP `/kds/{tenantId}/{userId}`): today, an order
command of theirs that the API refused, in COMPAT D's OrderEventError shape. The REST edge
records the notice in the connections table; its stream carries it to the user's sockets."""

from __future__ import annotations

from typing import Any

CODES = {400: "INVALID_INPUT", 409: "CONFLICT", 422: "UNPROCESSABLE"}


def order_event_error(user_id: str, order_id: str, status: int, message: str | list[str], correlation_id: str) -> dict[str, Any]:
    messages = [message] if isinstance(message, str) else list(message)
    code = CODES.get(status, "ERROR")
    return {
        "type": "OrderEventError",
        "users": [user_id],
        "orderId": order_id,
        "event": {"correlationId": correlation_id, "user": user_id, "orderId": order_id},
        "message": "; ".join(messages),
        "codes": [{"code": code, "message": m, "args": []} for m in messages],
    }
