"""How ops/table_upgrades.py stages index changes of live tables, without AWS."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ops.stage import DeployError
from ops.table_upgrades import IndexChange, LiveTable, index_changes, settled, staged_templates, wait_until_settled


def gsi(name: str, *keys: str) -> dict[str, Any]:
    kinds = ("HASH", "RANGE")
    return {"IndexName": name, "KeySchema": [{"AttributeName": k, "KeyType": kinds[i]} for i, k in enumerate(keys)],
            "Projection": {"ProjectionType": "ALL"}}


def table(name: str, *indexes: dict[str, Any]) -> dict[str, Any]:
    keys = sorted({key["AttributeName"] for i in indexes for key in i["KeySchema"]})
    properties: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", *keys)],
    }
    if indexes:
        properties["GlobalSecondaryIndexes"] = list(indexes)
    return {"Type": "AWS::DynamoDB::Table", "Properties": properties}


def live(name: str, *indexes: dict[str, Any]) -> LiveTable:
    return LiveTable.of({"TableName": name, **table(name, *indexes)["Properties"]})


def indexes_of(template: dict[str, Any] | None, logical_id: str = "Sales") -> list[str]:
    assert template is not None
    return [i["IndexName"] for i in template["Resources"][logical_id]["Properties"].get("GlobalSecondaryIndexes", [])]


def attributes_of(template: dict[str, Any] | None, logical_id: str = "Sales") -> list[str]:
    assert template is not None
    return [a["AttributeName"] for a in template["Resources"][logical_id]["Properties"]["AttributeDefinitions"]]


QUEUE = gsi("queue", "queue_pk", "queue_sk")
BY_BRANCH = gsi("by-branch", "delivery_pk", "branch_sk")
BY_CUSTOMER = gsi("by-customer", "customer_pk", "branch_sk")
AWAITING = gsi("awaiting", "dispatch_pk", "dispatch_sk")


def test_three_new_indexes_on_a_live_table_are_three_stages_each_adding_one_in_the_template_order() -> None:
    template = {"Resources": {"Sales": table("sales", QUEUE, BY_BRANCH, BY_CUSTOMER, AWAITING)}}

    stages = staged_templates(template, {"Sales": live("sales", QUEUE)})

    assert [str(change) for change, _ in stages] == [
        "Sales adds index by-branch", "Sales adds index by-customer", "Sales adds index awaiting"]
    assert indexes_of(stages[0][1]) == ["queue", "by-branch"]
    assert indexes_of(stages[1][1]) == ["queue", "by-branch", "by-customer"]
    assert stages[-1][1] is None  # the last stage is the template as written


def test_each_stage_defines_exactly_the_attributes_its_keys_use() -> None:
    template = {"Resources": {"Sales": table("sales", QUEUE, BY_BRANCH, BY_CUSTOMER, AWAITING)}}

    stages = staged_templates(template, {"Sales": live("sales", QUEUE)})

    assert attributes_of(stages[0][1]) == ["pk", "sk", "branch_sk", "delivery_pk", "queue_pk", "queue_sk"]
    assert attributes_of(stages[1][1]) == ["pk", "sk", "branch_sk", "customer_pk", "delivery_pk", "queue_pk", "queue_sk"]


def test_one_new_index_needs_no_staging() -> None:
    template = {"Resources": {"Sales": table("sales", QUEUE, BY_BRANCH)}}

    assert staged_templates(template, {"Sales": live("sales", QUEUE)}) == [(IndexChange("Sales", "by-branch", True), None)]


def test_a_table_in_step_with_the_template_has_no_stage() -> None:
    template = {"Resources": {"Sales": table("sales", QUEUE, BY_BRANCH)}}

    assert staged_templates(template, {"Sales": live("sales", QUEUE, BY_BRANCH)}) == []


def test_removals_come_after_additions_one_per_stage_and_keep_the_live_definition_until_their_turn() -> None:
    # the live index `old` uses an attribute the template no longer defines
    old = gsi("old", "legacy_pk")
    template = {"Resources": {"Sales": table("sales", BY_BRANCH)}}

    stages = staged_templates(template, {"Sales": live("sales", QUEUE, old)})

    assert [str(change) for change, _ in stages] == [
        "Sales adds index by-branch", "Sales removes index queue", "Sales removes index old"]
    assert indexes_of(stages[0][1]) == ["queue", "old", "by-branch"]
    assert "legacy_pk" in attributes_of(stages[0][1])
    assert indexes_of(stages[1][1]) == ["old", "by-branch"]
    assert "queue_pk" not in attributes_of(stages[1][1])


def test_removing_the_last_two_indexes_leaves_a_table_without_any_in_two_stages() -> None:
    template = {"Resources": {"Sales": table("sales")}}

    stages = staged_templates(template, {"Sales": live("sales", QUEUE, BY_BRANCH)})

    assert [str(change) for change, _ in stages] == ["Sales removes index queue", "Sales removes index by-branch"]
    assert indexes_of(stages[0][1]) == ["by-branch"]
    assert attributes_of(stages[0][1]) == ["pk", "sk", "branch_sk", "delivery_pk"]


def test_changes_on_two_tables_are_still_one_per_stage_and_the_untouched_table_keeps_its_template_definition() -> None:
    template = {"Resources": {"Sales": table("sales", QUEUE, BY_BRANCH), "Cajas": table("cajas", BY_CUSTOMER, AWAITING),
                              "Users": table("users", AWAITING)}}
    present = {"Sales": live("sales", QUEUE), "Cajas": live("cajas"), "Users": live("users", AWAITING)}

    stages = staged_templates(template, present)

    assert [str(change) for change, _ in stages] == [
        "Sales adds index by-branch", "Cajas adds index by-customer", "Cajas adds index awaiting"]
    first, second = stages[0][1], stages[1][1]
    assert (indexes_of(first), indexes_of(first, "Cajas")) == (["queue", "by-branch"], [])
    assert (indexes_of(second), indexes_of(second, "Cajas")) == (["queue", "by-branch"], ["by-customer"])
    assert first is not None and first["Resources"]["Users"] == template["Resources"]["Users"]


def test_a_table_the_template_creates_takes_all_its_indexes_at_once() -> None:
    template = {"Resources": {"Sales": table("sales", QUEUE), "Deliveries": table("deliveries", BY_BRANCH, BY_CUSTOMER)}}

    assert index_changes(template, {"Sales": live("sales", QUEUE)}) == []


def test_the_templates_other_changes_ride_with_the_first_stage_and_the_template_given_is_left_alone() -> None:
    template = {"Resources": {"Sales": table("sales", QUEUE, BY_BRANCH, BY_CUSTOMER),
                              "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}}}}
    before = copy.deepcopy(template)

    stages = staged_templates(template, {"Sales": live("sales", QUEUE)})

    assert stages[0][1] is not None and "Queue" in stages[0][1]["Resources"]
    assert template == before


@pytest.mark.parametrize(("description", "expected"), [
    ({"TableStatus": "ACTIVE", "GlobalSecondaryIndexes": [{"IndexStatus": "ACTIVE"}]}, True),
    ({"TableStatus": "ACTIVE"}, True),
    ({"TableStatus": "ACTIVE", "GlobalSecondaryIndexes": [{"IndexStatus": "CREATING", "Backfilling": True}]}, False),
    ({"TableStatus": "ACTIVE", "GlobalSecondaryIndexes": [{"IndexStatus": "ACTIVE", "Backfilling": True}]}, False),
    ({"TableStatus": "ACTIVE", "GlobalSecondaryIndexes": [{"IndexStatus": "ACTIVE"}, {"IndexStatus": "DELETING"}]}, False),
    ({"TableStatus": "UPDATING", "GlobalSecondaryIndexes": [{"IndexStatus": "ACTIVE"}]}, False),
])
def test_a_table_is_settled_only_when_it_and_every_index_are_active_and_none_is_backfilling(
    description: dict[str, Any], expected: bool
) -> None:
    assert settled(description) is expected


class DescribedInTurn:
    """A DynamoDB client whose DescribeTable answers these descriptions in turn, then the last forever."""

    def __init__(self, *descriptions: dict[str, Any]) -> None:
        self.descriptions = list(descriptions)
        self.calls = 0

    def describe_table(self, TableName: str) -> dict[str, Any]:  # noqa: N803 (boto3's name)
        self.calls += 1
        return {"Table": self.descriptions.pop(0) if len(self.descriptions) > 1 else self.descriptions[0]}


def test_the_upgrade_waits_while_a_new_index_is_created_and_backfilled() -> None:
    ddb = DescribedInTurn(
        {"TableStatus": "UPDATING", "GlobalSecondaryIndexes": [{"IndexStatus": "CREATING", "Backfilling": True}]},
        {"TableStatus": "ACTIVE", "GlobalSecondaryIndexes": [{"IndexStatus": "ACTIVE", "Backfilling": True}]},
        {"TableStatus": "ACTIVE", "GlobalSecondaryIndexes": [{"IndexStatus": "ACTIVE", "Backfilling": False}]},
    )

    wait_until_settled(ddb, "sales", timeout=5, poll=0)

    assert ddb.calls == 3


def test_an_index_that_never_becomes_active_stops_the_upgrade_with_one_line() -> None:
    ddb = DescribedInTurn({"TableStatus": "ACTIVE", "GlobalSecondaryIndexes": [{"IndexStatus": "CREATING"}]})

    with pytest.raises(DeployError, match="table sales: its indexes are not ACTIVE after 0 s"):
        wait_until_settled(ddb, "sales", timeout=0, poll=0)
