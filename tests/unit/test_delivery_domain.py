"""The delivery part of a sale (pure): the enforced GastroMovil state machine over all 7 × 7
pairs, the kitchen sending an accepted order out, the claim, delivery paying and closing once,
cancel freeing the driver, coordinates, and driver estados."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import replace
from decimal import Decimal

import pytest

from chalicelib.domain import delivery as d
from chalicelib.domain.delivery import Driver, Entrega
from chalicelib.domain.sales import Sale, home_delivery
from chalicelib.errors import Conflict, Forbidden, InvalidInput

T0 = "2026-03-18T12:35:00.000000Z"
DRIVER = "9"


def order(estado: str = d.PENDING, repartidor: str | None = None) -> Sale:
    sale = Sale(tenant_id="alpha", id=1, branch_id="centro", nro_reg=1, concepto="Domicilio", mesa=None, cliente="Ana",
                tipo="delivery", caja_id=None, usuario_id="cliente:1", created_at=T0, updated_at=T0,
                entrega=Entrega(estado, 1, "Ana", {"calle": "A", "barrio": "B"}, "efectivo", repartidor_id=repartidor))
    sale.add_item(plato_id="plato_1", product_id=None, name="Silpancho", unit_price=Decimal("25"), quantity=Decimal(2),
                  notes=None, station="cocina", now=T0)
    home_delivery.add_fee(sale, Decimal("3"), T0)
    return sale


def reach(estado: str) -> Sale:
    """An order brought to `estado` through the domain's own moves."""
    sale = order()
    path = [d.CANCELLED] if estado == d.CANCELLED else list(d.FLOW[1:d.FLOW.index(estado) + 1])
    for step in path:
        if step == d.ON_THE_WAY:
            home_delivery.claim(sale, DRIVER, T0)
        elif step == d.DELIVERED:
            home_delivery.deliver(sale, DRIVER, payment_id=1, caja_id=1, now=T0)
        else:
            home_delivery.move(sale, step, T0)
    assert sale.entrega is not None and sale.entrega.estado == estado
    return sale


@pytest.mark.parametrize("current", d.DELIVERY_STATES)
@pytest.mark.parametrize("target", d.DELIVERY_STATES)
def test_every_pair_of_states_moves_only_as_the_table_says_and_a_refusal_changes_nothing(current: str, target: str) -> None:
    sale = reach(current)
    before = deepcopy(sale)
    allowed = target in d.allowed_moves(current)
    if allowed and target == d.ON_THE_WAY:
        home_delivery.claim(sale, DRIVER, T0)
    elif allowed and target == d.DELIVERED:
        home_delivery.deliver(sale, DRIVER, payment_id=2, caja_id=1, now=T0)
    elif allowed:
        home_delivery.move(sale, target, T0)
    else:
        with pytest.raises(InvalidInput):
            home_delivery.move(sale, target, T0)
        assert sale == before
        return
    assert sale.entrega is not None and sale.entrega.estado == target


def test_the_allowed_moves_are_the_next_state_and_cancel_before_delivery() -> None:
    assert d.allowed_moves(d.PENDING) == (d.ACCEPTED, d.CANCELLED)
    assert d.allowed_moves(d.SENT) == (d.ON_THE_WAY, d.CANCELLED)
    assert d.allowed_moves(d.DELIVERED) == () and d.allowed_moves(d.CANCELLED) == ()


def test_en_camino_and_entregado_are_reached_only_by_the_driver() -> None:
    sale = reach(d.SENT)
    with pytest.raises(InvalidInput):
        home_delivery.move(sale, d.ON_THE_WAY, T0)
    home_delivery.claim(sale, DRIVER, T0)
    with pytest.raises(InvalidInput):
        home_delivery.move(sale, d.DELIVERED, T0)


