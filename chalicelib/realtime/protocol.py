"""The JSON frames of the `cocina` and `kds` namespaces.

Client -> server: {"action": "subscribe"|"unsubscribe", "channel": "..."} and {"action": "ping"}.
Server -> client: {"event", "channel", "data", "id"}; acknowledgements and errors use the same
envelope with event subscribed | unsubscribed | pong | error, an error's data being
{code, message}."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.money import json_default

ACTIONS = ("subscribe", "unsubscribe", "ping")
MAX_FRAME_BYTES = 32 * 1024
MAX_MESSAGE_BYTES = 128 * 1024


@dataclass(frozen=True)
class ClientFrame:
    action: str
    channel: object = None
    ref: object = None


class BadFrame(Exception):
    def __init__(self, message: str, ref: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.ref = ref


def parse_client_frame(body: str | None) -> ClientFrame:
    if not body or len(body.encode()) > MAX_FRAME_BYTES:
        raise BadFrame("frame must be a JSON object of at most 32 KB")
    try:
        frame = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise BadFrame("frame is not valid JSON") from exc
    if not isinstance(frame, dict):
        raise BadFrame("frame must be a JSON object")
    ref = frame.get("ref")
    action = frame.get("action")
    if action not in ACTIONS:
        raise BadFrame(f"action must be one of {', '.join(ACTIONS)}", ref)
    unknown = set(frame) - {"action", "channel", "ref"}
    if unknown:
        raise BadFrame(f"unknown field(s): {', '.join(sorted(unknown))}", ref)
    if action != "ping" and "channel" not in frame:
        raise BadFrame("channel is required", ref)
    return ClientFrame(action, frame.get("channel"), ref)


def envelope(event: str, data: Any, *, channel: str | None = None, message_id: str | None = None, **extra: Any) -> str:
    body: dict[str, Any] = {"event": event, "channel": channel, "data": data, "id": message_id}
    body.update(extra)
    return json.dumps(body, default=json_default, ensure_ascii=False, separators=(",", ":"))


def error_frame(code: str, message: str, ref: object = None) -> str:
    if ref is None:
        return envelope("error", {"code": code, "message": message})
    return envelope("error", {"code": code, "message": message}, ref=ref)


def fit_items(event: str, channel: str, items: list[Any], message_id: str) -> tuple[list[Any], dict[str, Any]]:
    """The items and extra envelope fields `fit_list` would send (so every protocol sends the
    same prefix)."""
    whole = envelope(event, items, channel=channel, message_id=message_id)
    if len(whole.encode()) <= MAX_MESSAGE_BYTES:
        return items, {}
    body = json.loads(fit_list(event, channel, items, message_id))
    return items[: len(body["data"])], {"truncated": True, "total": len(items)}


def fit_list(event: str, channel: str, items: list[Any], message_id: str) -> str:
    """The whole list if it fits one API Gateway message; otherwise the longest prefix that
    does (the queue is oldest first, so the most urgent orders are kept), marked truncated."""
    whole = envelope(event, items, channel=channel, message_id=message_id)
    if len(whole.encode()) <= MAX_MESSAGE_BYTES:
        return whole
    low, high = 0, len(items)
    while low < high:
        mid = (low + high + 1) // 2
        candidate = envelope(event, items[:mid], channel=channel, message_id=message_id, truncated=True, total=len(items))
        if len(candidate.encode()) <= MAX_MESSAGE_BYTES:
            low = mid
        else:
            high = mid - 1
    return envelope(event, items[:low], channel=channel, message_id=message_id, truncated=True, total=len(items))
