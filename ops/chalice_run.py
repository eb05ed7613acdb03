"""Chalice's own deployer, run in an interpreter of its own by ops/deploy.py (`RealChalice`).

    python -m ops.chalice_run request.json

The request names the action (`deploy`, `plan` or `delete`), the project, the stage, the
environment from the infra stack and the rendered policy file. A fresh interpreter is needed
because app.py reads the stream ARNs at import (its decorators need them) and Chalice imports
`app` with `importlib.import_module`: in a process that already imported app.py (ops.stage's
application graph does, with the local placeholder streams) Chalice would deploy triggers on
streams that do not exist, and a second import of app.py cannot re-register its blueprints.

Chalice's planner updates every function (code and configuration) and every role's policy on
every deploy. Here its AWS client first compares each of those updates with what is deployed
and skips the ones that would change nothing, so a deploy touches only the functions that
changed; the plan says which functions would change, and what. Everything else is Chalice's.
What Chalice prints goes to stdout; for `deploy`, the deployed record goes to the request's
`result` path as well as to Chalice's own `.chalice/deployed/<stage>.json`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from chalice.awsclient import TypedAWSClient


def function_differences(configuration: dict[str, Any], tags: dict[str, str], wanted: dict[str, Any]) -> list[str]:
    """What an `update_function` call with Chalice's `wanted` parameters would change in the
    function described by `configuration` (GetFunction's) and `tags`."""
    differences: list[str] = []
    zip_contents = wanted["zip_contents"]
    if isinstance(zip_contents, str):
        zip_contents = zip_contents.encode()
    if base64.b64encode(hashlib.sha256(zip_contents).digest()).decode() != configuration.get("CodeSha256"):
        differences.append("code")
    simple = {"runtime": "Runtime", "timeout": "Timeout", "memory_size": "MemorySize", "role_arn": "Role"}
    for parameter, key in simple.items():
        if wanted.get(parameter) is not None and wanted[parameter] != configuration.get(key):
            differences.append(f"{key} {configuration.get(key)} -> {wanted[parameter]}")
    if wanted.get("environment_variables") is not None:
        current = configuration.get("Environment", {}).get("Variables", {})
        changed = sorted(k for k in {*current, *wanted["environment_variables"]}
                         if current.get(k) != wanted["environment_variables"].get(k))
        if changed:
            differences.append("environment " + ", ".join(changed))
    if wanted.get("xray") is not None:
        mode = "Active" if wanted["xray"] else "PassThrough"
        if configuration.get("TracingConfig", {}).get("Mode", "PassThrough") != mode:
            differences.append(f"tracing {mode}")
    if wanted.get("layers") is not None and [layer["Arn"] for layer in configuration.get("Layers", [])] != wanted["layers"]:
        differences.append("layers")
    vpc = configuration.get("VpcConfig") or {}
    if wanted.get("subnet_ids") is not None and sorted(vpc.get("SubnetIds", [])) != sorted(wanted["subnet_ids"]):
        differences.append("subnets")
    groups = wanted.get("security_group_ids")
    if groups is not None and sorted(vpc.get("SecurityGroupIds", [])) != sorted(groups):
        differences.append("security groups")
    if wanted.get("architecture") is not None and configuration.get("Architectures", ["x86_64"]) != [wanted["architecture"]]:
        differences.append(f"architecture {wanted['architecture']}")
    if wanted.get("tags") is not None and tags != wanted["tags"]:
        differences.append("tags")
    return differences


class ChangesOnlyClient(TypedAWSClient):  # type: ignore[misc]
    """Chalice's AWS client, skipping function and role policy updates that would change nothing."""

    def __init__(self, session: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(session, *args, **kwargs)
        self.updated: list[str] = []
        self.unchanged: list[str] = []

    def describe(self, function_name: str, wanted: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        current = self._client("lambda").get_function(FunctionName=function_name)
        return current["Configuration"], function_differences(current["Configuration"], current.get("Tags", {}), wanted)

    def update_function(self, function_name: str, zip_contents: Any, **kwargs: Any) -> dict[str, Any]:
        configuration, differences = self.describe(function_name, {"zip_contents": zip_contents, **kwargs})
        if not differences:
            self.unchanged.append(function_name)
            return configuration
        self.updated.append(f"{function_name} ({'; '.join(differences)})")
        result: dict[str, Any] = super().update_function(function_name, zip_contents, **kwargs)
        return result

    def put_role_policy(self, role_name: str, policy_name: str, policy_document: dict[str, Any]) -> None:
        iam = self._client("iam")
        try:
            current = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
        except iam.exceptions.NoSuchEntityException:
            current = None
        if isinstance(current, str):
            current = json.loads(current)
        if current == policy_document:
            return
        self.updated.append(f"role policy {role_name}")
        super().put_role_policy(role_name, policy_name, policy_document)


def _show_function_changes(deployer: Any, client: ChangesOnlyClient) -> None:
    """After Chalice's plan: which functions it would create, and what would change in each other one."""
    execute = deployer._executor.execute  # Chalice returns no plan; see it as it is executed (printed)

    def execute_and_compare(plan: Any) -> None:
        from chalice.deploy.executor import UnresolvedValueError, VariableResolver
        from chalice.deploy.models import StoreValue

        execute(plan)
        resolver, variables = VariableResolver(), {}
        for instruction in plan.instructions:
            if isinstance(instruction, StoreValue):
                variables[instruction.name] = instruction.value
            method = getattr(instruction, "method_name", None)
            if method == "create_function":
                print(f"function {instruction.params['function_name']}: would be created")
            elif method == "update_function":
                params: dict[str, Any] = {}
                for key, value in instruction.params.items():
                    try:
                        params[key] = resolver.resolve_variables(value, variables)
                    except (KeyError, UnresolvedValueError):  # known only while deploying (an ARN from an earlier call)
                        continue
                name = params.pop("function_name")
                _, differences = client.describe(name, params)
                print(f"function {name}: " + (f"would change {'; '.join(differences)}" if differences else "no changes"))

    deployer._executor.execute = execute_and_compare


def run(request: dict[str, Any]) -> int:
    from chalice.cli.factory import CLIFactory
    from chalice.deploy import deployer as chalice_deployer
    from chalice.utils import UI

    os.environ.update(request.get("environment", {}))
    project_dir = str(Path(request["project_dir"]).resolve())
    stage = request["stage"]
    factory = CLIFactory(project_dir=project_dir, profile=request.get("profile"))
    params: dict[str, Any] = {"environment_variables": dict(request.get("environment", {}))}
    if request.get("policy_file"):
        params["iam_policy_file"] = str(Path(request["policy_file"]).resolve())  # Chalice joins it to .chalice/; absolute wins
    config = factory.create_config_obj(chalice_stage_name=stage, user_provided_params=params)
    session = factory.create_botocore_session()
    ui = UI()
    action = request["action"]
    if action == "delete":
        factory.create_deletion_deployer(session=session, ui=ui).deploy(config, chalice_stage_name=stage)
        return 0
    clients: list[ChangesOnlyClient] = []

    def client(*args: Any, **kwargs: Any) -> ChangesOnlyClient:
        clients.append(ChangesOnlyClient(*args, **kwargs))
        return clients[-1]

    chalice_deployer.TypedAWSClient = client  # the deployers below build their client with this name
    if action == "plan":
        planner = factory.create_plan_only_deployer(session=session, config=config, ui=ui)
        _show_function_changes(planner, clients[-1])
        planner.deploy(config, chalice_stage_name=stage)
        return 0
    deployed = factory.create_default_deployer(session=session, config=config, ui=ui).deploy(config, chalice_stage_name=stage)
    factory.create_deployment_reporter(ui=ui).display_report(deployed)
    done = clients[-1]
    print(f"updated: {', '.join(done.updated) or 'nothing that existed'}; unchanged functions: {len(done.unchanged)}")
    Path(request["result"]).write_text(json.dumps(deployed), encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m ops.chalice_run request.json", file=sys.stderr)
        return 2
    return run(json.loads(Path(args[0]).read_text(encoding="utf-8")))


if __name__ == "__main__":
    sys.exit(main())
