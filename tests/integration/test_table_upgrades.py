"""Upgrading a live stage's tables with `make deploy` (ops.deploy, its infra step), on moto.

The live stack is the tables of the release before delivery: infra/tables.yaml at 68a245f
(tests/support/releases/tables-68a245f.yaml, verbatim; that release deployed it with the `Prefix`
parameter only). Today's infra/ adds three indexes to the transactions table, which DynamoDB
and CloudFormation accept only one per update. Moto's CloudFormation cannot update a table at
all, so tests/support/moto_table_updates.py stands in for that one resource type, with
DynamoDB's rules (one index per update, none while another is being created)."""

from __future__ import annotations

import io
import json
import uuid
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from ops.cloudformation import Report, apply_stack
from ops.deploy import Options, deploy
from ops.stage import TABLES_TEMPLATE, DeployError, parse_cfn
from ops.table_upgrades import apply_tables_stack
from tests.support.chalice_fake import RecordedChalice
from tests.support.moto_table_updates import MORE_THAN_ONE, TableUpdates, record_templates

ROOT = Path(__file__).resolve().parents[2]
BEFORE_DELIVERY = ROOT / "tests" / "support" / "releases" / "tables-68a245f.yaml"
DELIVERY_INDEXES = ("delivery-by-branch", "delivery-by-customer", "awaiting-driver")
NEW_INDEXES = (*DELIVERY_INDEXES, "courses-due")  # what today's infra adds to that release's tables
TABLES = ("tenants", "users", "catalog", "cajas", "transactions", "connections", "idempotency")


@pytest.fixture
def table_updates(session: Any, monkeypatch: pytest.MonkeyPatch) -> TableUpdates:
    return TableUpdates().install(monkeypatch, session)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The real config.json with this test's own table prefix (moto's state may be shared within a process)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    config["stages"]["dev"]["environment_variables"]["COMANDA_TABLE_PREFIX"] = f"comanda-dev-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


def prefix_of(config: Path) -> str:
    return str(json.loads(config.read_text())["stages"]["dev"]["environment_variables"]["COMANDA_TABLE_PREFIX"])


def run_deploy(session: Any, config: Path, plan: bool = False, chalice: RecordedChalice | None = None) -> tuple[Report, str]:
    out = io.StringIO()
    options = Options("dev", plan=plan, build_dir=config.parent / "build")
    report = deploy(options, session, chalice or RecordedChalice(session), out, poll=0.01, config_path=config)
    return report, out.getvalue()


def deploy_the_release_before_delivery(session: Any, prefix: str) -> None:
    cfn = session.client("cloudformation")
    cfn.create_stack(StackName=f"{prefix}-tables", TemplateBody=BEFORE_DELIVERY.read_text(),
                     Parameters=[{"ParameterKey": "Prefix", "ParameterValue": prefix}])
    assert cfn.describe_stacks(StackName=f"{prefix}-tables")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"


def write_rows(session: Any, prefix: str) -> None:
    """Rows in every table; some transactions carry the keys of the delivery indexes."""
    ddb = session.client("dynamodb")
    for suffix in TABLES:
        for n in range(12):
            if suffix == "idempotency":
                item: dict[str, Any] = {"id": {"S": f"request-{n}"}}
            else:
                item = {"pk": {"S": f"TENANT#t1#BRANCH#b{n % 2}"}, "sk": {"S": f"ROW#{n:03}"}}
            item |= {"what": {"S": f"{suffix} row {n}"}, "n": {"N": str(n)}, "tags": {"SS": ["a", f"t{n}"]}}
            if suffix == "transactions":
                item |= {"queue_pk": {"S": f"QUEUE#b{n % 2}"}, "queue_sk": {"S": f"{n:03}"},
                         "branch_pk": {"S": f"BRANCH#b{n % 2}"}, "branch_sk": {"S": f"2026-11-21T12:{n:02}"}}
                if n % 3 == 0:
                    item |= {"delivery_pk": {"S": f"DELIVERY#b{n % 2}"}, "customer_pk": {"S": f"CUSTOMER#c{n % 2}"},
                             "dispatch_pk": {"S": "AWAITING#b0"}, "dispatch_sk": {"S": f"{n:03}"}}
            if suffix == "connections":
                item["channel"] = {"S": f"cocina/b{n % 2}"}
            ddb.put_item(TableName=f"{prefix}-{suffix}", Item=item)


def every_row(session: Any, prefix: str) -> dict[str, list[dict[str, Any]]]:
    ddb = session.client("dynamodb")
    rows = {}
    for suffix in TABLES:
        items = [i for page in ddb.get_paginator("scan").paginate(TableName=f"{prefix}-{suffix}") for i in page["Items"]]
        rows[suffix] = sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return rows


def live_indexes(session: Any, table: str) -> dict[str, str]:
    described = session.client("dynamodb").describe_table(TableName=table)["Table"]
    return {gsi["IndexName"]: gsi["IndexStatus"] for gsi in described.get("GlobalSecondaryIndexes", [])}


def indexes_by_table(template: dict[str, Any]) -> dict[str, set[str]]:
    """Index names per table of a template (the table's name without the prefix)."""
    tables = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::DynamoDB::Table":
            name = resource["Properties"]["TableName"]["Fn::Sub"].split("}-", 1)[1]
            tables[name] = {gsi["IndexName"] for gsi in resource["Properties"].get("GlobalSecondaryIndexes", [])}
    return tables


