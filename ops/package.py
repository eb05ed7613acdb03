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

from ops.policies import stage_policy
from ops.stage import (
    EDGE_TEMPLATE,
    ROOT,
    SHARD_FUNCTION,
    STREAMS,
    TABLES_TEMPLATE,
    AppFunction,
    Stream,
    app_functions,
    load_cfn,
    shard_invoke_config,
    stage_prefix,
    stream_of_arn,
    trigger_settings,
)

# The edge template's API parameters are the packaged template's own APIs.
EDGE_REFERENCES = {"RestApiId": "RestAPI", "WebsocketApiId": "WebsocketAPI"}


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


def stream_trigger_properties(stream: Stream | None = None) -> dict[str, Any]:
    return trigger_settings({"Type": "SQS", "Destination": {"Fn::GetAtt": ["StreamDeadLetterQueue", "Arn"]}}, stream)


def merge_template(stage: str, generated: Mapping[str, Any]) -> dict[str, Any]:
    """What to merge into Chalice's `generated` template for `stage`."""
    tables, edge = load_cfn(TABLES_TEMPLATE), load_cfn(EDGE_TEMPLATE)
    function_names = {f.logical_id: {"Fn::Sub": f.deployed_name("${Prefix}")} for f in app_functions()}
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
        "COMANDA_SEND_FRAMES_FUNCTION": function_names["SendFrames"],
        **{stream.env_var: {"Fn::GetAtt": [stream.logical_id, "StreamArn"]} for stream in STREAMS},
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
        if logical_id in function_names:
            properties["FunctionName"] = function_names[logical_id]
        if logical_id == AppFunction(SHARD_FUNCTION).logical_id:
            config = shard_invoke_config({"Type": "SQS", "Destination": {"Fn::GetAtt": ["ShardDeadLetterQueue", "Arn"]}})
            properties["EventInvokeConfig"] = config
        events = resource["Properties"].get("Events", {})
        for event_id, event in events.items():
            if event["Type"] == "DynamoDB":
                stream = stream_of_arn(event["Properties"]["Stream"])
                properties.setdefault("Events", {})[event_id] = {
                    "Properties": {"Stream": {"Fn::GetAtt": [stream.logical_id, "StreamArn"]}, **stream_trigger_properties(stream)}
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
    policy = stage_policy("${Prefix}", "${AWS::Region}", "${AWS::AccountId}", "${WebsocketAPI}", "${AWS::Partition}")
    for statement in policy["Statement"]:
        if isinstance(statement["Resource"], list):
            statement["Resource"] = [{"Fn::Sub": r} for r in statement["Resource"]]
    return policy


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
