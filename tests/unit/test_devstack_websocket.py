"""The local API Gateway WebSocket emulator, driven by a tiny Chalice app of the test's own:
$connect can refuse, $default echoes through the Management API with a real boto3 client,
$disconnect fires, and unknown connections are 410 Gone."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config as BotoConfig
from chalice import Chalice
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from devstack.testing import ServedApp, serve_app

Seen = dict[str, list[dict[str, Any]]]


def make_app(connect_raises: bool = False) -> tuple[Chalice, Seen]:
    app = Chalice(app_name="ws-emulator-test")
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    app.websocket_api.session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
    seen: Seen = {"connect": [], "message": [], "disconnect": []}

    @app.on_ws_connect()
    def on_connect(event: Any) -> dict[str, Any] | None:
        raw = event.to_dict()
        seen["connect"].append(raw)
        if connect_raises:
            raise RuntimeError("boom")
        if (raw.get("queryStringParameters") or {}).get("token") != "good":
            return {"statusCode": 401}
        return None

    @app.on_ws_message()
    def on_message(event: Any) -> None:
        seen["message"].append(event.to_dict())
        app.websocket_api.send(event.connection_id, "echo:" + event.body)

    @app.on_ws_disconnect()
    def on_disconnect(event: Any) -> None:
        seen["disconnect"].append(event.to_dict())

    @app.route("/api/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    return app, seen


def management(server: ServedApp, suffix: str = "") -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=server.base_url + suffix,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=BotoConfig(retries={"max_attempts": 1}),
    )


def eventually(check: Callable[[], bool], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


@pytest.fixture
def world() -> Iterator[tuple[ServedApp, Seen]]:
    app, seen = make_app()
    with serve_app(app) as server:
        yield server, seen


def test_a_connect_with_a_good_token_is_accepted_with_an_api_gateway_shaped_event(world: tuple[ServedApp, Seen]) -> None:
    server, seen = world
    with connect(server.ws_url + "/cocina?token=good", open_timeout=5, user_agent_header="tablet/1.0"):
        event = seen["connect"][0]
    ctx = event["requestContext"]
    assert (ctx["routeKey"], ctx["eventType"], ctx["stage"], ctx["apiId"]) == ("$connect", "CONNECT", "api", "local")
    assert ctx["domainName"] == f"127.0.0.1:{server.port}"
    assert ctx["identity"] == {"sourceIp": "127.0.0.1", "userAgent": "tablet/1.0"}
    assert isinstance(ctx["connectedAt"], int) and ctx["connectionId"]
    assert event["queryStringParameters"] == {"token": "good", "namespace": "cocina"}
    assert event["multiValueQueryStringParameters"]["namespace"] == ["cocina"]
    assert event["headers"]["Upgrade"].lower() == "websocket"
    assert event["isBase64Encoded"] is False


def test_the_path_names_the_namespace_even_if_the_client_claims_another(world: tuple[ServedApp, Seen]) -> None:
    server, seen = world
    with connect(server.ws_url + "/kds?token=good&namespace=cocina", open_timeout=5):
        pass
    with connect(server.ws_url + "/?token=good&namespace=pedidos", open_timeout=5):
        pass
    assert [e["queryStringParameters"]["namespace"] for e in seen["connect"]] == ["kds", "pedidos"]


def test_a_connect_that_returns_401_refuses_the_handshake_with_401(world: tuple[ServedApp, Seen]) -> None:
    server, seen = world
    with pytest.raises(InvalidStatus) as refused:
        connect(server.ws_url + "/cocina?token=bad", open_timeout=5)
    assert refused.value.response.status_code == 401
    assert server.websocket.connections == {}
    time.sleep(0.1)
    assert seen["disconnect"] == []


def test_a_connect_handler_that_raises_refuses_with_500() -> None:
    app, _ = make_app(connect_raises=True)
    with serve_app(app) as server, pytest.raises(InvalidStatus) as refused:
        connect(server.ws_url + "/cocina?token=good", open_timeout=5)
    assert refused.value.response.status_code == 500


def test_an_app_without_websocket_handlers_refuses_with_404_and_still_serves_rest() -> None:
    app = Chalice(app_name="rest-only")

    @app.route("/api/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    with serve_app(app) as server:
        with pytest.raises(InvalidStatus) as refused:
            connect(server.ws_url + "/cocina", open_timeout=5)
        assert refused.value.response.status_code == 404
        import urllib.request

        with urllib.request.urlopen(server.base_url + "/api/ping", timeout=5) as reply:
            assert json.loads(reply.read()) == {"pong": "yes"}


def test_a_message_goes_to_default_and_the_echo_comes_back_through_the_management_api(world: tuple[ServedApp, Seen]) -> None:
    server, seen = world
    with connect(server.ws_url + "/cocina?token=good", open_timeout=5) as ws:
        ws.send('{"action": "ping"}')
        assert ws.recv(timeout=5) == 'echo:{"action": "ping"}'
        connection_id = seen["connect"][0]["requestContext"]["connectionId"]
    message = seen["message"][0]
    assert message["body"] == '{"action": "ping"}'
    assert message["requestContext"]["routeKey"] == "$default"
    assert message["requestContext"]["eventType"] == "MESSAGE"
    assert message["requestContext"]["connectionId"] == connection_id


def test_get_connection_reports_when_and_from_where(world: tuple[ServedApp, Seen]) -> None:
    server, seen = world
    before = time.time()
    with connect(server.ws_url + "/cocina?token=good", open_timeout=5):
        connection_id = seen["connect"][0]["requestContext"]["connectionId"]
        info = management(server).get_connection(ConnectionId=connection_id)
    assert isinstance(info["ConnectedAt"], datetime)
    assert abs(info["ConnectedAt"].timestamp() - before) < 5
    assert info["LastActiveAt"] >= info["ConnectedAt"]
    assert info["Identity"]["SourceIp"] == "127.0.0.1"


def test_post_to_connection_delivers_a_text_frame_with_the_raw_data(world: tuple[ServedApp, Seen]) -> None:
    server, seen = world
    with connect(server.ws_url + "/kds?token=good", open_timeout=5) as ws:
        connection_id = seen["connect"][0]["requestContext"]["connectionId"]
        payload = json.dumps({"event": "order:new", "data": {"precio": "50.00"}}, ensure_ascii=False)
        management(server).post_to_connection(ConnectionId=connection_id, Data=payload.encode())
        frame = ws.recv(timeout=5)
    assert isinstance(frame, str)
    assert json.loads(frame) == {"event": "order:new", "data": {"precio": "50.00"}}


def test_the_stage_prefixed_endpoint_works_like_aws(world: tuple[ServedApp, Seen]) -> None:
    server, seen = world
    with connect(server.ws_url + "/cocina?token=good", open_timeout=5) as ws:
        connection_id = seen["connect"][0]["requestContext"]["connectionId"]
        management(server, "/api").post_to_connection(ConnectionId=connection_id, Data=b"hola")
        assert ws.recv(timeout=5) == "hola"


def test_unknown_connections_are_410_gone(world: tuple[ServedApp, Seen]) -> None:
    server, _ = world
    client = management(server)
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId="nope-nope-nope=", Data=b"x")
    with pytest.raises(client.exceptions.GoneException):
        client.get_connection(ConnectionId="nope-nope-nope=")


def test_delete_connection_closes_the_socket_fires_disconnect_and_then_is_gone(world: tuple[ServedApp, Seen]) -> None:
    server, seen = world
    client = management(server)
    with connect(server.ws_url + "/cocina?token=good", open_timeout=5) as ws:
        connection_id = seen["connect"][0]["requestContext"]["connectionId"]
        client.delete_connection(ConnectionId=connection_id)
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
    eventually(lambda: len(seen["disconnect"]) == 1)
    ctx = seen["disconnect"][0]["requestContext"]
    assert (ctx["routeKey"], ctx["eventType"], ctx["connectionId"]) == ("$disconnect", "DISCONNECT", connection_id)
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId=connection_id, Data=b"late")


def test_a_client_close_fires_disconnect_once(world: tuple[ServedApp, Seen]) -> None:
    server, seen = world
    with connect(server.ws_url + "/cocina?token=good", open_timeout=5):
        connection_id = seen["connect"][0]["requestContext"]["connectionId"]
    eventually(lambda: len(seen["disconnect"]) == 1)
    assert seen["disconnect"][0]["requestContext"]["connectionId"] == connection_id
    assert seen["disconnect"][0]["requestContext"]["disconnectStatusCode"] == 1000
    assert server.websocket.connections == {}


def test_a_post_over_128_kb_is_payload_too_large(world: tuple[ServedApp, Seen]) -> None:
    server, seen = world
    client = management(server)
    with connect(server.ws_url + "/cocina?token=good", open_timeout=5):
        connection_id = seen["connect"][0]["requestContext"]["connectionId"]
        with pytest.raises(client.exceptions.PayloadTooLargeException):
            client.post_to_connection(ConnectionId=connection_id, Data=b"x" * (128 * 1024 + 1))
