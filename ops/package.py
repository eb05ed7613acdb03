"""One CloudFormation template for a pipeline (`make package STAGE=prod`).

    python -m ops.package --stage prod [--out build/package]

`chalice package --merge-template` merges into Chalice's template:
- every resource, condition and output of infra/tables.yaml (tables, DLQ, secret, alarms,
  dashboard) and infra/edge.yaml (the front door, pointed at the template's own APIs);
- on every role: the stage's least-privilege policy (ops/policies.py), naming the template's
  own tables, streams, DLQ, secret and WebSocket API;
- on every function: the stage's environment from those resources (stream ARNs, secret ARN,
  table prefix, the WebSocket API's management endpoint, the send_frames function the fan-out
  invokes) and the names the alarms watch;
- on the stream triggers: partial batch responses, bisect on error, bounded retries and
  record age, and the DLQ as on-failure destination (the settings ops/deploy.py applies).

Chalice is run twice: once plain, to learn the function resources it generates, and once with
the merge template. The second run's template is the result (`<out>/sam.yaml`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ops.deploy import MAX_RECORD_AGE_SECONDS, MAX_RETRY_ATTEMPTS, ROOT, stage_prefix

INFRA = ROOT / "infra"
STREAM_TABLES = {"TRANSACTIONS_STREAM_ARN": "TransactionsTable", "CONNECTIONS_STREAM_ARN": "ConnectionsTable",
                 "TENANTS_STREAM_ARN": "TenantsTable"}
# Chalice's function resources -> the names `chalice deploy` gives them (what the alarms watch).
FUNCTION_NAMES = {
    "APIHandler": "${Prefix}",
    "FanOut": "${Prefix}-fan_out",
    "ConnectionOpened": "${Prefix}-connection_opened",
    "VenueChanged": "${Prefix}-venue_changed",
    "StompConnectDeadline": "${Prefix}-stomp_connect_deadline",
    "WebsocketConnect": "${Prefix}-websocket_connect",
    "WebsocketMessage": "${Prefix}-websocket_message",
    "WebsocketDisconnect": "${Prefix}-websocket_disconnect",
    "SocketioHeartbeat": "${Prefix}-socketio_heartbeat",
    "DispatchReoffer": "${Prefix}-dispatch_reoffer",
    "SendFrames": "${Prefix}-send_frames",
}
# The edge template's API parameters are the packaged template's own APIs.
EDGE_REFERENCES = {"RestApiId": "RestAPI", "WebsocketApiId": "WebsocketAPI"}


def load_cfn(path: Path) -> dict[str, Any]:
    """A CloudFormation YAML file with its short tags (!Ref, !Sub…) in their long JSON form."""
    from cfnlint.decode import cfn_yaml

    loaded: dict[str, Any] = json.loads(json.dumps(cfn_yaml.loads(path.read_text(encoding="utf-8"))))
    return loaded


def _replace_refs(node: Any, refs: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        if set(node) == {"Ref"} and node["Ref"] in refs:
            return {"Ref": refs[node["Ref"]]}
        if "Fn::Sub" in node and isinstance(node["Fn::Sub"], str):
            text = node["Fn::Sub"]
            for old, new in refs.items():
                text = text.replace("${" + old + "}", "${" + new + "}")
            return {"Fn::Sub": text}
        return {k: _replace_refs(v, refs) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace_refs(v, refs) for v in node]
    return node


def stream_trigger_properties() -> dict[str, Any]:
    return {
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "BisectBatchOnFunctionError": True,
        "MaximumRetryAttempts": MAX_RETRY_ATTEMPTS,
        "MaximumRecordAgeInSeconds": MAX_RECORD_AGE_SECONDS,
        "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": {"Fn::GetAtt": ["StreamDeadLetterQueue", "Arn"]}}},
    }


def merge_template(stage: str, generated: Mapping[str, Any]) -> dict[str, Any]:
    """What to merge into Chalice's `generated` template for `stage`."""
    tables, edge = load_cfn(INFRA / "tables.yaml"), load_cfn(INFRA / "edge.yaml")
    prefix = stage_prefix(stage)
    parameters = {**edge["Parameters"], **tables["Parameters"]}
    for name in EDGE_REFERENCES:
        del parameters[name]
    parameters["Prefix"] = {**parameters["Prefix"], "Default": prefix}
    parameters["Stage"] = {**parameters["Stage"], "Default": stage}
    parameters["DeletionProtection"] = {**parameters["DeletionProtection"], "Default": "true" if stage == "prod" else "false"}
    edge_resources = _replace_refs(edge["Resources"], EDGE_REFERENCES)
    edge_outputs = _replace_refs(edge["Outputs"], EDGE_REFERENCES)

    environment = {
        "COMANDA_TABLE_PREFIX": {"Ref": "Prefix"},
        "JWT_SECRET_ARN": {"Ref": "JwtSecret"},
        "WEBSOCKET_ENDPOINT": {"Fn::Sub": "https://${WebsocketAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${ApiGatewayStage}"},
        "COMANDA_SEND_FRAMES_FUNCTION": {"Fn::Sub": FUNCTION_NAMES["SendFrames"]},
        **{var: {"Fn::GetAtt": [table, "StreamArn"]} for var, table in STREAM_TABLES.items()},
    }
    functions: dict[str, Any] = {}
    for logical_id, resource in generated["Resources"].items():
        if resource["Type"] == "AWS::IAM::Role":
            functions[logical_id] = {"Properties": {"Policies": [
                {"PolicyName": policy["PolicyName"], "PolicyDocument": template_policy()}
                for policy in resource["Properties"].get("Policies", [])
            ]}}
            continue
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        properties: dict[str, Any] = {"Environment": {"Variables": environment}}
        if logical_id in FUNCTION_NAMES:
            properties["FunctionName"] = {"Fn::Sub": FUNCTION_NAMES[logical_id]}
        events = resource["Properties"].get("Events", {})
        for event_id, event in events.items():
            if event["Type"] == "DynamoDB":
                table = _table_of_stream(event["Properties"]["Stream"])
                properties.setdefault("Events", {})[event_id] = {
                    "Properties": {"Stream": {"Fn::GetAtt": [table, "StreamArn"]}, **stream_trigger_properties()}
                }
        functions[logical_id] = {"Properties": properties}

    return {
        "Parameters": parameters,
        "Conditions": {**tables.get("Conditions", {}), **edge.get("Conditions", {})},
        "Resources": {**tables["Resources"], **edge_resources, **functions},
        "Outputs": {**tables["Outputs"], **edge_outputs},
    }


