"""Courses, rush and the kitchen rollup's facts, as pure domain rules."""

from __future__ import annotations

from copy import deepcopy
from datetime import date
from decimal import Decimal as D

import pytest

from chalicelib.domain import kitchen_pace
from chalicelib.domain.rollups import (
    RollupKey,
    bucket_of,
    bucket_range,
    change,
    day_range,
    difference,
    local_day,
    percentile,
)
from chalicelib.domain.sales import Sale
from chalicelib.domain.sales.pacing import rush_first
from chalicelib.domain.sales.stock import below_zero
from chalicelib.domain.tenancy import Branch
from chalicelib.errors import Conflict, InvalidInput
from tests.support.sales import a_sale

T0 = "2026-03-18T12:00:00.000Z"
BRANCH = Branch("alpha", "centro", "Centro", "America/La_Paz", late_minutes=10)


def at(minutes: int, seconds: int = 0) -> str:
    return f"2026-03-18T12:{minutes:02d}:{seconds:02d}.000Z"


def dish(sale: Sale, name: str, course: int, station: str = "cocina", now: str = T0) -> str:
    return sale.add_item(plato_id=f"plato_{name}", product_id=None, name=name, unit_price=D("10"), quantity=D(1), notes=None,
                         station=station, now=now, course=course).uuid


# --- courses ------------------------------------------------------------------------------------


def test_course_zero_and_courses_up_to_the_fired_one_fire_when_added_and_later_ones_are_held() -> None:
    sale = a_sale()
    drink, starter, main = dish(sale, "limonada", 0), dish(sale, "sopa", 1), dish(sale, "pique", 2)
    assert [(sale.item_by_uuid(u).held, sale.item_by_uuid(u).fired_at) for u in (drink, starter, main)] == [
        (False, T0), (False, T0), (True, None)]
    assert [i.nombre for i in sale.held_items] == ["pique"] and sale.kds_status == "pending"


def test_firing_a_course_fires_every_held_item_up_to_it_and_only_once() -> None:
    sale = a_sale()
    main, dessert = dish(sale, "pique", 2), dish(sale, "helado", 3)
    fired = sale.fire_course(3, at(20))
    assert {i.uuid for i in fired} == {main, dessert} and all(i.fired_at == at(20) for i in fired)
    assert sale.pacing.fired_course == 3
    with pytest.raises(Conflict, match="ya fue marchado"):
        sale.fire_course(3, at(21))
    with pytest.raises(Conflict, match="no tiene items retenidos"):
        sale.fire_course(4, at(21))


def test_a_held_item_cannot_start_and_a_bump_leaves_it_held() -> None:
    sale = a_sale()
    starter, main = dish(sale, "sopa", 1), dish(sale, "pique", 2)
    with pytest.raises(Conflict, match="retenido"):
        sale.set_item_status(main, "preparing", at(5))
    sale.complete_kitchen(at(6))
    assert sale.item_by_uuid(starter).kitchen_status == "ready" and sale.item_by_uuid(main).held
    assert sale.estado_cocina == "pendiente"


def test_the_delay_between_courses_makes_the_next_course_due_from_the_last_firing() -> None:
    sale = a_sale(created_at=T0)
    sale.pacing.course_minutes, sale.pacing.course_fired_at = 15, T0
    dish(sale, "pique", 2)
    dish(sale, "helado", 3)
    assert sale.pacing.due_at(sale.held_items) == "2026-03-18T12:15:00.000Z"
    assert sale.fire_due_course(at(14)) == []
    assert [i.nombre for i in sale.fire_due_course(at(15))] == ["pique"]
    assert sale.pacing.due_at(sale.held_items) == "2026-03-18T12:30:00.000Z"


def test_rush_orders_come_first_and_keep_their_order_among_themselves() -> None:
    a, b, c = a_sale(1), a_sale(2), a_sale(3)
    c.set_rush(True, T0)
    a.set_rush(True, T0)
    assert [s.id for s in rush_first([a, b, c])] == [1, 3, 2]


def test_item_times_record_each_step_and_a_recall_forgets_the_later_ones() -> None:
    sale = a_sale()
    soup = dish(sale, "sopa", 1)
    sale.set_item_status(soup, "preparing", at(2))
    sale.set_item_status(soup, "ready", at(9))
    item = sale.item_by_uuid(soup)
    assert (item.fired_at, item.started_at, item.ready_at) == (T0, at(2), at(9))
    sale.recall(at(10), 600)
    assert (item.kitchen_status, item.started_at, item.ready_at) == ("preparing", at(2), None)


