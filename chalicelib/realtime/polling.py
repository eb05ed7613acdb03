"""Socket.IO's HTTP long-polling transport (Engine.IO v4), served as REST on the Socket.IO path.

A polling session is a connection row like any socket's, with the id `poll:<sid>`; packets for
it are queued in the connections table (under the session's own partition key) and handed
out by the next GET. `Frames` routes every send: polling ids to the queue, the rest to the
WebSocket Management API. The upgrade (`2probe`/`3probe`/`5` on a WebSocket opened with
`sid=`) moves the session's identity, subscriptions and queued packets onto the WebSocket."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Callable
from typing import Any

from chalicelib.domain.connections import pending_connection
from chalicelib.realtime import socketio
from chalicelib.realtime.sender import Sender, SendReport
from chalicelib.services.ports import ConnectionStore

POLL_PREFIX = "poll:"
SEPARATOR = "\x1e"
NOOP = "6"


class UnknownSession(Exception):
    pass


def polling_id(sid: str) -> str:
    return POLL_PREFIX + sid


class Frames:
    """The Sender's interface, with polling sessions' packets queued instead of posted. The
    Sender is made on first post (a polling-only exchange needs no WebSocket endpoint)."""

    def __init__(self, sender: Callable[[], Sender], connections: ConnectionStore) -> None:
        self._make_sender = sender
        self.connections = connections

    @property
    def sender(self) -> Sender:
        return self._make_sender()

    def send(self, connection_ids: list[str], message: str) -> SendReport:
        polled = [c for c in connection_ids if c.startswith(POLL_PREFIX)]
        posted = [c for c in connection_ids if not c.startswith(POLL_PREFIX)]
        report = self.sender.send(posted, message) if posted else SendReport()
        for connection_id in polled:
            self.connections.enqueue(connection_id, [message])
            report.delivered += 1
        return report

    def send_one(self, connection_id: str, message: str) -> str:
        return self._one(connection_id, message, lambda sender: sender.send_one)

    def post(self, connection_id: str, message: str) -> str:
        """Like send_one, but a 410 is reported, not acted on (the connection's rows stay)."""
        return self._one(connection_id, message, lambda sender: sender.post)

    def _one(self, connection_id: str, message: str, how: Callable[[Sender], Callable[[str, str], str]]) -> str:
        if connection_id.startswith(POLL_PREFIX):
            self.connections.enqueue(connection_id, [message])
            return "delivered"
        return how(self.sender)(connection_id, message)

    def close(self, connection_id: str) -> None:
        if connection_id.startswith(POLL_PREFIX):
            self.connections.remove(connection_id)
        else:
            self.sender.close(connection_id)


class PollingSessions:
    def __init__(
        self,
        connections: ConnectionStore,
        handle_packet: Callable[[Any, str], None],
        timing: tuple[int, int],
        wait_seconds: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.connections = connections
        self.handle_packet = handle_packet  # the gateway's Socket.IO conversation
        self.timing = timing
        self.wait_seconds = wait_seconds  # under API Gateway's 29 s integration timeout
        self.sleep = sleep

    def handshake(self) -> str:
        sid = base64.urlsafe_b64encode(os.urandom(15)).decode()
        connection_id = polling_id(sid)
        self.connections.add(pending_connection(connection_id, socketio.PROTOCOL))
        self.connections.subscribe(connection_id, socketio.HEARTBEAT_CHANNEL, socketio.PROTOCOL)
        return socketio.open_packet(sid, *self.timing, upgrades=["websocket"])

    def post(self, sid: str, payload: str) -> None:
        connection_id = polling_id(sid)
        for packet in payload.split(SEPARATOR):
            connection = self.connections.get(connection_id)  # re-read: a namespace connect changes it
            if connection is None:
                raise UnknownSession(sid)
            self.handle_packet(connection, packet)

    def poll(self, sid: str) -> str:
        """Queued packets, or a noop after waiting `wait_seconds` for some."""
        connection_id = polling_id(sid)
        deadline = time.monotonic() + self.wait_seconds
        while True:
            if self.connections.get(connection_id) is None:
                raise UnknownSession(sid)
            packets = self.connections.take_queued(connection_id)
            if packets:
                return SEPARATOR.join(packets)
            if time.monotonic() >= deadline:
                return NOOP
            self.sleep(0.25)
