"""The cash shift ("caja"): denominations, counting, the summary arithmetic, counts without
closing (arqueo) and closing. Pure Python: no AWS, no framework.

One caja may be open per branch. A caja is opened with a count of the cash in the drawer
(monto_inicial); sales and expenses are tallied on it by method (efectivo | qr | tarjeta); closing
counts the drawer again and compares it with what is expected (only efectivo is in the drawer):

    efectivo_esperado = monto_inicial + ventas_efectivo - gastos_efectivo
    total_qr          = ventas_qr - gastos_qr
    total_tarjeta     = ventas_tarjeta - gastos_tarjeta
    diferencia        = contado - efectivo_esperado   (> 0 sobrante, < 0 faltante, 0 exacto)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from chalicelib.domain.money import PAYMENT_METHODS, ZERO, to_money
from chalicelib.errors import InvalidInput

# Bolivian bills and coins, in the order the original API lists them.
DENOMINATIONS: tuple[tuple[str, Decimal], ...] = (
    ("b200", Decimal("200")),
    ("b100", Decimal("100")),
    ("b50", Decimal("50")),
    ("b20", Decimal("20")),
    ("b10", Decimal("10")),
    ("b5", Decimal("5")),
    ("m2", Decimal("2")),
    ("m1", Decimal("1")),
    ("m050", Decimal("0.50")),
    ("m020", Decimal("0.20")),
    ("m010", Decimal("0.10")),
)
DENOMINATION_NAMES: tuple[str, ...] = tuple(name for name, _ in DENOMINATIONS)

CAJA_OPEN = "abierta"
CAJA_CLOSED = "cerrada"
NO_OPEN_CAJA = "No hay una caja abierta en esta sucursal"


# The caja's tallies of each payment method: a sale's payment adds to SALES_TALLY[method], an expense to EXPENSE_TALLY[method].
SALES_TALLY = {method: f"ventas_{method}" for method in PAYMENT_METHODS}
EXPENSE_TALLY = {method: f"gastos_{method}" for method in PAYMENT_METHODS}


def counts_of(data: Mapping[str, Any]) -> dict[str, int]:
    """The 11 denomination counts from `data`; a missing one is 0, a negative or non-integer
    one is an error naming the field."""
    counts: dict[str, int] = {}
    errors: list[str] = []
    for name in DENOMINATION_NAMES:
        value = data.get(name)
        if value is None:
            counts[name] = 0
        elif isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"{name} must be an integer number")
        elif value < 0:
            errors.append(f"{name} must not be less than 0")
        else:
            counts[name] = value
    if errors:
        raise InvalidInput(errors)
    return counts


def count_total(counts: Mapping[str, int]) -> Decimal:
    """What a count of bills and coins is worth, exactly."""
    return to_money(sum((value * counts.get(name, 0) for name, value in DENOMINATIONS), ZERO))


def difference_status(difference: Decimal) -> str:
    if difference > 0:
        return "sobrante"
    if difference < 0:
        return "faltante"
    return "exacto"


@dataclass(frozen=True)
class Resumen:
    monto_inicial: Decimal
    ventas_efectivo: Decimal = ZERO
    ventas_qr: Decimal = ZERO
    gastos_efectivo: Decimal = ZERO
    gastos_qr: Decimal = ZERO
    ventas_tarjeta: Decimal = ZERO
    gastos_tarjeta: Decimal = ZERO

    @property
    def efectivo_esperado(self) -> Decimal:
        return to_money(self.monto_inicial + self.ventas_efectivo - self.gastos_efectivo)

    @property
    def total_qr(self) -> Decimal:
        return to_money(self.ventas_qr - self.gastos_qr)

    @property
    def total_tarjeta(self) -> Decimal:
        return to_money(self.ventas_tarjeta - self.gastos_tarjeta)

    @property
    def total_ventas(self) -> Decimal:
        return to_money(self.ventas_efectivo + self.ventas_qr + self.ventas_tarjeta)

    @property
    def total_gastos(self) -> Decimal:
        return to_money(self.gastos_efectivo + self.gastos_qr + self.gastos_tarjeta)


@dataclass(frozen=True)
class Arqueo:
    """A count of the drawer taken while the caja stays open."""

    counts: dict[str, int]
    total: Decimal
    esperado: Decimal
    diferencia: Decimal
    estado_diferencia: str
    observacion: str | None
    usuario_id: str
    created_at: str


@dataclass(frozen=True)
class Gasto:
    tenant_id: str
    id: int
    caja_id: int
    descripcion: str
    metodo_pago: str
    monto: Decimal
    usuario_id: str
    created_at: str

    @classmethod
    def create(
        cls, tenant_id: str, gasto_id: int, caja: Caja, description: str, payment_method: str, amount: Decimal, user_id: str, now: str
    ) -> Gasto:
        caja.require_open()
        if payment_method not in PAYMENT_METHODS:
            raise InvalidInput([f"metodo_pago must be one of the following values: {', '.join(PAYMENT_METHODS)}"])
        if amount <= 0:
            raise InvalidInput(["monto must be greater than 0"])
        return cls(tenant_id, gasto_id, caja.id, description, payment_method, to_money(amount), user_id, now)


@dataclass(frozen=True)
class Caja:
    tenant_id: str
    id: int
    branch_id: str
    counts_apertura: dict[str, int]
    monto_inicial: Decimal
    opened_at: str
    opened_by: str
    estado: str = CAJA_OPEN
    ventas_efectivo: Decimal = ZERO
    ventas_qr: Decimal = ZERO
    gastos_efectivo: Decimal = ZERO
    gastos_qr: Decimal = ZERO
    ventas_tarjeta: Decimal = ZERO
    gastos_tarjeta: Decimal = ZERO
    arqueos: tuple[Arqueo, ...] = ()
    closed_at: str | None = None
    closed_by: str | None = None
    counts_cierre: dict[str, int] | None = None
    monto_final: Decimal | None = None
    efectivo_esperado: Decimal | None = None  # frozen at closing time
    diferencia: Decimal | None = None
    estado_diferencia: str | None = None
    cierre_obs: str | None = None
    updated_at: str | None = None
    version: int = field(default=0, compare=False)

    @classmethod
    def open(cls, tenant_id: str, caja_id: int, branch_id: str, counts: Mapping[str, int], user_id: str, now: str) -> Caja:
        checked = counts_of(counts)
        return cls(
            tenant_id=tenant_id,
            id=caja_id,
            branch_id=branch_id,
            counts_apertura=checked,
            monto_inicial=count_total(checked),
            opened_at=now,
            opened_by=user_id,
            updated_at=now,
        )

    @property
    def is_open(self) -> bool:
        return self.estado == CAJA_OPEN

    @property
    def cerrada(self) -> bool:
        return not self.is_open

    def require_open(self) -> None:
        if not self.is_open:
            raise InvalidInput(NO_OPEN_CAJA)

    def summary(self) -> Resumen:
        return Resumen(self.monto_inicial, self.ventas_efectivo, self.ventas_qr, self.gastos_efectivo, self.gastos_qr,
                       self.ventas_tarjeta, self.gastos_tarjeta)

    def arqueo(self, counts: Mapping[str, int], remark: str | None, user_id: str, now: str) -> tuple[Caja, Arqueo]:
        """Count the drawer without closing: the count and its difference are appended."""
        if not self.is_open:
            raise InvalidInput(f"La caja {self.id} está cerrada")
        checked = counts_of(counts)
        total = count_total(checked)
        expected = self.summary().efectivo_esperado
        difference = to_money(total - expected)
        arqueo = Arqueo(checked, total, expected, difference, difference_status(difference), remark, user_id, now)
        return replace(self, arqueos=(*self.arqueos, arqueo), updated_at=now), arqueo

    def close(self, counts: Mapping[str, int], closing_remark: str | None, user_id: str, now: str) -> Caja:
        self.require_open()
        checked = counts_of(counts)
        counted = count_total(checked)
        expected = self.summary().efectivo_esperado
        difference = to_money(counted - expected)
        return replace(
            self,
            estado=CAJA_CLOSED,
            closed_at=now,
            closed_by=user_id,
            counts_cierre=checked,
            monto_final=counted,
            efectivo_esperado=expected,
            diferencia=difference,
            estado_diferencia=difference_status(difference),
            cierre_obs=closing_remark,
            updated_at=now,
        )
