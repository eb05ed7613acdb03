"""The HTTP edge: errors are mapped in one place, a 500 never leaks, every request is traced."""

from __future__ import annotations

import logging

import pytest

from tests.support.api import Api, TenantWorld


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_an_unexpected_error_is_a_plain_500_without_a_traceback(api: Api, alpha: TenantWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.container import get_services

    collect = Collect()
    monkeypatch.setattr(logging.getLogger("comanda"), "handlers", [*logging.getLogger("comanda").handlers, collect])

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(get_services().accounts, "list_users", explode)
    reply = api.as_(alpha.tokens["admin"]).get("/api/usuarios")
    assert reply.status == 500
    assert reply.body == {"statusCode": 500, "message": "Internal server error", "error": "Internal Server Error"}
    assert "secret internals" not in str(reply.body) and "Traceback" not in str(reply.body)
    [error] = [r for r in collect.records if r.levelno >= logging.ERROR]
    assert error.exc_info and "secret internals" in str(error.exc_info[1])  # the stack trace goes to the log


def test_every_response_carries_a_correlation_id_and_honours_a_supplied_one(api: Api, alpha: TenantWorld) -> None:
    generated = api.as_(alpha.tokens["admin"]).get("/api/auth/profile")
    assert generated.headers.get("X-Correlation-Id")
    supplied = api.as_(alpha.tokens["admin"]).get("/api/auth/profile", headers={"X-Correlation-Id": "trace-123"})
    assert supplied.headers["X-Correlation-Id"] == "trace-123"


def test_a_body_that_is_not_an_object_is_400(api: Api, alpha: TenantWorld) -> None:
    for raw in ("[]", '"text"', "42", "null"):
        reply = api.as_(alpha.tokens["admin"]).call("POST", "/api/usuarios", raw=raw)
        assert reply.status == 400, raw


def test_an_admin_acts_on_another_branch_only_of_its_own_tenant(api: Api, alpha: TenantWorld) -> None:
    admin = api.as_(alpha.tokens["admin"])
    assert admin.get("/api/caja/actual", headers={"X-Branch-Id": "norte"}).status == 200
    assert admin.get("/api/caja/actual", headers={"X-Branch-Id": "sur"}).status == 404
    assert api.as_(alpha.tokens["cajero"]).get("/api/caja/actual", headers={"X-Branch-Id": "norte"}).status == 403


def test_json_nested_too_deep_to_parse_is_a_400_in_a_body_and_a_401_in_a_token(api: Api, alpha: TenantWorld) -> None:
    import base64

    deep = "[" * 5000
    assert api.as_(None).call("POST", "/api/auth/login", raw=deep).status == 400
    reply = api.as_(alpha.tokens["cajero"]).call("POST", "/api/transacciones", raw=deep)
    assert reply.status == 400 and reply.body["message"] == "El cuerpo de la petición no es JSON válido"
    segment = base64.urlsafe_b64encode(deep.encode()).rstrip(b"=").decode()
    assert api.as_(f"{segment}.e30.c2ln").get("/api/transacciones").status == 401
