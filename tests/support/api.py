"""A thin JSON client over Chalice's test client, and a two-tenant world to test against."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalice.test import Client

ROLES_PASSWORDS = {
    "admin": "Admin123!",
    "cajero": "Cajero123!",
    "mesero": "Mesero123!",
    "cocina": "Cocina123!",
    "repartidor": "Repartidor123!",
}


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.body!r})"


class Api:
    def __init__(self, client: Client, token: str | None = None) -> None:
        self._client = client
        self.token = token

    def as_(self, token: str | None) -> Api:
        return Api(self._client, token)

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, raw: str | None = None) -> Reply:
        all_headers = {"Content-Type": "application/json"}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        all_headers.update(headers or {})
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = getattr(self._client.http, method.lower())(path, headers=all_headers, body=payload)
        text = response.body.decode() if isinstance(response.body, bytes) else response.body
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return Reply(response.status_code, parsed, dict(response.headers))

    def get(self, path: str, **kw: Any) -> Reply:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("PATCH", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.call("DELETE", path, **kw)

    def login(self, username: str, password: str, tenant: str) -> str:
        reply = self.as_(None).post("/api/auth/login", {"nombre_usuario": username, "contrasena": password, "tenant": tenant})
        assert reply.status == 201, reply
        return str(reply.body["access_token"])


@dataclass
class TenantWorld:
    tenant: str
    branches: list[str]
    tokens: dict[str, str]  # role -> token (users of the first branch; admin has no fixed branch)


def provision_world(api: Api, tenant: str, branches: list[str]) -> TenantWorld:
    from chalicelib.container import get_services

    accounts = get_services().accounts
    accounts.provision_tenant(tenant, tenant.title(), [(b, b.title()) for b in branches], "admin", ROLES_PASSWORDS["admin"])
    tokens = {"admin": api.login("admin", ROLES_PASSWORDS["admin"], tenant)}
    for role, password in ROLES_PASSWORDS.items():
        if role == "admin":
            continue
        accounts.create_user(
            tenant,
            {"nombre": role.title(), "nombre_usuario": f"{role}1", "contrasena": password, "rol": role, "sucursal_id": branches[0]},
        )
        tokens[role] = api.login(f"{role}1", password, tenant)
    return TenantWorld(tenant, branches, tokens)