def test_an_ingredient_is_taken_below_zero_only_from_zero_or_more() -> None:
    assert below_zero({"carne": D("0.5"), "arroz": D("-1"), "limon": D("3")},
                      {"carne": D("0.75"), "arroz": D("1"), "limon": D("3"), "nuevo": D("1")}) == {
        "carne": True, "arroz": False, "limon": False}


# --- the kitchen rollup's facts -----------------------------------------------------------------


def cooked(ready_after: dict[str, tuple[str, int]]) -> Sale:
    """A sale with one item per name at its station, made ready `seconds` after firing at T0."""
    sale = a_sale()
    for name, (station, seconds) in ready_after.items():
        uuid = dish(sale, name, 1, station)
        sale.set_item_status(uuid, "preparing", T0)
        sale.set_item_status(uuid, "ready", at(seconds // 60, seconds % 60))
    return sale


def test_a_ready_item_counts_on_its_stations_local_day_with_its_bucket_and_lateness() -> None:
    sale = cooked({"sopa": ("cocina", 300), "pique": ("cocina", 720), "limonada": ("bar", 45)})
    facts = kitchen_pace.facts(sale, BRANCH)
    kitchen = facts[RollupKey("cocina", "centro", "2026-03-18", "cocina")]
    assert kitchen["items"] == 2 and kitchen["late"] == 1 and kitchen["seconds"] == 1020
    assert kitchen[f"h{bucket_of(300)}"] == 1 and kitchen[f"h{bucket_of(720)}"] == 1
    assert kitchen["tickets"] == 1 and kitchen["ticket_seconds"] == 720 and kitchen["tickets_late"] == 1
    assert kitchen["plato:plato_pique:s"] == 720
    assert facts[RollupKey("cocina", "centro", "2026-03-18", "bar")]["items"] == 1


def test_a_station_whose_items_are_not_all_ready_has_no_ticket_yet() -> None:
    sale = cooked({"sopa": ("cocina", 300)})
    dish(sale, "pique", 1)
    assert "tickets" not in kitchen_pace.facts(sale, BRANCH)[RollupKey("cocina", "centro", "2026-03-18", "cocina")]


def test_a_recall_takes_the_ready_item_back_out_of_the_rollup() -> None:
    before = cooked({"sopa": ("cocina", 300)})
    after = deepcopy(before)
    after.recall(at(6), 600)
    delta = change([kitchen_pace.facts], before, after, BRANCH)
    assert delta[RollupKey("cocina", "centro", "2026-03-18", "cocina")]["items"] == -1


def test_a_change_that_moves_no_fact_is_no_delta() -> None:
    sale = cooked({"sopa": ("cocina", 300)})
    renamed = deepcopy(sale)
    renamed.update_header({"concepto": "Otra"}, at(10))
    assert change([kitchen_pace.facts], sale, renamed, BRANCH) == {}
    assert difference({}, {}) == {}


def test_the_local_day_is_the_branchs_not_utcs() -> None:
    assert local_day("2026-03-19T03:30:00.000Z", "America/La_Paz") == "2026-03-18"


# --- histograms and ranges ----------------------------------------------------------------------


def test_percentiles_come_from_bucket_upper_bounds_by_nearest_rank() -> None:
    histogram = {bucket_of(50): 5, bucket_of(200): 4, bucket_of(5000): 1}
    assert percentile(histogram, 0.5) == bucket_range(bucket_of(50))[1] == 60
    assert percentile(histogram, 0.9) == 240
    assert percentile({bucket_of(5000): 1}, 0.5) == 3600, "the open bucket answers its lower bound"
    assert percentile({}, 0.5) is None


def test_the_kitchen_reports_range_defaults_to_today_and_refuses_reversed_long_or_bad_dates() -> None:
    today = date(2026, 12, 5)

    def days(since: str | None, until: str | None) -> tuple[str, str]:
        covered = day_range(since, until, today, default_days=1)
        return covered.since.isoformat(), covered.until.isoformat()

    assert days(None, None) == ("2026-12-05", "2026-12-05")
    assert days("2026-12-01", None) == ("2026-12-01", "2026-12-05")
    assert days(None, "2026-11-30") == ("2026-11-30", "2026-11-30")
    for since, until, words in (("2026-12-05", "2026-12-01", "after"), ("2025-01-01", "2026-12-05", "366"),
                                ("2026-02-30", None, "desde"), ("20261201", None, "desde")):
        with pytest.raises(InvalidInput, match=words):
            day_range(since, until, today)
