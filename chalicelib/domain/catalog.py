"""The catalog: productos (sold as they are), ingredientes (stock tracked in their unit), platos
(dishes routed to a kitchen station) and recipe lines (how much of each ingrediente a plato uses).

Pure: dataclasses, invariants and the repository interface. Every constructor and change goes
through the same checks, so the demo seed and the API cannot write what the other would reject.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from chalicelib.domain.money import CENT, ZERO
from chalicelib.errors import InvalidInput

MIN_RECIPE_QTY = CENT
MAX_NUMBER = Decimal("1e12")
NAME_MAX = 100
UNIT_MAX = 30
DEFAULT_STATION = "cocina"
MAX_COURSE = 9  # courses: 0 fires at once (drinks), 1 starters, 2 mains, 3 desserts...
STATION = r"[a-z][a-z0-9_-]{0,29}"  # a kitchen station: the one pattern, for platos, ?station= and channels
STATION_PATTERN = rf"^{STATION}$"

PRODUCT, INGREDIENT, PLATO = "prod", "ing", "plato"
_ID_ALPHABET = string.ascii_lowercase + string.digits
_ID_LENGTH = 8
# What an id may look like at all: anything else cannot exist, so lookups stop early (404).
# Lenient on the suffix so ids imported from the original system (`plato_abc123`) still work.
_ID_SHAPE = re.compile(r"^(prod|ing|plato)_[a-z0-9]{1,32}$")


def new_id(prefix: str) -> str:
    """`prod_` / `ing_` / `plato_` + 8 random lowercase base36 characters."""
    if prefix not in (PRODUCT, INGREDIENT, PLATO):
        raise ValueError(f"unknown catalog id prefix {prefix!r}")
    return f"{prefix}_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))


def is_id_of(prefix: str, value: str) -> bool:
    match = _ID_SHAPE.match(value or "")
    return match is not None and match.group(1) == prefix


# --- field rules ---------------------------------------------------------------------------


def check_name(value: str, field: str = "nombre", maximum: int = NAME_MAX) -> str:
    if not isinstance(value, str):
        raise InvalidInput([f"{field} must be a string"])
    value = value.strip()
    if not value:
        raise InvalidInput([f"{field} should not be empty"])
    if len(value) > maximum:
        raise InvalidInput([f"{field} must be shorter than or equal to {maximum} characters"])
    return value


def _number(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise InvalidInput([f"{field} must be a number"])
    try:
        number = Decimal(value)
    except ArithmeticError as exc:
        raise InvalidInput([f"{field} must be a number"]) from exc
    if not number.is_finite():
        raise InvalidInput([f"{field} must be a number"])
    if abs(number) >= MAX_NUMBER:
        raise InvalidInput([f"{field} is too large"])
    return number


def check_money(value: Any, field: str = "precio") -> Decimal:
    """Money: >= 0 with at most 2 decimal places."""
    number = _number(value, field)
    if number < ZERO:
        raise InvalidInput([f"{field} must not be less than 0"])
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise InvalidInput([f"{field} must have at most 2 decimal places"])
    return number


def check_quantity(value: Any, field: str, minimum: Decimal = ZERO) -> Decimal:
    number = _number(value, field)
    if number < minimum:
        raise InvalidInput([f"{field} must not be less than {minimum}"])
    return number


def check_stock(value: Any, field: str = "stock") -> Decimal:
    """Stock as entered by people is a whole number >= 0 (sales may later take it below 0)."""
    number = check_quantity(value, field)
    if number != number.to_integral_value():
        raise InvalidInput([f"{field} must be an integer number"])
    return number


def check_course(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COURSE:
        raise InvalidInput(f"curso debe ser un entero entre 0 y {MAX_COURSE}")
    return value


def check_station(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(STATION_PATTERN, value.strip()):
        raise InvalidInput([f"estacion must match {STATION_PATTERN} regular expression"])
    return value.strip()


# --- entities ------------------------------------------------------------------------------


class SoftDeleted:
    """Catalog entries are never erased: a delete stamps `deleted_at`."""

    deleted_at: datetime | None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def activo(self) -> bool:
        return not self.deleted


@dataclass(frozen=True)
class Producto(SoftDeleted):
    tenant_id: str
    id: str
    nombre: str
    precio: Decimal
    stock: Decimal
    unidad: str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None

    @classmethod
    def create(cls, tenant_id: str, product_id: str, data: Mapping[str, Any], now: datetime) -> Producto:
        stock = data.get("stock")
        return cls(
            tenant_id=tenant_id,
            id=product_id,
            nombre=check_name(data.get("nombre", "")),
            precio=check_money(data.get("precio")),
            stock=check_stock(0 if stock is None else stock),
            unidad=check_name(data.get("unidad", ""), "unidad", UNIT_MAX),
            created_at=now,
            updated_at=now,
        )

    def changed(self, data: Mapping[str, Any], now: datetime) -> Producto:
        changes: dict[str, Any] = {}
        if data.get("nombre") is not None:
            changes["nombre"] = check_name(data["nombre"])
        if data.get("precio") is not None:
            changes["precio"] = check_money(data["precio"])
        if data.get("stock") is not None:
            changes["stock"] = check_stock(data["stock"])
        if data.get("unidad") is not None:
            changes["unidad"] = check_name(data["unidad"], "unidad", UNIT_MAX)
        return replace(self, updated_at=now, **changes)

    def soft_deleted(self, now: datetime) -> Producto:
        return replace(self, deleted_at=now, updated_at=now)


@dataclass(frozen=True)
class Ingrediente(SoftDeleted):
    tenant_id: str
    id: str
    nombre: str
    unidad: str
    cantidad: Decimal
    cantidad_minima: Decimal
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None

    @property
    def bajo_minimo(self) -> bool:
        return self.cantidad < self.cantidad_minima

    @classmethod
    def create(cls, tenant_id: str, ingredient_id: str, data: Mapping[str, Any], now: datetime) -> Ingrediente:
        min_quantity = data.get("cantidad_minima")
        return cls(
            tenant_id=tenant_id,
            id=ingredient_id,
            nombre=check_name(data.get("nombre", "")),
            unidad=check_name(data.get("unidad", ""), "unidad", UNIT_MAX),
            cantidad=check_quantity(data.get("cantidad"), "cantidad"),
            cantidad_minima=check_quantity(ZERO if min_quantity is None else min_quantity, "cantidad_minima"),
            created_at=now,
            updated_at=now,
        )

    def changed(self, data: Mapping[str, Any], now: datetime) -> Ingrediente:
        changes: dict[str, Any] = {}
        if data.get("nombre") is not None:
            changes["nombre"] = check_name(data["nombre"])
        if data.get("unidad") is not None:
            changes["unidad"] = check_name(data["unidad"], "unidad", UNIT_MAX)
        for field in ("cantidad", "cantidad_minima"):
            if data.get(field) is not None:
                changes[field] = check_quantity(data[field], field)
        return replace(self, updated_at=now, **changes)

    def soft_deleted(self, now: datetime) -> Ingrediente:
        return replace(self, deleted_at=now, updated_at=now)


@dataclass(frozen=True)
class Plato(SoftDeleted):
    tenant_id: str
    id: str
    nombre: str
    precio: Decimal
    estacion: str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    curso: int = 1  # the course its items join unless the order says otherwise
    agotado: bool = False  # sold out ("86"): it cannot be ordered

    @classmethod
    def create(cls, tenant_id: str, plato_id: str, data: Mapping[str, Any], now: datetime) -> Plato:
        estacion = data.get("estacion")
        return cls(
            tenant_id=tenant_id,
            id=plato_id,
            nombre=check_name(data.get("nombre", "")),
            precio=check_money(data.get("precio")),
            estacion=DEFAULT_STATION if estacion is None else check_station(estacion),
            created_at=now,
            updated_at=now,
            curso=check_course(data.get("curso", 1)),
            agotado=bool(data.get("agotado", False)),
        )

    def changed(self, data: Mapping[str, Any], now: datetime) -> Plato:
        changes: dict[str, Any] = {}
        if data.get("nombre") is not None:
            changes["nombre"] = check_name(data["nombre"])
        if data.get("precio") is not None:
            changes["precio"] = check_money(data["precio"])
        if data.get("estacion") is not None:
            changes["estacion"] = check_station(data["estacion"])
        if data.get("curso") is not None:
            changes["curso"] = check_course(data["curso"])
        if data.get("agotado") is not None:
            changes["agotado"] = bool(data["agotado"])
        return replace(self, updated_at=now, **changes)

    def soft_deleted(self, now: datetime) -> Plato:
        return replace(self, deleted_at=now, updated_at=now)


@dataclass(frozen=True)
class RecipeLine:
    """`cantidad` of one ingrediente (in the ingrediente's unit) used by one unit of a plato."""

    tenant_id: str
    plato_id: str
    ingrediente_id: str
    cantidad: Decimal
    created_at: datetime
    updated_at: datetime

    @classmethod
    def create(cls, tenant_id: str, plato_id: str, ingredient_id: str, quantity: Any, now: datetime) -> RecipeLine:
        return cls(tenant_id, plato_id, ingredient_id, check_quantity(quantity, "cantidad", MIN_RECIPE_QTY), now, now)

    def with_quantity(self, quantity: Any, now: datetime) -> RecipeLine:
        return replace(self, cantidad=check_quantity(quantity, "cantidad", MIN_RECIPE_QTY), updated_at=now)


@dataclass(frozen=True)
class RecipeEntry:
    """A recipe line with the ingrediente it names (for display)."""

    line: RecipeLine
    ingrediente: Ingrediente | None


def by_name(items: Iterable[Any]) -> list[Any]:
    """Catalog lists are alphabetical (case-insensitive), ties broken by id."""
    return sorted(items, key=lambda x: (x.nombre.casefold(), x.id))


# --- the repository interface --------------------------------------------------------------


CatalogKind = Literal["plato", "producto", "ingrediente"]
CatalogKey = tuple[CatalogKind, str]  # (kind, id): one catalog entry a sale charges from or checks
