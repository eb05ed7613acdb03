"""The sale aggregate's rules (COMPAT A "Transacciones"), with no AWS."""

from __future__ import annotations

from decimal import Decimal as D
from functools import partial

import pytest

from chalicelib.domain.sales import RecipeUse, Sale
from chalicelib.domain.sales.events import SaleClosed
from chalicelib.errors import Conflict, InvalidInput, NotFound
from tests.support.sales import a_sale

NOW = "2026-03-18T12:35:00.000Z"


new_order = partial(a_sale, 42, "t", caja_id=1, concepto="Pedido mesa 5")


def add_plato(order: Sale, precio: str = "25.00", cantidad: str = "2", plato_id: str = "plato_1") -> int:
    item = order.add_item(plato_id=plato_id, product_id=None, name="Silpancho", unit_price=D(precio),
                          quantity=D(cantidad), notes=None, station="cocina", now=NOW)
    return item.id


def add_product(order: Sale, precio: str = "10.00", cantidad: str = "1", producto_id: str = "prod_1") -> int:
    item = order.add_item(plato_id=None, product_id=producto_id, name="Coca-Cola", unit_price=D(precio),
                          quantity=D(cantidad), notes=None, station=None, now=NOW)
    return item.id


def pay(order: Sale, monto: str, method: str = "efectivo", received: str | None = None, payment_id: int = 1):
    return order.add_payment(payment_id=payment_id, payment_method=method, amount=D(monto),
                             amount_received=D(received) if received else None, qr_reference=None, user_id="1", now=NOW)


def test_a_new_sale_is_pendiente_with_zero_amounts_and_a_pending_kitchen() -> None:
    order = new_order()
    assert (order.estado, order.estado_cocina) == ("pendiente", "pendiente")
    assert order.monto_total == order.monto_pagado == order.monto_pendiente == D("0.00")


def test_adding_a_plato_opens_the_sale_and_puts_it_in_the_kitchen_queue() -> None:
    order = new_order()
    add_plato(order, "25.00", "2")
    assert order.estado == "abierto"
    assert order.estado_cocina == "pendiente"
    assert order.in_kitchen_queue
    assert order.monto_total == D("50.00")
    assert order.items[0].kitchen_status == "pending"


def test_a_producto_needs_no_kitchen() -> None:
    order = new_order()
    add_product(order)
    assert order.items[0].kitchen_status is None
    assert order.estado_cocina is None
    assert not order.in_kitchen_queue


def test_an_item_needs_exactly_one_of_plato_or_producto() -> None:
    order = new_order()
    for plato, producto in ((None, None), ("p", "q")):
        with pytest.raises(InvalidInput):
            order.add_item(plato_id=plato, product_id=producto, name="x", unit_price=D(1), quantity=D(1),
                           notes=None, station=None, now=NOW)


def test_extras_apply_per_unit_to_the_item_subtotal() -> None:
    order = new_order()
    item_id = add_plato(order, "25.00", "2")
    order.add_extra(item_id, ingredient_id=None, description="Extra queso", price=D("5.00"), quantity=D("1"), now=NOW)
    order.add_extra(item_id, ingredient_id="ing_tomate", description=None, price=D("3.00"), quantity=D("2"), now=NOW)
    # (25 + 5×1 + 3×2) × 2
    assert order.item(item_id).subtotal == D("72.00")
    assert order.monto_total == D("72.00")


def test_an_extra_is_either_an_ingredient_or_a_description() -> None:
    order = new_order()
    item_id = add_plato(order)
    with pytest.raises(InvalidInput):
        order.add_extra(item_id, ingredient_id=None, description=None, price=D(1), quantity=D(1), now=NOW)


def test_cash_payment_returns_change_and_rejects_too_little_cash() -> None:
    order = new_order()
    add_plato(order, "50.00", "1")
    with pytest.raises(InvalidInput, match="monto_recibido"):
        pay(order, "50.00", received="40.00")
    payment = pay(order, "30.00", received="100.00")
    assert payment.cambio == D("70.00")
    assert order.monto_pendiente == D("20.00")


