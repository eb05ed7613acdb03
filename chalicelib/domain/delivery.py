"""Delivery (GastroMovil): the delivery part of a sale, its enforced state machine, customers
and their addresses, and driver profiles. Pure."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from chalicelib.errors import Conflict, InvalidInput

PENDIENTE, ACEPTADO, PREPARANDO, ENVIADO, EN_CAMINO, ENTREGADO, CANCELADO = (
    "pendiente", "aceptado", "preparando", "enviado", "en_camino", "entregado", "cancelado",
)
ESTADOS = (PENDIENTE, ACEPTADO, PREPARANDO, ENVIADO, EN_CAMINO, ENTREGADO, CANCELADO)
FLOW = (PENDIENTE, ACEPTADO, PREPARANDO, ENVIADO, EN_CAMINO, ENTREGADO)
ACTIVOS = (PENDIENTE, ACEPTADO, PREPARANDO, ENVIADO)  # the restaurant panel's "activos"
CUSTOMER_MAY_CANCEL = (PENDIENTE, ACEPTADO)

METODOS_ENTREGA = ("efectivo", "tarjeta", "qr", "nequi", "daviplata")

# COMPAT C: the customer's cambio_estado messages.
MENSAJES = {
    ACEPTADO: "✅ ¡Tu pedido fue aceptado! El restaurante lo está preparando.",
    PREPARANDO: "👨‍🍳 Tu pedido está siendo preparado.",
    ENVIADO: "🛵 ¡Tu pedido está en camino!",
    EN_CAMINO: "🛵 Un repartidor lleva tu pedido.",
    ENTREGADO: "🎉 ¡Tu pedido fue entregado!",
    CANCELADO: "❌ Tu pedido fue cancelado.",
}

DRIVER_DISPONIBLE, DRIVER_OCUPADO, DRIVER_INACTIVO = "disponible", "ocupado", "inactivo"
DRIVER_ESTADOS = (DRIVER_DISPONIBLE, DRIVER_OCUPADO, DRIVER_INACTIVO)


def allowed_moves(estado: str) -> tuple[str, ...]:
    """The states an order in `estado` may move to: the next one of the flow, and cancelado
    from any state before entregado."""
    if estado in (ENTREGADO, CANCELADO):
        return ()
    nxt = FLOW[FLOW.index(estado) + 1]
    return (nxt, CANCELADO)


def check_move(current: str, target: str) -> None:
    if target not in ESTADOS:
        raise InvalidInput("Estado inválido")
    if target not in allowed_moves(current):
        raise InvalidInput(f"Transición no permitida: {current} -> {target}")


def payment_column(metodo: str) -> str:
    """Which caja tally a delivery payment adds to: cash stays cash, every electronic method is
    tallied with the caja's electronic (qr) sales."""
    return "efectivo" if metodo == "efectivo" else "qr"


@dataclass
class Entrega:
    """The delivery part of a sale of tipo `delivery`."""

    estado: str
    cliente_id: int
    cliente_nombre: str
    direccion: dict[str, Any]
    metodo_pago: str
    notas: str | None = None
    repartidor_id: str | None = None
    offered_at: str | None = None
    delivered_at: str | None = None

    @property
    def direccion_texto(self) -> str:
        calle, barrio = self.direccion.get("calle") or "", self.direccion.get("barrio") or ""
        return ", ".join(p for p in (calle, barrio) if p)

    def to_doc(self) -> dict[str, Any]:
        return {
            "estado": self.estado, "cliente_id": self.cliente_id, "cliente_nombre": self.cliente_nombre,
            "direccion": self.direccion, "metodo_pago": self.metodo_pago, "notas": self.notas,
            "repartidor_id": self.repartidor_id, "offered_at": self.offered_at, "delivered_at": self.delivered_at,
        }

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> Entrega:
        fields: dict[str, Any] = {k: d.get(k) for k in (
            "estado", "cliente_id", "cliente_nombre", "direccion", "metodo_pago", "notas", "repartidor_id",
            "offered_at", "delivered_at",
        )}
        return cls(**fields)


# --- customers ---------------------------------------------------------------------------------


def check_coordinates(latitud: Any, longitud: Any) -> tuple[Decimal, Decimal]:
    """Numbers in range (-90..90, -180..180); booleans and non-finite values are refused."""
    out = []
    for name, value, bound in (("latitud", latitud, 90), ("longitud", longitud, 180)):
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

    def with_address(self, calle: str, barrio: str, referencia: str | None, latitud: Any, longitud: Any) -> tuple[Customer, Address]:
        lat = lon = None
        if latitud is not None or longitud is not None:
            lat, lon = check_coordinates(latitud, longitud)
        address = Address(self.next_address_id, calle, barrio, referencia, lat, lon)
        return replace(self, addresses=(*self.addresses, address), next_address_id=self.next_address_id + 1), address

    def address(self, address_id: int) -> Address | None:
        return next((a for a in self.addresses if a.id == address_id), None)


# --- drivers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Driver:
    tenant_id: str
    user_id: str
    branch_id: str
    estado: str = DRIVER_INACTIVO
    pedido_id: int | None = None

    def set_estado(self, estado: str) -> Driver:
        if estado not in DRIVER_ESTADOS:
            raise InvalidInput([f"estado must be one of the following values: {', '.join(DRIVER_ESTADOS)}"])
        if self.pedido_id is not None and estado != DRIVER_OCUPADO:
            raise Conflict(f"El repartidor lleva el pedido #{self.pedido_id}; debe entregarlo primero")
        if self.pedido_id is None and estado == DRIVER_OCUPADO:
            raise InvalidInput("Un repartidor queda ocupado al tomar un pedido")
        return replace(self, estado=estado)
