"""Powertools Metrics (EMF on stdout), one flush per invocation: one order's life through the
app's own handlers emits every documented metric."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import metrics
from chalicelib.container import get_services, use_settings
from chalicelib.realtime.sender import Sender
from chalicelib.settings import Settings
from chalicelib.store.sales import SaleRepository
from tests.integration.test_realtime import FakeManagementApi
from tests.support.api import Api, TenantWorld, provision_world
from tests.support.events import stream_batch, stream_record, ws_event
from tests.support.menu import make_menu

DOCUMENTED = {"OrdersCreated", "ItemStatusChanges", "PaymentsRecorded", "FramesSent", "ConnectionsGone", "FanoutRecordFailures",
              "StreamToSocketDelay"}


@pytest.fixture
def metrics_on(aws: None, aws_session: Settings) -> Iterator[None]:
    """The app on settings with metrics on (as outside the local stage, or POWERTOOLS_METRICS_DISABLED=false)."""
    with use_settings(replace(aws_session, metrics_enabled=True)):
        yield
    metrics.reset()


@pytest.fixture
def client(aws: None) -> Iterator[Client]:
    from app import app

    with Client(app) as client:
        yield client


def emf_documents(stdout: str) -> list[dict[str, Any]]:
    documents = []
    for line in stdout.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            documents.append(json.loads(line))
    return documents


def values(documents: list[dict[str, Any]], name: str) -> list[float]:
    found: list[float] = []
    for document in documents:
        if name in document:
            value = document[name]
            found += value if isinstance(value, list) else [value]
    return found


def test_one_orders_life_emits_the_documented_metrics_once_per_invocation(
    metrics_on: None, client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    api = Api(client)
    alpha: TenantWorld = provision_world(api, "alpha", ["centro"])
    menu = make_menu("alpha")
    services = get_services()
    fake = FakeManagementApi(gone={"stale"}, broken={"broken"})
    services.__dict__["sender"] = Sender(fake, services.connections.remove, threads=2)
    for connection in ("screen", "stale", "broken"):
        reply = services.sockets.connect(ws_event("$connect", connection, query={"token": alpha.tokens["cocina"]}))
        assert reply["statusCode"] == 200
    capsys.readouterr()

    cajero, cocina = api.as_(alpha.tokens["cajero"]), api.as_(alpha.tokens["cocina"])
    tx = cajero.post("/api/transacciones", {"nro_reg": 1, "concepto": "Mesa", "mesa": "4"}).body["id"]
    item = cajero.post(f"/api/transacciones/{tx}/items", {"plato_id": menu.plato, "cantidad": 1}).body
    assert cocina.patch(f"/items/{item['uuid']}/status", {"status": "preparing"}).status == 200
    assert cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "qr", "monto": 25}).status == 201
    rest = emf_documents(capsys.readouterr().out)

    order = SaleRepository(services.settings).get("alpha", tx)
    assert order is not None
    record = stream_record(None, order)
    record["dynamodb"]["ApproximateCreationDateTime"] = int(time.time()) - 2
    result = client.lambda_.invoke("fan_out", stream_batch(record)).payload
    assert result["batchItemFailures"] == [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]  # the broken socket
    fanout = emf_documents(capsys.readouterr().out)

    documents = rest + fanout
    assert {name for document in documents for name in document if name not in ("_aws", "service", "stage")} >= DOCUMENTED
    assert sum(values(rest, "OrdersCreated")) == 1
    assert sum(values(rest, "ItemStatusChanges")) == 1
    assert sum(values(rest, "PaymentsRecorded")) == 1
    assert sum(values(fanout, "FramesSent")) >= 1 and [c for c, _ in fake.posts] == ["screen"] * len(fake.posts)
    assert sum(values(fanout, "ConnectionsGone")) >= 1
    assert sum(values(fanout, "FanoutRecordFailures")) == 1
    assert all(1500 <= delay < 60_000 for delay in values(fanout, "StreamToSocketDelay"))
    # each invocation flushed its own: the create, the item, the status change and the payment were 4 REST calls
    assert len(rest) >= 3 and len(fanout) == 1
    for document in documents:
        [directive] = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "Comanda"
        assert [sorted(d) for d in directive["Dimensions"]] == [["service", "stage"]]
        assert (document["service"], document["stage"]) == ("comanda", "local")


def test_the_local_stage_prints_no_metrics_by_default(
    client: Client, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    api = Api(client)
    alpha = provision_world(api, "alpha", ["centro"])
    capsys.readouterr()
    assert api.as_(alpha.tokens["cajero"]).post("/api/transacciones", {"nro_reg": 1, "concepto": "Mesa", "mesa": "4"}).status == 201
    assert emf_documents(capsys.readouterr().out) == []
