"""Revocable sessions (issue 9): a user's deactivation, deletion, role, branch or password change
ends every token issued before it, on every route and socket; logout ends the caller's token."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from chalicelib.container import get_services, use_settings
from chalicelib.realtime.gateway import SocketGateway, revocation_key
from tests.support.api import ROLES_PASSWORDS, Api, TenantWorld
from tests.support.events import ws_event

SALE = {"nro_reg": 1, "concepto": "Mesa 4", "mesa": "4"}


def user_id(api: Api, world: TenantWorld, username: str) -> int:
    users = api.as_(world.tokens["admin"]).get("/api/usuarios").body
    return next(u["id"] for u in users if u["nombre_usuario"] == username)


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the three holes of the issue, the first two here ---------------------------------------------


def test_a_cashier_changed_to_cocina_can_no_longer_create_sales_with_the_old_token(api: Api, alpha: TenantWorld) -> None:
    cashier = api.as_(alpha.tokens["cajero"])
    assert cashier.post("/api/transacciones", SALE).status == 201
    admin = api.as_(alpha.tokens["admin"])
    assert admin.patch(f"/api/usuarios/{user_id(api, alpha, 'cajero1')}", {"rol": "cocina"}).status == 200
    reply = cashier.post("/api/transacciones", {**SALE, "nro_reg": 2})
    assert reply.status == 401, reply
    fresh = api.as_(api.login("cajero1", ROLES_PASSWORDS["cajero"], "alpha"))
    assert fresh.post("/api/transacciones", {**SALE, "nro_reg": 3}).status == 403  # a cook now


def test_a_deleted_user_s_token_no_longer_lists_the_branch_s_sales(api: Api, alpha: TenantWorld) -> None:
    cashier = api.as_(alpha.tokens["cajero"])
    assert cashier.get("/api/transacciones").status == 200
    assert api.as_(alpha.tokens["admin"]).delete(f"/api/usuarios/{user_id(api, alpha, 'cajero1')}").status == 200
    assert cashier.get("/api/transacciones").status == 401


# --- every kind of change ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [{"activo": False}, {"rol": "mesero"}, {"sucursal_id": "norte"}, {"contrasena": "Reset1234!"}],
    ids=["deactivation", "role change", "branch change", "admin password reset"],
)
def test_an_admin_change_to_a_user_ends_their_earlier_tokens(api: Api, alpha: TenantWorld, change: dict) -> None:
    cashier = api.as_(alpha.tokens["cajero"])
    assert api.as_(alpha.tokens["admin"]).patch(f"/api/usuarios/{user_id(api, alpha, 'cajero1')}", change).status == 200
    assert cashier.get("/api/transacciones").status == 401
    assert cashier.get("/api/auth/profile").status == 401


def test_a_rename_alone_keeps_the_user_s_sessions(api: Api, alpha: TenantWorld) -> None:
    cashier = api.as_(alpha.tokens["cajero"])
    renamed = api.as_(alpha.tokens["admin"]).patch(f"/api/usuarios/{user_id(api, alpha, 'cajero1')}", {"nombre": "Caja Uno"})
    assert renamed.status == 200
    assert cashier.get("/api/transacciones").status == 200


def test_another_container_refuses_the_old_token_once_its_cache_is_30_seconds_old(api: Api, alpha: TenantWorld) -> None:
    """Container B has just seen the cashier's row; container A (the admin's) changes the role.
    B keeps trusting its copy for less than 30 s by its clock, and refuses the token from then on."""
    settings = get_services().settings
    cashier = api.as_(alpha.tokens["cajero"])
    clock = FakeClock()
    with use_settings(settings) as container_b:
        container_b.sessions.clock = clock
        assert cashier.get("/api/transacciones").status == 200
    assert api.as_(alpha.tokens["admin"]).patch(f"/api/usuarios/{user_id(api, alpha, 'cajero1')}", {"rol": "cocina"}).status == 200
    with use_settings(settings) as again:
        again.__dict__["sessions"] = container_b.sessions
        clock.now += 29.9
        assert cashier.get("/api/transacciones").status == 200
        clock.now += 0.1
        assert cashier.get("/api/transacciones").status == 401


# --- the user's own password -------------------------------------------------------------------


def test_a_user_changes_their_password_with_the_old_one_and_earlier_tokens_end(api: Api, alpha: TenantWorld) -> None:
    cashier = api.as_(alpha.tokens["cajero"])
    wrong = cashier.post("/api/auth/password", {"contrasena_actual": "nope", "contrasena_nueva": "Nueva123!"})
    assert wrong.status == 400, wrong
    reply = cashier.post("/api/auth/password", {"contrasena_actual": ROLES_PASSWORDS["cajero"], "contrasena_nueva": "Nueva123!"})
    assert reply.status == 200, reply
    assert cashier.get("/api/transacciones").status == 401
    assert api.as_(reply.body["access_token"]).get("/api/transacciones").status == 200
    old = {"nombre_usuario": "cajero1", "contrasena": ROLES_PASSWORDS["cajero"], "tenant": "alpha"}
    assert api.post("/api/auth/login", old).status == 401
    assert api.login("cajero1", "Nueva123!", "alpha")


def test_a_password_change_requires_a_valid_body(api: Api, alpha: TenantWorld) -> None:
    reply = api.as_(alpha.tokens["cajero"]).post("/api/auth/password", {"contrasena_nueva": "Nueva123!"})
    assert reply.status == 400
    assert "contrasena_actual is required" in reply.body["message"]


# --- logout -------------------------------------------------------------------------------------


def test_a_logged_out_token_replayed_is_refused_and_the_user_s_other_tokens_keep_working(api: Api, alpha: TenantWorld) -> None:
    tablet = api.as_(alpha.tokens["cajero"])
    phone = api.as_(api.login("cajero1", ROLES_PASSWORDS["cajero"], "alpha"))
    assert tablet.post("/api/auth/logout").status == 200
    assert tablet.get("/api/transacciones").status == 401
    assert tablet.post("/api/auth/logout").status == 401
    assert phone.get("/api/transacciones").status == 200


def test_logout_is_seen_by_another_container_within_its_cache_age(api: Api, alpha: TenantWorld) -> None:
    settings = get_services().settings
    tablet = api.as_(alpha.tokens["cajero"])
    clock = FakeClock()
    with use_settings(settings) as container_b:
        container_b.sessions.clock = clock
        assert tablet.get("/api/transacciones").status == 200
        with use_settings(settings):
            assert tablet.post("/api/auth/logout").status == 200
        clock.now += 30
        assert tablet.get("/api/transacciones").status == 401


# --- sockets ------------------------------------------------------------------------------------


@dataclass
class Sockets:
    gateway: SocketGateway
    closed: list[str] = field(default_factory=list)


@pytest.fixture
def sockets(alpha: TenantWorld) -> Iterator[Sockets]:
    services = get_services()
    out = Sockets(None)  # type: ignore[arg-type]
    out.gateway = SocketGateway(
        services.tokens, services.connections,
        branch_exists=lambda t, b: services.tenant_repo.get_branch(t, b) is not None,
        reply=lambda c, m: None, close=out.closed.append, session_check=services.sessions.check,
    )
    services.__dict__["sockets"] = out.gateway
    yield out


def connect(gateway: SocketGateway, connection_id: str, token: str, namespace: str = "cocina") -> int:
    event = ws_event("$connect", connection_id, query={"namespace": namespace, "token": token})
    return int(gateway.connect(event)["statusCode"])


def test_a_socket_holds_a_per_user_key_and_is_closed_when_the_user_s_role_changes(api: Api, alpha: TenantWorld,
                                                                                  sockets: Sockets) -> None:
    cashier_id = user_id(api, alpha, "cajero1")
    assert connect(sockets.gateway, "c1", alpha.tokens["cajero"]) == 200
    assert connect(sockets.gateway, "c2", alpha.tokens["cajero"], "kds") == 200
    assert connect(sockets.gateway, "m1", alpha.tokens["mesero"]) == 200
    connections = get_services().connections
    assert sorted(connections.subscribers(revocation_key("alpha", str(cashier_id)))) == ["c1", "c2"]

    assert api.as_(alpha.tokens["admin"]).patch(f"/api/usuarios/{cashier_id}", {"rol": "cocina"}).status == 200

    assert sorted(sockets.closed) == ["c1", "c2"]
    assert connections.get("c1") is None and connections.get("c2") is None
    assert connections.get("m1") is not None


@pytest.mark.parametrize("how", ["deletion", "password change"])
def test_a_user_s_sockets_close_on_deletion_and_password_change(api: Api, alpha: TenantWorld, sockets: Sockets, how: str) -> None:
    assert connect(sockets.gateway, "c1", alpha.tokens["cajero"]) == 200
    if how == "deletion":
        assert api.as_(alpha.tokens["admin"]).delete(f"/api/usuarios/{user_id(api, alpha, 'cajero1')}").status == 200
    else:
        body = {"contrasena_actual": ROLES_PASSWORDS["cajero"], "contrasena_nueva": "Nueva123!"}
        assert api.as_(alpha.tokens["cajero"]).post("/api/auth/password", body).status == 200
    assert sockets.closed == ["c1"]


def test_logout_closes_the_sockets_opened_with_that_token_only(api: Api, alpha: TenantWorld, sockets: Sockets) -> None:
    phone_token = api.login("cajero1", ROLES_PASSWORDS["cajero"], "alpha")
    assert connect(sockets.gateway, "tablet", alpha.tokens["cajero"]) == 200
    assert connect(sockets.gateway, "phone", phone_token) == 200
    assert api.as_(alpha.tokens["cajero"]).post("/api/auth/logout").status == 200
    assert sockets.closed == ["tablet"]
    assert get_services().connections.get("phone") is not None
    assert connect(sockets.gateway, "tablet2", alpha.tokens["cajero"]) == 401


def test_a_revoked_token_cannot_open_a_socket(api: Api, alpha: TenantWorld, sockets: Sockets) -> None:
    assert api.as_(alpha.tokens["admin"]).patch(f"/api/usuarios/{user_id(api, alpha, 'cajero1')}", {"activo": False}).status == 200
    assert connect(sockets.gateway, "c1", alpha.tokens["cajero"]) == 401
    assert connect(sockets.gateway, "k1", alpha.tokens["cocina"]) == 200
