"""Reads that one request needs together, across tables, in one BatchGetItem: the sale and the
catalog entries a change charges from (adding an item reads its plato or producto; adding an
extra checks its ingrediente). Consistent reads, like the single-item reads they replace."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain.catalog import CatalogKey
from chalicelib.domain.sales import Sale
from chalicelib.settings import Settings
from chalicelib.store.base import connection
from chalicelib.store.catalog import CatalogRepository, entry_from_raw, key_of
from chalicelib.store.sales import SaleRepository, to_domain, tx_sk

MAX_ROUNDS = 8  # UnprocessedKeys (throttling) are re-asked with a growing pause, then it gives up


class SaleReadRepository:
    """DynamoDB implementation of chalicelib.services.ports.SaleReads."""

    def __init__(self, settings: Settings, sales: SaleRepository, catalog: CatalogRepository) -> None:
        self._settings = settings
        self._sales = sales
        self._sale_table = sales.SaleRecord.Meta.table_name
        self._catalog_table = catalog.PlatoRecord.Meta.table_name

    def sale_and_catalog(self, tenant_id: str, tx_id: int, keys: Sequence[CatalogKey]) -> tuple[Sale | None, dict[CatalogKey, Any]]:
        wanted = list(dict.fromkeys(keys))
        request: dict[str, Any] = {
            self._sale_table: {"Keys": [{"pk": {"S": tenant_id}, "sk": {"S": tx_sk(tx_id)}}], "ConsistentRead": True},
        }
        if wanted:
            request[self._catalog_table] = {"Keys": [key_of(tenant_id, k) for k in wanted], "ConsistentRead": True}
        found: dict[str, list[dict[str, Any]]] = {self._sale_table: [], self._catalog_table: []}
        client = connection(self._settings).client
        for round_no in range(MAX_ROUNDS):
            page = client.batch_get_item(RequestItems=request)
            for table, items in (page.get("Responses") or {}).items():
                found.setdefault(table, []).extend(items)
            request = page.get("UnprocessedKeys") or {}
            if not request:
                break
            time.sleep(min(0.05 * 2**round_no, 1.0))
        else:
            # DynamoDB kept the keys unprocessed: throttled, like a single read botocore gave up on
            # (the HTTP edge answers 503 with Retry-After; the service does not retry it again).
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "BatchGetItem keys left "
                               f"unprocessed after {MAX_ROUNDS} rounds"}}, "BatchGetItem")
        sales = found[self._sale_table]
        sale = to_domain(self._sales.SaleRecord.from_raw_data(sales[0])) if sales else None
        entries: dict[CatalogKey, Any] = {}
        for item in found[self._catalog_table]:
            decoded = entry_from_raw(item)
            if decoded is not None and decoded[0] in wanted:
                entries[decoded[0]] = decoded[1]
        return sale, entries