def test_deploying_todays_infra_over_the_release_before_delivery_keeps_every_row_and_adds_every_index(
    session: Any, config: Path, table_updates: TableUpdates
) -> None:
    prefix = prefix_of(config)
    deploy_the_release_before_delivery(session, prefix)
    write_rows(session, prefix)
    before = every_row(session, prefix)

    chalice = RecordedChalice(session)

    report, out = run_deploy(session, config, chalice=chalice)

    assert "infra stage 1/4: TransactionsTable adds index delivery-by-branch" in out
    assert "infra stage 2/4: updated stack" in out and "infra: updated stack" in out
    assert report.changed[0] == "infra"
    assert every_row(session, prefix) == before
    for table, indexes in indexes_by_table(parse_cfn(TABLES_TEMPLATE.read_text())).items():
        assert live_indexes(session, f"{prefix}-{table}") == dict.fromkeys(indexes, "ACTIVE"), table
    # the rows written before the upgrade are in the new indexes
    ddb = session.client("dynamodb")
    awaiting = ddb.query(TableName=f"{prefix}-transactions", IndexName="awaiting-driver",
                         KeyConditionExpression="dispatch_pk = :p", ExpressionAttributeValues={":p": {"S": "AWAITING#b0"}})
    assert [item["n"]["N"] for item in awaiting["Items"]] == ["0", "3", "6", "9"]
    # and the stage is now in step with infra/
    _, again = run_deploy(session, config, chalice=chalice)
    assert "infra: no changes" in again


def test_no_single_update_of_the_upgrade_adds_or_removes_more_than_one_index(
    session: Any, config: Path, table_updates: TableUpdates
) -> None:
    prefix = prefix_of(config)
    deploy_the_release_before_delivery(session, prefix)
    templates = record_templates(session)

    run_deploy(session, config)

    handed = [body for stack, body in templates if stack == f"{prefix}-tables"]
    assert len(handed) == len(NEW_INDEXES)
    assert handed[-1] == TABLES_TEMPLATE.read_text()
    steps = [indexes_by_table(parse_cfn(body)) for body in [BEFORE_DELIVERY.read_text(), *handed]]
    for number, (earlier, later) in enumerate(pairwise(steps), 1):
        changed = [(table, sorted(earlier[table] ^ later[table])) for table in later if earlier.get(table, set()) ^ later[table]]
        assert len(changed) == 1 and len(changed[0][1]) == 1, f"update {number} changes {changed}"
    # what the (stand-in) table updates saw: the same, table by table
    assert [u.created for u in table_updates.updates if u.created or u.deleted] == [(name,) for name in NEW_INDEXES]


def test_todays_infra_in_a_single_update_is_refused_as_cloudformation_refuses_it(
    session: Any, config: Path, table_updates: TableUpdates
) -> None:
    prefix = prefix_of(config)
    deploy_the_release_before_delivery(session, prefix)
    parameters = {"Prefix": prefix, "Stage": "dev", "DeletionProtection": "false", "AlarmEmail": ""}

    with pytest.raises(DeployError, match=MORE_THAN_ONE):
        apply_stack(session.client("cloudformation"), f"{prefix}-tables", TABLES_TEMPLATE.read_text(), parameters,
                    Report(io.StringIO()), "infra", plan=False, poll=0.01)


def test_the_plan_over_the_release_before_delivery_prints_the_stages_and_applies_nothing(
    session: Any, config: Path, table_updates: TableUpdates
) -> None:
    prefix = prefix_of(config)
    deploy_the_release_before_delivery(session, prefix)

    report, out = run_deploy(session, config, plan=True)

    assert [line for line in out.splitlines() if line.startswith("infra stage")] == [
        "infra stage 1/4: TransactionsTable adds index delivery-by-branch",
        "infra stage 2/4: TransactionsTable adds index delivery-by-customer",
        "infra stage 3/4: TransactionsTable adds index awaiting-driver",
        "infra stage 4/4: TransactionsTable adds index courses-due (the template as written)",
    ]
    assert report.changed == ["infra"]
    assert "run without --plan to update it" in out  # the app's steps need the new stack's outputs
    assert set(live_indexes(session, f"{prefix}-transactions")) == {"kitchen-queue", "by-caja", "by-branch", "kds-active"}
    assert table_updates.updates == []


def test_removing_several_indexes_from_a_live_table_is_staged_the_same_way(
    session: Any, config: Path, table_updates: TableUpdates
) -> None:
    prefix = prefix_of(config)
    deploy_the_release_before_delivery(session, prefix)
    run_deploy(session, config)
    write_rows(session, prefix)
    before = every_row(session, prefix)
    without = parse_cfn(TABLES_TEMPLATE.read_text())
    transactions = without["Resources"]["TransactionsTable"]["Properties"]
    transactions["GlobalSecondaryIndexes"] = [
        i for i in transactions["GlobalSecondaryIndexes"] if i["IndexName"] not in DELIVERY_INDEXES]
    transactions["AttributeDefinitions"] = [a for a in transactions["AttributeDefinitions"]
                                            if a["AttributeName"] not in ("delivery_pk", "customer_pk", "dispatch_pk", "dispatch_sk")]
    parameters = {"Prefix": prefix, "Stage": "dev", "DeletionProtection": "false", "AlarmEmail": ""}
    table_updates.updates.clear()
    out = io.StringIO()

    apply_tables_stack(session.client("cloudformation"), session.client("dynamodb"), f"{prefix}-tables", json.dumps(without),
                       parameters, Report(out), "infra", plan=False, poll=0.01)

    assert "infra stage 3/3: TransactionsTable removes index awaiting-driver (the template as written)" in out.getvalue()
    assert [u.deleted for u in table_updates.updates if u.created or u.deleted] == [(name,) for name in DELIVERY_INDEXES]
    assert set(live_indexes(session, f"{prefix}-transactions")) == {"kitchen-queue", "by-caja", "by-branch", "kds-active",
                                                                     "courses-due"}
    assert every_row(session, prefix) == before
