"""The lines of a sale: items (with their kitchen status), their extras, and payments."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from chalicelib.domain.money import ZERO, to_money
from chalicelib.errors import NotFound

# Item-level kitchen status (KDS surface).
ITEM_PENDING, ITEM_PREPARING, ITEM_READY, ITEM_SERVED = "pending", "preparing", "ready", "served"
ITEM_FLOW = (ITEM_PENDING, ITEM_PREPARING, ITEM_READY, ITEM_SERVED)
NEXT_ITEM_STATUS = {ITEM_PENDING: ITEM_PREPARING, ITEM_PREPARING: ITEM_READY, ITEM_READY: ITEM_SERVED}


@dataclass
class Extra:
    id: int
    ingrediente_id: str | None
    descripcion: str | None
    precio: Decimal
    cantidad: Decimal
    created_at: str
    stock_deducted: bool = False
    nombre: str | None = None  # the ingredient's name when added by ingrediente_id, kept as it was then

    @property
    def label(self) -> str | None:
        """What the extra is called: its descripcion, else its ingredient's name."""
        return self.descripcion or self.nombre

    @property
    def total_per_unit(self) -> Decimal:
        return self.precio * self.cantidad


@dataclass
class Item:
    id: int
    uuid: str
    plato_id: str | None
    producto_id: str | None
    nombre: str
    cantidad: Decimal
    precio_unitario: Decimal
    notas: str | None
    created_at: str
    estacion: str | None = None
    kitchen_status: str | None = None  # None: needs no kitchen (productos)
    status_changed_at: str | None = None
    extras: list[Extra] = field(default_factory=list)
    stock_deducted: bool = False
    removed_at: str | None = None
    removed_by: str | None = None
    curso: int = 1  # 0 fires at once (drinks), then starters, mains, desserts
    held: bool = False  # its course is not fired yet: not on the kitchen queue
    fired_at: str | None = None  # when it reached the kitchen: its timers count from here
    started_at: str | None = None  # preparing
    ready_at: str | None = None
    served_at: str | None = None

    @property
    def needs_kitchen(self) -> bool:
        return self.plato_id is not None

    @property
    def fired(self) -> bool:
        return self.needs_kitchen and not self.held

    def mark(self, status: str, now: str) -> None:
        """Move to a kitchen status, recording when; going back (a recall) forgets the later times."""
        self.kitchen_status = status
        self.status_changed_at = now
        order = ITEM_FLOW.index(status)
        for at, name in ((1, "started_at"), (2, "ready_at"), (3, "served_at")):
            if order == at and getattr(self, name) is None:
                setattr(self, name, now)
            elif order < at:
                setattr(self, name, None)

    @property
    def subtotal(self) -> Decimal:
        return to_money((self.precio_unitario + sum((e.total_per_unit for e in self.extras), ZERO)) * self.cantidad)

    def extra(self, extra_id: int) -> Extra:
        for extra in self.extras:
            if extra.id == extra_id:
                return extra
        raise NotFound(f"Extra con id {extra_id} no encontrado")


@dataclass
class Pago:
    id: int
    metodo_pago: str
    monto: Decimal
    monto_recibido: Decimal | None
    cambio: Decimal
    referencia_qr: str | None
    caja_id: int | None
    usuario_id: str
    created_at: str
