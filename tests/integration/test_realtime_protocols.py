"""One event, encoded per connection protocol: JSON, Socket.IO and STOMP subscribers of the
same channel, through the gateway and the stream fan-out (moto, fake Management API)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from chalicelib.container import get_services
from chalicelib.realtime.fanout import Fanout
from chalicelib.realtime.gateway import SocketGateway
from chalicelib.realtime.polling import Frames
from chalicelib.realtime.sender import Sender
from chalicelib.store.sales import SaleRepository
from tests.integration.test_realtime import stored
from tests.support.api import TenantWorld
from tests.support.events import channels_of, stream_batch, stream_record, ws_event
from tests.support.sales import a_sale, with_plato


@dataclass
class RawManagementApi:
    posts: list[tuple[str, str]] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def post_to_connection(self, ConnectionId: str, Data: bytes) -> None:  # noqa: N803 (boto3's names)
        with self.lock:
            self.posts.append((ConnectionId, Data.decode()))

    def delete_connection(self, ConnectionId: str) -> None:  # noqa: N803
        self.closed.append(ConnectionId)

    def to(self, connection_id: str) -> list[str]:
        return [m for c, m in self.posts if c == connection_id]


@dataclass
class Edge:
    api: RawManagementApi
    gateway: SocketGateway
    fanout: Fanout

    def connect(self, connection_id: str, query: dict[str, str], headers: dict[str, str] | None = None) -> dict:
        return self.gateway.connect(ws_event("$connect", connection_id, query=query, headers=headers))

    def say(self, connection_id: str, body: str) -> list[str]:
        before = len(self.api.to(connection_id))
        self.gateway.message(ws_event("$default", connection_id, body=body))
        return self.api.to(connection_id)[before:]


@pytest.fixture
def edge(alpha: TenantWorld, beta: TenantWorld) -> Iterator[Edge]:
    services = get_services()
    api = RawManagementApi()
    sender = Sender(api, services.connections.remove, threads=4)
    delivery = Frames(lambda: sender, services.connections)
    gateway = SocketGateway(
        services.tokens, services.connections,
        branch_exists=lambda t, b: services.tenant_repo.get_branch(t, b) is not None,
        reply=delivery.send_one, close=delivery.close, socketio_timing=(1000, 2000),
    )
    orders = SaleRepository(services.settings)
    yield Edge(api, gateway, Fanout(services.connections, orders, delivery, lambda tenant, branch: "America/La_Paz"))


def join_socketio(edge: Edge, connection_id: str, token: str) -> list[str]:
    assert edge.connect(connection_id, {"protocol": "socketio"})["statusCode"] == 200
    return edge.say(connection_id, "40/cocina," + json.dumps({"token": token}))


def test_socketio_namespace_connect_authenticates_and_subscribes_to_the_branch_kitchen(edge: Edge, alpha: TenantWorld) -> None:
    assert join_socketio(edge, "s1", alpha.tokens["cocina"]) == ['40/cocina,{"sid":"s1"}']
    assert channels_of("s1") == ["alpha/cocina/cocina:centro"]


def test_socketio_bad_token_or_events_before_the_namespace_connect_get_44(edge: Edge) -> None:
    assert join_socketio(edge, "s1", "not-a-jwt") == ['44/cocina,{"message":"invalid token"}']
    assert edge.say("s1", '42/cocina,["subscribe","cocina:centro"]') == ['44/cocina,{"message":"not connected to this namespace"}']
    assert edge.say("s1", "4garbage") == [] and edge.api.closed == ["s1"]


def test_the_open_packet_goes_to_new_socketio_connections_from_the_connections_stream_and_then_pings(edge: Edge) -> None:
    edge.connect("s1", {"protocol": "socketio"})
    image = {"pk": {"S": "CONN#s1"}, "sk": {"S": "META"}, "protocol": {"S": "socketio"}}
    edge.gateway.greet({"Records": [{"eventName": "INSERT", "dynamodb": {"NewImage": image}}]})
    (packet,) = edge.api.to("s1")
    assert packet.startswith('0{"sid":"s1",') and '"pingInterval":1000' in packet
    assert get_services().connections.subscriptions("s1") == ["_heartbeat/socketio"], "pings start after the open packet"


class NotYetConnected(RawManagementApi):
    """API Gateway answers 410 to posts for a connection whose $connect has not returned yet
    (`gone_posts` times), or forever for one that is really gone (`dead`)."""

    def __init__(self, gone_posts: int = 0, dead: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.gone_posts = gone_posts
        self.dead = set(dead)

    def post_to_connection(self, ConnectionId: str, Data: bytes) -> None:  # noqa: N803
        if ConnectionId in self.dead or self.gone_posts > 0:
            self.gone_posts -= ConnectionId not in self.dead
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "GoneException"}, "ResponseMetadata": {"HTTPStatusCode": 410}}, "PostToConnection")
        super().post_to_connection(ConnectionId, Data)


def greeting_edge(api: RawManagementApi, sleeps: list[float], now: float | None = None) -> SocketGateway:
    """The gateway as deployed: its Sender forgets a 410'd connection only once it is past the settle window."""
    import time

    from chalicelib.realtime.sender import GONE_SETTLE_SECONDS

    services = get_services()

    def forget(connection_id: str) -> None:
        services.connections.remove_gone(connection_id, now or time.time(), GONE_SETTLE_SECONDS)

    delivery = Frames(lambda: Sender(api, forget, threads=2), services.connections)
    return SocketGateway(services.tokens, services.connections, branch_exists=lambda t, b: True, reply=delivery.send_one,
                         post=delivery.post, close=delivery.close, sleep=sleeps.append)


