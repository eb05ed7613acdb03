"""Delivery (GastroMovil): the delivery part of a sale, its enforced state machine, customers
and their addresses, and driver profiles. Pure."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from chalicelib.errors import Conflict, Forbidden, InvalidInput

PENDING, ACCEPTED, PREPARING, SENT, ON_THE_WAY, DELIVERED, CANCELLED = (
    "pendiente", "aceptado", "preparando", "enviado", "en_camino", "entregado", "cancelado",
)
DELIVERY_STATES = (PENDING, ACCEPTED, PREPARING, SENT, ON_THE_WAY, DELIVERED, CANCELLED)
FLOW = (PENDING, ACCEPTED, PREPARING, SENT, ON_THE_WAY, DELIVERED)
ACTIVE_STATES = (PENDING, ACCEPTED, PREPARING, SENT)  # the restaurant panel's "activos"
CUSTOMER_MAY_CANCEL = (PENDING, ACCEPTED)

DELIVERY_PAYMENT_METHODS = ("efectivo", "tarjeta", "qr", "nequi", "daviplata")

# COMPAT C: the customer's cambio_estado messages.
STATUS_MESSAGES = {
    ACCEPTED: "✅ ¡Tu pedido fue aceptado! El restaurante lo está preparando.",
    PREPARING: "👨‍🍳 Tu pedido está siendo preparado.",
    SENT: "🛵 ¡Tu pedido está en camino!",
    ON_THE_WAY: "🛵 Un repartidor lleva tu pedido.",
    DELIVERED: "🎉 ¡Tu pedido fue entregado!",
    CANCELLED: "❌ Tu pedido fue cancelado.",
}

DRIVER_AVAILABLE, DRIVER_BUSY, DRIVER_INACTIVE = "disponible", "ocupado", "inactivo"
DRIVER_STATES = (DRIVER_AVAILABLE, DRIVER_BUSY, DRIVER_INACTIVE)


def allowed_moves(status: str) -> tuple[str, ...]:
    """The states an order in `estado` may move to: the next one of the flow, and cancelado
    from any state before entregado."""
    if status in (DELIVERED, CANCELLED):
        return ()
    nxt = FLOW[FLOW.index(status) + 1]
    return (nxt, CANCELLED)


def check_move(current: str, target: str) -> None:
    if target not in DELIVERY_STATES:
        raise InvalidInput("Estado inválido")
    if target not in allowed_moves(current):
        raise InvalidInput(f"Transición no permitida: {current} -> {target}")


def payment_column(method: str) -> str:
    """Which caja tally a delivery payment adds to: cash stays cash, every electronic method is
    tallied with the caja's electronic (qr) sales."""
    return "efectivo" if method == "efectivo" else "qr"


@dataclass
class Entrega:
    """The delivery part of a sale of tipo `delivery`."""

    estado: str
    customer_id: int
    cliente_nombre: str
    direccion: dict[str, Any]
    metodo_pago: str
    notas: str | None = None
    repartidor_id: str | None = None
    offered_at: str | None = None
    delivered_at: str | None = None

    # --- the delivery state machine (COMPAT C, enforced) ---

    @property
    def awaiting_driver(self) -> bool:
        """Offered to the branch's drivers and not claimed yet."""
        return self.estado == SENT and self.repartidor_id is None and self.offered_at is not None

    def dispatch(self, now: str) -> None:
        """The kitchen finished an accepted order: it is offered to the drivers."""
        if self.estado in (ACCEPTED, PREPARING):
            self.estado = SENT
            self.offered_at = now

    def move(self, target: str, now: str, *, by_customer: bool = False) -> str | None:
        """A move asked for by the restaurant (or the customer's cancel). Returns the driver a
        cancel frees, if any."""
        check_move(self.estado, target)
        if by_customer and (target != CANCELLED or self.estado not in CUSTOMER_MAY_CANCEL):
            raise InvalidInput("Solo puede cancelar su pedido mientras está pendiente o aceptado")
        if target == ON_THE_WAY:
            raise InvalidInput("Un pedido pasa a en_camino cuando un repartidor lo toma")
        if target == DELIVERED:
            raise InvalidInput("Un pedido pasa a entregado cuando su repartidor lo marca entregado")
        freed = None
        if target == CANCELLED:
            freed = self.repartidor_id
            self.repartidor_id = None
        elif target == SENT:
            self.offered_at = now
        self.estado = target
        return freed

    def claim(self, driver_id: str, sale_id: int) -> None:
        if self.estado != SENT or self.repartidor_id is not None:
            raise Conflict(f"El pedido #{sale_id} ya no está disponible")
        self.estado = ON_THE_WAY
        self.repartidor_id = driver_id

    def ready_to_hand_over(self, driver_id: str) -> bool:
        """May `driver_id` hand it over now? False when it already has (marking it again changes nothing)."""
        if self.repartidor_id != driver_id:
            raise Forbidden("Este pedido no está asignado a este repartidor")
        if self.estado == DELIVERED:
            return False
        if self.estado != ON_THE_WAY:
            raise InvalidInput(f"Transición no permitida: {self.estado} -> {DELIVERED}")
        return True

    def handed_over(self, now: str) -> None:
        self.estado = DELIVERED
        self.delivered_at = now

    def reoffer(self, now: str) -> None:
        self.offered_at = now

    @property
    def direccion_texto(self) -> str:
        street, neighbourhood = self.direccion.get("calle") or "", self.direccion.get("barrio") or ""
        return ", ".join(p for p in (street, neighbourhood) if p)

    def to_doc(self) -> dict[str, Any]:
        return {
            "estado": self.estado, "cliente_id": self.customer_id, "cliente_nombre": self.cliente_nombre,
            "direccion": self.direccion, "metodo_pago": self.metodo_pago, "notas": self.notas,
            "repartidor_id": self.repartidor_id, "offered_at": self.offered_at, "delivered_at": self.delivered_at,
        }

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> Entrega:
        fields: dict[str, Any] = {k: d.get(k) for k in (
            "estado", "cliente_nombre", "direccion", "metodo_pago", "notas", "repartidor_id", "offered_at", "delivered_at",
        )}
        return cls(customer_id=int(d["cliente_id"]), **fields)


