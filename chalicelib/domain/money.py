"""Money and quantities are Decimal; on the wire they are strings."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")
PAYMENT_METHODS = ("efectivo", "qr", "tarjeta")  # how a sale is paid and an expense is settled; only efectivo is cash


def json_default(value: object) -> str:
    """`json.dumps(default=...)` for Decimal: money and quantities travel as strings."""
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money_str(value: Decimal | int | None) -> str:
    return str(to_money(value if value is not None else 0))


def qty_str(value: Decimal | int | None) -> str:
    """A quantity as the shortest exact decimal string: 2 -> "2", 0.50 -> "0.5"."""
    d = Decimal(value if value is not None else 0)
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)))
    return format(d.normalize(), "f")
