"""Upgrading the tables stack of a live stage without breaking DynamoDB's rule: one update of a
table creates or deletes at most one global secondary index (CloudFormation refuses a stack
update that asks for more).

When infra/tables.yaml adds (or drops) several indexes against the live tables, the stack is
updated in stages: each stage's template is infra/tables.yaml with the tables' indexes as they
are live plus one change, and the last stage is infra/tables.yaml as written. After each stage
the changed table is waited for until every index is ACTIVE and done backfilling. New indexes
come first, in the template's order, so the running app never loses one before its successor
exists; removals follow, one per stage too.

The planning is pure (`index_changes`, `staged_templates`, `settled`); `apply_tables_stack`
reads the live tables and applies the stages through `ops.cloudformation.apply_stack`.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ops.cloudformation import Report, apply_stack, describe_stack
from ops.stage import DeployError, parse_cfn

TABLE_TYPE = "AWS::DynamoDB::Table"


@dataclass(frozen=True)
class LiveTable:
    """A table of the stack as DynamoDB describes it."""

    name: str
    indexes: tuple[dict[str, Any], ...]  # IndexName, KeySchema, Projection
    attributes: Mapping[str, str]  # AttributeName -> AttributeType

    @classmethod
    def of(cls, description: Mapping[str, Any]) -> LiveTable:
        indexes = tuple({k: copy.deepcopy(gsi[k]) for k in ("IndexName", "KeySchema", "Projection") if k in gsi}
                        for gsi in description.get("GlobalSecondaryIndexes", []))
        attributes = {a["AttributeName"]: a["AttributeType"] for a in description.get("AttributeDefinitions", [])}
        return cls(description["TableName"], indexes, attributes)


@dataclass(frozen=True)
class IndexChange:
    table: str  # the table's logical id in the template
    index: str
    adds: bool  # False: removes

    def __str__(self) -> str:
        return f"{self.table} {'adds' if self.adds else 'removes'} index {self.index}"


def _tables(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template.get("Resources", {}).items() if r.get("Type") == TABLE_TYPE}


def _index_names(indexes: Any) -> list[str]:
    return [gsi["IndexName"] for gsi in indexes or []]


def index_changes(template: Mapping[str, Any], live: Mapping[str, LiveTable]) -> list[IndexChange]:
    """What the template changes in the indexes of the tables that already exist (`live`, by
    logical id): every addition first, then every removal. A table the template creates takes
    all its indexes at once and is not listed."""
    additions, removals = [], []
    for logical_id, resource in _tables(template).items():
        if logical_id not in live:
            continue
        wanted = _index_names(resource.get("Properties", {}).get("GlobalSecondaryIndexes"))
        present = _index_names(live[logical_id].indexes)
        additions += [IndexChange(logical_id, name, True) for name in wanted if name not in present]
        removals += [IndexChange(logical_id, name, False) for name in present if name not in wanted]
    return additions + removals


def _with_indexes(template: dict[str, Any], logical_id: str, indexes: list[dict[str, Any]], live: LiveTable) -> None:
    """Give the template's table these indexes, and exactly the attribute definitions its keys use."""
    properties = template["Resources"][logical_id]["Properties"]
    types = {a["AttributeName"]: a["AttributeType"] for a in properties.get("AttributeDefinitions", [])}
    for attribute, kind in live.attributes.items():
        types.setdefault(attribute, kind)
    keyed = [properties.get("KeySchema", []), *(i["KeySchema"] for i in properties.get("LocalSecondaryIndexes", [])),
             *(i["KeySchema"] for i in indexes)]
    used = {key["AttributeName"] for schema in keyed for key in schema}
    properties["AttributeDefinitions"] = [{"AttributeName": name, "AttributeType": types[name]} for name in types if name in used]
    if indexes:
        properties["GlobalSecondaryIndexes"] = copy.deepcopy(indexes)
    else:
        properties.pop("GlobalSecondaryIndexes", None)


