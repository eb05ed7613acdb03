"""Sharded fan-out: a channel over the threshold is sent by send_frames invocations, one per shard
(moto for the connections; a fake Management API; send_frames run in-process per invocation)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from chalicelib.container import get_services, use_settings
from chalicelib.realtime.fanout import Fanout
from chalicelib.realtime.gateway import SocketGateway
from chalicelib.realtime.sender import Sender
from chalicelib.realtime.shards import ShardFailed, ShardPlan, send_shard, shard_events
from chalicelib.settings import Settings, SettingsError, load_settings
from chalicelib.store.sales import SaleRepository
from tests.integration.test_realtime import FakeManagementApi, stored
from tests.support.api import TenantWorld
from tests.support.events import stream_batch, stream_record, ws_event
from tests.support.sales import a_sale


@dataclass
class Invocations:
    """Lambda's asynchronous Invoke, emulated: each event runs send_frames at once, on the
    invoking thread (ShardPlan invokes from a pool, so shards run concurrently)."""

    api: FakeManagementApi
    events: list[dict[str, Any]] = field(default_factory=list)
    errors: list[Exception] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    plan: ShardPlan | None = None

    def invoke(self, payload: bytes) -> None:
        event = json.loads(payload)
        with self.lock:
            self.events.append(event)
        services = get_services()
        sender = Sender(self.api, services.connections.remove, threads=4)
        try:
            send_shard(sender.send, event, self.plan)
        except ShardFailed as exc:  # Lambda's own async retries would take it from here
            with self.lock:
                self.errors.append(exc)


@dataclass
class Kitchen:
    api: FakeManagementApi
    gateway: SocketGateway
    fanout: Fanout
    invocations: Invocations


@pytest.fixture
def kitchen(alpha: TenantWorld, atomic_requests: None) -> Iterator[Kitchen]:
    services = get_services()
    api = FakeManagementApi()
    invocations = Invocations(api)
    plan = ShardPlan(threshold=4, size=2, invoke=invocations.invoke)
    invocations.plan = plan
    sender = Sender(api, services.connections.remove, threads=4)
    gateway = SocketGateway(services.tokens, services.connections,
                            branch_exists=lambda t, b: services.tenant_repo.get_branch(t, b) is not None,
                            reply=lambda c, m: "delivered")
    fanout = Fanout(services.connections, SaleRepository(services.settings), sender, lambda t, b: "America/La_Paz", shards=plan)
    yield Kitchen(api, gateway, fanout, invocations)


def kitchen_sockets(k: Kitchen, token: str, count: int) -> list[str]:
    ids = [f"k{i}" for i in range(count)]
    for cid in ids:
        response = k.gateway.connect(ws_event("$connect", cid, query={"namespace": "cocina", "token": token}))
        assert response["statusCode"] == 200
    return ids


def nuevo_pedido_to(k: Kitchen, order_id: int = 9) -> dict[str, list[dict]]:
    order = stored(a_sale(order_id))
    assert k.fanout.handle_batch(stream_batch(stream_record(None, order, f"{order_id}00"))) == {"batchItemFailures": []}
    frames: dict[str, list[dict]] = {}
    for cid, frame in k.api.posts:
        if frame["event"] == "nuevo-pedido":
            frames.setdefault(cid, []).append(frame)
    return frames


def test_a_channel_over_the_threshold_is_sent_by_shards_and_every_connection_gets_the_frame_exactly_once(
        kitchen: Kitchen, alpha: TenantWorld) -> None:
    ids = kitchen_sockets(kitchen, alpha.tokens["cocina"], 7)
    frames = nuevo_pedido_to(kitchen)
    assert sorted(frames) == sorted(ids)
    assert all(len(got) == 1 and got[0]["id"] == "900:nuevo-pedido" for got in frames.values())
    shards = [e["connections"] for e in kitchen.invocations.events if json.loads(e["frame"])["event"] == "nuevo-pedido"]
    assert len(shards) == 4 and all(len(s) <= 2 for s in shards)
    assert sorted(c for s in shards for c in s) == sorted(ids), "every connection in exactly one shard"


def test_a_channel_exactly_at_the_threshold_is_posted_directly_and_one_above_is_sharded(
        kitchen: Kitchen, alpha: TenantWorld) -> None:
    ids = kitchen_sockets(kitchen, alpha.tokens["cocina"], 4)
    assert sorted(nuevo_pedido_to(kitchen)) == sorted(ids)
    assert kitchen.invocations.events == []
    kitchen_sockets(kitchen, alpha.tokens["cocina"], 5)  # k0..k3 again (same ids) and k4
    kitchen.api.posts.clear()
    assert len(nuevo_pedido_to(kitchen, order_id=10)) == 5
    assert kitchen.invocations.events, "five subscribers: over the threshold of four"


def test_a_410_in_a_shard_removes_only_that_connection(kitchen: Kitchen, alpha: TenantWorld) -> None:
    ids = kitchen_sockets(kitchen, alpha.tokens["cocina"], 7)
    kitchen.api.gone = {"k3"}
    frames = nuevo_pedido_to(kitchen)
    assert sorted(frames) == sorted(set(ids) - {"k3"})
    connections = get_services().connections
    assert connections.get("k3") is None
    assert all(connections.get(cid) is not None for cid in ids if cid != "k3")
    assert kitchen.invocations.errors == []


def test_connections_a_shard_could_not_reach_are_handed_alone_to_new_invocations_then_the_shard_fails(
        kitchen: Kitchen, alpha: TenantWorld) -> None:
    kitchen_sockets(kitchen, alpha.tokens["cocina"], 7)
    kitchen.api.broken = {"k5"}
    nuevo_pedido_to(kitchen)
    events = [e for e in kitchen.invocations.events if json.loads(e["frame"])["event"] == "nuevo-pedido"]
    retried = [(e["connections"], e["attempt"]) for e in events if e["attempt"] > 1]
    assert retried == [(["k5"], 2), (["k5"], 3)]
    messages = {e["frame"] for e in kitchen.invocations.events}
    assert [str(e) for e in kitchen.invocations.errors] == ["1 of 1 sends failed after 3 attempts"] * len(messages)
    assert get_services().connections.get("k5") is not None, "a failing connection is not forgotten"


def test_a_refused_invocation_fails_the_record_so_the_stream_delivers_it_again(kitchen: Kitchen, alpha: TenantWorld) -> None:
    kitchen_sockets(kitchen, alpha.tokens["cocina"], 5)

    def refuse(payload: bytes) -> None:
        raise RuntimeError("TooManyRequestsException")

    assert kitchen.fanout.shards is not None
    kitchen.fanout.shards.invoke = refuse
    order = stored(a_sale(9))
    assert kitchen.fanout.handle_batch(stream_batch(stream_record(None, order, "900"))) == {
        "batchItemFailures": [{"itemIdentifier": "900"}]}


# --- shard events ---------------------------------------------------------------------------------


def test_shards_hold_at_most_the_shard_size_and_every_id_once() -> None:
    ids = [f"c{i}" for i in range(1001)]
    events = [json.loads(e) for e in shard_events(ids, "frame", 250)]
    assert [len(e["connections"]) for e in events] == [250, 250, 250, 250, 1]
    assert [c for e in events for c in e["connections"]] == ids
    assert {e["frame"] for e in events} == {"frame"} and {e["attempt"] for e in events} == {1}


def test_a_shard_whose_event_would_exceed_the_limit_is_split_smaller() -> None:
    frame = "x" * 30_000
    ids = [f"connection-{i:06d}=" for i in range(2000)]
    raw = shard_events(ids, frame, 2000, max_bytes=60_000)
    assert all(len(e) <= 60_000 for e in raw) and len(raw) > 1
    assert [c for e in raw for c in json.loads(e)["connections"]] == ids
    real = shard_events(ids, "y" * 128 * 1024, 2000)
    assert all(len(e) <= 256 * 1024 for e in real)
    with pytest.raises(ValueError):
        shard_events(["a"], "z" * 70_000, 10, max_bytes=60_000)


def test_the_threshold_and_shard_size_come_from_the_environment() -> None:
    defaults = load_settings({})
    assert (defaults.fanout_shard_threshold, defaults.fanout_shard_size) == (200, 100)
    assert defaults.send_frames_function == "comanda-local-send_frames" and defaults.lambda_endpoint_url is None
    env = {"COMANDA_FANOUT_SHARD_THRESHOLD": "50", "COMANDA_FANOUT_SHARD_SIZE": "25",
           "COMANDA_LAMBDA_ENDPOINT_URL": "http://127.0.0.1:3000"}
    custom = load_settings(env)
    assert (custom.fanout_shard_threshold, custom.fanout_shard_size, custom.lambda_endpoint_url) == (50, 25, "http://127.0.0.1:3000")
    with pytest.raises(SettingsError, match="COMANDA_FANOUT_SHARD_SIZE"):
        load_settings({"COMANDA_FANOUT_SHARD_SIZE": "0"})


def test_the_container_gives_the_fan_out_the_shard_settings_and_invokes_send_frames_where_the_settings_say(
        aws_session: Settings) -> None:
    local = replace(aws_session, fanout_shard_threshold=7, fanout_shard_size=3, send_frames_function="comanda-test-send_frames",
                    lambda_endpoint_url="http://127.0.0.1:9")
    with use_settings(local) as services:
        plan = services.fanout.shards
        assert plan is not None and (plan.threshold, plan.size) == (7, 3)
        assert services.shard_plan.invoke.client.meta.endpoint_url == "http://127.0.0.1:9"
    with use_settings(replace(local, lambda_endpoint_url=None, endpoint_url="http://127.0.0.1:8")) as services:
        assert services.shard_plan.invoke.client.meta.endpoint_url == "http://127.0.0.1:8", "else AWS_ENDPOINT_URL's"
    with use_settings(replace(local, lambda_endpoint_url=None, endpoint_url=None)) as services:
        assert services.shard_plan.invoke.client.meta.endpoint_url == "https://lambda.us-east-1.amazonaws.com"
