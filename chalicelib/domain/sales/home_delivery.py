"""A home-delivery sale (GastroMovil): the sale's side of its delivery's state machine (which
lives on the delivery entity, domain/delivery.py): a cancel voids the sale, handing it over pays
and closes it, and the branch's delivery fee is a line of its own. Pure."""

from __future__ import annotations

import uuid
from decimal import Decimal

from chalicelib.domain import delivery as d
from chalicelib.domain.money import CENT, ZERO, to_money
from chalicelib.domain.sales.lines import Item, Pago
from chalicelib.domain.sales.sale import KITCHEN_PENDING, OPEN, PENDING, Sale
from chalicelib.errors import InvalidInput, NotFound


def delivery_of(sale: Sale) -> d.Entrega:
    if sale.entrega is None:
        raise NotFound(f"Pedido con id {sale.id} no encontrado")
    return sale.entrega


def move(sale: Sale, target: str, now: str, *, by_customer: bool = False) -> str | None:
    """A move of the delivery state machine. Returns the driver the move frees (a cancelled order
    that had one), for the caller to release in the same write."""
    freed = delivery_of(sale).move(target, now, by_customer=by_customer)
    if target == d.CANCELLED:
        sale.void(now)
    sale.touch(now)
    return freed


def claim(sale: Sale, driver_id: str, now: str) -> None:
    delivery_of(sale).claim(driver_id, sale.id)
    sale.touch(now)


def deliver(sale: Sale, driver_id: str, *, payment_id: int, caja_id: int | None, now: str) -> Pago | None:
    """The assigned driver hands the order over: it is paid (its total, with its method) and
    closes. Marking an already delivered order again changes nothing and returns None."""
    delivery = delivery_of(sale)
    if not delivery.ready_to_hand_over(driver_id):
        return None
    if caja_id is None:
        raise InvalidInput("La sucursal no tiene una caja abierta para cobrar el pedido")
    if sale.estado_cocina == KITCHEN_PENDING:
        sale.complete_kitchen(now)
    sale.caja_id = caja_id
    payment = None
    if sale.monto_pendiente >= CENT:
        payment = sale.add_payment(
            payment_id=payment_id, payment_method=d.payment_column(delivery.metodo_pago), amount=sale.monto_pendiente,
            amount_received=None, qr_reference=None if delivery.metodo_pago == "efectivo" else delivery.metodo_pago,
            user_id=driver_id, now=now,
        )
    delivery.handed_over(now)
    sale.touch(now)
    sale.close_if_settled(now)
    return payment


def add_fee(sale: Sale, price: Decimal, now: str) -> Item | None:
    """The branch's delivery fee, a line of its own (no kitchen, no stock)."""
    if price <= ZERO:
        return None
    item = Item(id=sale.next_item_id, uuid=str(uuid.uuid4()), plato_id=None, producto_id=None, nombre="Domicilio",
                cantidad=Decimal(1), precio_unitario=to_money(price), notas=None, created_at=now)
    sale.next_item_id += 1
    sale.items.append(item)
    if sale.estado == PENDING:
        sale.estado = OPEN
    sale.touch(now)
    return item


def reoffer(sale: Sale, now: str) -> None:
    delivery_of(sale).reoffer(now)
    sale.touch(now)
