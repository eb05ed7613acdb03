"""The "ventas" report's facts (chalicelib/domain/sales_rollup.py): what one sale, as it stands,
contributes to its branch's daily rollup, and how the daily rows read back as a report."""

from __future__ import annotations

from copy import deepcopy
from datetime import date
from decimal import Decimal as D

import pytest

from chalicelib.domain import rollups, sales_rollup
from chalicelib.domain.rollups import RollupKey, day_range
from chalicelib.domain.sales import Sale
from chalicelib.domain.sales_rollup import DISHES_PER_PART, MAX_COUNTERS_PER_ROW, facts, report
from chalicelib.domain.tenancy import Branch
from chalicelib.errors import InvalidInput
from tests.support.sales import a_sale

LA_PAZ = Branch("alpha", "centro", "Centro", "America/La_Paz")  # UTC-4, no daylight saving
T0 = "2026-03-18T16:00:00.000Z"  # 12:00 in La Paz


def key(day: str = "2026-03-18", part: str = "") -> RollupKey:
    return RollupKey("ventas", "centro", day, part)


def closed(sale: Sale, at: str = T0, payments: tuple[tuple[str, str], ...] | None = None) -> Sale:
    """A copy of `sale`, its kitchen done and paid (by default all in cash) at `at`: closed."""
    out = deepcopy(sale)
    out.complete_kitchen(at)
    for n, (method, amount) in enumerate(payments or (("efectivo", str(out.monto_pendiente)),), start=1):
        out.add_payment(payment_id=n, payment_method=method, amount=D(amount), amount_received=None, qr_reference=None,
                        user_id="2", now=at)
    assert out.estado == "cerrado", out.estado
    return out


def with_lines(sale: Sale, *lines: tuple[str | None, str | None, str, str], at: str = T0) -> Sale:
    out = deepcopy(sale)
    for plato, producto, price, quantity in lines:
        out.add_item(plato_id=plato, product_id=producto, name="x", unit_price=D(price), quantity=D(quantity), notes=None,
                     station=None, now=at)
    return out


def a_meal(sale_id: int = 7, **fields: object) -> Sale:
    """Two Silpanchos (25.00) with a 3.00 extra each, and a Coca-Cola (10.00): 66.00."""
    sale = with_lines(a_sale(sale_id, **fields), ("plato_1", None, "25", "2"), (None, "producto_1", "10", "1"))
    sale.add_extra(1, ingredient_id=None, description="huevo", price=D("3"), quantity=D("1"), now=T0)
    return sale


def test_an_open_sale_contributes_nothing() -> None:
    assert facts(a_meal(), LA_PAZ) == {}


def test_a_closed_sale_counts_once_on_its_local_day_with_its_hour_waiter_tipo_methods_and_dishes() -> None:
    sale = closed(a_meal(usuario_id="5", tipo="para llevar"), payments=(("efectivo", "40.00"), ("qr", "26.00")))
    assert facts(sale, LA_PAZ) == {
        key(): {"n": D(1), "total": D("66.00"), "h:12:n": D(1), "h:12:total": D("66.00"), "mesero:5:n": D(1),
                "mesero:5:total": D("66.00"), "tipo:para llevar:n": D(1), "tipo:para llevar:total": D("66.00"),
                "metodo:efectivo:n": D(1), "metodo:efectivo:total": D("40.00"), "metodo:qr:n": D(1), "metodo:qr:total": D("26.00")},
        key(part="platos"): {"plato:plato_1:n": D(1), "plato:plato_1:qty": D(2), "plato:plato_1:total": D("56.00"),
                             "producto:producto_1:n": D(1), "producto:producto_1:qty": D(1), "producto:producto_1:total": D("10.00")},
    }


def test_the_same_plato_on_two_lines_is_one_sale_of_it_with_both_quantities() -> None:
    sale = closed(with_lines(a_sale(), ("plato_1", None, "25", "1"), ("plato_1", None, "25", "2")))
    assert facts(sale, LA_PAZ)[key(part="platos")] == {"plato:plato_1:n": D(1), "plato:plato_1:qty": D(3),
                                                        "plato:plato_1:total": D("75.00")}


def test_a_sale_closed_at_23_30_local_lands_on_the_local_day_though_utc_is_the_next_day() -> None:
    sale = closed(a_meal(), at="2026-03-19T03:30:00.000Z")  # 23:30 on the 18th in La Paz
    found = facts(sale, LA_PAZ)
    assert {k.day for k in found} == {"2026-03-18"}
    assert found[key()]["h:23:n"] == 1


