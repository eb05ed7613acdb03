"""The "ventas" report: what one sale, in its current state, contributes to its branch's daily
sales rollup (domain/rollups.py), and how a range of those daily rows is read back as a report.

What a sale contributes (its facts):
- a CLOSED sale counts as a sale on the branch-local day of `closed_at`: part "" holds the
  sale count and total, and the same by local hour, by waiter (the sale's `usuario_id`), by
  `tipo` and by payment method (the payments' count and amount: a split payment counts once per
  method it used); the "platos" parts hold, per plato and producto, the sales that had it, the
  quantity and the amount (each line's subtotal, extras included). Counters hold numbers only:
  the names of platos and waiters are looked up when a report is read.
- a VOIDED sale counts as a void, on the local day of `voided_at`: `anuladas:n` and
  `anuladas:total` (the sale's total when it was voided). A sale that had been closed and is then
  voided is no longer a sale: its close is taken back from its close day, whatever day that was,
  and it counts only as a void.
- any other sale (open, pending, reopened) contributes nothing: reopening takes a close back, and
  closing again counts it once more, on the day of the new close.

Counter names, on the wire of the `reports` table (short, since a row is read whole):
    n, total                           sales and their total
    h:<HH>:n, h:<HH>:total             by local hour, 00-23
    metodo:<method>:n / :total         payments by method
    mesero:<user id>:n / :total        by the sale's creator
    tipo:<tipo>:n / :total             by sale type (venta, delivery, ...)
    anuladas:n, anuladas:total         voids and their amount
    plato:<id>:n / :qty / :total       (parts "platos", "platos:2", ...) per catalog entry
    producto:<id>:n / :qty / :total

Why the dishes have their own parts: a stored change writes each touched row with one
UpdateExpression, which holds at most MAX_COUNTERS_PER_ROW counters (the store's 4 KB limit).
The dish counters of one sale are split, in the order of their names, into parts of at most
DISHES_PER_PART entries (3 counters each): "platos", then "platos:2", "platos:3"... A change's
difference on one part holds at most the old and the new counters of that part, 2 × 99 ≤ 200.
A report sums every part of a day, so an entry that moves from one part to another between two
states of a sale is still counted once. Part "" holds a bounded handful of counters per sale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from chalicelib.domain.money import ZERO, to_money
from chalicelib.domain.rollups import Counters, DayRange, Facts, RollupKey, add, local_day, local_time
from chalicelib.domain.sales import CLOSED, VOIDED, Sale
from chalicelib.domain.tenancy import Branch
from chalicelib.errors import InvalidInput

REPORT = "ventas"
DISHES_PART = "platos"
DISH_COUNTERS = 3  # n, qty, total
DISHES_PER_PART = 33  # 33 × 3 = 99 counters; a difference holds at most twice that
MAX_COUNTERS_PER_ROW = 200  # the store's limit (chalicelib/store/rollups.py), which a unit test holds equal

GROUPINGS = ("dia", "hora", "plato", "metodo", "mesero", "tipo")
# The dimension each grouping reads from the rows: the counter prefix(es) it sums.
PREFIXES = {"hora": ("h",), "plato": ("plato", "producto"), "metodo": ("metodo",), "mesero": ("mesero",), "tipo": ("tipo",)}


def dishes_part(index: int) -> str:
    return DISHES_PART if index == 0 else f"{DISHES_PART}:{index + 1}"


def facts(sale: Sale, branch: Branch) -> Facts:
    """What `sale`, as it stands, contributes to the "ventas" rollup."""
    out: Facts = {}
    if sale.estado == CLOSED and sale.closed_at:
        _closed_facts(out, sale, branch)
    elif sale.estado == VOIDED and sale.voided_at:
        key = RollupKey(REPORT, sale.branch_id, local_day(sale.voided_at, branch.timezone))
        add(out, key, {"anuladas:n": 1, "anuladas:total": sale.monto_total})
    return out


def _closed_facts(out: Facts, sale: Sale, branch: Branch) -> None:
    assert sale.closed_at is not None
    moment = local_time(sale.closed_at, branch.timezone)
    day, total = moment.date().isoformat(), sale.monto_total
    totals: dict[str, Decimal | int] = {"n": 1, "total": total}
    for prefix, value in (("h", f"{moment.hour:02d}"), ("mesero", sale.usuario_id), ("tipo", sale.tipo)):
        totals[f"{prefix}:{value}:n"] = 1
        totals[f"{prefix}:{value}:total"] = total
    add(out, RollupKey(REPORT, sale.branch_id, day), totals)
    for payment in sale.pagos:
        add(out, RollupKey(REPORT, sale.branch_id, day), {f"metodo:{payment.metodo_pago}:n": 1,
                                                          f"metodo:{payment.metodo_pago}:total": payment.monto})
    dishes: dict[str, dict[str, Decimal]] = {}
    for item in sale.items:
        entry = f"plato:{item.plato_id}" if item.plato_id else f"producto:{item.producto_id}"
        counters = dishes.setdefault(entry, {f"{entry}:n": Decimal(1), f"{entry}:qty": ZERO, f"{entry}:total": ZERO})
        counters[f"{entry}:qty"] += item.cantidad
        counters[f"{entry}:total"] += item.subtotal
    entries = sorted(dishes)
    for index in range(0, len(entries), DISHES_PER_PART):
        key = RollupKey(REPORT, sale.branch_id, day, dishes_part(index // DISHES_PER_PART))
        for entry in entries[index : index + DISHES_PER_PART]:
            add(out, key, dishes[entry])


@dataclass(frozen=True)
class Line:
    """One line of a sales report: a day, an hour, a catalog entry, a method, a waiter or a tipo."""

    key: str  # "2026-03-18", "13", "plato:<id>" / "producto:<id>", "efectivo", a user id, a tipo
    count: int  # sales (payments, for a method; sales that had it, for a catalog entry)
    total: Decimal
    quantity: Decimal | None = None  # catalog entries: units sold
    voids: int | None = None  # days: sales voided that day
    voided_total: Decimal | None = None

    @property
    def average(self) -> Decimal:
        return to_money(self.total / self.count) if self.count else to_money(ZERO)


@dataclass(frozen=True)
class SalesReport:
    days: DayRange
    grouping: str
    count: int
    total: Decimal
    voids: int
    voided_total: Decimal
    lines: list[Line]

    @property
    def average(self) -> Decimal:
        return to_money(self.total / self.count) if self.count else to_money(ZERO)


def split_name(name: str) -> tuple[str, str, str] | None:
    """`tipo:para llevar:n` -> ("tipo", "para llevar", "n"); None for the day's own counters."""
    prefix, _, rest = name.partition(":")
    value, _, measure = rest.rpartition(":")
    return (prefix, value, measure) if rest and value else None


