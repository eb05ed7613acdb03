"""Speed of service: what a sale contributes to the kitchen rollup (report "cocina"), and the
report read back from it.

Per branch, local day and station: items that became ready, a fixed-bucket histogram of their
fired→ready seconds, how many took longer than the branch's late minutes, and per plato the
count and seconds (the slowest dishes). A *ticket* is a sale's work at one station: done when
every kitchen item of the sale at that station is ready; its time runs from the first firing to
the last ready. Items ready before courses existed count from when they were added (the store
reads their fired_at so)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from chalicelib.domain.rollups import (
    BUCKET_BOUNDS,
    Counters,
    Facts,
    RollupKey,
    add,
    bucket_of,
    local_day,
    percentile,
    seconds_between,
)
from chalicelib.domain.sales import Item, Sale
from chalicelib.domain.tenancy import Branch

REPORT = "cocina"
SLOWEST_SHOWN = 3


def _timed(item: Item) -> bool:
    return item.fired_at is not None and item.ready_at is not None


def facts(sale: Sale, branch: Branch) -> Facts:
    out: Facts = {}
    late = branch.late_minutes * 60
    stations: dict[str, list[Item]] = {}
    for item in sale.kitchen_items:
        stations.setdefault(item.estacion or "cocina", []).append(item)
    for station, items in stations.items():
        for item in filter(_timed, items):
            assert item.fired_at is not None and item.ready_at is not None
            seconds = seconds_between(item.fired_at, item.ready_at)
            counters: dict[str, Decimal | int] = {"items": 1, f"h{bucket_of(seconds)}": 1, "seconds": seconds,
                                                  f"plato:{item.plato_id}:n": 1, f"plato:{item.plato_id}:s": seconds}
            if seconds > late:
                counters["late"] = 1
            add(out, RollupKey(REPORT, sale.branch_id, local_day(item.ready_at, branch.timezone), station), counters)
        if items and all(_timed(i) for i in items):
            first = min(i.fired_at for i in items if i.fired_at)
            last = max(i.ready_at for i in items if i.ready_at)
            seconds = seconds_between(first, last)
            ticket: dict[str, Decimal | int] = {"tickets": 1, f"t{bucket_of(seconds)}": 1, "ticket_seconds": seconds}
            if seconds > late:
                ticket["tickets_late"] = 1
            add(out, RollupKey(REPORT, sale.branch_id, local_day(last, branch.timezone), station), ticket)
    return out


@dataclass(frozen=True)
class SlowDish:
    plato_id: str
    items: int
    average_seconds: int


@dataclass(frozen=True)
class StationDay:
    day: str
    station: str
    tickets: int
    items: int
    p50_seconds: int | None
    p90_seconds: int | None
    ticket_p50_seconds: int | None
    ticket_p90_seconds: int | None
    late_items: int
    late_tickets: int
    average_seconds: int | None
    slowest: list[SlowDish]


def _histogram(counters: Counters, prefix: str) -> dict[int, int]:
    return {b: int(counters.get(f"{prefix}{b}", 0)) for b in range(len(BUCKET_BOUNDS) + 1) if counters.get(f"{prefix}{b}")}


def _slowest(counters: Counters) -> list[SlowDish]:
    dishes = []
    for name, count in counters.items():
        if name.startswith("plato:") and name.endswith(":n") and count > 0:
            plato_id = name[len("plato:"):-len(":n")]
            total = counters.get(f"plato:{plato_id}:s", Decimal(0))
            dishes.append(SlowDish(plato_id, int(count), int(total / count)))
    return sorted(dishes, key=lambda d: (-d.average_seconds, d.plato_id))[:SLOWEST_SHOWN]


def station_day(key: RollupKey, counters: Counters) -> StationDay:
    items = int(counters.get("items", 0))
    return StationDay(
        day=key.day, station=key.part, tickets=int(counters.get("tickets", 0)), items=items,
        p50_seconds=percentile(_histogram(counters, "h"), 0.5), p90_seconds=percentile(_histogram(counters, "h"), 0.9),
        ticket_p50_seconds=percentile(_histogram(counters, "t"), 0.5),
        ticket_p90_seconds=percentile(_histogram(counters, "t"), 0.9),
        late_items=int(counters.get("late", 0)), late_tickets=int(counters.get("tickets_late", 0)),
        average_seconds=int(counters.get("seconds", 0) / items) if items else None, slowest=_slowest(counters),
    )


def report(rows: Mapping[RollupKey, Counters], station: str | None = None) -> list[StationDay]:
    """Each (day, station) with work, in order; only `station`'s when given."""
    days = (station_day(k, c) for k, c in sorted(rows.items()) if station is None or k.part == station)
    return [d for d in days if d.items or d.tickets]


@dataclass(frozen=True)
class KitchenSpeed:
    """The report as the route answers it: a branch's station-days over a range of local days."""

    branch: Branch
    since: str
    until: str
    days: list[StationDay]
    plato_names: dict[str, str]
