"""The sale ("transacción") aggregate: items, extras, payments, the two state machines
(billing `estado`, kitchen `estado_cocina`), item-level kitchen status, auto-close and the
stock that closing consumes. Pure: every method checks its rule and changes the aggregate. What a change means for
real-time clients is derived from the stored images (realtime/notifications.py), not recorded here."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from chalicelib.domain import delivery as d
from chalicelib.domain.money import CENT, PAYMENT_METHODS, ZERO, to_money
from chalicelib.domain.sales.events import SaleClosed, SaleEvent
from chalicelib.domain.sales.kitchen import (
    CLOSED,
    KITCHEN_DONE,
    KITCHEN_PENDING,
    KITCHEN_VOIDED,
    OPEN,
    PENDING,
    VOIDED,
    KitchenWork,
)
from chalicelib.domain.sales.lines import (
    ITEM_PENDING,
    ITEM_PREPARING,
    ITEM_READY,
    ITEM_SERVED,
    Extra,
    Item,
    Pago,
)
from chalicelib.domain.sales.pacing import Pacing
from chalicelib.domain.sales.stock import RecipeUse, StockDeduction, consume
from chalicelib.errors import Conflict, InvalidInput, NotFound

# How a refusal names an item the kitchen has started (only a pending one may be removed).
STARTED_WORDS = {ITEM_PREPARING: "en preparación", ITEM_READY: "listo", ITEM_SERVED: "servido"}


@dataclass
class Sale(KitchenWork):
    tenant_id: str
    id: int
    branch_id: str
    nro_reg: int
    concepto: str
    mesa: str | None
    cliente: str | None
    tipo: str
    caja_id: int | None
    usuario_id: str
    created_at: str
    updated_at: str
    estado: str = PENDING
    estado_cocina: str | None = KITCHEN_PENDING
    items: list[Item] = field(default_factory=list)
    eliminados: list[Item] = field(default_factory=list)
    pagos: list[Pago] = field(default_factory=list)
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    next_item_id: int = 1
    next_extra_id: int = 1
    closed_at: str | None = None
    kitchen_done_at: str | None = None
    voided_at: str | None = None
    recall_snapshot: dict[str, str] = field(default_factory=dict)  # item uuid -> status before the bump
    usuario_nombre: str | None = None  # who took the order, as the kitchen display shows it
    entrega: d.Entrega | None = None  # tipo delivery: the GastroMovil order's state, customer, address, driver
    pacing: Pacing = field(default_factory=Pacing)
    version: int = 0
    events: list[SaleEvent] = field(default_factory=list, compare=False, repr=False)  # what this change recorded; never stored

    @classmethod
    def new(cls, *, tenant_id: str, sale_id: int, branch_id: str, header: Mapping[str, Any], caja_id: int | None,
            user_id: str, user_name: str | None, now: str, delivery: d.Entrega | None = None) -> Sale:
        """A sale just taken, with no lines yet: `header` has its nro_reg, concepto, mesa, cliente and tipo."""
        fired = header.get("curso_marchado")
        pacing = Pacing(fired_course=1 if fired is None else fired, course_minutes=header.get("minutos_entre_cursos"),
                        course_fired_at=now, rush=bool(header.get("rush")))
        return cls(tenant_id=tenant_id, id=sale_id, branch_id=branch_id, nro_reg=header["nro_reg"], concepto=header["concepto"],
                   mesa=header.get("mesa"), cliente=header.get("cliente"), tipo=header.get("tipo") or "venta", caja_id=caja_id,
                   usuario_id=user_id, usuario_nombre=user_name or None, created_at=now, updated_at=now, entrega=delivery,
                   pacing=pacing)

    # --- derived figures ---------------------------------------------------------------

    @property
    def monto_total(self) -> Decimal:
        return to_money(sum((i.subtotal for i in self.items), ZERO))

    @property
    def monto_pagado(self) -> Decimal:
        return to_money(sum((p.monto for p in self.pagos), ZERO))

    @property
    def monto_pendiente(self) -> Decimal:
        return to_money(self.monto_total - self.monto_pagado)

    @property
    def in_kitchen_queue(self) -> bool:
        return self.estado_cocina == KITCHEN_PENDING and self.estado != VOIDED

    @property
    def active_for_kitchen_display(self) -> bool:
        """Still on a KDS screen: not voided and some kitchen item not yet served."""
        return self.estado != VOIDED and any(i.kitchen_status not in (None, ITEM_SERVED) for i in self.items)

    @property
    def kds_status(self) -> str | None:
        """The KDS order status, derived from its kitchen items (docs/websocket.md, namespace kds):
        pending (nothing started, unpaid), confirmed (nothing started, payment taken),
        preparing (something started, not all ready), ready (every kitchen item ready or
        served, some not yet served); None once all are served or the sale is void."""
        if self.estado == VOIDED or not self.kitchen_items or all(i.kitchen_status == ITEM_SERVED for i in self.kitchen_items):
            return None
        statuses = [i.kitchen_status for i in self.fired_items] or [ITEM_PENDING]
        if all(s in (ITEM_READY, ITEM_SERVED) for s in statuses):
            return "ready"
        if all(s == ITEM_PENDING for s in statuses):
            return "confirmed" if self.pagos else "pending"
        return "preparing"

    def item(self, item_id: int) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise NotFound(f"Item con id {item_id} no encontrado")

    # --- guards ------------------------------------------------------------------------

    def touch(self, now: str) -> None:
        self.updated_at = now

    # --- header -------------------------------------------------------------------------

    def update_header(self, changes: Mapping[str, object], now: str) -> None:
        self._require_not_voided()
        for name in ("nro_reg", "concepto", "mesa", "cliente", "tipo"):
            if name in changes:
                setattr(self, name, changes[name])
        self.touch(now)

    # --- items and extras --------------------------------------------------------------

    def add_item(
        self,
        *,
        plato_id: str | None,
        product_id: str | None,
        name: str,
        unit_price: Decimal,
        quantity: Decimal,
        notes: str | None,
        station: str | None,
        now: str,
        course: int = 1,
    ) -> Item:
        self._require_not_voided()
        if (plato_id is None) == (product_id is None):
            raise InvalidInput("Debe indicar exactamente uno de plato_id o producto_id")
        if self.estado == CLOSED:
            self.reopen(now)
        item = Item(
            id=self.next_item_id,
            uuid=str(uuid.uuid4()),
            plato_id=plato_id,
            producto_id=product_id,
            nombre=name,
            cantidad=quantity,
            precio_unitario=to_money(unit_price),
            notas=notes,
            created_at=now,
            estacion=(station or "cocina") if plato_id else None,
            kitchen_status=ITEM_PENDING if plato_id else None,
            status_changed_at=now if plato_id else None,
            curso=course,
        )
        if plato_id:
            item.held = self.pacing.holds(course)
            item.fired_at = None if item.held else now
        self.next_item_id += 1
        self.items.append(item)
        if self.estado == PENDING:
            self.estado = OPEN
        self._recompute_kitchen(now)
        self.touch(now)
        return item

    def remove_item(self, item_id: int, by: str, now: str) -> Item:
        self._require_not_voided()
        if self.estado == CLOSED:
            raise InvalidInput("La transacción está cerrada; reábrala antes de eliminar items")
        item = self.item(item_id)
        if item.kitchen_status not in (None, ITEM_PENDING):
            started = STARTED_WORDS[item.kitchen_status]
            raise Conflict(f"No se puede eliminar el item {item.nombre}: la cocina ya lo empezó ({started})")
        if self.monto_total - item.subtotal < self.monto_pagado:
            raise InvalidInput("No se puede eliminar el item: el total quedaría por debajo de lo ya pagado")
        self.items.remove(item)
        item.removed_at, item.removed_by = now, by
        self.eliminados.append(item)
        self._recompute_kitchen(now)
        self.touch(now)
        self.close_if_settled(now)
        return item

    def add_extra(
        self, item_id: int, *, ingredient_id: str | None, description: str | None, price: Decimal, quantity: Decimal, now: str,
        ingredient_name: str | None = None,
    ) -> Extra:
        self._require_not_voided()
        if (ingredient_id is None) == (description is None):
            raise InvalidInput("Debe indicar exactamente uno de ingrediente_id o descripcion")
        item = self.item(item_id)
        if self.estado == CLOSED:
            self.reopen(now)
        extra = Extra(self.next_extra_id, ingredient_id, description, to_money(price), quantity, now,
                      nombre=ingredient_name if ingredient_id is not None else None)
        self.next_extra_id += 1
        item.extras.append(extra)
        self.touch(now)
        return extra

    def remove_extra(self, item_id: int, extra_id: int, now: str) -> Extra:
        self._require_not_voided()
        if self.estado == CLOSED:
            raise InvalidInput("La transacción está cerrada; reábrala antes de eliminar extras")
        item = self.item(item_id)
        extra = item.extra(extra_id)
        if self.monto_total - extra.total_per_unit * item.cantidad < self.monto_pagado:
            raise InvalidInput("No se puede eliminar el extra: el total quedaría por debajo de lo ya pagado")
        item.extras.remove(extra)
        self.touch(now)
        self.close_if_settled(now)
        return extra

    # --- payments and closing ---------------------------------------------------------

    def add_payment(
        self,
        *,
        payment_id: int,
        payment_method: str,
        amount: Decimal,
        amount_received: Decimal | None,
        qr_reference: str | None,
        user_id: str,
        now: str,
    ) -> Pago:
        self._require_not_voided()
        if payment_method not in PAYMENT_METHODS:
            raise InvalidInput(f"metodo_pago must be one of the following values: {', '.join(PAYMENT_METHODS)}")
        amount = to_money(amount)
        if amount <= ZERO:
            raise InvalidInput("monto must be greater than 0")
        if self.monto_total <= ZERO:
            raise InvalidInput("La transacción no tiene importe a pagar")
        if self.monto_pendiente < CENT:
            raise InvalidInput("La transacción ya está pagada")
        if amount > self.monto_pendiente:
            raise InvalidInput(f"El monto ({amount}) excede el monto pendiente ({self.monto_pendiente})")
        change = ZERO
        if payment_method == "efectivo":
            received = to_money(amount_received) if amount_received is not None else amount
            if received < amount:
                raise InvalidInput("monto_recibido debe ser mayor o igual al monto")
            change = received - amount
            amount_received = received
        payment = Pago(payment_id, payment_method, amount, amount_received, to_money(change), qr_reference, self.caja_id, user_id, now)
        self.pagos.append(payment)
        self.touch(now)
        self.close_if_settled(now)
        return payment

    @property
    def settled(self) -> bool:
        return (
            self.monto_total > ZERO
            and abs(self.monto_pendiente) <= CENT
            and self.estado_cocina in (KITCHEN_DONE, KITCHEN_VOIDED, None)
        )

    def close_if_settled(self, now: str) -> None:
        if self.estado in (OPEN, PENDING) and self.settled:
            self.estado = CLOSED
            self.closed_at = now
            self.events.append(SaleClosed(self.id))

    @property
    def closing(self) -> bool:
        """Did the change just recorded close the sale (and so must consume stock)?"""
        return any(isinstance(event, SaleClosed) for event in self.events)

    def stock_to_deduct(self, recipes: Mapping[str, Iterable[RecipeUse]]) -> StockDeduction:
        return consume(self.items, recipes)

    def plato_ids_to_deduct(self) -> set[str]:
        return {i.plato_id for i in self.items if i.plato_id and not i.stock_deducted}

    # --- lifecycle ---------------------------------------------------------------------

    def reopen(self, now: str) -> None:
        if self.estado != CLOSED:
            raise InvalidInput(f"Solo se puede reabrir una transacción cerrada (estado actual: {self.estado})")
        self.estado = OPEN
        self.closed_at = None
        self.touch(now)

    def void(self, now: str) -> list[Pago]:
        """Anular: the payments are taken back out of the caja (returned for the caller to
        un-tally); stock already consumed stays consumed."""
        self._require_not_voided()
        self.estado = VOIDED
        self.estado_cocina = KITCHEN_VOIDED
        self.voided_at = now
        self.touch(now)
        return list(self.pagos)