def greet_new(gateway: SocketGateway, *connection_ids: str) -> None:
    records = [{"eventName": "INSERT", "dynamodb": {"NewImage": {"pk": {"S": f"CONN#{cid}"}, "sk": {"S": "META"},
                                                                  "protocol": {"S": "socketio"}}}} for cid in connection_ids]
    gateway.greet({"Records": records})


def test_a_greeting_read_from_the_stream_before_connect_returned_is_retried_and_keeps_the_connection(alpha: TenantWorld) -> None:
    api, sleeps = NotYetConnected(gone_posts=2), []
    gateway = greeting_edge(api, sleeps)
    gateway.connect(ws_event("$connect", "s1", query={"protocol": "socketio"}))
    greet_new(gateway, "s1")
    (packet,) = api.to("s1")
    assert packet.startswith('0{"sid":"s1",') and sleeps == [0.05, 0.1]
    assert get_services().connections.subscriptions("s1") == ["_heartbeat/socketio"], "the row was kept and pings start"


def test_one_dead_connection_in_a_batch_delays_no_other_greeting_and_the_retries_are_shared(alpha: TenantWorld) -> None:
    api, sleeps = NotYetConnected(dead=("d1", "d2")), []
    gateway = greeting_edge(api, sleeps)
    for cid in ("d1", "s1", "d2", "s2"):
        gateway.connect(ws_event("$connect", cid, query={"protocol": "socketio"}))
    greet_new(gateway, "d1", "s1", "d2", "s2")
    assert len(api.to("s1")) == 1 and len(api.to("s2")) == 1
    assert sleeps == [0.05, 0.1, 0.2, 0.4, 0.8], "one schedule for the batch, not one per dead connection"
    assert get_services().connections.get("d1") is not None, "still inside the settle window: kept for now"


def test_a_greeting_still_refused_past_the_settle_window_removes_that_connection(alpha: TenantWorld) -> None:
    import time

    from chalicelib.realtime.sender import GONE_SETTLE_SECONDS

    api, sleeps = NotYetConnected(dead=("s1",)), []
    gateway = greeting_edge(api, sleeps, now=time.time() + GONE_SETTLE_SECONDS + 1)
    gateway.connect(ws_event("$connect", "s1", query={"protocol": "socketio"}))
    gateway.connect(ws_event("$connect", "s2", query={"protocol": "socketio"}))
    greet_new(gateway, "s1")
    assert api.to("s1") == [] and round(sum(sleeps), 2) == 1.55
    assert get_services().connections.get("s1") is None and get_services().connections.get("s2") is not None