def test_the_day_follows_the_branchs_own_time_zone() -> None:
    tokyo = Branch("alpha", "centro", "Centro", "Asia/Tokyo")  # UTC+9
    found = facts(closed(a_meal(), at="2026-03-18T16:00:00.000Z"), tokyo)
    assert {k.day for k in found} == {"2026-03-19"} and found[key("2026-03-19")]["h:01:n"] == 1


def test_a_voided_sale_that_was_never_closed_counts_as_a_void_with_its_amount() -> None:
    sale = a_meal()
    sale.void("2026-03-20T15:00:00.000Z")
    assert facts(sale, LA_PAZ) == {key("2026-03-20"): {"anuladas:n": D(1), "anuladas:total": D("66.00")}}


def test_voiding_a_closed_sale_takes_the_sale_back_from_its_close_day_and_adds_a_void_on_the_void_day() -> None:
    sale = closed(a_meal())
    voided = deepcopy(sale)
    voided.void("2026-03-20T15:00:00.000Z")
    moved = rollups.change([facts], sale, voided, LA_PAZ)
    assert moved[key()]["n"] == -1 and moved[key()]["total"] == D("-66.00")
    assert moved[key(part="platos")]["plato:plato_1:qty"] == -2
    assert moved[key("2026-03-20")] == {"anuladas:n": D(1), "anuladas:total": D("66.00")}
    # Over the sale's whole history, it is a void and nothing else.
    assert rollups.difference(rollups.merged([facts(sale, LA_PAZ), moved]), {}) == facts(voided, LA_PAZ)


def test_reopening_takes_the_close_back_and_closing_again_counts_it_once_on_the_new_close_day() -> None:
    first = closed(a_meal())
    reopened = deepcopy(first)
    reopened.reopen("2026-03-19T15:00:00.000Z")
    assert facts(reopened, LA_PAZ) == {}
    again = deepcopy(reopened)
    again.add_item(plato_id="plato_2", product_id=None, name="x", unit_price=D("8"), quantity=D("1"), notes=None, station=None,
                   now="2026-03-19T15:01:00.000Z")
    again = closed(again, at="2026-03-19T15:05:00.000Z")
    history = [rollups.change([facts], None, first, LA_PAZ), rollups.change([facts], first, reopened, LA_PAZ),
               rollups.change([facts], reopened, again, LA_PAZ)]
    total = rollups.difference(rollups.merged(history), {})
    assert total == facts(again, LA_PAZ)
    assert total[key("2026-03-19")]["n"] == 1 and key() not in total


def test_a_header_change_of_a_closed_sale_moves_its_tipo() -> None:
    sale = closed(a_meal())
    changed = deepcopy(sale)
    changed.update_header({"tipo": "delivery"}, "2026-03-18T17:00:00.000Z")
    assert rollups.change([facts], sale, changed, LA_PAZ) == {
        key(): {"tipo:venta:n": D(-1), "tipo:venta:total": D("-66.00"), "tipo:delivery:n": D(1), "tipo:delivery:total": D("66.00")}
    }


def test_a_sale_of_many_catalog_entries_splits_its_dishes_so_no_change_writes_more_counters_to_a_row_than_allowed() -> None:
    lines = [(f"plato_{n:03d}", None, "1", "1") for n in range(2 * DISHES_PER_PART + 5)]
    sale = closed(with_lines(a_sale(), *lines))
    found = facts(sale, LA_PAZ)
    assert sorted(k.part for k in found) == ["", "platos", "platos:2", "platos:3"]
    assert sum(len(c) for k, c in found.items() if k.part.startswith("platos")) == 3 * len(lines)
    # Adding one entry shifts every part's boundary: each row's difference still fits.
    bigger = deepcopy(sale)
    bigger.reopen(T0)
    bigger = closed(with_lines(bigger, ("plato_000a", None, "1", "1")))
    moved = rollups.change([facts], sale, bigger, LA_PAZ)
    assert max(len(c) for c in moved.values()) <= MAX_COUNTERS_PER_ROW
    assert all(len(c) <= MAX_COUNTERS_PER_ROW for c in found.values())


def test_the_row_limit_is_the_stores() -> None:
    from chalicelib.store import rollups as store

    assert MAX_COUNTERS_PER_ROW == store.MAX_COUNTERS_PER_ROW


