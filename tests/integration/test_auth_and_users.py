"""Auth and /api/usuarios, as COMPAT A describes them."""

from __future__ import annotations

import time

import jwt

from chalicelib.settings import LOCAL_DEV_SECRET
from tests.support.api import Api, TenantWorld


def test_login_returns_a_token_and_the_user_without_password(api: Api, alpha: TenantWorld) -> None:
    reply = api.post("/api/auth/login", {"nombre_usuario": "admin", "contrasena": "Admin123!", "tenant": "alpha"})
    assert reply.status == 201
    assert set(reply.body) == {"access_token", "usuario"}
    assert reply.body["usuario"] == {"id": 1, "nombre": "Administrador", "nombre_usuario": "admin", "rol": "admin"}


def test_login_with_a_wrong_password_or_unknown_user_is_401_credenciales_invalidas(api: Api, alpha: TenantWorld) -> None:
    for body in (
        {"nombre_usuario": "admin", "contrasena": "nope", "tenant": "alpha"},
        {"nombre_usuario": "ghost", "contrasena": "Admin123!", "tenant": "alpha"},
        {"nombre_usuario": "admin", "contrasena": "Admin123!", "tenant": "nosuch"},
    ):
        reply = api.post("/api/auth/login", body)
        assert reply.status == 401
        assert reply.body["message"] == "Credenciales inválidas"


def test_login_takes_the_tenant_from_the_x_tenant_id_header(api: Api, alpha: TenantWorld) -> None:
    reply = api.post("/api/auth/login", {"nombre_usuario": "admin", "contrasena": "Admin123!"}, headers={"X-Tenant-Id": "alpha"})
    assert reply.status == 201


def test_login_rejects_unknown_and_missing_fields_naming_them(api: Api) -> None:
    reply = api.post("/api/auth/login", {"nombre_usuario": "admin", "password": "x"})
    assert reply.status == 400
    assert reply.body["error"] == "Bad Request"
    assert "property password should not exist" in reply.body["message"]
    assert "contrasena is required" in reply.body["message"]


def test_malformed_json_is_a_400_not_a_500(api: Api) -> None:
    reply = api.post("/api/auth/login", raw="{not json")
    assert reply.status == 400


def test_profile_returns_the_caller(api: Api, alpha: TenantWorld) -> None:
    reply = api.as_(alpha.tokens["cajero"]).get("/api/auth/profile")
    assert reply.status == 200
    assert reply.body["nombre_usuario"] == "cajero1"
    assert reply.body["rol"] == "cajero"
    assert reply.body["tenant_id"] == "alpha"
    assert "password_hash" not in reply.body and "contrasena" not in reply.body


def _forge(claims: dict, secret: str = LOCAL_DEV_SECRET, algorithm: str = "HS256") -> str:
    base = {"sub": "1", "tenant": "alpha", "branch": "centro", "role": "admin", "iss": "comanda", "aud": "comanda-api",
            "iat": int(time.time()), "exp": int(time.time()) + 60}
    base.update(claims)
    return jwt.encode({k: v for k, v in base.items() if v is not None}, secret, algorithm=algorithm)


def test_missing_malformed_expired_unsigned_and_tampered_tokens_are_401(api: Api, alpha: TenantWorld) -> None:
    good = alpha.tokens["admin"]
    header, payload, signature = good.split(".")
    unsigned = jwt.encode({"sub": "1", "tenant": "alpha", "role": "admin"}, key=None, algorithm="none")  # type: ignore[arg-type]
    cases = {
        "missing": None,
        "malformed": "not-a-jwt",
        "expired": _forge({"exp": int(time.time()) - 10}),
        "alg none": unsigned,
        "tampered": f"{header}.{payload[:-2]}xx.{signature}",
        "wrong secret": _forge({}, secret="x" * 40),
        "wrong audience": _forge({"aud": "someone-else"}),
        "wrong issuer": _forge({"iss": "evil"}),
        "no exp": _forge({"exp": None}),
    }
    for name, token in cases.items():
        reply = api.as_(token).get("/api/auth/profile")
        assert reply.status == 401, name


