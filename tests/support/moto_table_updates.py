"""A stand-in for CloudFormation's update of an `AWS::DynamoDB::Table`, which moto does not
implement (its stack update leaves the table's resource empty, and the stack's outputs fail).

It applies what ops/table_upgrades.py relies on, with DynamoDB's rules: a table update creates
or deletes at most one global secondary index, and is refused while an index of the table is not
ACTIVE; a new index starts CREATING and becomes ACTIVE after a few DescribeTable calls (moto
queries an index over the table's items, so it is backfilled at once). Every table update is
recorded. Nothing else of the table changes but its attribute definitions and deletion protection."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from moto.cloudformation.exceptions import ValidationError
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table

MORE_THAN_ONE = "Cannot perform more than one GSI creation or deletion in a single update"
NOT_ACTIVE = "Only 1 online index can be created or deleted simultaneously per table"


@dataclass(frozen=True)
class TableUpdate:
    table: str
    created: tuple[str, ...]
    deleted: tuple[str, ...]


@dataclass
class TableUpdates:
    describes_to_activate: int = 2
    updates: list[TableUpdate] = field(default_factory=list)
    _creating: dict[int, list[Any]] = field(default_factory=dict)  # id(gsi) -> [gsi, table name, describes left]

    def install(self, monkeypatch: pytest.MonkeyPatch, session: Any) -> TableUpdates:
        def update(cls: type, original_resource: Any, new_resource_name: str, cloudformation_json: dict[str, Any],
                   account_id: str, region_name: str) -> Any:
            return self._update(original_resource, new_resource_name, cloudformation_json, account_id, region_name)

        monkeypatch.setattr(Table, "update_from_cloudformation_json", classmethod(update), raising=False)
        session.events.register("provide-client-params.dynamodb.DescribeTable", self._described)
        return self

    def _update(self, table: Any, name: str, resource: dict[str, Any], account_id: str, region_name: str) -> Any:
        if name != table.name:
            raise ValidationError(message=f"stand-in: replacing table {table.name} by {name} is not emulated")
        properties = resource["Properties"]
        present = [gsi.name for gsi in table.global_indexes]
        wanted = {gsi["IndexName"]: gsi for gsi in properties.get("GlobalSecondaryIndexes", [])}
        created = tuple(n for n in wanted if n not in present)
        deleted = tuple(n for n in present if n not in wanted)
        if len(created) + len(deleted) > 1:
            raise ValidationError(message=f"{MORE_THAN_ONE} (table {table.name}: {', '.join(created + deleted)})")
        if (created or deleted) and any(gsi.status != "ACTIVE" for gsi in table.global_indexes):
            raise ValidationError(message=f"{NOT_ACTIVE} (table {table.name})")
        backend = dynamodb_backends[account_id][region_name]
        changes = [{"Create": wanted[n]} for n in created] + [{"Delete": {"IndexName": n}} for n in deleted]
        backend.update_table_global_indexes(table, changes)
        for gsi in table.global_indexes:
            if gsi.name in created:
                gsi.status = "CREATING"
                self._creating[id(gsi)] = [gsi, table.name, self.describes_to_activate]
        table.attr = properties["AttributeDefinitions"]
        table.deletion_protection_enabled = str(properties.get("DeletionProtectionEnabled", False)).lower() == "true"
        self.updates.append(TableUpdate(table.name, created, deleted))
        return table

    def _described(self, params: dict[str, Any], **_: Any) -> None:
        for key, entry in list(self._creating.items()):
            gsi, table, left = entry
            if table != params.get("TableName"):
                continue
            entry[2] = left - 1
            if entry[2] <= 0:
                gsi.status = "ACTIVE"
                del self._creating[key]


def record_templates(session: Any) -> list[tuple[str, str]]:
    """Every (stack name, template body) the session hands to CloudFormation's CreateStack or
    UpdateStack, in order."""
    bodies: list[tuple[str, str]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        bodies.append((params["StackName"], params["TemplateBody"]))

    session.events.register("provide-client-params.cloudformation.CreateStack", record)
    session.events.register("provide-client-params.cloudformation.UpdateStack", record)
    return bodies