def test_the_kitchen_finishing_an_accepted_order_sends_it_out_but_not_a_pending_one() -> None:
    pending = order()
    pending.complete_kitchen(T0)
    assert pending.entrega is not None and pending.entrega.estado == d.PENDING
    accepted = reach(d.ACCEPTED)
    item = accepted.kitchen_items[0]
    accepted.set_item_status(item.uuid, "preparing", T0)
    accepted.set_item_status(item.uuid, "ready", T0)
    assert accepted.entrega is not None and accepted.entrega.estado == d.SENT and accepted.entrega.awaiting_driver


def test_a_claimed_order_cannot_be_claimed_again() -> None:
    sale = reach(d.ON_THE_WAY)
    with pytest.raises(Conflict):
        home_delivery.claim(sale, "10", T0)


def test_delivery_pays_the_total_closes_the_sale_once_and_a_retry_changes_nothing() -> None:
    sale = reach(d.ON_THE_WAY)
    with pytest.raises(Forbidden):
        home_delivery.deliver(sale, "10", payment_id=1, caja_id=1, now=T0)
    with pytest.raises(InvalidInput):
        home_delivery.deliver(sale, DRIVER, payment_id=1, caja_id=None, now=T0)
    payment = home_delivery.deliver(sale, DRIVER, payment_id=1, caja_id=7, now=T0)
    assert payment is not None and payment.monto == Decimal("53.00") and payment.caja_id == 7 and payment.metodo_pago == "efectivo"
    assert sale.estado == "cerrado" and sale.closing
    assert home_delivery.deliver(sale, DRIVER, payment_id=2, caja_id=7, now=T0) is None and len(sale.pagos) == 1


def test_electronic_methods_are_tallied_with_the_electronic_sales() -> None:
    sale = reach(d.ON_THE_WAY)
    assert sale.entrega is not None
    sale.entrega.metodo_pago = "nequi"
    payment = home_delivery.deliver(sale, DRIVER, payment_id=1, caja_id=7, now=T0)
    assert payment is not None and (payment.metodo_pago, payment.referencia_qr) == ("qr", "nequi")


def test_cancelling_an_order_with_a_driver_returns_the_driver_to_free_and_voids_the_sale() -> None:
    sale = reach(d.ON_THE_WAY)
    assert home_delivery.move(sale, d.CANCELLED, T0) == DRIVER
    assert sale.estado == "anulado" and sale.entrega is not None and sale.entrega.repartidor_id is None
    assert home_delivery.move(reach(d.ACCEPTED), d.CANCELLED, T0) is None


@pytest.mark.parametrize("estado", d.DELIVERY_STATES)
def test_a_customer_may_cancel_only_while_pendiente_or_aceptado(estado: str) -> None:
    sale = reach(estado)
    if estado in d.CUSTOMER_MAY_CANCEL:
        home_delivery.move(sale, d.CANCELLED, T0, by_customer=True)
    else:
        with pytest.raises(InvalidInput):
            home_delivery.move(sale, d.CANCELLED, T0, by_customer=True)
        with pytest.raises(InvalidInput):
            home_delivery.move(reach(d.PENDING), d.ACCEPTED, T0, by_customer=True)


@pytest.mark.parametrize("lat, lon", [(91, 0), (0, 181), ("1", 0), (True, 0), (None, 0), (float("nan"), 0), (float("inf"), 0)])
def test_coordinates_must_be_numbers_in_range(lat: object, lon: object) -> None:
    with pytest.raises(InvalidInput):
        d.check_coordinates(lat, lon)


def test_a_driver_carrying_an_order_stays_busy_and_nobody_makes_itself_busy() -> None:
    free = Driver("alpha", DRIVER, "centro")
    assert free.set_status("disponible").estado == "disponible"
    with pytest.raises(InvalidInput):
        free.set_status("ocupado")
    with pytest.raises(Conflict):
        replace(free, estado="ocupado", pedido_id=1).set_status("inactivo")
    with pytest.raises(InvalidInput):
        free.set_status("durmiendo")
