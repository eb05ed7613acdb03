"""The seam between the fan-out and the protocols: one event, derived once from the stream, is
encoded for each protocol its subscribers speak (once per protocol, not once per connection)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.realtime import protocol, socketio, stomp
from chalicelib.realtime.channels import Channel


@dataclass(frozen=True)
class Outgoing:
    event: str
    channel: Channel
    data: Any
    message_id: str
    extra: dict[str, Any] = field(default_factory=dict)  # JSON-envelope-only fields (truncated, total)


def _json(message: Outgoing, tag: str | None) -> str:
    return protocol.envelope(message.event, message.data, channel=message.channel.name, message_id=message.message_id,
                             **message.extra)


def _socketio(message: Outgoing, tag: str | None) -> str:
    return socketio.event(message.channel.namespace, message.event, message.data)


def _stomp(message: Outgoing, tag: str | None) -> str:
    return stomp.encode(_json(message, tag), message.message_id, tag)


def _gastromovil(message: Outgoing, tag: str | None) -> str:
    """GastroMovil's plain JSON frames (COMPAT C), plus the stream-derived `id` for dropping duplicates."""
    return json.dumps({**message.data, "id": message.message_id}, ensure_ascii=False, default=str)


ENCODERS: dict[str, Callable[[Outgoing, str | None], str]] = {
    "json": _json, "socketio": _socketio, "stomp": _stomp, "gastromovil": _gastromovil,
}


def encode(protocol_name: str, message: Outgoing, tag: str | None = None) -> str:
    return ENCODERS[protocol_name](message, tag)