def test_overpaying_or_paying_a_paid_sale_is_rejected() -> None:
    order = new_order()
    add_product(order, "10.00")
    with pytest.raises(InvalidInput, match="excede"):
        pay(order, "10.01")
    pay(order, "10.00", method="qr")
    with pytest.raises(InvalidInput, match="pagada"):
        pay(order, "1.00")


def test_the_sale_closes_only_when_paid_and_the_kitchen_is_done() -> None:
    order = new_order()
    add_plato(order, "50.00", "1")
    pay(order, "50.00")
    assert order.estado == "abierto"
    order.complete_kitchen(NOW)
    assert order.estado == "cerrado"
    assert order.closing


def test_only_the_change_that_closes_the_sale_records_sale_closed() -> None:
    order = new_order()
    add_plato(order, "50.00", "1")
    pay(order, "50.00")
    assert order.events == [] and not order.closing
    order.complete_kitchen(NOW)
    assert order.events == [SaleClosed(42)] and order.closing


def test_sale_new_takes_the_header_and_the_user_and_starts_pending_with_no_lines() -> None:
    order = Sale.new(tenant_id="t", sale_id=9, branch_id="centro", header={"nro_reg": 3, "concepto": "Mesa 2", "mesa": "2"},
                     caja_id=None, user_id="5", user_name="Ana", now=NOW)
    assert (order.id, order.nro_reg, order.concepto, order.mesa, order.cliente) == (9, 3, "Mesa 2", "2", None)
    assert (order.tipo, order.caja_id, order.usuario_id, order.usuario_nombre) == ("venta", None, "5", "Ana")
    assert (order.created_at, order.updated_at, order.estado, order.entrega) == (NOW, NOW, "pendiente", None)
    assert order.items == order.pagos == order.events == [] and order.version == 0


def test_a_sale_without_kitchen_items_closes_when_paid() -> None:
    order = new_order()
    add_product(order, "10.00")
    pay(order, "10.00")
    assert order.estado == "cerrado"


def test_adding_an_item_to_a_closed_sale_reopens_it_and_keeps_what_was_paid() -> None:
    order = new_order()
    add_product(order, "10.00")
    pay(order, "10.00")
    add_product(order, "5.00", producto_id="prod_2")
    assert order.estado == "abierto"
    assert order.monto_pagado == D("10.00")
    assert order.monto_pendiente == D("5.00")


def test_reopen_is_only_allowed_from_cerrado() -> None:
    order = new_order()
    add_product(order)
    with pytest.raises(InvalidInput, match="reabrir"):
        order.reopen(NOW)
    pay(order, "10.00")
    order.reopen(NOW)
    assert order.estado == "abierto"


def test_closing_consumes_products_recipes_and_extras_exactly_once() -> None:
    order = new_order()
    item_id = add_plato(order, "20.00", "2", plato_id="plato_1")
    add_product(order, "10.00", "3", producto_id="prod_1")
    order.add_extra(item_id, ingredient_id="ing_queso", description=None, price=D("3.00"), quantity=D("2"), now=NOW)
    recipes = {"plato_1": [RecipeUse("ing_carne", D("0.25")), RecipeUse("ing_queso", D("0.1"))]}
    first = order.stock_to_deduct(recipes)
    assert first.productos == {"prod_1": D("3")}
    # carne 0.25×2; queso 0.1×2 from the recipe plus extra 2×2
    assert first.ingredientes == {"ing_carne": D("0.50"), "ing_queso": D("4.2")}
    assert order.stock_to_deduct(recipes).empty


def test_reclosing_after_reopen_consumes_only_new_items() -> None:
    order = new_order()
    add_product(order, "10.00", "1", producto_id="prod_1")
    order.stock_to_deduct({})
    add_product(order, "4.00", "2", producto_id="prod_2")
    assert order.stock_to_deduct({}).productos == {"prod_2": D("2")}


def test_completar_moves_every_remaining_kitchen_item_to_ready() -> None:
    order = new_order()
    add_plato(order)
    add_plato(order, plato_id="plato_2")
    order.set_item_status(order.items[0].uuid, "preparing", NOW)
    order.complete_kitchen(NOW)
    assert [i.kitchen_status for i in order.items] == ["ready", "ready"]
    assert order.estado_cocina == "terminado"
    assert not order.in_kitchen_queue


