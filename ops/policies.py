"""The stage's least-privilege IAM policy, derived from infra/tables.yaml.

    python -m ops.policies        # rewrites .chalice/policy-dev.json and policy-prod.json

The committed files leave the region, the account and the WebSocket API id open (`*`), since
they exist only once deployed; ops/deploy.py renders the same policy with the real ones for
each deploy, and ops/package.py with the template's own (`${AWS::Region}`, `${WebsocketAPI}`).
Every other resource is named: the stage's tables, their indexes, the three streams the triggers
read, the DLQ, the secret, the log group of each of the app's functions (read from Chalice's
application graph, so a new function is covered with no edit here) and the send_frames function
the fan-out invokes for a big channel's shards.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ops.stage import CONFIG, ROOT, STREAMS, TABLES_TEMPLATE, AppFunction, app_functions, load_cfn, stage_prefix

API_STAGE = "api"
SEND_FRAMES = "send_frames"  # app.py's function the fan-out invokes (COMANDA_SEND_FRAMES_FUNCTION)


def infra_tables(template: Path = TABLES_TEMPLATE) -> dict[str, bool]:
    """Table suffix (`transactions`) -> whether it has indexes, as infra/tables.yaml declares them."""
    tables: dict[str, bool] = {}
    for resource in load_cfn(template)["Resources"].values():
        if resource["Type"] == "AWS::DynamoDB::Table":
            name = resource["Properties"]["TableName"]["Fn::Sub"]
            tables[name.removeprefix("${Prefix}-")] = bool(resource["Properties"].get("GlobalSecondaryIndexes"))
    return tables


def stage_policy(prefix: str, region: str = "*", account: str = "*", websocket_api_id: str = "*",
                 partition: str = "aws", functions: tuple[AppFunction, ...] | None = None) -> dict[str, Any]:
    def arn(service: str, resource: str) -> str:
        return f"arn:{partition}:{service}:{region}:{account}:{resource}"

    log_groups = [f"log-group:/aws/lambda/{f.deployed_name(prefix)}" for f in functions or app_functions()]

    tables = infra_tables()
    table_arns: list[str] = []
    for table, has_indexes in tables.items():
        table_arns.append(arn("dynamodb", f"table/{prefix}-{table}"))
        if has_indexes:
            table_arns.append(arn("dynamodb", f"table/{prefix}-{table}/index/*"))
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Logs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [arn("logs", group) for log_group in log_groups for group in (log_group, f"{log_group}:*")],
            },
            {
                "Sid": "Tables",
                "Effect": "Allow",
                "Action": [
                    "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query",
                    "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable",
                ],
                "Resource": table_arns,
            },
            {
                "Sid": "StreamTriggers",
                "Effect": "Allow",
                "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"],
                "Resource": [arn("dynamodb", f"table/{prefix}-{stream.table}/stream/*") for stream in STREAMS],
            },
            {
                "Sid": "StreamDeadLetterQueue",
                "Effect": "Allow",
                "Action": ["sqs:SendMessage"],
                "Resource": [arn("sqs", f"{prefix}-stream-dlq"), arn("sqs", f"{prefix}-shard-dlq")],
            },
            {
                "Sid": "JwtSecret",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": [arn("secretsmanager", f"secret:{prefix}/jwt-secret-??????")],
            },
            {
                "Sid": "JwtSecretInSsm",
                "Effect": "Allow",
                "Action": ["ssm:GetParameter"],
                "Resource": [arn("ssm", f"parameter/{prefix}/jwt-secret")],
            },
            {
                "Sid": "WebSocketConnections",
                "Effect": "Allow",
                "Action": ["execute-api:ManageConnections"],
                "Resource": [arn("execute-api", f"{websocket_api_id}/{API_STAGE}/*/@connections/*")],
            },
            {
                "Sid": "FanoutShards",
                "Effect": "Allow",
                "Action": ["lambda:InvokeFunction"],
                "Resource": [arn("lambda", f"function:{prefix}-{SEND_FRAMES}")],
            },
            {
                "Sid": "Tracing",
                "Effect": "Allow",
                "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                "Resource": "*",  # X-Ray has no resource-level permissions
            },
        ],
    }


def policy_path(stage: str) -> Path:
    return CONFIG.parent / f"policy-{stage}.json"


def render(policy: dict[str, Any]) -> str:
    return json.dumps(policy, indent=2) + "\n"


def main() -> int:
    for stage in ("dev", "prod"):
        path = policy_path(stage)
        path.write_text(render(stage_policy(stage_prefix(stage))), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
