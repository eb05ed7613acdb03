"""A recorded stand-in for Chalice's deployer (`ops.deploy.ChaliceDeployer`).

It does to (moto's) AWS what `chalice deploy --stage` does for this app, as far as ops/deploy.py
looks at it: the stage's Lambda functions with the environment it was given, the two DynamoDB
stream triggers with Chalice's own settings (batch size, starting position, nothing else), a
REST API and a WebSocket API; and it returns a deployed record shaped like Chalice's
`.chalice/deployed/<stage>.json`. Every call is recorded."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

STREAM_HANDLERS = {"fan_out": "TRANSACTIONS_STREAM_ARN", "connection_opened": "CONNECTIONS_STREAM_ARN",
                   "venue_changed": "TENANTS_STREAM_ARN", "menu_changed": "CATALOG_STREAM_ARN"}
OTHER_FUNCTIONS = ("websocket_connect", "websocket_message", "websocket_disconnect", "socketio_heartbeat", "stomp_connect_deadline",
                   "send_frames")


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


class RecordedChalice:
    def __init__(self, session: Any, app_name: str = "comanda") -> None:
        self.session = session
        self.app_name = app_name
        self.deploys: list[tuple[str, dict[str, str]]] = []
        self.policies: list[dict[str, Any]] = []
        self.plans: list[tuple[str, dict[str, str]]] = []
        self.records: dict[str, dict[str, Any]] = {}

    def last_deployed(self, stage: str) -> dict[str, Any] | None:
        return self.records.get(stage)

    def plan(self, stage: str, environment: Mapping[str, str]) -> None:
        self.plans.append((stage, dict(environment)))

    def deploy(self, stage: str, environment: Mapping[str, str], policy_file: Path) -> dict[str, Any]:
        self.deploys.append((stage, dict(environment)))
        self.policies.append(json.loads(policy_file.read_text()))
        lam = self.session.client("lambda")
        # Chalice names them <app>-<stage>, which is the stage's table prefix; tests give each
        # run its own prefix, and so its own names (moto's state can be shared within a process).
        prefix = environment["COMANDA_TABLE_PREFIX"]
        record = self.records.get(stage)
        if record is None:
            record = self._first_deploy(stage, prefix, environment)
        else:
            for resource in record["resources"]:
                if resource["resource_type"] == "lambda_function":
                    lam.update_function_configuration(FunctionName=resource["lambda_arn"],
                                                      Environment={"Variables": dict(environment)})
        self.records[stage] = record
        return json.loads(json.dumps(record))

    def _first_deploy(self, stage: str, prefix: str, environment: Mapping[str, str]) -> dict[str, Any]:
        region = self.session.region_name
        lam = self.session.client("lambda")
        role = self.session.client("iam").create_role(
            RoleName=prefix, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
        )["Role"]["Arn"]
        resources: list[dict[str, Any]] = [{"name": "default-role", "resource_type": "iam_role", "role_arn": role,
                                             "role_name": prefix}]
        for name in (*STREAM_HANDLERS, *OTHER_FUNCTIONS):
            arn = lam.create_function(
                FunctionName=f"{prefix}-{name}", Runtime="python3.11", Role=role, Handler=f"app.{name}",
                Code={"ZipFile": _zip()}, Environment={"Variables": dict(environment)},
            )["FunctionArn"]
            resources.append({"name": name, "resource_type": "lambda_function", "lambda_arn": arn})
            if name in STREAM_HANDLERS:
                stream = environment[STREAM_HANDLERS[name]]
                mapping = lam.create_event_source_mapping(
                    EventSourceArn=stream, FunctionName=arn, BatchSize=100, StartingPosition="LATEST",
                    MaximumBatchingWindowInSeconds=0,
                )
                resources.append({"name": f"{name}-dynamodb-event-source", "resource_type": "dynamodb_event_source",
                                  "event_uuid": mapping["UUID"], "stream_arn": stream, "lambda_arn": arn})
        rest_id = self.session.client("apigateway").create_rest_api(name=prefix)["id"]
        resources.append({"name": "rest_api", "resource_type": "rest_api", "rest_api_id": rest_id,
                          "rest_api_url": f"https://{rest_id}.execute-api.{region}.amazonaws.com/api/"})
        ws_id = self.session.client("apigatewayv2").create_api(
            Name=f"{prefix}-websocket-api", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
        )["ApiId"]
        resources.append({"name": "websocket_api", "resource_type": "websocket_api", "websocket_api_id": ws_id,
                          "websocket_api_url": f"wss://{ws_id}.execute-api.{region}.amazonaws.com/api/"})
        return {"resources": resources, "schema_version": "2.0", "backend": "api"}