# --- customers ---------------------------------------------------------------------------------


def check_coordinates(latitude: Any, longitude: Any) -> tuple[Decimal, Decimal]:
    """Numbers in range (-90..90, -180..180); booleans and non-finite values are refused."""
    out = []
    for name, value, bound in (("latitud", latitude, 90), ("longitud", longitude, 180)):
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise InvalidInput([f"{name} must be a number"])
        number = Decimal(str(value))
        if not number.is_finite() or not math.isfinite(float(number)) or abs(number) > bound:
            raise InvalidInput([f"{name} must be between -{bound} and {bound}"])
        out.append(number)
    return out[0], out[1]


@dataclass(frozen=True)
class Address:
    id: int
    calle: str
    barrio: str
    referencia: str | None = None
    latitud: Decimal | None = None
    longitud: Decimal | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"calle": self.calle, "barrio": self.barrio, "referencia": self.referencia,
                "latitud": None if self.latitud is None else str(self.latitud),
                "longitud": None if self.longitud is None else str(self.longitud)}


@dataclass(frozen=True)
class Customer:
    tenant_id: str
    customer_id: int
    nombre: str
    nombre_usuario: str
    email: str
    telefono: str
    password_hash: str
    created_at: str
    addresses: tuple[Address, ...] = field(default_factory=tuple)
    next_address_id: int = 1
    version: int = 0

    @property
    def display_name(self) -> str:
        return self.nombre or self.nombre_usuario

    def with_address(
        self, street: str, neighbourhood: str, reference: str | None, latitude: Any, longitude: Any
    ) -> tuple[Customer, Address]:
        lat = lon = None
        if latitude is not None or longitude is not None:
            lat, lon = check_coordinates(latitude, longitude)
        address = Address(self.next_address_id, street, neighbourhood, reference, lat, lon)
        return replace(self, addresses=(*self.addresses, address), next_address_id=self.next_address_id + 1), address

    def address(self, address_id: int) -> Address | None:
        return next((a for a in self.addresses if a.id == address_id), None)


# --- drivers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Driver:
    tenant_id: str
    user_id: str
    branch_id: str
    estado: str = DRIVER_INACTIVE
    pedido_id: int | None = None

    def set_status(self, status: str) -> Driver:
        if status not in DRIVER_STATES:
            raise InvalidInput([f"estado must be one of the following values: {', '.join(DRIVER_STATES)}"])
        if self.pedido_id is not None and status != DRIVER_BUSY:
            raise Conflict(f"El repartidor lleva el pedido #{self.pedido_id}; debe entregarlo primero")
        if self.pedido_id is None and status == DRIVER_BUSY:
            raise InvalidInput("Un repartidor queda ocupado al tomar un pedido")
        return replace(self, estado=status)
