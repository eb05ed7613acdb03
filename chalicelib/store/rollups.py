"""Rollups (table `reports`): one row per (branch, report, local day[, part]) of numeric counters,
moved by atomic ADDs; and one marker row per applied stream event, so that a replayed record
moves nothing. Counters are plain top-level attributes, so a row is read whole by its key.

- rollup row: pk `<tenant>#ROLLUP#<branch>#<report>`, sk `<day>` or `<day>#<part>`
- applied event: pk `<tenant>#EVENT#<event id>`, sk `EVENT`, `ttl` (a week: longer than any
  stream or dead-letter retention)."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain.rollups import Counters, Facts, RollupKey
from chalicelib.errors import InvalidInput
from chalicelib.settings import Settings
from chalicelib.store.base import connection

EVENT_MARKER_SECONDS = 7 * 24 * 3600
KEY_ATTRIBUTES = ("pk", "sk", "ttl")
MAX_COUNTERS_PER_ROW = 200  # an UpdateExpression is at most 4 KB


def rollup_pk(tenant_id: str, branch_id: str, report: str) -> str:
    return f"{tenant_id}#ROLLUP#{branch_id}#{report}"


def event_pk(tenant_id: str, event_id: str) -> str:
    return f"{tenant_id}#EVENT#{event_id}"


class RollupRepository:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.table = settings.table_name("reports")

    @property
    def client(self) -> Any:
        return connection(self.settings).client

    def apply_once(self, tenant_id: str, event_id: str, delta: Facts) -> bool:
        """Add `delta` in one transaction with the event's marker; False (and nothing written)
        when the event was applied before."""
        actions: list[dict[str, Any]] = [{"Put": {
            "TableName": self.table,
            "Item": {"pk": {"S": event_pk(tenant_id, event_id)}, "sk": {"S": "EVENT"},
                     "ttl": {"N": str(int(time.time()) + EVENT_MARKER_SECONDS)}},
            "ConditionExpression": "attribute_not_exists(pk)",
        }}]
        actions += [self._add_action(tenant_id, key, counters) for key, counters in sorted(delta.items())]
        try:
            self.client.transact_write_items(TransactItems=actions)
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False
            raise
        return True

    def _add_action(self, tenant_id: str, key: RollupKey, counters: Counters) -> dict[str, Any]:
        if len(counters) > MAX_COUNTERS_PER_ROW:
            raise InvalidInput(f"Demasiados contadores para un día de informe ({len(counters)})")
        names = sorted(counters)
        if any(name in KEY_ATTRIBUTES for name in names):
            raise ValueError(f"a counter may not be named like a key: {names}")
        return {"Update": {
            "TableName": self.table,
            "Key": {"pk": {"S": rollup_pk(tenant_id, key.branch_id, key.report)}, "sk": {"S": key.sort_key}},
            "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(names))),
            "ExpressionAttributeNames": {f"#c{i}": name for i, name in enumerate(names)},
            "ExpressionAttributeValues": {f":c{i}": {"N": str(counters[name])} for i, name in enumerate(names)},
        }}

    def days(self, tenant_id: str, branch_id: str, report: str, since: str, until: str) -> dict[RollupKey, Counters]:
        """The report's rows from day `since` to day `until` (inclusive): one Query."""
        rows: dict[RollupKey, Counters] = {}
        pages = self.client.get_paginator("query").paginate(
            TableName=self.table, ConsistentRead=True,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :since AND :until",
            ExpressionAttributeValues={":pk": {"S": rollup_pk(tenant_id, branch_id, report)},
                                       ":since": {"S": since}, ":until": {"S": until + "#\uffff"}},
        )
        for page in pages:
            for item in page.get("Items", []):
                day, _, part = item["sk"]["S"].partition("#")
                rows[RollupKey(report, branch_id, day, part)] = {
                    name: Decimal(value["N"]) for name, value in item.items() if name not in KEY_ATTRIBUTES and "N" in value
                }
        return rows

    def forget_day(self, tenant_id: str, branch_id: str, report: str, day: str) -> int:
        """Delete a day's rows (a rebuild starts from nothing); how many there were."""
        keys = [key for key in self.days(tenant_id, branch_id, report, day, day)]
        for key in keys:
            self.client.delete_item(TableName=self.table, Key={
                "pk": {"S": rollup_pk(tenant_id, branch_id, report)}, "sk": {"S": key.sort_key}})
        return len(keys)
