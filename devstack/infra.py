"""Deploy infra/tables.yaml through CloudFormation to whatever AWS endpoint we are given."""

from __future__ import annotations

import logging
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "tables.yaml"


def deploy_tables(session: Any, prefix: str, endpoint_url: str | None, stack_name: str | None = None) -> dict[str, str]:
    """Create or update the tables stack and wait for it. Returns the stack outputs."""
    with _quiet_moto_cloudformation():
        return _deploy_tables(session, prefix, endpoint_url, stack_name)


def _deploy_tables(session: Any, prefix: str, endpoint_url: str | None, stack_name: str | None) -> dict[str, str]:
    cfn = session.client("cloudformation", endpoint_url=endpoint_url)
    stack_name = stack_name or f"{prefix}-tables"
    params = [{"ParameterKey": "Prefix", "ParameterValue": prefix}]
    body = TEMPLATE.read_text()
    try:
        cfn.describe_stacks(StackName=stack_name)
        exists = True
    except cfn.exceptions.ClientError:
        exists = False
    if not exists:
        cfn.create_stack(StackName=stack_name, TemplateBody=body, Parameters=params)
    else:
        try:
            cfn.update_stack(StackName=stack_name, TemplateBody=body, Parameters=params)
        except cfn.exceptions.ClientError as exc:
            if "No updates are to be performed" not in str(exc):
                raise
    deadline = time.monotonic() + 120
    while True:
        stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
        status = stack["StackStatus"]
        if status.endswith("_COMPLETE") and "ROLLBACK" not in status:
            break
        if "FAILED" in status or "ROLLBACK" in status:
            raise RuntimeError(f"stack {stack_name} ended in {status}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"stack {stack_name} still {status}")
        time.sleep(0.5)
    _enable_ttl(session, endpoint_url, prefix)
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def _enable_ttl(session: Any, endpoint_url: str | None, prefix: str) -> None:
    """moto's CloudFormation ignores TimeToLiveSpecification; make the tables match the template."""
    ddb = session.client("dynamodb", endpoint_url=endpoint_url)
    for table, attribute in ((f"{prefix}-connections", "ttl"), (f"{prefix}-idempotency", "expiration"), (f"{prefix}-reports", "ttl")):
        status = ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]["TimeToLiveStatus"]
        if status == "DISABLED":
            ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute})


def skipped_by_moto(template: Path = TEMPLATE) -> Counter[str]:
    """The template's resource types moto's CloudFormation does not create, with their counts
    (alarms, the secret...: they exist only on AWS), said once by the stack's banner instead of a
    warning per resource."""
    from moto.cloudformation.parsing import NULL_MODELS, get_model_list

    from ops.stage import load_cfn

    # get_model_list, not the cached get_model_map: caching it here could freeze an incomplete map for moto.
    supported = {model.cloudformation_type() for model in get_model_list()} | set(NULL_MODELS)
    types = (r["Type"] for r in load_cfn(template)["Resources"].values())
    return Counter(t for t in types if t not in supported and not t.startswith("Custom::"))


@contextmanager
def _quiet_moto_cloudformation() -> Iterator[None]:
    """An in-process moto logs and warns once per resource it skips; skipped_by_moto says it once."""
    logger = logging.getLogger("moto")
    logger.addFilter(_drop_skip_notices)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Tried to parse .* but it's not supported by moto")
            yield
    finally:
        logger.removeFilter(_drop_skip_notices)


def _drop_skip_notices(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith("No Moto CloudFormation support")
