"""The per-stage IAM policies name only that stage's resources, as infra/ declares them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ops.policies import infra_tables, policy_path, render, stage_policy
from ops.stage import load_cfn

ROOT = Path(__file__).resolve().parents[2]
STAGES = {"dev": "comanda-dev", "prod": "comanda-prod"}
SCOPED_SERVICES = ("dynamodb", "sqs", "secretsmanager", "ssm", "execute-api", "lambda")


def committed(stage: str) -> dict[str, Any]:
    return dict(json.loads(policy_path(stage).read_text()))


def resources(policy: dict[str, Any], service: str) -> list[str]:
    found: list[str] = []
    for statement in policy["Statement"]:
        if any(action.startswith(f"{service}:") for action in statement["Action"]):
            listed = statement["Resource"]
            found += [listed] if isinstance(listed, str) else listed
    return found


@pytest.mark.parametrize("stage", STAGES)
def test_the_committed_policy_files_are_the_ones_generated_from_infra(stage: str) -> None:
    assert policy_path(stage).read_text() == render(stage_policy(STAGES[stage])), "run: python -m ops.policies"


def test_the_stages_use_their_policy_files_and_their_own_role() -> None:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for stage in STAGES:
        assert config["stages"][stage]["autogen_policy"] is False
        assert config["stages"][stage]["iam_policy_file"] == f"policy-{stage}.json"


@pytest.mark.parametrize("stage", STAGES)
def test_no_data_service_is_granted_on_every_resource(stage: str) -> None:
    policy = committed(stage)
    for service in SCOPED_SERVICES:
        granted = resources(policy, service)
        assert granted, service
        assert "*" not in granted
        for arn in granted:
            assert arn.startswith(f"arn:aws:{service}:"), arn
            assert STAGES[stage] in arn or service == "execute-api", arn
    assert resources(policy, "dynamodb") == [r for r in resources(policy, "dynamodb") if ":table/" in r]


def triggering_tables() -> set[str]:
    """The tables whose streams trigger one of the app's functions, read off app.py's handlers."""
    from app import app

    arns = [getattr(source, "stream_arn", "") for source in app.event_sources]
    return {re.search(r":table/comanda-local-([a-z]+)/stream/", arn).group(1) for arn in arns if arn}  # type: ignore[union-attr]


@pytest.mark.parametrize("stage", STAGES)
def test_every_table_its_indexes_and_the_triggering_streams_of_infra_are_named_and_nothing_else(stage: str) -> None:
    prefix = STAGES[stage]
    template = load_cfn(ROOT / "infra" / "tables.yaml")
    tables = {r["Properties"]["TableName"]["Fn::Sub"].replace("${Prefix}", prefix): r["Properties"]
              for r in template["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"}
    expected = set()
    for name, properties in tables.items():
        expected.add(f"arn:aws:dynamodb:*:*:table/{name}")
        if properties.get("GlobalSecondaryIndexes"):
            expected.add(f"arn:aws:dynamodb:*:*:table/{name}/index/*")
    expected |= {f"arn:aws:dynamodb:*:*:table/{prefix}-{t}/stream/*" for t in triggering_tables()}
    assert set(resources(committed(stage), "dynamodb")) == expected
    assert set(infra_tables()) == {name.removeprefix(f"{prefix}-") for name in tables}


@pytest.mark.parametrize("stage", STAGES)
def test_the_dlqs_and_the_secret_are_the_ones_infra_creates(stage: str) -> None:
    prefix = STAGES[stage]
    resources_of = load_cfn(ROOT / "infra" / "tables.yaml")["Resources"]
    queues = [resources_of[q]["Properties"]["QueueName"]["Fn::Sub"].replace("${Prefix}", prefix)
              for q in ("StreamDeadLetterQueue", "ShardDeadLetterQueue")]
    secret = resources_of["JwtSecret"]["Properties"]["Name"]["Fn::Sub"].replace("${Prefix}", prefix)
    assert resources(committed(stage), "sqs") == [f"arn:aws:sqs:*:*:{queue}" for queue in queues]
    # Secrets Manager appends six random characters to a secret's ARN
    assert resources(committed(stage), "secretsmanager") == [f"arn:aws:secretsmanager:*:*:secret:{secret}-??????"]


def test_a_deployed_policy_names_its_own_websocket_api_region_and_account() -> None:
    policy = stage_policy("comanda-prod", "sa-east-1", "111122223333", "a1b2c3")
    assert resources(policy, "execute-api") == ["arn:aws:execute-api:sa-east-1:111122223333:a1b2c3/api/*/@connections/*"]
    assert all(":sa-east-1:111122223333:" in arn for s in SCOPED_SERVICES for arn in resources(policy, s))


@pytest.mark.parametrize("stage", STAGES)
def test_the_fan_out_may_invoke_only_its_own_stages_send_frames_function(stage: str) -> None:
    from app import app

    assert "send_frames" in {f.name for f in app.pure_lambda_functions}
    assert resources(committed(stage), "lambda") == [f"arn:aws:lambda:*:*:function:{STAGES[stage]}-send_frames"]