def test_stomp_echoes_the_subprotocol_only_when_offered(edge: Edge) -> None:
    offered = edge.connect("t1", {"protocol": "stomp"}, {"Sec-WebSocket-Protocol": "v10.stomp, v12.stomp"})
    assert offered == {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "v12.stomp"}}
    assert edge.connect("t2", {"protocol": "stomp"}) == {"statusCode": 200}


def test_stomp_frames_split_across_messages_are_joined(edge: Edge, alpha: TenantWorld) -> None:
    edge.connect("t1", {"protocol": "stomp"})
    assert edge.say("t1", "CONNECT\naccept-version:1.2\nlogin:" + alpha.tokens["cocina"][:20]) == []
    (connected,) = edge.say("t1", alpha.tokens["cocina"][20:] + "\n\n\x00SUBSCRIBE\nid:0\ndestination:/kds/alpha/centro\n")
    assert connected.startswith("CONNECTED\n")
    assert edge.say("t1", "receipt:r1\n\n\x00") == ["RECEIPT\nreceipt-id:r1\n\n\x00"]
    assert get_services().connections.subscribers_of("alpha/kds/branch:centro")[0].tag == "/kds/alpha/centro|0"


def test_stomp_frames_before_connect_or_a_refused_destination_get_error_and_close(edge: Edge, alpha: TenantWorld) -> None:
    edge.connect("t1", {"protocol": "stomp"})
    (error,) = edge.say("t1", "SUBSCRIBE\nid:0\ndestination:/kds/alpha/centro\n\n\x00")
    assert error.startswith("ERROR\n") and "message:CONNECT first" in error and edge.api.closed == ["t1"]
    edge.connect("t2", {"protocol": "stomp"})
    edge.say("t2", f"CONNECT\nlogin:{alpha.tokens['cocina']}\n\n\x00")
    (refused,) = edge.say("t2", "SUBSCRIBE\nid:0\ndestination:/kds/beta/centro\n\n\x00")
    assert "message:not allowed to subscribe to /kds/beta/centro" in refused and "t2" in edge.api.closed


def test_one_kitchen_event_reaches_each_protocol_in_its_own_framing(edge: Edge, alpha: TenantWorld) -> None:
    token = alpha.tokens["cocina"]
    edge.connect("j1", {"namespace": "kds", "token": token})
    edge.say("j1", json.dumps({"action": "subscribe", "channel": "branch:centro"}))
    edge.connect("s1", {"protocol": "socketio"})
    edge.say("s1", "40/kds," + json.dumps({"token": token}))
    edge.say("s1", '42/kds,["subscribe","branch:centro"]')
    edge.connect("t1", {"protocol": "stomp"})
    edge.say("t1", f"CONNECT\nlogin:{token}\n\n\x00SUBSCRIBE\nid:sub-0\ndestination:/kds/alpha/centro\n\n\x00")

    order = stored(a_sale())
    plated = stored(with_plato(order))
    edge.fanout.handle_batch(stream_batch(stream_record(order, plated, "200")))

    (as_json,) = [json.loads(m) for m in edge.api.to("j1") if '"order:new"' in m and '"branch:centro"' in m]
    (as_socketio,) = [m for m in edge.api.to("s1") if m.startswith('42/kds,["order:new",')]
    (as_stomp,) = [m for m in edge.api.to("t1") if m.startswith("MESSAGE\n")]
    assert json.loads(as_socketio.removeprefix("42/kds,"))[1] == as_json["data"]
    head, _, body = as_stomp.partition("\n\n")
    assert "subscription:sub-0" in head and "destination:/kds/alpha/centro" in head and "content-type:application/json" in head
    assert json.loads(body.rstrip("\x00"))["data"] == as_json["data"]
