"""Helpers for e2e tests that drive the running local stack: a second tenant provisioned
straight into the stack's AWS, caja hygiene, and WebSocket frame collection."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from websockets.sync.client import ClientConnection

from tests.e2e.harness import RunningStack

ZERO_COUNTS = {k: 0 for k in ("b200", "b100", "b50", "b20", "b10", "b5", "m2", "m1", "m050", "m020", "m010")}


@contextmanager
def stack_aws(stack: RunningStack) -> Iterator[None]:
    """Point this process's chalicelib at the stack's embedded AWS (as the operator's
    onboarding command would), then restore the environment."""
    from chalicelib.container import reset_services
    from chalicelib.store.base import forget_connections

    overrides = {
        "AWS_ENDPOINT_URL": stack.aws_endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "COMANDA_STAGE": "local",
        "COMANDA_TABLE_PREFIX": "comanda-local",
    }
    saved = {k: os.environ.get(k) for k in overrides}
    os.environ.update(overrides)
    reset_services()
    forget_connections()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        reset_services()
        forget_connections()


def provision_other_tenant(stack: RunningStack, tenant: str = "otro") -> dict[str, str]:
    """A second restaurant on the same stack, with a kitchen user; returns role -> token."""
    from chalicelib.container import get_services

    with stack_aws(stack):
        accounts = get_services().accounts
        accounts.provision_tenant(tenant, "Otro Restaurante", [("centro", "Centro")], "admin", "Admin123!")
        if accounts.users.get_by_username(tenant, "cocina1") is None:
            accounts.create_user(tenant, {"nombre": "Cocina", "nombre_usuario": "cocina1", "contrasena": "Cocina123!",
                                          "rol": "cocina", "sucursal_id": "centro"})
    tokens = {}
    for role, (user, password) in {"admin": ("admin", "Admin123!"), "cocina": ("cocina1", "Cocina123!")}.items():
        reply = stack.as_(None).post("/api/auth/login", {"nombre_usuario": user, "contrasena": password, "tenant": tenant})
        assert reply.status == 201, reply
        tokens[role] = reply.body["access_token"]
    return tokens


def close_open_caja(api: RunningStack) -> None:
    if api.get("/api/caja/actual").body:
        assert api.post("/api/caja/cerrar", ZERO_COUNTS).status == 200


class Frames:
    """Everything a socket receives, read in order with a deadline."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []

    def next(self, event: str, timeout: float = 20, where: Any = None) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                frame = json.loads(self.ws.recv(timeout=max(0.05, deadline - time.monotonic())))
            except TimeoutError:
                break
            self.seen.append(frame)
            if frame.get("event") == event and (where is None or where(frame)):
                return dict(frame)
        raise AssertionError(f"no {event!r} frame within {timeout}s; saw {[f.get('event') for f in self.seen]}")

    def quiet(self, seconds: float) -> list[dict[str, Any]]:
        """Whatever arrives in the next `seconds` (to prove nothing does)."""
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                got.append(json.loads(self.ws.recv(timeout=max(0.05, deadline - time.monotonic()))))
            except TimeoutError:
                break
        self.seen.extend(got)
        return got
