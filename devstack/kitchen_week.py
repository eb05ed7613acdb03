"""A week of cooked sales, written straight through the sale store (so the table's stream holds
their history as the API would have left it): the speed report's tests and bench measure against it.

Each sale is taken (items fired, some mains held), then cooked at realistic, seeded times: held
courses fired later, items started and made ready; a few are recalled and made ready again, so
the rollup must take a "ready" back. Times are in UTC across the branch's local days."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.sales import ITEM_PREPARING, ITEM_READY, Sale

STATIONS = ("cocina", "parrilla", "bar")


@dataclass(frozen=True)
class Dish:
    plato_id: str
    station: str
    course: int


def dishes(plato_ids: list[str]) -> list[Dish]:
    return [Dish(p, STATIONS[n % len(STATIONS)], 2 if n % 4 == 3 else 1) for n, p in enumerate(plato_ids)]


def cook_seconds(rng: random.Random, station: str) -> int:
    base = {"bar": 120, "cocina": 600, "parrilla": 900}[station]
    return max(5, int(rng.lognormvariate(0, 0.6) * base))


def taken(rng: random.Random, tenant: str, branch: str, sale_id: int, at: datetime, menu: list[Dish]) -> Sale:
    sale = Sale.new(tenant_id=tenant, sale_id=sale_id, branch_id=branch, header={"nro_reg": sale_id, "concepto": "Mesa",
                    "mesa": str(rng.randint(1, 20))}, caja_id=None, user_id="1", user_name="Mesero", now=iso(at))
    for dish in rng.sample(menu, rng.randint(1, min(4, len(menu)))):
        sale.add_item(plato_id=dish.plato_id, product_id=None, name=dish.plato_id, unit_price=Decimal("20.00"),
                      quantity=Decimal(1), notes=None, station=dish.station, now=iso(at), course=dish.course)
    return sale


def cook(rng: random.Random, sale: Sale, at: datetime) -> Iterator[None]:
    """Cook the sale, yielding after each change that the kitchen would have saved on its own."""
    if sale.held_items:
        at += timedelta(seconds=rng.randint(300, 1500))
        sale.fire_course(2, iso(at))
        yield
    for item in sale.kitchen_items:
        fired = parse_iso(str(item.fired_at))
        sale.set_item_status(item.uuid, ITEM_PREPARING, iso(fired + timedelta(seconds=rng.randint(0, 60))))
        sale.set_item_status(item.uuid, ITEM_READY, iso(fired + timedelta(seconds=cook_seconds(rng, str(item.estacion)))))
    yield
    if rng.random() < 0.05:
        done = max(parse_iso(str(i.ready_at)) for i in sale.kitchen_items)
        sale.recall(iso(done + timedelta(seconds=30)), 86400)
        yield
        for item in sale.kitchen_items:
            if item.kitchen_status == ITEM_PREPARING:
                sale.set_item_status(item.uuid, ITEM_READY, iso(done + timedelta(seconds=rng.randint(60, 400))))
        yield


def write_week(save_new: Callable[[Sale], Sale], save: Callable[[Sale], None], tenant: str, branch: str, plato_ids: list[str],
               start: datetime, days: int, sales: int, seed: int = 22, first_id: int = 1) -> list[Sale]:
    """`sales` sales spread over `days` from `start`, each written as it was taken and then as it
    was cooked; returns their final states. `save_new` stores a new sale and returns it as stored."""
    rng = random.Random(seed)
    menu = dishes(plato_ids)
    out = []
    for n in range(sales):
        at = start + timedelta(seconds=rng.randint(0, days * 86400 - 7200))
        sale = save_new(taken(rng, tenant, branch, first_id + n, at, menu))
        for _ in cook(rng, sale, at):
            save(sale)
        out.append(sale)
    return out
