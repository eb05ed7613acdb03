"""COMPAT D's STOMP destinations beyond the branch's kitchen, and the CONNECT deadline:
- `/order-changes/{userId}/{orderId}`: one sale's changes, for its creator and its branch's staff;
- `/kds/{tenantId}/{userId}`: the caller's own messages (a refused order command, as OrderEventError);
- `/venue/{tenantId}/{venueId}`: the branch's settings, changed through /api/sucursales.
Each push comes from a table's stream through the fan-out (moto, fake Management API)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import boto3
import pytest

from chalicelib.container import get_services
from chalicelib.realtime.fanout import Fanout
from chalicelib.realtime.gateway import SocketGateway
from chalicelib.realtime.polling import Frames
from chalicelib.realtime.sender import Sender
from chalicelib.store.sales import SaleRepository
from chalicelib.store.tenancy import decode_branch
from tests.integration.test_realtime import stored
from tests.integration.test_realtime_protocols import Edge, RawManagementApi
from tests.support.api import Api, TenantWorld
from tests.support.events import channels_of, stream_batch, stream_record
from tests.support.sales import a_sale, with_plato


@dataclass
class Clock:
    now: float = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Stomp:
    edge: Edge
    clock: Clock

    def login(self, connection_id: str, token: str) -> None:
        assert self.edge.connect(connection_id, {"protocol": "stomp"})["statusCode"] == 200
        (connected,) = self.edge.say(connection_id, f"CONNECT\naccept-version:1.2\nlogin:{token}\n\n\x00")
        assert connected.startswith("CONNECTED\n"), connected

    def subscribe(self, connection_id: str, destination: str, sub_id: str = "0") -> str:
        (answer,) = self.edge.say(connection_id, f"SUBSCRIBE\nid:{sub_id}\ndestination:{destination}\nreceipt:r-{sub_id}\n\n\x00")
        return answer

    def messages(self, connection_id: str) -> list[tuple[dict[str, str], dict[str, Any]]]:
        out = []
        for frame in self.edge.api.to(connection_id):
            if frame.startswith("MESSAGE\n"):
                head, _, body = frame.partition("\n\n")
                headers = dict(line.split(":", 1) for line in head.splitlines()[1:])
                out.append((headers, json.loads(body.rstrip("\x00"))))
        return out


@pytest.fixture
def stomp(alpha: TenantWorld, beta: TenantWorld) -> Iterator[Stomp]:
    services = get_services()
    api = RawManagementApi()
    sender = Sender(api, services.connections.remove, threads=4)
    delivery = Frames(lambda: sender, services.connections)
    clock = Clock()
    gateway = SocketGateway(
        services.tokens, services.connections,
        branch_exists=lambda t, b: services.tenant_repo.get_branch(t, b) is not None,
        reply=delivery.send_one, close=delivery.close, find_sale=services.sales.find,
        stomp_connect_deadline_seconds=10, clock=clock,
    )
    fanout = Fanout(services.connections, SaleRepository(services.settings), delivery, lambda tenant, branch: "America/La_Paz",
                    decode_branch=decode_branch)
    yield Stomp(Edge(api, gateway, fanout), clock)


def user_id(token: str) -> str:
    return get_services().tokens.verify(token).user_id


def stream_insert_of(table: str, key: dict[str, Any], sequence: str, old: dict[str, Any] | None = None) -> dict[str, Any]:
    """The stream record DynamoDB would emit for the item now stored under `key`."""
    client = boto3.client("dynamodb", region_name=get_services().settings.region)
    item = client.get_item(TableName=get_services().settings.table_name(table), Key=key)["Item"]
    dynamodb: dict[str, Any] = {"Keys": key, "NewImage": item, "SequenceNumber": sequence, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if old is not None:
        dynamodb["OldImage"] = old
    return {"eventID": sequence, "eventName": "MODIFY" if old is not None else "INSERT", "eventSource": "aws:dynamodb",
            "dynamodb": dynamodb}


# --- /order-changes ---------------------------------------------------------------------------


def test_order_changes_reach_the_sales_creator_and_staff_of_its_branch(stomp: Stomp, alpha: TenantWorld) -> None:
    mesero, cajero = alpha.tokens["mesero"], alpha.tokens["cajero"]
    order = stored(replace(a_sale(7), usuario_id=user_id(mesero)))
    stomp.login("creator", mesero)
    stomp.login("staff", cajero)
    assert stomp.subscribe("creator", f"/order-changes/{user_id(mesero)}/7") == "RECEIPT\nreceipt-id:r-0\n\n\x00"
    assert stomp.subscribe("staff", f"/order-changes/{user_id(cajero)}/7").startswith("RECEIPT\n")

    plated = stored(with_plato(order))
    stomp.edge.fanout.handle_batch(stream_batch(stream_record(order, plated, "300")))

    for connection_id, token in (("creator", mesero), ("staff", cajero)):
        ((headers, body),) = stomp.messages(connection_id)
        assert headers["destination"] == f"/order-changes/{user_id(token)}/7"
        assert body["event"] == "order:changed" and body["data"]["id"] == 7
        assert [i["nombre"] for i in body["data"]["items"]] == ["Silpancho"]


def test_order_changes_refuse_another_users_path_a_missing_sale_and_another_tenants_sale(
        stomp: Stomp, alpha: TenantWorld, beta: TenantWorld) -> None:
    stored(a_sale(7))
    cajero, beta_cajero = alpha.tokens["cajero"], beta.tokens["cajero"]
    someone_else = user_id(alpha.tokens["mesero"])
    cases = {
        "a1": (cajero, f"/order-changes/{someone_else}/7", "names another user"),
        "a2": (cajero, f"/order-changes/{user_id(cajero)}/999", "not found"),
        "b1": (beta_cajero, f"/order-changes/{user_id(beta_cajero)}/7", "not found"),
    }
    for connection_id, (token, destination, why) in cases.items():
        stomp.login(connection_id, token)
        refused = stomp.subscribe(connection_id, destination)
        assert refused.startswith("ERROR\n") and why in refused, (destination, refused)
        assert connection_id in stomp.edge.api.closed


def test_order_changes_refuse_staff_of_another_branch(stomp: Stomp, api: Api, alpha: TenantWorld) -> None:
    stored(a_sale(7))  # a sale of branch centro
    get_services().accounts.create_user("alpha", {"nombre": "Norte", "nombre_usuario": "cajero_norte", "contrasena": "Norte123!",
                                                  "rol": "cajero", "sucursal_id": "norte"})
    norte = api.login("cajero_norte", "Norte123!", "alpha")
    stomp.login("n1", norte)
    refused = stomp.subscribe("n1", f"/order-changes/{user_id(norte)}/7")
    assert refused.startswith("ERROR\n") and "not allowed to follow order 7" in refused


# --- /kds/{tenant}/{user} ---------------------------------------------------------------------


def test_a_refused_order_command_reaches_the_users_own_destination_as_order_event_error(
        stomp: Stomp, api: Api, alpha: TenantWorld) -> None:
    cajero = alpha.tokens["cajero"]
    me = user_id(cajero)
    stomp.login("t1", cajero)
    assert stomp.subscribe("t1", f"/kds/alpha/{me}").startswith("RECEIPT\n")
    assert channels_of("t1") == [f"alpha/kds/user:{me}"]

    caja = api.as_(cajero).post("/api/caja/abrir", {"b100": 1})
    assert caja.status == 201, caja
    tx = api.as_(cajero).post("/api/transacciones", {"nro_reg": 1, "concepto": "Mesa 2", "mesa": "2"}).body
    refused = api.as_(cajero).post(f"/api/transacciones/{tx['id']}/pagos", {"metodo_pago": "qr", "monto": "-1"},
                                   headers={"X-Correlation-Id": "corr-1"})
    assert refused.status == 400, refused

    connections = get_services().settings.table_name("connections")
    rows = boto3.client("dynamodb", region_name=get_services().settings.region).query(
        TableName=connections, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": f"NOTICE#alpha#{me}"}})
    (row,) = rows["Items"]
    stomp.edge.fanout.handle_notice_batch({"Records": [stream_insert_of("connections", {"pk": row["pk"], "sk": row["sk"]}, "400")]})

    ((headers, body),) = stomp.messages("t1")
    assert headers["destination"] == f"/kds/alpha/{me}" and body["event"] == "order:error"
    error = body["data"]
    assert error["type"] == "OrderEventError" and error["orderId"] == str(tx["id"]) and error["users"] == [me]
    assert error["event"] == {"correlationId": "corr-1", "user": me, "orderId": str(tx["id"])}
    assert error["codes"][0]["code"] == "INVALID_INPUT" and "monto" in error["message"]


def test_the_user_destination_of_another_user_is_read_as_a_branch_and_refused(stomp: Stomp, alpha: TenantWorld) -> None:
    stomp.login("t1", alpha.tokens["cajero"])
    refused = stomp.subscribe("t1", f"/kds/alpha/{user_id(alpha.tokens['mesero'])}")
    assert refused.startswith("ERROR\n") and "not found" in refused


def test_reads_and_refused_auth_record_no_notice(api: Api, alpha: TenantWorld) -> None:
    assert api.as_(alpha.tokens["cajero"]).get("/api/transacciones/999999").status == 404
    assert api.as_("garbage").post("/api/transacciones/1/pagos", {"monto": "x"}).status == 401
    client = boto3.client("dynamodb", region_name=get_services().settings.region)
    items = client.scan(TableName=get_services().settings.table_name("connections"))["Items"]  # test-only inspection
    assert not [i for i in items if i["pk"]["S"].startswith("NOTICE#")]


# --- /venue -----------------------------------------------------------------------------------


def test_branch_settings_changes_reach_the_venue_destination(stomp: Stomp, api: Api, alpha: TenantWorld) -> None:
    stomp.login("t1", alpha.tokens["cocina"])
    assert stomp.subscribe("t1", "/venue/alpha/centro").startswith("RECEIPT\n")
    key = {"pk": {"S": "TENANT#alpha"}, "sk": {"S": "BRANCH#centro"}}
    client = boto3.client("dynamodb", region_name=get_services().settings.region)
    before = client.get_item(TableName=get_services().settings.table_name("tenants"), Key=key)["Item"]

    settings = {"nombre": "Centro Histórico", "timezone": "America/Lima"}
    changed = api.as_(alpha.tokens["admin"]).patch("/api/sucursales/centro", settings)
    assert changed.status == 200 and changed.body == {"id": "centro", **settings, "tarifa_domicilio": "0.00",
                                                                  "minutos_tarde": 20, "mesas": []}
    stomp.edge.fanout.handle_venue_batch({"Records": [stream_insert_of("tenants", key, "500", old=before)]})

    ((headers, body),) = stomp.messages("t1")
    assert headers["destination"] == "/venue/alpha/centro"
    assert body["event"] == "venue:updated" and body["data"] == {"id": "centro", **settings, "minutos_tarde": 20}


def test_counter_and_unchanged_rows_of_the_tenants_stream_publish_nothing(stomp: Stomp, alpha: TenantWorld) -> None:
    stomp.login("t1", alpha.tokens["cocina"])
    stomp.subscribe("t1", "/venue/alpha/centro")
    key = {"pk": {"S": "TENANT#alpha"}, "sk": {"S": "BRANCH#centro"}}
    same = stream_insert_of("tenants", key, "600")
    same["eventName"], same["dynamodb"]["OldImage"] = "MODIFY", same["dynamodb"]["NewImage"]
    counter = {"eventID": "601", "eventName": "MODIFY", "dynamodb": {
        "SequenceNumber": "601", "NewImage": {"pk": {"S": "TENANT#alpha"}, "sk": {"S": "COUNTER#transaccion"}, "value": {"N": "9"}},
        "OldImage": {"pk": {"S": "TENANT#alpha"}, "sk": {"S": "COUNTER#transaccion"}, "value": {"N": "8"}}}}
    assert stomp.edge.fanout.handle_venue_batch({"Records": [same, counter]}) == {"batchItemFailures": []}
    assert stomp.messages("t1") == []


def test_the_venue_destination_refuses_another_branch_and_another_tenant(stomp: Stomp, alpha: TenantWorld, beta: TenantWorld) -> None:
    for connection_id, token, destination in (("a1", alpha.tokens["cocina"], "/venue/alpha/norte"),
                                              ("b1", beta.tokens["cocina"], "/venue/alpha/centro")):
        stomp.login(connection_id, token)
        assert stomp.subscribe(connection_id, destination).startswith("ERROR\n"), destination


def test_branch_settings_refuse_an_unknown_time_zone_and_unknown_fields(api: Api, alpha: TenantWorld) -> None:
    admin = api.as_(alpha.tokens["admin"])
    bad_zone = admin.patch("/api/sucursales/centro", {"timezone": "Mars/Olympus"})
    assert bad_zone.status == 400 and "Mars/Olympus" in json.dumps(bad_zone.body)
    assert admin.patch("/api/sucursales/centro", {"wifi": "x"}).status == 400
    assert admin.patch("/api/sucursales/nowhere", {"nombre": "X"}).status == 404
    assert [b["id"] for b in admin.get("/api/sucursales").body] == ["centro", "norte"]
    assert admin.get("/api/sucursales").body[0]["timezone"] == "America/La_Paz", "nothing half-written"


# --- the CONNECT deadline ---------------------------------------------------------------------


def test_a_stomp_connection_without_connect_is_closed_after_the_deadline(stomp: Stomp, alpha: TenantWorld) -> None:
    stomp.edge.connect("silent", {"protocol": "stomp"})
    stomp.login("polite", alpha.tokens["cocina"])
    stomp.clock.now += 9
    assert stomp.edge.gateway.close_unconnected_stomp() == 0
    stomp.edge.connect("late", {"protocol": "stomp"})
    stomp.clock.now += 1
    assert stomp.edge.gateway.close_unconnected_stomp() == 1
    assert stomp.edge.api.closed == ["silent"]
    (error,) = stomp.edge.api.to("silent")
    assert error.startswith("ERROR\n") and "no CONNECT within 10 s" in error
    assert get_services().connections.get("silent") is None
    assert get_services().connections.get("polite") is not None and get_services().connections.get("late") is not None
    stomp.clock.now += 10
    assert stomp.edge.gateway.close_unconnected_stomp() == 1 and stomp.edge.api.closed == ["silent", "late"]
