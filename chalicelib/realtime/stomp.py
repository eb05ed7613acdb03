"""STOMP 1.2 at the socket edge (COMPAT D): stompman's frame parser and dumper (imported on
first use), plus what stompman leaves to the server: subprotocol choice, content-length on
what we send, frames split across WebSocket messages (the unfinished tail is kept on the
connection row between invocations), and telling a malformed frame from a heart-beat.

Destinations (COMPAT D) name kds channels; the tenant in a destination must be the connection's own:
- `/kds/{tenantId}/{venueId}` -> `branch:{venueId}`, the branch's orders;
- `/kds/{tenantId}/{userId}` -> `user:{userId}`, messages for the caller (when the segment is
  the caller's own user id);
- `/order-changes/{userId}/{orderId}` -> `order:{orderId}`, one order's changes;
- `/venue/{tenantId}/{venueId}` -> `venue:{venueId}`, the branch's settings.
Bodies are the JSON envelope of the JSON protocol."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PROTOCOL = "stomp"
SUBPROTOCOLS = ("v12.stomp", "v11.stomp", "v10.stomp")  # best first
SERVER = "comanda/1"
# The server sends no heart-beats; the client sends one every 4 minutes, inside API Gateway's
# 10-minute idle limit (see docs/websocket.md for the cost).
HEART_BEAT = "0,240000"
MAX_FRAME_BYTES = 32 * 1024
COMMANDS = ("CONNECT", "STOMP", "SUBSCRIBE", "UNSUBSCRIBE", "DISCONNECT", "SEND", "ACK", "NACK", "BEGIN", "COMMIT", "ABORT")
_SLUG = r"[a-z0-9][a-z0-9_-]{0,63}"
DESTINATIONS = (
    ("kds", re.compile(rf"/kds/(?P<tenant>{_SLUG})/(?P<target>{_SLUG})")),
    ("order", re.compile(r"/order-changes/(?P<user>[0-9]{1,18})/(?P<target>[0-9]{1,18})")),
    ("venue", re.compile(rf"/venue/(?P<tenant>{_SLUG})/(?P<target>{_SLUG})")),
)
# A connection that has not logged in is subscribed here, tagged with the second it opened;
# a scheduled function closes those past the deadline.
AWAITING_CONNECT_CHANNEL = "_awaiting-connect/stomp"


class BadFrame(Exception):
    pass


def choose_subprotocol(offered_header: str | None) -> str | None:
    """The best STOMP subprotocol the client offered; None when it offered none we speak."""
    offered = [p.strip() for p in (offered_header or "").split(",") if p.strip()]
    return next((p for p in SUBPROTOCOLS if p in offered), None)


def _serde() -> Any:
    from stompman import serde

    return serde


def _frames() -> Any:
    from stompman import frames

    return frames


def _dump(frame: Any) -> str:
    return str(_serde().dump_frame(frame).decode())


def connected(session: str) -> str:
    headers = {"version": "1.2", "heart-beat": HEART_BEAT, "session": session, "server": SERVER}
    return _dump(_frames().ConnectedFrame(headers=headers))


def error(message: str, receipt_id: str | None = None, detail: str = "") -> str:
    body = (detail or message).encode()
    headers = {"message": message, "content-type": "text/plain", "content-length": str(len(body))}
    if receipt_id:
        headers["receipt-id"] = receipt_id
    return _dump(_frames().ErrorFrame(headers=headers, body=body))


def receipt(receipt_id: str) -> str:
    return _dump(_frames().ReceiptFrame(headers={"receipt-id": receipt_id}))


def message(destination: str, subscription: str, message_id: str, body_json: str) -> str:
    body = body_json.encode()
    headers = {"destination": destination, "subscription": subscription, "message-id": message_id,
               "content-type": "application/json", "content-length": str(len(body))}
    return _dump(_frames().MessageFrame(headers=headers, body=body))


def split_complete(buffer: str) -> tuple[str, str]:
    """(complete frames, unfinished tail). A frame ends at NUL; what follows the last NUL is
    either heart-beat EOLs or the start of a frame still to come."""
    end = buffer.rfind("\x00")
    head, tail = buffer[: end + 1], buffer[end + 1 :]
    if not tail.strip("\r\n"):
        return head + tail, ""
    return head, tail


def parse(text: str) -> list[tuple[str, dict[str, str], str]]:
    """Complete client frames as (command, headers, body); heart-beats are dropped. Raises
    BadFrame on anything that is not a STOMP client frame (stompman would skip it silently)."""
    for chunk in text.split("\x00")[:-1]:
        lines = chunk.lstrip("\r\n").split("\n")
        if lines[0].rstrip("\r") not in COMMANDS:
            raise BadFrame(f"unknown command {lines[0][:20]!r}")
        header_lines = lines[1 : lines.index("") if "" in lines else len(lines)]
        if any(":" not in line for line in header_lines):
            raise BadFrame("a header line has no colon")
    out = []
    parser = _serde().FrameParser()
    for frame in parser.parse_frames_from_chunk(text.encode()):
        name = type(frame).__name__.removesuffix("Frame").upper()
        if name == "HEARTBEAT":
            continue
        body = getattr(frame, "body", b"")
        out.append((name, dict(frame.headers), body.decode(errors="replace") if isinstance(body, bytes) else ""))
    return out


@dataclass(frozen=True)
class Destination:
    kind: str  # "kds" | "order" | "venue"
    target: str  # venue or user id, order id
    tenant: str | None = None  # named by /kds and /venue
    user: str | None = None  # named by /order-changes


def destination(text: str) -> Destination | None:
    for kind, pattern in DESTINATIONS:
        match = pattern.fullmatch(text)
        if match:
            groups = match.groupdict()
            return Destination(kind, groups["target"], groups.get("tenant"), groups.get("user"))
    return None


# --- the conversation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StompHooks:
    reply: Callable[[str, str], Any]
    close: Callable[[str], Any]
    login: Callable[[Any, str | None], str | None]  # -> refusal or None
    subscribe: Callable[[Any, str, str], str | None]  # (connection, destination, id) -> refusal or None
    unsubscribe: Callable[[Any, str], None]
    keep_tail: Callable[[str, str], None]  # (connection id, unfinished text)


class StompSession:
    def __init__(self, hooks: StompHooks) -> None:
        self.hooks = hooks

    def fail(self, connection_id: str, why: str, receipt_id: str | None = None) -> None:
        self.hooks.reply(connection_id, error(why, receipt_id))
        self.hooks.close(connection_id)

    def handle(self, connection: Any, body: str | None, pending: str = "") -> None:
        cid = connection.connection_id
        if body is None:
            self.fail(cid, "binary frames are not supported: send text frames")
            return
        complete, tail = split_complete(pending + body)
        if len(tail.encode()) > MAX_FRAME_BYTES:
            self.fail(cid, "frame too large")
            return
        try:
            frames = parse(complete)
        except BadFrame as exc:
            self.fail(cid, f"malformed frame: {exc}")
            return
        logged_in = connection.authenticated
        for command, headers, _ in frames:
            receipt_id = headers.get("receipt")
            if command in ("CONNECT", "STOMP"):
                if logged_in:
                    self.fail(cid, "already connected")
                    return
                refusal = self.hooks.login(connection, headers.get("login"))
                if refusal:
                    self.fail(cid, refusal)
                    return
                logged_in = True
                self.hooks.reply(cid, connected(cid))
                continue
            if not logged_in:
                self.fail(cid, "CONNECT first")
                return
            if command == "SUBSCRIBE":
                sub_id, destination = headers.get("id"), headers.get("destination")
                if not sub_id or not destination:
                    self.fail(cid, "SUBSCRIBE needs id and destination", receipt_id)
                    return
                refusal = self.hooks.subscribe(connection, destination, sub_id)
                if refusal:
                    self.fail(cid, refusal, receipt_id)
                    return
            elif command == "UNSUBSCRIBE":
                if not headers.get("id"):
                    self.fail(cid, "UNSUBSCRIBE needs id", receipt_id)
                    return
                self.hooks.unsubscribe(connection, headers["id"])
            elif command == "DISCONNECT":
                if receipt_id:
                    self.hooks.reply(cid, receipt(receipt_id))
                self.hooks.close(cid)
                return
            else:
                self.fail(cid, f"{command} is not supported: this server only publishes", receipt_id)
                return
            if receipt_id:
                self.hooks.reply(cid, receipt(receipt_id))
        if tail or pending:  # after CONNECT, which rewrites the connection row
            self.hooks.keep_tail(cid, tail)


def encode(event_json: str, message_id: str, tag: str | None) -> str:
    """A fan-out message for one STOMP subscription; `tag` is "<destination>|<subscription id>"."""
    destination, _, subscription = (tag or "|").partition("|")
    return message(destination, subscription, message_id, event_json)
