"""Tally.of: what payments move in their cajas, the one constructor of every caja tally."""

from __future__ import annotations

from decimal import Decimal as D

from chalicelib.domain.sales import Pago
from chalicelib.services.sales import Tally

NOW = "2026-03-18T12:35:00.000Z"


def a_payment(payment_id: int, method: str, amount: str, caja_id: int | None) -> Pago:
    return Pago(payment_id, method, D(amount), None, D("0.00"), None, caja_id, "1", NOW)


def test_each_payment_is_tallied_in_its_own_caja_under_its_method() -> None:
    payments = [a_payment(1, "efectivo", "10.00", 3), a_payment(2, "qr", "5.50", 4)]
    assert Tally.of(payments) == [Tally(3, "efectivo", D("10.00")), Tally(4, "qr", D("5.50"))]


def test_taken_back_with_sign_minus_one_the_amounts_are_negative() -> None:
    assert Tally.of([a_payment(1, "qr", "5.50", 4)], sign=-1) == [Tally(4, "qr", D("-5.50"))]


def test_a_payment_with_no_caja_or_no_payment_at_all_moves_nothing() -> None:
    assert Tally.of([a_payment(1, "efectivo", "10.00", None), None]) == []
