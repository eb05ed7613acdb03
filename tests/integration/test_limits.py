"""Limits (issue 9): body size, list `limit`, socket subscriptions and message rate, CORS per
stage, and the security headers of authenticated routes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

import pytest

from chalicelib.container import get_services, use_settings
from chalicelib.realtime.gateway import SocketGateway
from chalicelib.settings import SettingsError, load_settings
from tests.support.api import Api, TenantWorld
from tests.support.events import ws_event

# --- HTTP ------------------------------------------------------------------------------------------


def test_a_body_over_64_kb_is_413_and_one_just_under_is_judged_on_its_content(api: Api, alpha: TenantWorld) -> None:
    cashier = api.as_(alpha.tokens["cajero"])
    big = {"nro_reg": 1, "concepto": "x" * (64 * 1024)}
    reply = cashier.post("/api/transacciones", big)
    assert reply.status == 413, reply
    assert reply.body["statusCode"] == 413
    under = {"nro_reg": 1, "concepto": "x" * (64 * 1024 - 100)}
    assert cashier.post("/api/transacciones", under).status == 400  # too long a concepto, not too large a body


def test_list_routes_take_a_limit_with_a_maximum(api: Api, alpha: TenantWorld) -> None:
    admin = api.as_(alpha.tokens["admin"])
    for name in ("Uno", "Dos", "Tres"):
        assert admin.post("/api/platos", {"nombre": name, "precio": "10.00"}).status == 201
    assert len(admin.get("/api/platos").body) == 3
    assert len(admin.get("/api/platos?limit=2").body) == 2
    assert len(admin.get("/api/usuarios?limit=1").body) == 1
    for bad in ("0", "501", "x"):
        assert admin.get(f"/api/platos?limit={bad}").status == 400, bad
    assert admin.get("/api/transacciones?limit=201").status == 400


def test_query_parameters_are_validated_by_the_declared_schema_and_each_problem_is_named(api: Api, alpha: TenantWorld) -> None:
    admin = api.as_(alpha.tokens["admin"])
    assert admin.get("/api/auditoria?desde=ayer").body["message"] == ["desde must be an ISO 8601 date or date-time"]
    assert admin.get("/api/platos?limit=x").body["message"] == ["limit must be an integer number"]
    assert admin.get("/api/platos?limit=501").body["message"] == ["limit must not be greater than 500"]
    assert admin.get("/api/caja/gastos/historial?caja_id=-1").body["message"] == ["caja_id must not be less than 1"]
    assert admin.get("/api/platos?limit=&_=123").status == 200  # empty means absent; undeclared parameters are ignored
    for edge in ("hasta=0001-01-02", "desde=0001-01-01T00:00:00%2B01:00", "hasta=9999-12-31"):  # near datetime's bounds
        assert admin.get(f"/api/auditoria?{edge}").body["message"] == [f"{edge.split('=')[0]} must be a date between 1970 and 9998"]


def test_the_openapi_query_parameters_are_those_the_handlers_validate(api: Api) -> None:
    document = api.as_(None).get("/api/openapi.json").body
    orders = {p["name"]: p for p in document["paths"]["/orders"]["get"]["parameters"]}
    assert orders["status"]["schema"]["enum"] == ["pending", "confirmed", "preparing", "ready"]
    assert orders["station"]["schema"]["pattern"] == "^[a-z][a-z0-9_-]{0,29}$"
    assert orders["limit"]["schema"] | {"default": None} == {"type": "integer", "minimum": 1, "maximum": 500, "default": None}


def test_authenticated_routes_say_nosniff_and_no_store(api: Api, alpha: TenantWorld) -> None:
    reply = api.as_(alpha.tokens["cajero"]).get("/api/transacciones")
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Cache-Control"] == "no-store"
    refused = api.as_(None).get("/api/transacciones")
    assert refused.status == 401 and refused.headers["Cache-Control"] == "no-store"


def test_the_local_stage_allows_any_origin(api: Api, alpha: TenantWorld) -> None:
    reply = api.as_(alpha.tokens["cajero"]).get("/api/transacciones", headers={"Origin": "https://anywhere.example"})
    assert reply.headers["Access-Control-Allow-Origin"] == "*"


def test_another_stage_allows_only_its_configured_origins(api: Api, alpha: TenantWorld) -> None:
    settings = replace(get_services().settings, cors_allowed_origins=("https://pos.example", "https://kds.example"))
    with use_settings(settings):
        cashier = api.as_(alpha.tokens["cajero"])
        allowed = cashier.get("/api/transacciones", headers={"Origin": "https://kds.example"})
        assert allowed.headers["Access-Control-Allow-Origin"] == "https://kds.example"
        assert allowed.headers["Vary"] == "Origin"
        other = cashier.get("/api/transacciones", headers={"Origin": "https://evil.example"})
        assert other.headers["Access-Control-Allow-Origin"] != "https://evil.example"
        assert other.headers["Access-Control-Allow-Origin"] != "*"
        document = api.as_(None)  # the public OpenAPI document too: only the stage's origins
        kds = document.get("/api/openapi.json", headers={"Origin": "https://kds.example"}).headers
        evil = document.get("/api/openapi.json", headers={"Origin": "https://evil.example"}).headers
        assert kds["Access-Control-Allow-Origin"] == "https://kds.example"
        assert evil["Access-Control-Allow-Origin"] not in ("*", "https://evil.example")


def test_cors_origins_come_from_the_stage_and_star_is_for_local_only() -> None:
    base = {"JWT_SECRET": "s" * 40}
    assert load_settings({**base, "COMANDA_STAGE": "local"}).cors_allowed_origins == ("*",)
    assert load_settings({**base, "COMANDA_STAGE": "prod"}).cors_allowed_origins == ()
    prod = load_settings({**base, "COMANDA_STAGE": "prod", "CORS_ALLOWED_ORIGINS": "https://a.example, https://b.example/"})
    assert prod.cors_allowed_origins == ("https://a.example", "https://b.example")
    with pytest.raises(SettingsError):
        load_settings({**base, "COMANDA_STAGE": "prod", "CORS_ALLOWED_ORIGINS": "*"})


# --- sockets ---------------------------------------------------------------------------------------


@dataclass
class Socket:
    gateway: SocketGateway
    frames: list[tuple[str, str]] = field(default_factory=list)
    now: float = 1_000_000.0

    def send(self, connection_id: str, frame: dict) -> dict:
        self.gateway.message(ws_event("$default", connection_id, body=json.dumps(frame)))
        return json.loads(self.frames[-1][1])


@pytest.fixture
def socket(alpha: TenantWorld) -> Socket:
    services = get_services()
    out = Socket(None)  # type: ignore[arg-type]
    out.gateway = SocketGateway(
        services.tokens, services.connections,
        branch_exists=lambda t, b: services.tenant_repo.get_branch(t, b) is not None,
        reply=lambda c, m: out.frames.append((c, m)), clock=lambda: out.now,
    )
    event = ws_event("$connect", "k1", query={"namespace": "kds", "token": alpha.tokens["admin"]})
    assert out.gateway.connect(event)["statusCode"] == 200
    return out


def test_a_socket_holds_at_most_20_subscriptions(socket: Socket) -> None:
    for i in range(20):
        assert socket.send("k1", {"action": "subscribe", "channel": f"session:s{i}"})["event"] == "subscribed"
        socket.now += 0.1
    refused = socket.send("k1", {"action": "subscribe", "channel": "session:s20"})
    assert refused["event"] == "error" and refused["data"]["code"] == "too_many_subscriptions"
    assert socket.send("k1", {"action": "subscribe", "channel": "session:s3"})["event"] == "subscribed"  # already held
    assert socket.send("k1", {"action": "unsubscribe", "channel": "session:s0"})["event"] == "unsubscribed"
    assert socket.send("k1", {"action": "subscribe", "channel": "session:s20"})["event"] == "subscribed"


def test_more_than_20_messages_a_second_from_one_connection_get_an_error_frame(socket: Socket) -> None:
    replies = [socket.send("k1", {"action": "ping"}) for _ in range(20)]
    assert {r["event"] for r in replies} == {"pong"}
    over = socket.send("k1", {"action": "ping"})
    assert over["event"] == "error" and over["data"]["code"] == "rate_limited"
    sent = len(socket.frames)
    socket.gateway.message(ws_event("$default", "k1", body=json.dumps({"action": "ping"})))
    assert len(socket.frames) == sent, "further messages in the same second are dropped without a frame each"
    socket.now += 1
    assert socket.send("k1", {"action": "ping"})["event"] == "pong"
