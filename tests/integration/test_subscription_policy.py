"""One subscription policy for every protocol: a connection holds at most max_subscriptions
channels, re-subscribing to one it already holds is always allowed, and unsubscribing makes
room. JSON (cocina/kds), Socket.IO and STOMP each go through it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from chalicelib.container import get_services
from chalicelib.realtime.gateway import TOO_MANY_SUBSCRIPTIONS, SocketGateway
from chalicelib.realtime.polling import Frames
from chalicelib.realtime.sender import Sender
from tests.integration.test_realtime_protocols import RawManagementApi
from tests.support.api import TenantWorld
from tests.support.events import ws_event

LIMIT = 3  # a small limit keeps the spec readable; the default is 20 (tests/integration/test_limits.py)


class Edge:
    def __init__(self) -> None:
        services = get_services()
        self.api = RawManagementApi()
        sender = Sender(self.api, services.connections.remove, threads=2)
        frames = Frames(lambda: sender, services.connections)
        self.gateway = SocketGateway(
            services.tokens, services.connections, branch_exists=lambda t, b: services.tenant_repo.get_branch(t, b) is not None,
            reply=frames.send_one, close=frames.close, max_subscriptions=LIMIT, max_messages_per_second=1000,
        )

    def connect(self, connection_id: str, query: dict[str, str]) -> None:
        assert self.gateway.connect(ws_event("$connect", connection_id, query=query))["statusCode"] == 200

    def say(self, connection_id: str, body: str) -> str:
        before = len(self.api.to(connection_id))
        self.gateway.message(ws_event("$default", connection_id, body=body))
        (answer,) = self.api.to(connection_id)[before:]
        return answer


@pytest.fixture
def edge(alpha: TenantWorld) -> Iterator[Edge]:
    yield Edge()


def sessions(n: int) -> list[str]:
    return [f"session:s{i}" for i in range(n)]


def test_json_refuses_one_more_channel_at_the_limit_but_not_one_it_holds(edge: Edge, alpha: TenantWorld) -> None:
    edge.connect("j1", {"namespace": "kds", "token": alpha.tokens["admin"]})

    def send(action: str, channel: str) -> dict:
        return json.loads(edge.say("j1", json.dumps({"action": action, "channel": channel})))

    assert [send("subscribe", c)["event"] for c in sessions(LIMIT)] == ["subscribed"] * LIMIT
    refused = send("subscribe", "session:extra")
    assert (refused["event"], refused["data"]["code"]) == ("error", "too_many_subscriptions")
    assert send("subscribe", "session:s1")["event"] == "subscribed"
    assert send("unsubscribe", "session:s0")["event"] == "unsubscribed"
    assert send("subscribe", "session:extra")["event"] == "subscribed"


def test_socketio_refuses_one_more_channel_at_the_limit_but_not_one_it_holds(edge: Edge, alpha: TenantWorld) -> None:
    edge.connect("s1", {"protocol": "socketio"})
    assert edge.say("s1", "40/kds," + json.dumps({"token": alpha.tokens["admin"]})).startswith("40/kds,")

    def emit(action: str, channel: str) -> list:
        answer = edge.say("s1", f'42/kds,["{action}","{channel}"]')
        assert answer.startswith("42/kds,")
        return list(json.loads(answer.removeprefix("42/kds,")))

    assert [emit("subscribe", c) for c in sessions(LIMIT)] == [["subscribed", {"channel": c}] for c in sessions(LIMIT)]
    assert emit("subscribe", "session:extra") == ["error", {"code": "too_many_subscriptions", "message": TOO_MANY_SUBSCRIPTIONS}]
    assert emit("subscribe", "session:s1") == ["subscribed", {"channel": "session:s1"}]
    assert emit("unsubscribe", "session:s0") == ["unsubscribed", {"channel": "session:s0"}]
    assert emit("subscribe", "session:extra") == ["subscribed", {"channel": "session:extra"}]


def test_stomp_refuses_one_more_destination_at_the_limit_but_not_one_it_holds(edge: Edge, alpha: TenantWorld) -> None:
    edge.connect("t1", {"protocol": "stomp"})
    assert edge.say("t1", f"CONNECT\naccept-version:1.2\nlogin:{alpha.tokens['admin']}\n\n\x00").startswith("CONNECTED\n")

    def subscribe(destination: str, sub_id: str) -> str:
        return edge.say("t1", f"SUBSCRIBE\nid:{sub_id}\ndestination:{destination}\nreceipt:r-{sub_id}\n\n\x00")

    held = ["/venue/alpha/centro", "/venue/alpha/norte", "/kds/alpha/centro"]
    assert [subscribe(d, str(n)) for n, d in enumerate(held)] == [f"RECEIPT\nreceipt-id:r-{n}\n\n\x00" for n in range(LIMIT)]
    # A second subscription to a destination the connection holds is allowed at the limit, as on JSON.
    assert subscribe("/venue/alpha/centro", "9") == "RECEIPT\nreceipt-id:r-9\n\n\x00"
    refused = subscribe("/kds/alpha/norte", "10")
    assert refused.startswith("ERROR\n") and TOO_MANY_SUBSCRIPTIONS in refused