def staged_templates(template: Mapping[str, Any], live: Mapping[str, LiveTable]) -> list[tuple[IndexChange, dict[str, Any] | None]]:
    """The stages of the upgrade, in order: each index change with the template that makes it,
    None for the last one (the template as written). Each template differs from the one before
    by one index; every other change of the template rides with the first stage. At most one
    stage means no staging is needed."""
    changes = index_changes(template, live)
    current = {t: [copy.deepcopy(i) for i in live[t].indexes] for t in {c.table for c in changes}}
    wanted = {t: {i["IndexName"]: i for i in _tables(template)[t]["Properties"].get("GlobalSecondaryIndexes", [])}
              for t in current}
    stages: list[tuple[IndexChange, dict[str, Any] | None]] = []
    for number, change in enumerate(changes, 1):
        if change.adds:
            current[change.table].append(copy.deepcopy(wanted[change.table][change.index]))
        else:
            current[change.table] = [i for i in current[change.table] if i["IndexName"] != change.index]
        if number == len(changes):
            stages.append((change, None))
            break
        staged = copy.deepcopy(dict(template))
        for logical_id, indexes in current.items():
            _with_indexes(staged, logical_id, indexes, live[logical_id])
        stages.append((change, staged))
    return stages


def settled(description: Mapping[str, Any]) -> bool:
    """A table whose indexes can take the next change: the table and every index ACTIVE, none backfilling."""
    return description.get("TableStatus") == "ACTIVE" and all(
        gsi.get("IndexStatus") == "ACTIVE" and not gsi.get("Backfilling") for gsi in description.get("GlobalSecondaryIndexes", [])
    )


# --- against AWS ------------------------------------------------------------------------------


def live_tables(cfn: Any, ddb: Any, stack_name: str) -> dict[str, LiveTable]:
    """The stack's tables, by logical id, as DynamoDB describes them now."""
    tables: dict[str, LiveTable] = {}
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name):
        for resource in page["StackResourceSummaries"]:
            if resource["ResourceType"] == TABLE_TYPE and resource.get("PhysicalResourceId"):
                try:
                    description = ddb.describe_table(TableName=resource["PhysicalResourceId"])["Table"]
                except ddb.exceptions.ResourceNotFoundException:
                    continue  # gone (deleted by hand); CloudFormation will say so
                tables[resource["LogicalResourceId"]] = LiveTable.of(description)
    return tables


def wait_until_settled(ddb: Any, table: str, timeout: float, poll: float) -> None:
    deadline = time.monotonic() + timeout
    while not settled(ddb.describe_table(TableName=table)["Table"]):
        if time.monotonic() > deadline:
            raise DeployError(f"table {table}: its indexes are not ACTIVE after {timeout:.0f} s; run the deploy again later")
        time.sleep(poll)


def apply_tables_stack(cfn: Any, ddb: Any, name: str, body: str, parameters: Mapping[str, str], report: Report, label: str,
                       plan: bool, poll: float = 5, index_timeout: float = 6 * 3600) -> dict[str, str]:
    """`apply_stack` for the tables stack, in stages when the live tables need more than one index change."""
    stack = describe_stack(cfn, name)
    live: dict[str, LiveTable] = {}
    stages: list[tuple[IndexChange, dict[str, Any] | None]] = []
    if stack is not None and stack["StackStatus"] != "REVIEW_IN_PROGRESS":
        live = live_tables(cfn, ddb, name)
        stages = staged_templates(parse_cfn(body), live)
    if len(stages) > 1:
        print(f"{label}: {len(stages)} index changes, one stack update each (DynamoDB takes one per table update):",
              file=report.out)
        for number, (change, _) in enumerate(stages, 1):
            last = " (the template as written)" if number == len(stages) else ""
            print(f"{label} stage {number}/{len(stages)}: {change}{last}", file=report.out)
    if plan:
        return apply_stack(cfn, name, body, parameters, report, label, plan=True, poll=poll)
    if stages:
        wait_until_settled(ddb, live[stages[0][0].table].name, index_timeout, poll)
    for number, (change, staged) in enumerate(stages[:-1], 1):
        apply_stack(cfn, name, json.dumps(staged), parameters, Report(report.out), f"{label} stage {number}/{len(stages)}",
                    plan=False, poll=poll)
        wait_until_settled(ddb, live[change.table].name, index_timeout, poll)
    outputs = apply_stack(cfn, name, body, parameters, report, label, plan=False, poll=poll)
    if stages:
        wait_until_settled(ddb, live[stages[-1][0].table].name, index_timeout, poll)
    return outputs
