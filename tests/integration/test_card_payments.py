"""Card payments (`metodo_pago: tarjeta`): a third method beside efectivo and qr, tallied on the caja
as non-cash, so the expected cash, the arqueo and the close count only the drawer."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import Api, TenantWorld
from tests.support.menu import Menu


@pytest.fixture
def cajero(api: Api, alpha: TenantWorld) -> Api:
    return api.as_(alpha.tokens["cajero"])


def sale_of(cajero: Api, menu: Menu, cantidad: int = 2) -> int:
    """A sale of `cantidad` Coca-Colas at 10.00."""
    tx = cajero.post("/api/transacciones", {"nro_reg": 1, "concepto": "Mesa 3", "mesa": "3"}).body["id"]
    assert cajero.post(f"/api/transacciones/{tx}/items", {"producto_id": menu.producto, "cantidad": cantidad}).status == 201
    return int(tx)


def pay(cajero: Api, tx: int, method: str, amount: str, **extra: Any) -> dict:
    reply = cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": method, "monto": amount, **extra})
    assert reply.status == 201, reply
    return reply.body  # type: ignore[no-any-return]


def test_a_split_of_cash_and_card_tallies_the_card_part_as_non_cash(cajero: Api, menu: Menu) -> None:
    cajero.post("/api/caja/abrir", {"b100": 1})
    tx = sale_of(cajero, menu)
    pay(cajero, tx, "efectivo", "15.00", monto_recibido="20.00")
    card = pay(cajero, tx, "tarjeta", "5.00", referencia_qr="voucher 0042")
    assert (card["metodo_pago"], card["monto"], card["cambio"], card["monto_recibido"]) == ("tarjeta", "5.00", "0.00", None)
    assert card["referencia_qr"] == "voucher 0042"
    assert card["transaccion"]["estado"] == "cerrado"

    summary = cajero.get("/api/caja/resumen").body["resumen"]
    assert (summary["ventas_efectivo"], summary["ventas_qr"], summary["ventas_tarjeta"]) == ("15.00", "0.00", "5.00")
    assert (summary["total_ventas"], summary["total_tarjeta"], summary["total_qr"]) == ("20.00", "5.00", "0.00")
    assert summary["efectivo_esperado"] == "115.00", "the opening 100 plus the cash part only"
    caja = cajero.get("/api/caja/actual").body
    assert (caja["ventas_tarjeta"], caja["total_tarjeta"], caja["efectivo_esperado"]) == ("5.00", "5.00", "115.00")


def test_arqueo_and_close_count_the_drawer_against_cash_only(cajero: Api, menu: Menu) -> None:
    caja = cajero.post("/api/caja/abrir", {"b100": 1}).body
    tx = sale_of(cajero, menu, cantidad=3)
    pay(cajero, tx, "tarjeta", "20.00")
    pay(cajero, tx, "efectivo", "10.00")
    drawer = {"b100": 1, "b10": 1}

    arqueo = cajero.patch(f"/api/caja/{caja['id']}/arqueo", drawer)
    assert arqueo.status == 200, arqueo
    assert (arqueo.body["arqueo"]["efectivo_esperado"], arqueo.body["arqueo"]["estado_diferencia"]) == ("110.00", "exacto")
    closed = cajero.post("/api/caja/cerrar", drawer)
    assert closed.status == 200, closed
    assert (closed.body["efectivo_esperado"], closed.body["diferencia"]) == ("110.00", "0.00")
    assert closed.body["estado_diferencia"] == "exacto"
    assert closed.body["ventas_tarjeta"] == "20.00" and closed.body["resumen"]["ventas_tarjeta"] == "20.00"


def test_voiding_a_card_paid_sale_takes_it_back_out_of_the_card_tally(cajero: Api, menu: Menu) -> None:
    cajero.post("/api/caja/abrir", {"b100": 1})
    tx = sale_of(cajero, menu)
    pay(cajero, tx, "tarjeta", "20.00")
    assert cajero.get("/api/caja/resumen").body["resumen"]["ventas_tarjeta"] == "20.00"
    assert cajero.delete(f"/api/transacciones/{tx}").status == 200
    summary = cajero.get("/api/caja/resumen").body["resumen"]
    assert (summary["ventas_tarjeta"], summary["total_ventas"], summary["efectivo_esperado"]) == ("0.00", "0.00", "100.00")


def test_an_expense_paid_by_card_leaves_the_expected_cash_alone(cajero: Api) -> None:
    cajero.post("/api/caja/abrir", {"b100": 1})
    gasto = cajero.post("/api/caja/gastos", {"descripcion": "Gas", "metodo_pago": "tarjeta", "monto": "30.00"})
    assert gasto.status == 201 and gasto.body["metodo_pago"] == "tarjeta"
    summary = cajero.get("/api/caja/resumen").body["resumen"]
    assert (summary["gastos_tarjeta"], summary["total_gastos"], summary["total_tarjeta"]) == ("30.00", "30.00", "-30.00")
    assert (summary["gastos_efectivo"], summary["efectivo_esperado"]) == ("0.00", "100.00")


def test_the_caja_sales_report_counts_card_payments_apart(cajero: Api, menu: Menu) -> None:
    caja = cajero.post("/api/caja/abrir", {"b100": 1}).body["id"]
    tx = sale_of(cajero, menu)
    pay(cajero, tx, "qr", "8.00")
    pay(cajero, tx, "tarjeta", "12.00")
    report = cajero.get(f"/api/transacciones/caja/{caja}/resumen").body
    assert (report["pagado_qr"], report["pagado_tarjeta"], report["pagado_efectivo"], report["total_pagado"]) == (
        "8.00", "12.00", "0.00", "20.00")


def test_an_unknown_method_is_refused_naming_the_three(cajero: Api, menu: Menu) -> None:
    cajero.post("/api/caja/abrir", {"b100": 1})
    tx = sale_of(cajero, menu)
    refused = cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "cheque", "monto": "5.00"})
    assert refused.status == 400
    assert refused.body["message"] == ["metodo_pago must be one of the following values: efectivo, qr, tarjeta"]
