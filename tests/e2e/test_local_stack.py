"""The local stack over real HTTP: demo logins, auth, CORS, and restart idempotency."""

from __future__ import annotations

import base64
import json

from tests.e2e.harness import RunningStack, launch_stack


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_the_demo_admin_logs_in_over_real_http(stack: RunningStack) -> None:
    reply = stack.post("/api/auth/login", {"nombre_usuario": "admin", "contrasena": "Admin123!"})
    assert reply.status == 201, reply
    assert reply.body["usuario"]["nombre_usuario"] == "admin"
    assert reply.body["usuario"]["rol"] == "admin"
    assert _claims(reply.body["access_token"])["tenant"] == "demo"


def test_the_demo_cajero_logs_in_and_reads_its_profile(stack: RunningStack) -> None:
    token = stack.login("cajero1", "Cajero123!")
    reply = stack.as_(token).get("/api/auth/profile")
    assert reply.status == 200, reply
    assert reply.body["nombre_usuario"] == "cajero1"
    assert reply.body["rol"] == "cajero"


def test_every_seeded_role_can_log_in(stack: RunningStack) -> None:
    for username, password, role in (("mesero1", "Mesero123!", "mesero"), ("cocina1", "Cocina123!", "cocina"),
                                     ("repartidor1", "Repartidor123!", "repartidor")):
        claims = _claims(stack.login(username, password))
        assert (claims["role"], claims["branch"]) == (role, "centro")


def test_a_wrong_password_is_401_with_the_original_message(stack: RunningStack) -> None:
    reply = stack.post("/api/auth/login", {"nombre_usuario": "admin", "contrasena": "nope"})
    assert reply.status == 401
    assert reply.body["message"] == "Credenciales inválidas"


def test_the_profile_without_a_token_is_401(stack: RunningStack) -> None:
    reply = stack.get("/api/auth/profile")
    assert reply.status == 401
    assert reply.body == {"statusCode": 401, "message": "Unauthorized", "error": "Unauthorized"}


def test_the_banner_kitchen_token_is_a_working_cocina_token(stack: RunningStack) -> None:
    token = stack.banner_value("Kitchen token")
    reply = stack.as_(token).get("/api/auth/profile")
    assert reply.status == 200, reply
    assert reply.body["nombre_usuario"] == "cocina1"


def test_cors_preflight_is_answered_like_chalice_local(stack: RunningStack) -> None:
    preflight = {"Origin": "http://tablet.local", "Access-Control-Request-Method": "GET"}
    reply = stack.call("OPTIONS", "/api/auth/profile", headers=preflight)
    assert reply.status == 200
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    assert set(reply.headers["Access-Control-Allow-Methods"].split(",")) == {"GET", "OPTIONS"}


def test_an_unknown_route_is_api_gateways_403(stack: RunningStack) -> None:
    reply = stack.get("/api/no-such-route")
    assert reply.status == 403
    assert reply.body == {"message": "Missing Authentication Token"}


def test_the_demo_catalog_is_seeded(stack: RunningStack) -> None:
    token = stack.login("admin", "Admin123!")
    productos = stack.as_(token).get("/api/productos")
    assert productos.status == 200, productos
    assert len(productos.body) == 3


def test_a_restart_against_the_same_aws_duplicates_nothing(stack: RunningStack) -> None:
    """Given the running stack's moto, when a second stack starts against it, then the demo data
    is found, not created again."""
    admin = stack.as_(stack.login("admin", "Admin123!"))
    users_before = admin.get("/api/usuarios").body
    second = launch_stack({"AWS_ENDPOINT_URL": stack.aws_endpoint}, ["--no-streams"])
    try:
        assert second.banner_value("AWS endpoint").endswith("(AWS_ENDPOINT_URL)")
        assert "nothing created" in second.banner_value("Demo data")
        again = second.as_(second.login("admin", "Admin123!"))
        users_after = again.get("/api/usuarios").body
        assert sorted(u["nombre_usuario"] for u in users_after) == sorted(u["nombre_usuario"] for u in users_before)
        assert len(users_after) == 5
        assert len(again.get("/api/productos").body) == 3
    finally:
        assert second.stop() == 0
