"""ops/deploy.py against moto: CloudFormation (infra/tables.yaml and infra/edge.yaml), SSM,
Secrets Manager, SQS and Lambda event source mappings; `chalice deploy` is a recorded fake."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from ops import deploy as ops_deploy
from ops.deploy import Options, deploy
from ops.stage import MAX_RECORD_AGE_SECONDS, MAX_RETRY_ATTEMPTS
from tests.support.chalice_fake import RecordedChalice

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The real config.json with this test's own table prefixes (moto's state may be shared
    with other tests of the same process)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    tag = uuid.uuid4().hex[:8]
    for stage in ("dev", "prod"):
        config["stages"][stage]["environment_variables"]["COMANDA_TABLE_PREFIX"] = f"comanda-{stage}-{tag}"
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


def run(session: Any, chalice: RecordedChalice, config: Path, stage: str = "dev", **options: Any) -> tuple[Any, str]:
    out = io.StringIO()
    options.setdefault("build_dir", config.parent / "build")
    report = deploy(Options(stage, **options), session, chalice, out, poll=0.01, config_path=config)
    return report, out.getvalue()


def prefix_of(config: Path, stage: str = "dev") -> str:
    return str(json.loads(config.read_text())["stages"][stage]["environment_variables"]["COMANDA_TABLE_PREFIX"])


def stack_outputs(session: Any, name: str) -> dict[str, str]:
    stack = session.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def test_a_first_deploy_creates_the_infra_then_deploys_the_app_with_the_stacks_outputs(session: Any, config: Path) -> None:
    chalice = RecordedChalice(session)
    _, out = run(session, chalice, config)
    prefix = prefix_of(config)
    infra = stack_outputs(session, f"{prefix}-tables")
    assert infra["TablePrefix"] == prefix

    # the WebSocket API only exists after the first chalice deploy: a second one gives the fan-out its endpoint
    assert [stage for stage, _ in chalice.deploys] == ["dev", "dev"]
    first, last = chalice.deploys[0][1], chalice.deploys[-1][1]
    assert "WEBSOCKET_ENDPOINT" not in first
    ws_id = chalice.records["dev"]["resources"][-1]["websocket_api_id"]
    assert last == {
        "COMANDA_TABLE_PREFIX": prefix,
        "TRANSACTIONS_STREAM_ARN": infra["TransactionsStreamArn"],
        "CONNECTIONS_STREAM_ARN": infra["ConnectionsStreamArn"],
        "TENANTS_STREAM_ARN": infra["TenantsStreamArn"],
        "CATALOG_STREAM_ARN": infra["CatalogStreamArn"],
        "JWT_SECRET_ARN": infra["JwtSecretArn"],
        "WEBSOCKET_ENDPOINT": f"https://{ws_id}.execute-api.us-east-1.amazonaws.com/api",
    }
    # the policy names the WebSocket API once it exists
    [connections] = [st["Resource"] for st in chalice.policies[-1]["Statement"] if st["Sid"] == "WebSocketConnections"]
    assert connections == [f"arn:aws:execute-api:us-east-1:123456789012:{ws_id}/api/*/@connections/*"]
    assert session.client("secretsmanager").get_secret_value(SecretId=infra["JwtSecretArn"])["SecretString"]
    edge = stack_outputs(session, f"{prefix}-edge")
    assert edge["WebSocketManagementEndpoint"] == last["WEBSOCKET_ENDPOINT"]
    assert f"public URL:        {edge['PublicUrl']}" in out
    assert edge["WebSocketUrl"] in out
    assert out.strip().splitlines()[-1].startswith("changed: infra, app")


def test_the_stream_triggers_report_item_failures_bisect_retry_a_bounded_number_of_times_and_fail_to_the_dlq(
    session: Any, config: Path
) -> None:
    chalice = RecordedChalice(session)
    run(session, chalice, config)
    infra = stack_outputs(session, f"{prefix_of(config)}-tables")
    lam = session.client("lambda")
    triggers = (("fan_out", "TransactionsStreamArn"), ("connection_opened", "ConnectionsStreamArn"),
                ("venue_changed", "TenantsStreamArn"))
    for function, stream in triggers:
        arn = next(r["lambda_arn"] for r in chalice.records["dev"]["resources"] if r["name"] == function)
        [mapping] = lam.list_event_source_mappings(FunctionName=arn)["EventSourceMappings"]
        assert mapping["EventSourceArn"] == infra[stream]
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BisectBatchOnFunctionError"] is True
        assert mapping["MaximumRetryAttempts"] == MAX_RETRY_ATTEMPTS
        assert mapping["MaximumRecordAgeInSeconds"] == MAX_RECORD_AGE_SECONDS
        assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": infra["StreamDeadLetterQueueArn"]}}
        filtered = function == "venue_changed"
        assert ("FilterCriteria" in mapping) is filtered
        if filtered:
            [pattern] = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
            assert pattern == {"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "BRANCH#"}]}}}}
    dlq = session.client("sqs").get_queue_attributes(QueueUrl=infra["StreamDeadLetterQueueUrl"], AttributeNames=["QueueArn"])
    assert dlq["Attributes"]["QueueArn"] == infra["StreamDeadLetterQueueArn"]


def test_send_frames_fails_over_to_the_shard_dlq_after_two_retries(session: Any, config: Path) -> None:
    chalice = RecordedChalice(session)
    run(session, chalice, config)
    infra = stack_outputs(session, f"{prefix_of(config)}-tables")
    arn = next(r["lambda_arn"] for r in chalice.records["dev"]["resources"] if r["name"] == "send_frames")
    invoke_config = session.client("lambda").get_function_event_invoke_config(FunctionName=arn)
    assert invoke_config["MaximumRetryAttempts"] == 2 and invoke_config["MaximumEventAgeInSeconds"] == 3600
    assert invoke_config["DestinationConfig"] == {"OnFailure": {"Destination": infra["ShardDeadLetterQueueArn"]}}
    queue = session.client("sqs").get_queue_attributes(QueueUrl=infra["ShardDeadLetterQueueUrl"], AttributeNames=["QueueArn"])
    assert queue["Attributes"]["QueueArn"] == infra["ShardDeadLetterQueueArn"]


def test_a_second_run_reports_no_changes_and_does_not_redeploy_the_app(session: Any, config: Path) -> None:
    chalice = RecordedChalice(session)
    run(session, chalice, config)
    deploys = len(chalice.deploys)

    report, out = run(session, chalice, config)

    assert report.changed == []
    assert len(chalice.deploys) == deploys
    assert "infra: no changes" in out and "app: no changes" in out and "front door: no changes" in out
    assert "stream trigger fan_out: no changes" in out
    assert "async invocation send_frames: no changes" in out
    assert out.strip().splitlines()[-1] == "no changes"


def test_a_drifted_stream_trigger_is_shown_by_the_plan_and_put_back_by_the_next_deploy(session: Any, config: Path) -> None:
    chalice = RecordedChalice(session)
    run(session, chalice, config)
    lam = session.client("lambda")
    fan_out = next(r for r in chalice.records["dev"]["resources"] if r["resource_type"] == "dynamodb_event_source")
    lam.update_event_source_mapping(UUID=fan_out["event_uuid"], MaximumRetryAttempts=-1, BisectBatchOnFunctionError=False)

    report, out = run(session, chalice, config, plan=True)
    assert report.changed == [f"stream trigger {fan_out['name'].split('-')[0]}"]
    assert "would set BisectBatchOnFunctionError, MaximumRetryAttempts" in out
    assert lam.get_event_source_mapping(UUID=fan_out["event_uuid"])["MaximumRetryAttempts"] == -1

    report, _ = run(session, chalice, config)
    assert lam.get_event_source_mapping(UUID=fan_out["event_uuid"])["MaximumRetryAttempts"] == MAX_RETRY_ATTEMPTS
    assert report.changed == ["stream trigger fan_out"]


def test_a_plan_on_an_empty_account_creates_nothing(session: Any, config: Path) -> None:
    chalice = RecordedChalice(session)
    report, out = run(session, chalice, config, plan=True)
    assert report.changed == ["infra"]
    assert "would create stack" in out and "Add TransactionsTable (AWS::DynamoDB::Table)" in out
    assert chalice.deploys == []
    stacks = session.client("cloudformation").list_stacks()["StackSummaries"]
    left = [s for s in stacks if s["StackName"].startswith(prefix_of(config))]
    assert all(s["StackStatus"] in ("REVIEW_IN_PROGRESS", "DELETE_COMPLETE") for s in left)


def test_a_changed_template_parameter_updates_the_infra_stack(session: Any, config: Path) -> None:
    chalice = RecordedChalice(session)
    run(session, chalice, config)
    report, out = run(session, chalice, config, alarm_email="ops@example.com")
    assert report.changed == ["infra"]
    assert "infra: updated stack" in out


def test_prod_turns_deletion_protection_on(session: Any, config: Path) -> None:
    run(session, RecordedChalice(session), config, stage="prod")
    stack = session.client("cloudformation").describe_stacks(StackName=f"{prefix_of(config, 'prod')}-tables")["Stacks"][0]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert parameters["DeletionProtection"] == "true"
    assert parameters["Stage"] == "prod"


def test_the_command_line_refuses_an_unknown_stage() -> None:
    with pytest.raises(SystemExit):
        ops_deploy.build_parser().parse_args(["--stage", "local"])