def test_a_non_bearer_authorization_header_is_401(api: Api, alpha: TenantWorld) -> None:
    reply = api.as_(None).get("/api/auth/profile", headers={"Authorization": f"Basic {alpha.tokens['admin']}"})
    assert reply.status == 401


def test_admin_creates_lists_updates_and_soft_deletes_users(api: Api, alpha: TenantWorld) -> None:
    admin = api.as_(alpha.tokens["admin"])
    created = admin.post("/api/usuarios", {"nombre": "Ana", "nombre_usuario": "ana_01", "contrasena": "Secreta1!", "rol": "cajero"})
    assert created.status == 201
    assert "contrasena" not in created.body and "password_hash" not in created.body
    user_id = created.body["id"]

    assert admin.patch(f"/api/usuarios/{user_id}", {"nombre": "Ana María"}).body["nombre"] == "Ana María"
    assert any(u["id"] == user_id for u in admin.get("/api/usuarios").body)

    assert admin.delete(f"/api/usuarios/{user_id}").status == 200
    assert admin.get(f"/api/usuarios/{user_id}").status == 404
    assert all(u["id"] != user_id for u in admin.get("/api/usuarios").body)
    login = api.post("/api/auth/login", {"nombre_usuario": "ana_01", "contrasena": "Secreta1!", "tenant": "alpha"})
    assert login.status == 401


def test_a_duplicate_username_in_the_same_tenant_is_409(api: Api, alpha: TenantWorld) -> None:
    admin = api.as_(alpha.tokens["admin"])
    body = {"nombre": "Dup", "nombre_usuario": "dup", "contrasena": "Secreta1!", "rol": "mesero"}
    assert admin.post("/api/usuarios", body).status == 201
    assert admin.post("/api/usuarios", body).status == 409


def test_the_same_username_may_exist_in_two_tenants(api: Api, alpha: TenantWorld, beta: TenantWorld) -> None:
    body = {"nombre": "Same", "nombre_usuario": "same", "contrasena": "Secreta1!", "rol": "mesero"}
    assert api.as_(alpha.tokens["admin"]).post("/api/usuarios", body).status == 201
    assert api.as_(beta.tokens["admin"]).post("/api/usuarios", body).status == 201


def test_usernames_must_match_the_pattern_and_length(api: Api, alpha: TenantWorld) -> None:
    admin = api.as_(alpha.tokens["admin"])
    for bad in ("AB", "ab", "with space", "x" * 31, "Mayus"):
        reply = admin.post("/api/usuarios", {"nombre": "X", "nombre_usuario": bad, "contrasena": "Secreta1!", "rol": "mesero"})
        assert reply.status == 400, bad
        assert any("nombre_usuario" in m for m in reply.body["message"])


def test_only_admins_manage_users(api: Api, alpha: TenantWorld) -> None:
    for role in ("cajero", "mesero", "cocina", "repartidor"):
        assert api.as_(alpha.tokens[role]).get("/api/usuarios").status == 403


def test_a_tenant_never_sees_or_touches_another_tenants_users(api: Api, alpha: TenantWorld, beta: TenantWorld) -> None:
    beta_admin = api.as_(beta.tokens["admin"])
    alpha_cajero_id = next(u["id"] for u in api.as_(alpha.tokens["admin"]).get("/api/usuarios").body if u["rol"] == "cajero")
    names = {u["nombre_usuario"] for u in beta_admin.get("/api/usuarios").body}
    assert names == {"admin", "cajero1", "mesero1", "cocina1", "repartidor1"}
    ids_in_beta = {u["id"] for u in beta_admin.get("/api/usuarios").body}
    stranger = max(ids_in_beta) + 100
    assert beta_admin.get(f"/api/usuarios/{stranger}").status == 404
    # Same numeric id exists in alpha; beta must still get its own user or 404, never alpha's.
    reply = beta_admin.get(f"/api/usuarios/{alpha_cajero_id}")
    assert reply.status in (200, 404)
    if reply.status == 200:
        assert reply.body["nombre_usuario"] in names


def test_an_admin_may_not_delete_itself(api: Api, alpha: TenantWorld) -> None:
    assert api.as_(alpha.tokens["admin"]).delete("/api/usuarios/1").status == 400
