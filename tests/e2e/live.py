"""Helpers for e2e tests that drive the running local stack: a second tenant provisioned
straight into the stack's AWS, caja hygiene, and WebSocket frame collection."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

from websockets.sync.client import ClientConnection

from chalicelib.container import use_settings
from chalicelib.settings import Settings, load_settings
from devstack.world import denominations
from tests.e2e.harness import RunningStack

ZERO_COUNTS = denominations()


def stack_settings(stack: RunningStack) -> Settings:
    """This process's chalicelib pointed at the stack's embedded AWS (as the operator's onboarding
    command would), without touching the environment."""
    local = load_settings({"COMANDA_STAGE": "local", "COMANDA_TABLE_PREFIX": "comanda-local", "AWS_REGION": "us-east-1",
                           "AWS_ENDPOINT_URL": stack.aws_endpoint})
    return replace(local, aws_credentials=("testing", "testing"))


def provision_other_tenant(stack: RunningStack, tenant: str = "otro") -> dict[str, str]:
    """A second restaurant on the same stack, with a kitchen user; returns role -> token."""
    with use_settings(stack_settings(stack)) as services:
        accounts = services.accounts
        accounts.provision_tenant(tenant, "Otro Restaurante", [("centro", "Centro")], "admin", "Admin123!")
        if accounts.users.get_by_username(tenant, "cocina1") is None:
            accounts.create_user(tenant, {"nombre": "Cocina", "nombre_usuario": "cocina1", "contrasena": "Cocina123!",
                                          "rol": "cocina", "sucursal_id": "centro"})
    tokens = {}
    for role, (user, password) in {"admin": ("admin", "Admin123!"), "cocina": ("cocina1", "Cocina123!")}.items():
        tokens[role] = stack.login(user, password, tenant)
    return tokens


def close_open_caja(api: RunningStack) -> None:
    if api.get("/api/caja/actual").body:
        assert api.post("/api/caja/cerrar", ZERO_COUNTS).status == 200


class Frames:
    """Everything a socket receives, read in order with a deadline; frames are named by `key`
    (`event` in Comanda's JSON protocol, `tipo` in GastroMovil's)."""

    def __init__(self, ws: ClientConnection, key: str = "event") -> None:
        self.ws = ws
        self.key = key
        self.seen: list[dict[str, Any]] = []

    def next(self, event: str, timeout: float = 20, where: Any = None) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                frame = json.loads(self.ws.recv(timeout=max(0.05, deadline - time.monotonic())))
            except TimeoutError:
                break
            self.seen.append(frame)
            if frame.get(self.key) == event and (where is None or where(frame)):
                return dict(frame)
        raise AssertionError(f"no {event!r} frame within {timeout}s; saw {[f.get(self.key) for f in self.seen]}")

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
