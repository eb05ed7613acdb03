"""The cash shift's arithmetic: counting, the summary, arqueo and closing."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from chalicelib.domain.caja import DENOMINATION_NAMES, Caja, Gasto, count_total, counts_of, difference_status
from chalicelib.errors import InvalidInput

NOW = "2026-03-18T12:35:00.000Z"
LATER = "2026-03-18T22:00:00.000Z"


def _open(**counts: int) -> Caja:
    return Caja.open("alpha", 1, "centro", counts, "7", NOW)


def test_there_are_eleven_denominations_in_the_original_order() -> None:
    assert DENOMINATION_NAMES == ("b200", "b100", "b50", "b20", "b10", "b5", "m2", "m1", "m050", "m020", "m010")


def test_counting_the_seed_example_gives_its_exact_total() -> None:
    counts = {"b200": 2, "b100": 3, "b50": 4, "b20": 5, "b10": 10, "b5": 10, "m2": 20, "m1": 20}
    # 400 + 300 + 200 + 100 + 100 + 50 + 40 + 20
    assert count_total(counts) == Decimal("1210.00")


def test_fractional_coins_are_counted_exactly_without_floats() -> None:
    assert count_total({"m050": 3, "m020": 3, "m010": 3}) == Decimal("2.40")
    assert count_total({"m010": 1}) == Decimal("0.10")
    assert count_total({"m020": 7, "m010": 1}) == Decimal("1.50")
    assert str(count_total({"m050": 1, "b5": 1})) == "5.50"


def test_missing_counts_default_to_zero_and_negative_ones_are_rejected_by_name() -> None:
    assert counts_of({"b200": 1}) == {name: (1 if name == "b200" else 0) for name in DENOMINATION_NAMES}
    with pytest.raises(InvalidInput) as raised:
        counts_of({"m020": -1, "b5": 1.5})
    assert "m020 must not be less than 0" in raised.value.message
    assert "b5 must be an integer number" in raised.value.message


def test_opening_records_the_counts_and_the_initial_amount() -> None:
    caja = _open(b100=1, m050=1)
    assert caja.is_open and not caja.cerrada
    assert caja.monto_inicial == Decimal("100.50")
    assert caja.counts_apertura["b100"] == 1 and caja.counts_apertura["m010"] == 0


def test_the_summary_expects_opening_plus_cash_sales_minus_cash_expenses() -> None:
    caja = replace(
        _open(b100=5),
        ventas_efectivo=Decimal("230.50"),
        ventas_qr=Decimal("120.00"),
        gastos_efectivo=Decimal("40.25"),
        gastos_qr=Decimal("20.00"),
    )
    summary = caja.summary()
    assert summary.efectivo_esperado == Decimal("690.25")  # 500 + 230.50 - 40.25
    assert summary.total_qr == Decimal("100.00")
    assert summary.total_ventas == Decimal("350.50")
    assert summary.total_gastos == Decimal("60.25")


def test_card_sales_and_expenses_count_in_the_totals_but_never_in_the_expected_cash() -> None:
    caja = replace(_open(b100=1), ventas_efectivo=Decimal("10.00"), ventas_tarjeta=Decimal("45.00"), gastos_tarjeta=Decimal("5.00"))
    summary = caja.summary()
    assert summary.efectivo_esperado == Decimal("110.00")
    assert summary.total_tarjeta == Decimal("40.00") and summary.total_qr == Decimal("0.00")
    assert (summary.total_ventas, summary.total_gastos) == (Decimal("55.00"), Decimal("5.00"))
    assert caja.close({"b100": 1, "b10": 1}, None, "1", "2026-03-18T12:00:00Z").estado_diferencia == "exacto"


def test_estado_diferencia_is_exacto_sobrante_or_faltante_by_sign() -> None:
    assert difference_status(Decimal("0.00")) == "exacto"
    assert difference_status(Decimal("0.10")) == "sobrante"
    assert difference_status(Decimal("-0.10")) == "faltante"


def test_closing_with_the_expected_cash_is_exacto() -> None:
    caja = replace(_open(b100=1), ventas_efectivo=Decimal("50.00"))
    closed = caja.close({"b100": 1, "b50": 1}, None, "8", LATER)
    assert closed.cerrada and closed.estado == "cerrada"
    assert closed.monto_final == Decimal("150.00")
    assert closed.efectivo_esperado == Decimal("150.00")
    assert closed.diferencia == Decimal("0.00")
    assert closed.estado_diferencia == "exacto"
    assert closed.closed_by == "8" and closed.closed_at == LATER


def test_closing_with_more_cash_than_expected_is_sobrante_by_the_excess() -> None:
    closed = _open(b100=1).close({"b100": 1, "m050": 1, "m020": 1}, "propina", "8", LATER)
    assert closed.diferencia == Decimal("0.70")
    assert closed.estado_diferencia == "sobrante"
    assert closed.cierre_obs == "propina"


def test_closing_with_less_cash_than_expected_is_faltante_with_a_negative_difference() -> None:
    caja = replace(_open(b100=1), gastos_efectivo=Decimal("10.00"))  # expected 90.00
    closed = caja.close({"b50": 1, "b20": 1, "b10": 1, "b5": 1, "m2": 2, "m010": 9}, None, "8", LATER)
    assert closed.monto_final == Decimal("89.90")
    assert closed.diferencia == Decimal("-0.10")
    assert closed.estado_diferencia == "faltante"


def test_a_closed_caja_cannot_be_closed_counted_or_charged_again() -> None:
    closed = _open(b100=1).close({"b100": 1}, None, "8", LATER)
    with pytest.raises(InvalidInput):
        closed.close({"b100": 1}, None, "8", LATER)
    with pytest.raises(InvalidInput):
        closed.arqueo({"b100": 1}, None, "8", LATER)
    with pytest.raises(InvalidInput):
        Gasto.create("alpha", 1, closed, "hielo", "efectivo", Decimal("5"), "8", LATER)


def test_an_arqueo_records_the_count_against_the_expected_cash_without_closing() -> None:
    caja = replace(_open(b100=2), ventas_efectivo=Decimal("35.00"))
    after, arqueo = caja.arqueo({"b200": 1, "b20": 1, "b10": 1}, "medio turno", "8", LATER)
    assert after.is_open
    assert arqueo.total == Decimal("230.00")
    assert arqueo.esperado == Decimal("235.00")
    assert arqueo.diferencia == Decimal("-5.00")
    assert arqueo.estado_diferencia == "faltante"
    assert after.arqueos == (arqueo,)
    assert caja.arqueos == ()  # pure: the original is unchanged


def test_a_gasto_needs_a_positive_amount_and_a_known_method() -> None:
    caja = _open(b100=1)
    gasto = Gasto.create("alpha", 3, caja, "hielo", "qr", Decimal("12.5"), "8", NOW)
    assert gasto.monto == Decimal("12.50") and gasto.caja_id == 1
    with pytest.raises(InvalidInput):
        Gasto.create("alpha", 3, caja, "hielo", "cheque", Decimal("1"), "8", NOW)
    with pytest.raises(InvalidInput):
        Gasto.create("alpha", 3, caja, "hielo", "efectivo", Decimal("0"), "8", NOW)
