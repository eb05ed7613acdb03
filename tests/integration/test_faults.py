"""Faults survived: DynamoDB throttling and transactions cancelled by another transaction, the
fan-out killed in the middle of a batch, and the Management API failing in bursts. Nothing is
lost or doubled; clients can drop repeated frames by their id."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from chalicelib.container import get_services
from chalicelib.realtime.fanout import Fanout
from chalicelib.realtime.gateway import SocketGateway
from chalicelib.realtime.sender import Sender, make_client, make_lean_client
from chalicelib.store.sales import SaleRepository
from tests.integration.test_realtime import FakeManagementApi, connect, stored
from tests.integration.test_transacciones import make_menu
from tests.support.api import Api, TenantWorld
from tests.support.events import stream_batch, stream_record
from tests.support.sales import a_sale, with_plato


@dataclass
class DynamoFaults:
    """Answers chosen DynamoDB operations with an AWS error, `times` times (-1: until cleared)."""

    operation: str = ""
    code: str = ""
    times: int = 0
    reasons: list[str] = field(default_factory=list)
    injected: int = 0

    def fail(self, operation: str, code: str, times: int = -1, reasons: list[str] | None = None) -> None:
        self.operation, self.code, self.times, self.reasons = operation, code, times, reasons or []

    def clear(self) -> None:
        self.times = 0


@pytest.fixture
def dynamo_faults(monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoFaults]:
    faults = DynamoFaults()
    real = BaseClient._make_api_call

    def make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
        if faults.times != 0 and operation == faults.operation and client.meta.service_model.service_name == "dynamodb":
            faults.times -= 1
            faults.injected += 1
            error: dict[str, Any] = {"Error": {"Code": faults.code, "Message": "injected"},
                                     "ResponseMetadata": {"HTTPStatusCode": 400}}
            if faults.reasons:
                error["CancellationReasons"] = [{"Code": r, "Message": r} for r in faults.reasons]
            raise ClientError(error, operation)
        return real(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", make_api_call)
    get_services().sales.sleep = lambda seconds: None
    yield faults


def open_sale(api: Api, alpha: TenantWorld) -> tuple[Api, int, str]:
    cajero = api.as_(alpha.tokens["cajero"])
    assert cajero.post("/api/caja/abrir", {"b100": 1}).status == 201
    menu = make_menu(alpha.tenant)
    tx = cajero.post("/api/transacciones", {"nro_reg": 1, "concepto": "Mesa 3", "mesa": "3"}).body["id"]
    item = cajero.post(f"/api/transacciones/{tx}/items", {"plato_id": menu.plato, "cantidad": 1})
    assert item.status == 201, item
    assert cajero.call("PATCH", f"/api/transacciones/{tx}/cocina/completar").status == 200
    total = cajero.get(f"/api/transacciones/{tx}").body["monto_total"]
    return cajero, tx, total


def test_a_write_still_throttled_after_botocores_retries_is_a_503_with_retry_after_and_writes_nothing(
        api: Api, alpha: TenantWorld, dynamo_faults: DynamoFaults) -> None:
    cajero = api.as_(alpha.tokens["cajero"])
    assert cajero.post("/api/caja/abrir", {"b100": 1}).status == 201
    dynamo_faults.fail("PutItem", "ProvisionedThroughputExceededException")
    refused = cajero.post("/api/transacciones", {"nro_reg": 1, "concepto": "Mesa 9", "mesa": "9"})
    assert refused.status == 503 and refused.headers.get("Retry-After") == "1", refused
    assert refused.body["statusCode"] == 503 and "Traceback" not in json.dumps(refused.body)
    dynamo_faults.fail("Query", "ThrottlingException")
    assert cajero.get("/api/transacciones").status == 503
    dynamo_faults.clear()
    assert [t["concepto"] for t in cajero.get("/api/transacciones").body] == []
    assert cajero.post("/api/transacciones", {"nro_reg": 1, "concepto": "Mesa 9", "mesa": "9"}).status == 201
    assert [t["concepto"] for t in cajero.get("/api/transacciones").body] == ["Mesa 9"]


def test_a_batch_read_dynamodb_keeps_unprocessed_is_a_503_with_retry_after_and_adds_nothing(
        api: Api, alpha: TenantWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.store import reads

    cajero = api.as_(alpha.tokens["cajero"])
    assert cajero.post("/api/caja/abrir", {"b100": 1}).status == 201
    menu = make_menu(alpha.tenant)
    tx = cajero.post("/api/transacciones", {"nro_reg": 1, "concepto": "Mesa 4", "mesa": "4"}).body["id"]
    real = BaseClient._make_api_call
    rounds: list[int] = []

    def throttled(client: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == "BatchGetItem":  # DynamoDB under load answers, but processes none of the keys
            rounds.append(1)
            return {"Responses": {}, "UnprocessedKeys": params["RequestItems"]}
        return real(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", throttled)
    monkeypatch.setattr(reads.time, "sleep", lambda seconds: None)
    refused = cajero.post(f"/api/transacciones/{tx}/items", {"plato_id": menu.plato, "cantidad": 1})
    assert refused.status == 503 and refused.headers.get("Retry-After") == "1", refused
    assert len(rounds) == reads.MAX_ROUNDS
    monkeypatch.setattr(BaseClient, "_make_api_call", real)
    assert cajero.get(f"/api/transacciones/{tx}").body["items"] == []


def test_a_throttled_payment_retried_with_its_idempotency_key_is_recorded_once(
        api: Api, alpha: TenantWorld, dynamo_faults: DynamoFaults) -> None:
    cajero, tx, total = open_sale(api, alpha)
    body, key = {"metodo_pago": "qr", "monto": total}, {"Idempotency-Key": "pago-throttled-1"}
    dynamo_faults.fail("TransactWriteItems", "ProvisionedThroughputExceededException")
    assert cajero.post(f"/api/transacciones/{tx}/pagos", body, headers=key).status == 503
    dynamo_faults.clear()
    for _ in range(2):  # the client retries, then retries again
        paid = cajero.post(f"/api/transacciones/{tx}/pagos", body, headers=key)
        assert paid.status == 201, paid
    assert len(cajero.get(f"/api/transacciones/{tx}/pagos").body) == 1
    assert cajero.get("/api/caja/resumen").body["resumen"]["ventas_qr"] == total


def test_a_payment_cancelled_by_another_transaction_is_retried_and_recorded_once(
        api: Api, alpha: TenantWorld, dynamo_faults: DynamoFaults) -> None:
    cajero, tx, total = open_sale(api, alpha)
    dynamo_faults.fail("TransactWriteItems", "TransactionCanceledException", times=3, reasons=["TransactionConflict", "None"])
    paid = cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "qr", "monto": total})
    assert paid.status == 201 and dynamo_faults.injected == 3, paid
    assert len(cajero.get(f"/api/transacciones/{tx}/pagos").body) == 1
    assert cajero.get("/api/caja/resumen").body["resumen"]["ventas_qr"] == total


def test_a_payment_the_items_stay_locked_for_gives_up_with_503_and_nothing_written(
        api: Api, alpha: TenantWorld, dynamo_faults: DynamoFaults) -> None:
    cajero, tx, total = open_sale(api, alpha)
    dynamo_faults.fail("TransactWriteItems", "TransactionCanceledException", reasons=["TransactionConflict", "None"])
    refused = cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "qr", "monto": total})
    assert refused.status == 503 and refused.headers.get("Retry-After") == "1", refused
    dynamo_faults.clear()
    assert cajero.get(f"/api/transacciones/{tx}/pagos").body == []
    assert cajero.get("/api/caja/resumen").body["resumen"]["ventas_qr"] == "0.00"


# --- the fan-out killed mid-batch --------------------------------------------------------------


class Killed(BaseException):
    """What a container killed mid-batch looks like from inside: not an Exception anyone catches."""


@dataclass
class DyingManagementApi(FakeManagementApi):
    die_after: int = -1

    def post_to_connection(self, ConnectionId: str, Data: bytes) -> None:  # noqa: N803
        if self.die_after == 0:
            raise Killed()
        self.die_after -= 1
        super().post_to_connection(ConnectionId, Data)


def kitchen(alpha: TenantWorld, api: FakeManagementApi) -> tuple[SocketGateway, Fanout]:
    services = get_services()
    sender = Sender(api, services.connections.remove, threads=1)
    gateway = SocketGateway(services.tokens, services.connections,
                            branch_exists=lambda t, b: services.tenant_repo.get_branch(t, b) is not None,
                            reply=lambda c, m: sender.send_one(c, m))
    return gateway, Fanout(services.connections, SaleRepository(services.settings), sender, lambda t, b: "America/La_Paz")


def test_a_fanout_killed_mid_batch_delivers_every_frame_at_least_once_with_the_same_ids_when_rerun(alpha: TenantWorld) -> None:
    api = DyingManagementApi(die_after=3)
    gateway, fanout = kitchen(alpha, api)
    from tests.integration.test_realtime import Realtime

    assert connect(Realtime(api, gateway, fanout), "k1", alpha.tokens["cocina"]) == 200
    orders = [stored(a_sale(n, mesa=f"Mesa {n}")) for n in (1, 2, 3)]
    batch = stream_batch(*[stream_record(None, o, str(100 + o.id)) for o in orders],
                         *[stream_record(o, stored(with_plato(o)), str(200 + o.id)) for o in orders])
    with pytest.raises(Killed):
        fanout.handle_batch(batch)
    before = [(f["event"], f["id"]) for f in api.frames("k1")]
    api.die_after = -1
    fanout.handle_batch(batch)  # Lambda re-delivers the whole batch of a function that died
    frames = [(f["event"], f["id"]) for f in api.frames("k1")]
    assert len(before) == 3 and frames[:3] == before
    unique = list(dict.fromkeys(frames))
    assert {event for event, _ in unique} == {"nuevo-pedido", "pedidos-actualizados"}
    created = sorted(f for f in unique if f[0] == "nuevo-pedido")
    assert created == sorted(("nuevo-pedido", f"{100 + n}:nuevo-pedido") for n in (1, 2, 3))
    assert len(frames) > len(unique), "the re-run repeats frames, with the same ids"


# --- the Management API failing in bursts ------------------------------------------------------


class Burst(BaseHTTPRequestHandler):
    failures = 0  # how many posts still fail
    status = 500
    gone: set[str] = set()
    delivered: list[tuple[str, dict]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        connection_id = self.path.rsplit("/", 1)[-1]
        if connection_id in Burst.gone:
            self._answer(410, "GoneException")
        elif Burst.failures > 0:
            Burst.failures -= 1
            self._answer(Burst.status, "LimitExceededException" if Burst.status == 429 else "InternalServerErrorException")
        else:
            Burst.delivered.append((connection_id, json.loads(body)))
            self._answer(200, "")

    def _answer(self, status: int, error: str) -> None:
        payload = json.dumps({"message": error}).encode() if error else b""
        self.send_response(status)
        if error:
            self.send_header("x-amzn-ErrorType", error)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def burst_api() -> Iterator[str]:
    Burst.failures, Burst.status, Burst.gone, Burst.delivered = 0, 500, set(), []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Burst)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("make", [make_client, make_lean_client], ids=["boto3", "lean"])
@pytest.mark.parametrize("status", [500, 429])
def test_frames_survive_a_management_api_burst_and_a_410_removes_only_that_connection(
        alpha: TenantWorld, burst_api: str, status: int, make: Any) -> None:
    services = get_services()
    client = make(burst_api, "us-east-1", 2, credentials=("testing", "testing"))
    sender = Sender(client, services.connections.remove, threads=2)
    gateway = SocketGateway(services.tokens, services.connections,
                            branch_exists=lambda t, b: services.tenant_repo.get_branch(t, b) is not None,
                            reply=lambda c, m: "delivered")
    fanout = Fanout(services.connections, SaleRepository(services.settings), sender, lambda t, b: "America/La_Paz")
    for cid in ("k1", "k2", "gone"):
        assert gateway.connect({"requestContext": {"connectionId": cid}, "queryStringParameters":
                                {"namespace": "cocina", "token": alpha.tokens["cocina"]}})["statusCode"] == 200
    Burst.gone, Burst.status, Burst.failures = {"gone"}, status, 12  # longer than botocore's 4 attempts per post
    order = stored(a_sale(5))
    batch = stream_batch(stream_record(None, order, "500"))
    first = fanout.handle_batch(batch)
    assert first["batchItemFailures"] == [{"itemIdentifier": "500"}]  # the stream re-delivers it
    assert services.connections.get("gone") is None and services.connections.get("k1") is not None
    Burst.failures = 0  # the API recovers
    assert fanout.handle_batch(batch) == {"batchItemFailures": []}
    got = {cid for cid, frame in Burst.delivered if frame["event"] == "nuevo-pedido" and frame["id"] == "500:nuevo-pedido"}
    assert got == {"k1", "k2"}
