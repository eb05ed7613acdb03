"""The scheduled sweeps send like the fan-out: the Socket.IO ping and the STOMP CONNECT deadline go
through the same ShardPlan, so thousands of idle sockets are swept by send_frames shards, and a
small sweep is posted directly (moto for the connections; a recording Frames and Invoke)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from chalicelib.container import Services, get_services
from chalicelib.realtime import socketio, stomp
from chalicelib.realtime.sender import SendReport
from chalicelib.realtime.shards import ShardPlan, send_shard


@dataclass
class RecordingFrames:
    sent: list[tuple[list[str], str]] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)

    def send(self, connection_ids: list[str], message: str) -> SendReport:
        self.sent.append((list(connection_ids), message))
        return SendReport(delivered=len(connection_ids))

    def close(self, connection_id: str) -> None:
        self.closed.append(connection_id)


@dataclass
class Swept:
    services: Services
    frames: RecordingFrames
    invoked: list[dict[str, Any]]


@pytest.fixture
def swept(aws: None) -> Iterator[Swept]:
    services = get_services()
    frames, invoked = RecordingFrames(), []
    services.__dict__["frames"] = frames
    services.__dict__["shard_plan"] = ShardPlan(threshold=4, size=2, invoke=lambda event: invoked.append(json.loads(event)))
    yield Swept(services, frames, invoked)


def socketio_sockets(services: Services, count: int) -> list[str]:
    ids = [f"sio{i}" for i in range(count)]
    for cid in ids:
        services.connections.subscribe(cid, socketio.HEARTBEAT_CHANNEL, socketio.PROTOCOL)
    return ids


def stomp_sockets_without_connect(services: Services, count: int, opened_at: int) -> list[str]:
    ids = [f"stomp{i}" for i in range(count)]
    for cid in ids:
        services.connections.subscribe(cid, stomp.AWAITING_CONNECT_CHANNEL, stomp.PROTOCOL, str(opened_at))
    return ids


def test_the_socketio_ping_of_many_sockets_goes_out_in_shards_each_socket_once(swept: Swept) -> None:
    ids = socketio_sockets(swept.services, 9)
    assert swept.services.socket_heartbeat() == 9
    assert swept.frames.sent == []
    assert len(swept.invoked) == 5 and all(len(e["connections"]) <= 2 for e in swept.invoked)
    assert sorted(c for e in swept.invoked for c in e["connections"]) == sorted(ids)
    assert {e["frame"] for e in swept.invoked} == {socketio.ping_packet()} and not any(e.get("close") for e in swept.invoked)


def test_a_ping_sweep_at_the_threshold_is_posted_directly(swept: Swept) -> None:
    ids = socketio_sockets(swept.services, 4)
    assert swept.services.socket_heartbeat() == 4
    assert swept.invoked == [] and sorted(swept.frames.sent[0][0]) == sorted(ids)


def test_the_stomp_deadline_sweep_sends_the_error_and_closes_in_shards_and_forgets_the_rows(swept: Swept) -> None:
    ids = stomp_sockets_without_connect(swept.services, 6, opened_at=1)
    assert swept.services.stomp_connect_deadline() == 6
    assert len(swept.invoked) == 3 and all(e["close"] is True for e in swept.invoked)
    assert sorted(c for e in swept.invoked for c in e["connections"]) == sorted(ids)
    assert all(e["frame"].startswith("ERROR\n") for e in swept.invoked)
    assert swept.services.connections.subscribers(stomp.AWAITING_CONNECT_CHANNEL) == []


def test_a_small_stomp_deadline_sweep_sends_and_closes_directly(swept: Swept) -> None:
    ids = stomp_sockets_without_connect(swept.services, 2, opened_at=1)
    assert swept.services.stomp_connect_deadline() == 2
    assert swept.invoked == [] and sorted(swept.frames.sent[0][0]) == sorted(ids) and sorted(swept.frames.closed) == sorted(ids)


def test_a_shard_that_says_close_closes_each_connection_after_its_frame() -> None:
    frames = RecordingFrames()
    outcome = send_shard(frames.send, {"frame": "ERROR\n\n\x00", "connections": ["a", "b"], "close": True}, None, frames.close)
    assert outcome["delivered"] == 2 and frames.closed == ["a", "b"]
    send_shard(frames.send, {"frame": "2", "connections": ["c"]}, None, frames.close)
    assert frames.closed == ["a", "b"]


def test_a_connection_that_cannot_be_closed_does_not_stop_the_sweep() -> None:
    sent: list[str] = []

    def close(connection_id: str) -> None:
        if connection_id == "gone":
            raise RuntimeError("410")
        sent.append(connection_id)

    plan = ShardPlan(threshold=10, size=5, invoke=lambda event: None)
    plan.send(["gone", "ok"], "frame", lambda ids, message: SendReport(delivered=len(ids)), close)
    assert sent == ["ok"]