def template_policy() -> dict[str, Any]:
    """The stage policy (ops/policies.py) naming the template's own resources."""
    from ops.policies import stage_policy

    policy = stage_policy("${Prefix}", "${AWS::Region}", "${AWS::AccountId}", "${WebsocketAPI}", "${AWS::Partition}")
    for statement in policy["Statement"]:
        if isinstance(statement["Resource"], list):
            statement["Resource"] = [{"Fn::Sub": r} for r in statement["Resource"]]
    return policy


def _table_of_stream(stream_arn: str) -> str:
    """The infra table behind a stream ARN app.py was given (its local placeholder at packaging)."""
    name = stream_arn.split(":table/", 1)[1].split("/", 1)[0]
    for suffix, table in (("-transactions", "TransactionsTable"), ("-connections", "ConnectionsTable"), ("-tenants", "TenantsTable")):
        if name.endswith(suffix):
            return table
    raise ValueError(f"no infra table for the stream {stream_arn}")


def chalice_package(stage: str, out: Path, merge: Path | None = None) -> dict[str, Any]:
    command = [str(Path(sys.executable).parent / "chalice"), "package", "--stage", stage, "--template-format", "json"]
    if merge is not None:
        command += ["--merge-template", str(merge)]
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"}
    subprocess.run([*command, str(out)], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    template: dict[str, Any] = json.loads((out / "sam.json").read_text(encoding="utf-8"))
    return template


def package(stage: str, out: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        generated = chalice_package(stage, Path(tmp) / "plain")
        merge = Path(tmp) / "merge.json"
        merge.write_text(json.dumps(merge_template(stage, generated), indent=1), encoding="utf-8")
        chalice_package(stage, out, merge)
    return out / "sam.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.package", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "package")
    args = parser.parse_args(argv)
    template = package(args.stage, args.out)
    print(f"chalice package --merge-template: {template.relative_to(ROOT) if template.is_relative_to(ROOT) else template}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