def test_the_stream_feeds_the_ventas_report() -> None:
    from chalicelib.services.rollups import REPORTS

    assert sales_rollup.facts in REPORTS


# --- ranges ---------------------------------------------------------------------------------------


TODAY = date(2026, 3, 18)


def test_a_range_defaults_to_the_week_ending_today_and_includes_both_ends() -> None:
    assert day_range(None, None, TODAY).days == [f"2026-03-{d}" for d in range(12, 19)]
    assert day_range("2026-02-27", "2026-03-01", TODAY).days == ["2026-02-27", "2026-02-28", "2026-03-01"]


@pytest.mark.parametrize(("since", "until", "message"), [
    ("2026-3-1", None, "desde must be a date YYYY-MM-DD"),
    ("2026-02-30", None, "desde must be a valid date"),
    (None, "0001-01-01", "hasta must be a date between 1970 and 9998"),
    ("2026-03-19", "2026-03-18", "desde must not be after hasta"),
    ("2025-03-17", "2026-03-18", "the range desde..hasta must not exceed 366 days"),
])
def test_a_bad_date_or_range_is_refused_naming_the_parameter(since: str | None, until: str | None, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        day_range(since, until, TODAY)
    assert refused.value.message == [message]


def test_a_whole_leap_year_is_within_the_cap() -> None:
    assert len(day_range("2028-01-01", "2028-12-31", TODAY).days) == 366


# --- reading the rows back ----------------------------------------------------------------------


def rows_of(*sales: Sale) -> list[tuple[RollupKey, dict[str, D]]]:
    return list(rollups.merged(facts(s, LA_PAZ) for s in sales).items())


def test_a_report_by_day_lists_every_day_with_zeros_and_the_voids_and_derives_the_average_ticket() -> None:
    one, two = closed(a_meal(1)), closed(a_meal(2), payments=(("qr", "66.00"),))
    void = a_meal(3)
    void.void("2026-03-19T15:00:00.000Z")
    out = report(rows_of(one, two, void), day_range("2026-03-17", "2026-03-19", TODAY), "dia")
    assert [(line.key, line.count, line.total, line.voids, line.voided_total) for line in out.lines] == [
        ("2026-03-17", 0, D("0.00"), 0, D("0.00")), ("2026-03-18", 2, D("132.00"), 0, D("0.00")),
        ("2026-03-19", 0, D("0.00"), 1, D("66.00"))]
    assert (out.count, out.total, out.average, out.voids, out.voided_total) == (2, D("132.00"), D("66.00"), 1, D("66.00"))


def test_a_report_by_hour_has_the_24_hours_of_the_local_day() -> None:
    out = report(rows_of(closed(a_meal(1)), closed(a_meal(2), at="2026-03-19T03:30:00.000Z")),
                 day_range("2026-03-18", "2026-03-18", TODAY), "hora")
    assert [line.key for line in out.lines] == [f"{h:02d}" for h in range(24)]
    assert {line.key: line.count for line in out.lines if line.count} == {"12": 1, "23": 1}


def test_a_report_by_dish_lists_quantities_and_amounts_the_highest_total_first() -> None:
    out = report(rows_of(closed(a_meal(1)), closed(a_meal(2))), day_range("2026-03-18", "2026-03-18", TODAY), "plato")
    assert [(line.key, line.count, line.quantity, line.total) for line in out.lines] == [
        ("plato:plato_1", 2, D(4), D("112.00")), ("producto:producto_1", 2, D(2), D("20.00"))]


def test_a_report_by_method_counts_payments_and_by_tipo_counts_sales() -> None:
    days = day_range("2026-03-18", "2026-03-18", TODAY)
    rows = rows_of(closed(a_meal(1), payments=(("efectivo", "60.00"), ("qr", "6.00"))), closed(a_meal(2, tipo="delivery")))
    assert [(line.key, line.count, line.total) for line in report(rows, days, "metodo").lines] == [
        ("efectivo", 2, D("126.00")), ("qr", 1, D("6.00"))]
    assert [(line.key, line.count, line.average) for line in report(rows, days, "tipo").lines] == [
        ("delivery", 1, D("66.00")), ("venta", 1, D("66.00"))]


def test_rows_outside_the_range_are_left_out() -> None:
    out = report(rows_of(closed(a_meal(1)), closed(a_meal(2), at="2026-03-20T15:00:00.000Z")),
                 day_range("2026-03-18", "2026-03-19", TODAY), "mesero")
    assert [(line.key, line.count) for line in out.lines] == [("1", 1)]
