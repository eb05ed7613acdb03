"""Remove a stage of Comanda from AWS (`make destroy STAGE=dev`), and nothing of any other stage.

    python -m ops.destroy --stage dev [--keep-data]
    python -m ops.destroy --stage prod --confirm prod

1. the app: Chalice's own delete (`chalice delete --stage`), from the stage's record
   `.chalice/deployed/<stage>.json`: its functions, roles, REST and WebSocket APIs, stream
   triggers and schedules;
2. the front door stack `<prefix>-edge`, then the tables stack `<prefix>-tables`, waiting for each;
3. what those stacks keep on deletion (`Retain`): the stage's tables (their deletion protection
   turned off first) and its JWT secret; `--keep-data` keeps them (a later `make deploy` of the
   same stage then fails on the existing tables until they are removed by hand);
4. the app's fingerprint in SSM (`/<prefix>/deploy/app-fingerprint`).

`prod` is refused unless `--confirm prod` (`CONFIRM=prod`) is given too. Every name removed
starts with the stage's prefix (`comanda-<stage>`), so other stages are untouched.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TextIO

from ops.cloudformation import describe_stack, outputs_of
from ops.deploy import RealChalice, fingerprint_parameter
from ops.stage import CONFIG, ROOT, STAGES, DeployError, open_session, stage_prefix

PROTECTED = ("prod",)  # stages destroyed only with --confirm <stage>


class ChaliceDeleter(Protocol):
    def delete(self, stage: str) -> None: ...


def refusal(stage: str, confirm: str) -> str | None:
    """Why `stage` may not be destroyed with this confirmation, or None."""
    if stage in PROTECTED and confirm != stage:
        return f"refusing to destroy {stage!r}: give CONFIRM={stage} (--confirm {stage}) too"
    return None


def _delete_stack(cfn: Any, name: str, out: TextIO, timeout: float, poll: float) -> dict[str, str]:
    stack = describe_stack(cfn, name)
    if stack is None or stack["StackStatus"] == "DELETE_COMPLETE":
        print(f"stack {name}: not there", file=out)
        return {}
    outputs = outputs_of(stack)
    cfn.delete_stack(StackName=name)
    deadline = time.monotonic() + timeout
    while True:
        stack = describe_stack(cfn, name)
        status = stack["StackStatus"] if stack else "DELETE_COMPLETE"
        if status == "DELETE_COMPLETE":
            break
        if status == "DELETE_FAILED":
            raise DeployError(f"stack {name} ended in DELETE_FAILED; see its events in the CloudFormation console")
        if time.monotonic() > deadline:
            raise DeployError(f"stack {name} is still {status} after {timeout:.0f} s")
        time.sleep(poll)
    print(f"stack {name}: deleted", file=out)
    return outputs


def _delete_retained(session: Any, prefix: str, outputs: dict[str, str], out: TextIO) -> None:
    """The tables and the secret the tables stack keeps on deletion (`DeletionPolicy: Retain`)."""
    ddb = session.client("dynamodb")
    tables = sorted(v for k, v in outputs.items() if k.endswith("TableName") and v.startswith(f"{prefix}-"))
    for table in tables:
        try:
            if ddb.describe_table(TableName=table)["Table"].get("DeletionProtectionEnabled"):
                ddb.update_table(TableName=table, DeletionProtectionEnabled=False)
            ddb.delete_table(TableName=table)
        except ddb.exceptions.ResourceNotFoundException:
            continue
        print(f"table {table}: deleted", file=out)
    secret = outputs.get("JwtSecretArn")
    if secret:
        secrets = session.client("secretsmanager")
        with contextlib.suppress(secrets.exceptions.ResourceNotFoundException):
            secrets.delete_secret(SecretId=secret, ForceDeleteWithoutRecovery=True)
            print(f"secret {secret}: deleted", file=out)


def destroy(stage: str, session: Any, chalice: ChaliceDeleter, out: TextIO = sys.stdout, confirm: str = "",
            keep_data: bool = False, config_path: Path = CONFIG, timeout: float = 3600, poll: float = 5) -> None:
    reason = refusal(stage, confirm)
    if reason:
        raise DeployError(reason)
    prefix = stage_prefix(stage, config_path)
    print(f"comanda {stage} in {session.region_name}: destroying everything named {prefix}-*", file=out)
    chalice.delete(stage)
    print(f"app: chalice delete --stage {stage}", file=out)
    cfn = session.client("cloudformation")
    _delete_stack(cfn, f"{prefix}-edge", out, timeout, poll)
    outputs = _delete_stack(cfn, f"{prefix}-tables", out, timeout, poll)
    if keep_data:
        kept = sorted(v for k, v in outputs.items() if k.endswith("TableName")) + [outputs.get("JwtSecretArn", "")]
        print(f"kept (--keep-data): {', '.join(k for k in kept if k)}", file=out)
    else:
        _delete_retained(session, prefix, outputs, out)
    ssm = session.client("ssm")
    with contextlib.suppress(ssm.exceptions.ParameterNotFound):
        ssm.delete_parameter(Name=fingerprint_parameter(prefix))
    print(f"destroyed {stage}", file=out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ops.destroy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True, choices=STAGES)
    parser.add_argument("--confirm", default="", help="the stage's name again; required for prod")
    parser.add_argument("--keep-data", action="store_true", help="keep the stage's tables and secret")
    parser.add_argument("--profile", default=None)
    return parser


def main(argv: list[str] | None = None, session_factory: Callable[..., Any] | None = None,
         chalice: ChaliceDeleter | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr,
         project_dir: Path = ROOT) -> int:
    args = build_parser().parse_args(argv)
    reason = refusal(args.stage, args.confirm)
    if reason:  # before any AWS call
        print(f"destroy: {reason}", file=err)
        return 2
    try:
        session = open_session(args.profile, session_factory)
    except DeployError as exc:
        print(f"destroy: error: {exc}", file=err)
        return 1
    try:
        destroy(args.stage, session, chalice or RealChalice(project_dir, profile=args.profile), out, args.confirm,
                args.keep_data, project_dir / ".chalice" / "config.json")
    except DeployError as exc:
        print(f"destroy: error: {exc}", file=err)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
