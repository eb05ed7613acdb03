"""CloudFormation as ops/deploy.py drives it: create or update a stack through a change set and
wait for it, or, for a plan, describe the change set and apply nothing. Every step reports
whether it changed anything, so a second run can say "no changes"."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from ops.stage import DeployError


@dataclass
class Report:
    out: TextIO
    changed: list[str] = field(default_factory=list)

    def step(self, name: str, message: str, changed: bool) -> None:
        if changed:
            self.changed.append(name)
        print(f"{name}: {message}", file=self.out)


def stack_parameters(parameters: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(parameters.items())]


def describe_stack(cfn: Any, name: str) -> dict[str, Any] | None:
    try:
        stacks = cfn.describe_stacks(StackName=name)["Stacks"]
    except cfn.exceptions.ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    return stacks[0] if stacks else None


def outputs_of(stack: Mapping[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def _same_stack(cfn: Any, stack: Mapping[str, Any], body: str, parameters: Mapping[str, str]) -> bool:
    current = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}
    wanted = {k: v for k, v in parameters.items()}
    deployed_body = cfn.get_template(StackName=stack["StackName"], TemplateStage="Original")["TemplateBody"]
    if not isinstance(deployed_body, str):  # boto3 parses JSON templates
        deployed_body = json.dumps(deployed_body)
    return deployed_body == body and all(current.get(k) == v for k, v in wanted.items())


def _wait(cfn: Any, name: str, timeout: float, poll: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        stack = describe_stack(cfn, name)
        status = stack["StackStatus"] if stack else "MISSING"
        if status.endswith("_COMPLETE") and "ROLLBACK" not in status:
            return stack  # type: ignore[return-value]
        if status.endswith(("_FAILED", "ROLLBACK_COMPLETE")) or status == "MISSING":
            raise DeployError(f"stack {name} ended in {status}; see its events in the CloudFormation console")
        if time.monotonic() > deadline:
            raise DeployError(f"stack {name} is still {status} after {timeout:.0f} s")
        time.sleep(poll)


def apply_stack(cfn: Any, name: str, body: str, parameters: Mapping[str, str], report: Report, label: str,
                plan: bool, timeout: float = 3600, poll: float = 5) -> dict[str, str]:
    """Create or update `name` and wait for it; with `plan`, show its change set instead.
    Returns the stack's outputs (none when a plan meets a stack that does not exist yet)."""
    stack = describe_stack(cfn, name)
    if stack is not None and stack["StackStatus"] == "REVIEW_IN_PROGRESS":  # a plan's placeholder
        if not plan:
            cfn.delete_stack(StackName=name)
        stack = None
    if stack is not None and _same_stack(cfn, stack, body, parameters):
        report.step(label, f"no changes (stack {name})", changed=False)
        return outputs_of(stack)
    if plan:
        return _show_change_set(cfn, name, body, parameters, stack, report, label, poll)
    arguments = {"StackName": name, "TemplateBody": body, "Parameters": stack_parameters(parameters)}
    if stack is None:
        cfn.create_stack(**arguments)
    else:
        try:
            cfn.update_stack(**arguments)
        except cfn.exceptions.ClientError as exc:
            if "No updates are to be performed" not in str(exc):
                raise DeployError(f"cannot update stack {name}: {exc}") from exc
            report.step(label, f"no changes (stack {name})", changed=False)
            return outputs_of(stack)
    done = _wait(cfn, name, timeout, poll)
    report.step(label, f"{'updated' if stack else 'created'} stack {name} ({done['StackStatus']})", changed=True)
    return outputs_of(done)


def _show_change_set(cfn: Any, name: str, body: str, parameters: Mapping[str, str], stack: Mapping[str, Any] | None,
                     report: Report, label: str, poll: float) -> dict[str, str]:
    change_set = f"comanda-plan-{uuid.uuid4().hex[:12]}"
    cfn.create_change_set(StackName=name, ChangeSetName=change_set, TemplateBody=body,
                          Parameters=stack_parameters(parameters), ChangeSetType="UPDATE" if stack else "CREATE")
    try:
        described = _wait_change_set(cfn, name, change_set, poll)
    finally:
        cfn.delete_change_set(StackName=name, ChangeSetName=change_set)
        if stack is None:
            cfn.delete_stack(StackName=name)  # the placeholder a CREATE change set leaves
    if described["Status"] == "FAILED":
        reason = described.get("StatusReason", "")
        if "didn't contain changes" in reason or "No updates" in reason:
            report.step(label, f"no changes (stack {name})", changed=False)
            return outputs_of(stack or {})
        raise DeployError(f"change set for {name} failed: {reason}")
    changes = [
        f"{c['ResourceChange']['Action']} {c['ResourceChange']['LogicalResourceId']} ({c['ResourceChange']['ResourceType']})"
        for c in described.get("Changes", [])
    ]
    verb = "update" if stack else "create"
    report.step(label, f"would {verb} stack {name}: " + ("; ".join(changes) or "parameters only"), changed=True)
    return outputs_of(stack or {})


def _wait_change_set(cfn: Any, name: str, change_set: str, poll: float) -> dict[str, Any]:
    while True:
        described: dict[str, Any] = cfn.describe_change_set(StackName=name, ChangeSetName=change_set)
        if described["Status"] in ("CREATE_COMPLETE", "FAILED"):
            return described
        time.sleep(poll)