def test_item_status_follows_pending_preparing_ready_served_only() -> None:
    order = new_order()
    add_plato(order)
    uid = order.items[0].uuid
    with pytest.raises(InvalidInput, match="pending -> ready"):
        order.set_item_status(uid, "ready", NOW)
    order.set_item_status(uid, "preparing", NOW)
    order.set_item_status(uid, "ready", NOW)
    with pytest.raises(InvalidInput):
        order.set_item_status(uid, "pending", NOW)
    order.set_item_status(uid, "served", NOW)
    with pytest.raises(InvalidInput, match="final"):
        order.set_item_status(uid, "ready", NOW)
    with pytest.raises(InvalidInput, match="status must be one of"):
        order.set_item_status(uid, "cooking", NOW)
    with pytest.raises(NotFound):
        order.set_item_status("no-such-uuid", "preparing", NOW)


def test_the_kitchen_is_terminado_once_every_kitchen_item_is_ready() -> None:
    order = new_order()
    add_plato(order)
    add_product(order)
    uid = order.items[0].uuid
    order.set_item_status(uid, "preparing", NOW)
    assert order.estado_cocina == "pendiente"
    order.set_item_status(uid, "ready", NOW)
    assert order.estado_cocina == "terminado"


def test_removing_the_last_plato_clears_the_kitchen_state() -> None:
    order = new_order()
    item_id = add_plato(order)
    add_product(order)
    order.remove_item(item_id, "1", NOW)
    assert order.estado_cocina is None
    assert [i.id for i in order.eliminados] == [item_id]


@pytest.mark.parametrize(("status", "words"), [("preparing", "en preparación"), ("ready", "listo"), ("served", "servido")])
def test_an_item_the_kitchen_has_started_cannot_be_removed(status: str, words: str) -> None:
    order = new_order()
    item_id = add_plato(order)
    item = order.item(item_id)
    for step in ("preparing", "ready", "served")[: ("preparing", "ready", "served").index(status) + 1]:
        order.set_item_status(item.uuid, step, NOW)
    with pytest.raises(Conflict, match=f"Silpancho: la cocina ya lo empezó \\({words}\\)"):
        order.remove_item(item_id, "1", NOW)
    assert [i.id for i in order.items] == [item_id] and order.eliminados == []


def test_a_pending_plato_a_held_plato_and_a_producto_can_still_be_removed() -> None:
    order = new_order()
    pending, product = add_plato(order), add_product(order)
    held = order.add_item(plato_id="plato_2", product_id=None, name="Postre", unit_price=D("9"), quantity=D("1"), notes=None,
                          station="cocina", now=NOW, course=2)
    order.remove_item(pending, "1", NOW)
    order.remove_item(product, "1", NOW)
    order.remove_item(held.id, "1", NOW)
    assert order.items == [] and len(order.eliminados) == 3


def test_an_item_cannot_be_removed_below_what_was_already_paid() -> None:
    order = new_order()
    first = add_product(order, "10.00")
    add_plato(order, "20.00", "1")
    pay(order, "25.00")
    with pytest.raises(InvalidInput, match="pagado"):
        order.remove_item(first, "1", NOW)


def test_voiding_returns_the_payments_to_untally_and_blocks_further_changes() -> None:
    order = new_order()
    add_plato(order, "30.00", "1")
    pay(order, "10.00")
    returned = order.void(NOW)
    assert [p.monto for p in returned] == [D("10.00")]
    assert (order.estado, order.estado_cocina) == ("anulado", "anulado")
    assert not order.in_kitchen_queue
    with pytest.raises(InvalidInput, match="anulada"):
        add_product(order)


def test_monto_pendiente_is_derived_never_stored() -> None:
    order = new_order()
    add_product(order, "10.00", "2")
    pay(order, "5.00")
    assert order.monto_pendiente == order.monto_total - order.monto_pagado == D("15.00")
    assert "monto_pendiente" not in vars(order)