def _counter(counters: Mapping[str, Decimal], name: str) -> Decimal:
    return counters.get(name, ZERO)


def report(rows: Iterable[tuple[RollupKey, Counters]], days: DayRange, grouping: str) -> SalesReport:
    """The report over `days` from the rollup's rows (every part of every day), grouped by
    `grouping`: every day of the range (dia) or every hour (hora) with zeros where nothing sold;
    the other groupings list what sold, the highest total first."""
    if grouping not in GROUPINGS:
        raise InvalidInput([f"agrupar must be one of the following values: {', '.join(GROUPINGS)}"])
    per_day: dict[str, Counters] = {}
    for key, counters in rows:
        if not days.since.isoformat() <= key.day <= days.until.isoformat():
            continue
        bucket = per_day.setdefault(key.day, {})
        for name, value in counters.items():
            bucket[name] = bucket.get(name, ZERO) + value
    summed: Counters = {}
    for counters in per_day.values():
        for name, value in counters.items():
            summed[name] = summed.get(name, ZERO) + value
    lines = _lines(per_day, summed, days, grouping)
    return SalesReport(days, grouping, int(_counter(summed, "n")), to_money(_counter(summed, "total")),
                       int(_counter(summed, "anuladas:n")), to_money(_counter(summed, "anuladas:total")), lines)


def _lines(per_day: Mapping[str, Counters], summed: Counters, days: DayRange, grouping: str) -> list[Line]:
    if grouping == "dia":
        return [
            Line(day, int(_counter(c, "n")), to_money(_counter(c, "total")), voids=int(_counter(c, "anuladas:n")),
                 voided_total=to_money(_counter(c, "anuladas:total")))
            for day in days.days for c in [per_day.get(day, {})]
        ]
    groups: dict[str, dict[str, Decimal]] = {}
    for name, value in summed.items():
        parts = split_name(name)
        if parts is None or parts[0] not in PREFIXES[grouping]:
            continue
        prefix, value_key, measure = parts
        key = f"{prefix}:{value_key}" if grouping == "plato" else value_key
        group = groups.setdefault(key, {})
        group[measure] = group.get(measure, ZERO) + value
    if grouping == "hora":
        return [Line(f"{hour:02d}", int(g.get("n", ZERO)), to_money(g.get("total", ZERO)))
                for hour in range(24) for g in [groups.get(f"{hour:02d}", {})]]
    lines = [
        Line(key, int(g.get("n", ZERO)), to_money(g.get("total", ZERO)),
             quantity=g.get("qty", ZERO) if grouping == "plato" else None)
        for key, g in groups.items()
        if any(g.values())  # everything taken back (reopened, voided): not sold in the range
    ]
    return sorted(lines, key=lambda line: (-line.total, -line.count, line.key))
