"""WebSocket routes and the stream fan-out (DESIGN "Real time"), against moto with a fake
Management API client."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass, field

import pytest
from botocore.exceptions import ClientError

from chalicelib.auth import Principal
from chalicelib.container import get_services
from chalicelib.domain.sales import Sale
from chalicelib.realtime.fanout import Fanout
from chalicelib.realtime.gateway import SocketGateway
from chalicelib.realtime.sender import Sender
from chalicelib.store.sales import SaleRepository
from tests.support.api import TenantWorld
from tests.support.events import channels_of, stream_batch, stream_record, ws_event
from tests.support.sales import a_sale, with_plato

NOW = "2026-03-18T12:35:00.000Z"


@dataclass
class FakeManagementApi:
    """Stands in for boto3's apigatewaymanagementapi client."""

    gone: set[str] = field(default_factory=set)
    broken: set[str] = field(default_factory=set)
    posts: list[tuple[str, dict]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def post_to_connection(self, ConnectionId: str, Data: bytes) -> None:  # noqa: N803 (boto3's names)
        if ConnectionId in self.gone:
            raise ClientError({"Error": {"Code": "GoneException"}, "ResponseMetadata": {"HTTPStatusCode": 410}}, "PostToConnection")
        if ConnectionId in self.broken:
            raise ClientError({"Error": {"Code": "InternalServerError"}, "ResponseMetadata": {"HTTPStatusCode": 500}}, "Post")
        with self.lock:
            self.posts.append((ConnectionId, json.loads(Data)))

    def frames(self, connection_id: str, event: str | None = None) -> list[dict]:
        return [f for c, f in self.posts if c == connection_id and (event is None or f["event"] == event)]


@dataclass
class Realtime:
    api: FakeManagementApi
    gateway: SocketGateway
    fanout: Fanout


@pytest.fixture
def realtime(alpha: TenantWorld, beta: TenantWorld) -> Iterator[Realtime]:
    services = get_services()
    fake = FakeManagementApi()
    sender = Sender(fake, services.connections.remove, threads=4)
    gateway = SocketGateway(
        services.tokens, services.connections,
        branch_exists=lambda t, b: services.tenant_repo.get_branch(t, b) is not None,
        reply=lambda c, m: sender.send_one(c, m),
    )
    orders = SaleRepository(services.settings)
    yield Realtime(fake, gateway, Fanout(services.connections, orders, sender, lambda tenant, branch: "America/La_Paz"))


def connect(rt: Realtime, connection_id: str, token: str | None, namespace: str = "cocina") -> int:
    query = {"namespace": namespace}
    if token:
        query["token"] = token
    return int(rt.gateway.connect(ws_event("$connect", connection_id, query=query))["statusCode"])


def send(rt: Realtime, connection_id: str, frame: dict) -> dict:
    rt.gateway.message(ws_event("$default", connection_id, body=json.dumps(frame)))
    return rt.api.posts[-1][1]


def stored(order: Sale) -> Sale:
    """Persist the order so the kitchen-queue Query sees it, as the real write would."""
    orders = SaleRepository(get_services().settings)
    if order.version:
        orders.save(order)
    else:
        orders.add(order)
    saved = orders.get(order.tenant_id, order.id)
    assert saved is not None
    return saved


def test_connect_without_a_token_or_with_a_bad_one_is_refused(realtime: Realtime) -> None:
    assert connect(realtime, "c1", None) == 401
    assert connect(realtime, "c2", "not-a-token") == 401
    assert get_services().connections.get("c1") is None


def test_a_role_without_kitchen_access_cannot_connect_to_cocina(realtime: Realtime, alpha: TenantWorld) -> None:
    assert connect(realtime, "c1", alpha.tokens["repartidor"]) == 403


def test_a_kitchen_connection_is_subscribed_to_its_branch_at_once(realtime: Realtime, alpha: TenantWorld) -> None:
    assert connect(realtime, "k1", alpha.tokens["cocina"]) == 200
    assert channels_of("k1") == ["alpha/cocina/cocina:centro"]


def test_ping_gets_pong_and_a_bad_frame_gets_an_error_frame(realtime: Realtime, alpha: TenantWorld) -> None:
    connect(realtime, "k1", alpha.tokens["cocina"])
    assert send(realtime, "k1", {"action": "ping"})["event"] == "pong"
    error = send(realtime, "k1", {"action": "dance"})
    assert error["event"] == "error" and error["data"]["code"] == "bad_frame"


def test_subscribing_to_another_branch_or_another_tenants_branch_is_refused(
    realtime: Realtime, alpha: TenantWorld, beta: TenantWorld
) -> None:
    connect(realtime, "k1", alpha.tokens["cocina"])
    other_branch = send(realtime, "k1", {"action": "subscribe", "channel": "cocina:norte"})
    assert other_branch["event"] == "error" and other_branch["data"]["code"] == "forbidden"
    other_tenant = send(realtime, "k1", {"action": "subscribe", "channel": "cocina:sur"})
    assert other_tenant["event"] == "error" and other_tenant["data"]["code"] == "not_found"
    assert channels_of("k1") == ["alpha/cocina/cocina:centro"]


def test_an_owner_may_subscribe_to_any_branch_of_its_own_tenant(realtime: Realtime, alpha: TenantWorld) -> None:
    connect(realtime, "a1", alpha.tokens["admin"])
    ack = send(realtime, "a1", {"action": "subscribe", "channel": "cocina:norte", "ref": 1})
    assert ack == {"event": "subscribed", "channel": "cocina:norte", "data": None, "id": None, "ref": 1}
    assert send(realtime, "a1", {"action": "unsubscribe", "channel": "cocina:norte"})["event"] == "unsubscribed"


def test_disconnect_removes_the_connection_and_its_subscriptions(realtime: Realtime, alpha: TenantWorld) -> None:
    connect(realtime, "k1", alpha.tokens["cocina"])
    realtime.gateway.disconnect(ws_event("$disconnect", "k1"))
    assert get_services().connections.get("k1") is None
    assert get_services().connections.subscribers("alpha/cocina/cocina:centro") == []


def test_a_new_order_with_a_mesa_is_announced_and_the_queue_republished(realtime: Realtime, alpha: TenantWorld) -> None:
    connect(realtime, "k1", alpha.tokens["cocina"])
    order = stored(a_sale())
    result = realtime.fanout.handle_batch(stream_batch(stream_record(None, order, "1001")))
    assert result == {"batchItemFailures": []}
    nuevo = realtime.api.frames("k1", "nuevo-pedido")
    assert len(nuevo) == 1 and nuevo[0]["data"]["id"] == 7 and nuevo[0]["id"] == "1001:nuevo-pedido"
    assert nuevo[0]["data"]["hora"] == "08:35 - 18/03/2026"
    queue = realtime.api.frames("k1", "pedidos-actualizados")
    assert [[o["id"] for o in f["data"]] for f in queue] == [[7]]


def test_a_second_tenants_kitchen_receives_nothing_of_the_first(realtime: Realtime, alpha: TenantWorld, beta: TenantWorld) -> None:
    connect(realtime, "alpha-k", alpha.tokens["cocina"])
    connect(realtime, "beta-k", beta.tokens["cocina"])
    realtime.fanout.handle_batch(stream_batch(stream_record(None, stored(a_sale()))))
    assert realtime.api.frames("alpha-k", "nuevo-pedido")
    assert realtime.api.frames("beta-k") == []


def test_queue_updates_are_coalesced_to_one_per_branch_per_batch(realtime: Realtime, alpha: TenantWorld) -> None:
    connect(realtime, "k1", alpha.tokens["cocina"])
    created = stored(a_sale())
    changed = with_plato(created)
    stored(changed)
    batch = stream_batch(stream_record(None, created, "2001"), stream_record(created, changed, "2002"))
    realtime.fanout.handle_batch(batch)
    queue = realtime.api.frames("k1", "pedidos-actualizados")
    assert len(queue) == 1
    assert queue[0]["id"] == "2002:pedidos-actualizados"
    assert queue[0]["data"][0]["items"][0]["nombre"] == "Silpancho"


def test_completion_is_announced_with_the_numeric_id(realtime: Realtime, alpha: TenantWorld) -> None:
    connect(realtime, "k1", alpha.tokens["cocina"])
    before = stored(with_plato(a_sale()))
    after = deepcopy(before)
    after.complete_kitchen(NOW)
    stored(after)
    realtime.fanout.handle_batch(stream_batch(stream_record(before, after, "3001")))
    assert [f["data"] for f in realtime.api.frames("k1", "pedido-completado")] == [7]
    assert realtime.api.frames("k1", "pedidos-actualizados")[-1]["data"] == []


def test_a_vanished_client_is_removed_on_the_first_410_and_the_others_still_receive(realtime: Realtime, alpha: TenantWorld) -> None:
    for connection_id in ("k1", "k2", "k3"):
        connect(realtime, connection_id, alpha.tokens["cocina"])
    realtime.api.gone.add("k2")
    result = realtime.fanout.handle_batch(stream_batch(stream_record(None, stored(a_sale()))))
    assert result == {"batchItemFailures": []}
    assert realtime.api.frames("k1", "nuevo-pedido") and realtime.api.frames("k3", "nuevo-pedido")
    assert get_services().connections.get("k2") is None
    assert "k2" not in get_services().connections.subscribers("alpha/cocina/cocina:centro")


def test_a_record_whose_delivery_fails_is_reported_for_redelivery(realtime: Realtime, alpha: TenantWorld) -> None:
    connect(realtime, "k1", alpha.tokens["cocina"])
    realtime.api.broken.add("k1")
    result = realtime.fanout.handle_batch(stream_batch(stream_record(None, stored(a_sale()), "4001")))
    assert result == {"batchItemFailures": [{"itemIdentifier": "4001"}]}


def test_a_corrupt_record_fails_alone_and_the_rest_of_the_batch_is_delivered(realtime: Realtime, alpha: TenantWorld) -> None:
    connect(realtime, "k1", alpha.tokens["cocina"])
    good = stream_record(None, stored(a_sale()), "5002")
    bad = stream_record(None, a_sale(8), "5001")
    bad["dynamodb"]["NewImage"]["doc"] = {"S": "{not json"}
    result = realtime.fanout.handle_batch(stream_batch(bad, good))
    assert result == {"batchItemFailures": [{"itemIdentifier": "5001"}]}
    assert realtime.api.frames("k1", "nuevo-pedido")[0]["id"] == "5002:nuevo-pedido"


def test_a_replayed_batch_yields_messages_with_the_same_ids(realtime: Realtime, alpha: TenantWorld) -> None:
    connect(realtime, "k1", alpha.tokens["cocina"])
    batch = stream_batch(stream_record(None, stored(a_sale()), "6001"))
    realtime.fanout.handle_batch(batch)
    first = [f["id"] for _, f in realtime.api.posts]
    realtime.api.posts.clear()
    realtime.fanout.handle_batch(deepcopy(batch))
    assert [f["id"] for _, f in realtime.api.posts] == first == ["6001:nuevo-pedido", "6001:pedidos-actualizados"]


def test_kds_staff_subscribe_within_their_branch_and_tenant_only(realtime: Realtime, alpha: TenantWorld, beta: TenantWorld) -> None:
    assert connect(realtime, "kds1", alpha.tokens["cocina"], namespace="kds") == 200
    assert channels_of("kds1") == []
    for channel in ("branch:centro", "branch:centro:kitchen", "branch:centro:kitchen:bar"):
        assert send(realtime, "kds1", {"action": "subscribe", "channel": channel})["event"] == "subscribed", channel
    assert send(realtime, "kds1", {"action": "subscribe", "channel": "branch:norte:kitchen"})["data"]["code"] == "forbidden"
    assert connect(realtime, "beta1", beta.tokens["admin"], namespace="kds") == 200
    assert send(realtime, "beta1", {"action": "subscribe", "channel": "branch:centro"})["data"]["code"] == "not_found"
    assert send(realtime, "kds1", {"action": "subscribe", "channel": "cocina:centro"})["data"]["code"] == "invalid_channel"


def test_a_customer_connection_sees_only_its_own_session(realtime: Realtime, alpha: TenantWorld) -> None:
    order = stored(a_sale())
    token, _, _ = get_services().kds.customer_token(Principal("2", "alpha", "centro", "mesero"), order.id)
    assert connect(realtime, "cust", token, namespace="cocina") == 403
    assert connect(realtime, "cust", token, namespace="kds") == 200
    assert get_services().connections.subscriptions("cust") == [f"alpha/kds/session:{order.session_id}"]
    assert send(realtime, "cust", {"action": "subscribe", "channel": "branch:centro"})["data"]["code"] == "forbidden"
    assert send(realtime, "cust", {"action": "subscribe", "channel": "session:someone-else"})["data"]["code"] == "forbidden"


def test_the_deployed_sender_keeps_a_connection_answered_410_while_it_may_still_be_connecting(
    realtime: Realtime, alpha: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time as clock
    from dataclasses import replace

    from chalicelib import container
    from chalicelib.realtime import sender as sender_module

    connect(realtime, "k1", alpha.tokens["cocina"])
    with container.use_settings(replace(get_services().settings, websocket_endpoint="https://example.invalid/api")) as deployed:
        deployed.sender.forget("k1")  # a frame that beat k1's $connect: API Gateway said 410
        assert get_services().connections.get("k1") is not None
        later = clock.time() + sender_module.GONE_SETTLE_SECONDS + 1
        monkeypatch.setattr(sender_module.time, "time", lambda: later)
        deployed.sender.forget("k1")
        assert get_services().connections.get("k1") is None
