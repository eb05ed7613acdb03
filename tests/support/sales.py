"""Sale builders for tests that need a domain Sale without the API."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import replace
from decimal import Decimal
from typing import Any

from chalicelib.domain.sales import Sale

NOW = "2026-03-18T12:35:00.000Z"


def a_sale(sale_id: int = 7, tenant: str = "alpha", branch: str = "centro", created_at: str = NOW, **fields: Any) -> Sale:
    """A new table sale (Mesa 5) with no items; any other field may be given."""
    sale = Sale(tenant_id=tenant, id=sale_id, branch_id=branch, nro_reg=1, concepto="Pedido", mesa="Mesa 5", cliente=None,
                tipo="venta", caja_id=None, usuario_id="1", created_at=created_at, updated_at=created_at)
    return replace(sale, **fields)


def with_plato(sale: Sale, now: str = NOW) -> Sale:
    """A copy of `sale` with one Silpancho (25.00, station cocina) added."""
    changed = deepcopy(sale)
    changed.add_item(plato_id="plato_1", product_id=None, name="Silpancho", unit_price=Decimal("25"), quantity=Decimal("1"),
                     notes=None, station="cocina", now=now)
    return changed
