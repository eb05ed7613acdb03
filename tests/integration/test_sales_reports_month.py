"""The owner's sales report over a seeded month (acceptance of issue 24): 3,000+ sales in two
branches in two time zones, with split payments, voids (of open and of closed sales), reopenings
and re-closings, some across a local midnight, written through the sale repository and streamed
from the transactions table into the fan-out. Every report of both branches equals a brute-force
computation over the same sales, to the cent. One test, so one test worker builds the month."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from chalice.test import Client

from app import app
from chalicelib.container import get_services
from tests.integration.test_sales_reports import GROUPINGS, MONTH, SALES, ZONES, Month, expected, local, money, reported, seed
from tests.support.api import provision_world
from tests.support.aws import clean_tables
from tests.support.conformance import ConformingApi


@pytest.fixture(scope="module")
def month(aws_session: None) -> Iterator[Month]:
    """The seeded month: one test uses it, so that one test worker builds it."""
    clean_tables()
    try:
        with Client(app) as client:
            api = ConformingApi(client)
            yield seed(api, provision_world(api, "alpha", ["centro", "norte"]), SALES, MONTH)
    finally:
        clean_tables()


def test_over_a_seeded_month_every_report_of_both_branches_equals_a_brute_force_computation_to_the_cent(month: Month) -> None:
    # The month has every kind of history.
    assert len(month.sales) >= 3000 and {s.branch_id for s in month.sales} == {"centro", "norte"}
    assert {"cerrado", "anulado", "abierto"} <= {s.estado for s in month.sales}
    assert any(len({p.metodo_pago for p in s.pagos}) == 2 for s in month.sales if s.estado == "cerrado")  # split payments
    assert any(s.estado == "anulado" and s.closed_at for s in month.sales)  # closed, then voided
    assert any(s.estado == "anulado" and not s.closed_at for s in month.sales)  # voided while open
    assert len(month.records) > 2 * len(month.sales)  # reopenings and re-closings are stored changes too
    for branch in ZONES:
        for grouping in GROUPINGS:
            body = month.report(branch, "2026-03-01", "2026-03-31", grouping)
            assert reported(body) == expected(month.sales, branch, "2026-03-01", "2026-03-31", grouping), (branch, grouping)
            closed = [s for s in month.sales if s.branch_id == branch and s.estado == "cerrado"
                      and local(s.closed_at or "", branch).date().month == 3]
            total = sum((s.monto_total for s in closed), Decimal(0))
            assert (body["ventas"], body["total"], body["ticket_promedio"]) == (len(closed), money(total), money(total / len(closed)))
            assert (body["sucursal_id"], body["zona_horaria"]) == (branch, ZONES[branch])
        for grouping in ("dia", "plato", "mesero"):  # a part of the month counts only its own days
            body = month.report(branch, "2026-03-10", "2026-03-16", grouping)
            assert reported(body) == expected(month.sales, branch, "2026-03-10", "2026-03-16", grouping), (branch, grouping)
    # The report read days, not sales: part "" and one "platos" part per day at most.
    rows = get_services().rollup_repo.days("alpha", "centro", "ventas", "2026-03-01", "2026-03-31")
    assert len(rows) <= 31 * 2
