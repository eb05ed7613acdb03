"""`make package`: one template (chalice package --merge-template) with the app, infra/ and the
stream triggers' failure handling, clean under cfn-lint."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ops.package import package
from ops.stage import MAX_RECORD_AGE_SECONDS, MAX_RETRY_ATTEMPTS, load_cfn

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = package("prod", tmp_path_factory.mktemp("package") / "out")
    return path, json.loads(path.read_text())


def test_the_template_is_clean_under_cfn_lint(template: tuple[Path, dict[str, Any]]) -> None:
    done = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), str(template[0])], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_it_holds_the_app_every_infra_resource_and_the_front_door(template: tuple[Path, dict[str, Any]]) -> None:
    resources = template[1]["Resources"]
    infra = set(load_cfn(ROOT / "infra" / "tables.yaml")["Resources"]) | set(load_cfn(ROOT / "infra" / "edge.yaml")["Resources"])
    assert infra <= set(resources)
    assert {"APIHandler", "FanOut", "ConnectionOpened", "RestAPI", "WebsocketAPI"} <= set(resources)
    origins = resources["Distribution"]["Properties"]["DistributionConfig"]["Origins"]
    assert [o["DomainName"]["Fn::Sub"].split(".")[0] for o in origins] == ["${RestAPI}", "${WebsocketAPI}"]
    assert template[1]["Parameters"]["DeletionProtection"]["Default"] == "true"


@pytest.mark.parametrize(("function", "table"), [("FanOut", "TransactionsTable"), ("ConnectionOpened", "ConnectionsTable"),
                                               ("VenueChanged", "TenantsTable")])
def test_the_stream_triggers_report_item_failures_bisect_bound_retries_and_fail_to_the_dlq(
    template: tuple[Path, dict[str, Any]], function: str, table: str
) -> None:
    events = template[1]["Resources"][function]["Properties"]["Events"]
    [trigger] = [e["Properties"] for e in events.values() if e["Type"] == "DynamoDB"]
    assert trigger["Stream"] == {"Fn::GetAtt": [table, "StreamArn"]}
    assert trigger["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert trigger["BisectBatchOnFunctionError"] is True
    assert trigger["MaximumRetryAttempts"] == MAX_RETRY_ATTEMPTS
    assert trigger["MaximumRecordAgeInSeconds"] == MAX_RECORD_AGE_SECONDS
    assert trigger["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["StreamDeadLetterQueue", "Arn"]}


def test_the_tenants_trigger_is_filtered_to_branch_rows_and_the_others_take_every_record(
    template: tuple[Path, dict[str, Any]]
) -> None:
    def trigger(function: str) -> dict[str, Any]:
        events = template[1]["Resources"][function]["Properties"]["Events"]
        return next(e["Properties"] for e in events.values() if e["Type"] == "DynamoDB")

    [pattern] = [json.loads(f["Pattern"]) for f in trigger("VenueChanged")["FilterCriteria"]["Filters"]]
    assert pattern == {"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "BRANCH#"}]}}}}
    assert "FilterCriteria" not in trigger("FanOut") and "FilterCriteria" not in trigger("ConnectionOpened")


def test_every_function_gets_its_environment_from_the_templates_own_resources(template: tuple[Path, dict[str, Any]]) -> None:
    functions = {k: r for k, r in template[1]["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    assert len(functions) >= 6
    for function in functions.values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["TRANSACTIONS_STREAM_ARN"] == {"Fn::GetAtt": ["TransactionsTable", "StreamArn"]}
        assert variables["JWT_SECRET_ARN"] == {"Ref": "JwtSecret"}
        assert "${WebsocketAPI}" in variables["WEBSOCKET_ENDPOINT"]["Fn::Sub"]
        assert "JWT_SECRET" not in variables


def test_the_fan_out_invokes_the_templates_own_send_frames_function(template: tuple[Path, dict[str, Any]]) -> None:
    resources = template[1]["Resources"]
    assert resources["SendFrames"]["Properties"]["FunctionName"] == {"Fn::Sub": "${Prefix}-send_frames"}
    assert resources["FanOut"]["Properties"]["Environment"]["Variables"]["COMANDA_SEND_FRAMES_FUNCTION"] == {
        "Fn::Sub": "${Prefix}-send_frames"}
    roles = [r for r in resources.values() if r["Type"] == "AWS::IAM::Role"]
    invoke = [s for role in roles for policy in role["Properties"]["Policies"] for s in policy["PolicyDocument"]["Statement"]
              if s["Action"] == ["lambda:InvokeFunction"]]
    assert invoke and {r["Fn::Sub"] for s in invoke for r in s["Resource"]} == {
        "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${Prefix}-send_frames"}


def test_the_fan_out_and_send_frames_get_1024_mb_for_cpu_and_send_frames_a_minute(template: tuple[Path, dict[str, Any]]) -> None:
    resources = template[1]["Resources"]
    assert (resources["SendFrames"]["Properties"]["MemorySize"], resources["SendFrames"]["Properties"]["Timeout"]) == (1024, 60)
    assert resources["FanOut"]["Properties"]["MemorySize"] == 1024


def test_a_new_lambda_function_in_app_py_is_packaged_named_and_covered_by_the_policy_with_no_edit_in_ops(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for part in ("app.py", "requirements.txt", "chalicelib", "ops", "infra", ".chalice"):
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, project / part, ignore=shutil.ignore_patterns("__pycache__", "deployed", "deployments"))
        else:
            shutil.copy2(source, project / part)
    with (project / "app.py").open("a", encoding="utf-8") as app_py:
        app_py.write('\n\n@app.lambda_function(name="nightly_close")\n'
                     'def nightly_close(event: dict[str, Any], context: Any) -> dict[str, Any]:\n'
                     '    return {}\n')
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "ops.package", "--stage", "dev", "--out", str(out)], cwd=project, check=True,
                   capture_output=True, text=True)

    resources = json.loads((out / "sam.json").read_text())["Resources"]
    function = resources["NightlyClose"]["Properties"]
    assert function["FunctionName"] == {"Fn::Sub": "${Prefix}-nightly_close"}
    assert function["Environment"]["Variables"]["COMANDA_TABLE_PREFIX"] == {"Ref": "Prefix"}
    arn = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/${Prefix}-nightly_close"
    log_group = {"Fn::Sub": arn}
    roles = [r for r in resources.values() if r["Type"] == "AWS::IAM::Role" and r["Properties"].get("Policies")]
    assert roles
    for role in roles:
        [logs] = [s for s in role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"] if s["Sid"] == "Logs"]
        assert log_group in logs["Resource"]


def test_send_frames_retries_twice_then_sends_the_failed_shard_to_its_own_dlq(template: tuple[Path, dict[str, Any]]) -> None:
    resources = template[1]["Resources"]
    config = resources["SendFrames"]["Properties"]["EventInvokeConfig"]
    assert config["MaximumRetryAttempts"] == 2 and config["MaximumEventAgeInSeconds"] == 3600
    assert config["DestinationConfig"]["OnFailure"] == {"Type": "SQS", "Destination": {"Fn::GetAtt": ["ShardDeadLetterQueue", "Arn"]}}
    alarm = resources["ShardDeadLetterQueueNotEmptyAlarm"]["Properties"]
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["ShardDeadLetterQueue", "QueueName"]}}]
