"""Deploy a stage of Comanda to AWS in one command (`make deploy STAGE=dev`).

    python -m ops.deploy --stage dev [--plan] [--alarm-email ops@example.com]
                         [--domain-name comanda.example.com --certificate-arn arn:aws:acm:us-east-1:…]

1. infra/tables.yaml as the stack `<prefix>-tables` (tables, stream DLQ, JWT secret, alarms,
   dashboard), waiting for it; when the live tables gain or lose more than one index, in stages
   of one index each (ops/table_upgrades.py);
2. its outputs become the app's environment (stream ARNs, table prefix, secret ARN), passed to
   Chalice's deployer as user-provided parameters: `.chalice/config.json` is never edited;
3. `chalice deploy --stage` through Chalice's own deployer (skipped when nothing that goes into
   the app changed since the last deploy: its fingerprint is kept in SSM);
4. the stream triggers (fan_out, connection_opened, venue_changed): partial batch responses, bisect on error,
   bounded retries and record age, failures to the DLQ;
5. infra/edge.yaml as `<prefix>-edge` (CloudFront in front of both APIs);
6. prints the public URLs.

Every step compares before it changes, so a second run reports "no changes". `--plan` shows
what each step would change (CloudFormation change sets, Chalice's plan) and applies nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from ops.cloudformation import Report, apply_stack, describe_stack, outputs_of
from ops.policies import render, stage_policy
from ops.stage import (
    CONFIG,
    EDGE_TEMPLATE,
    ROOT,
    SHARD_FUNCTION,
    STAGES,
    STREAMS,
    TABLES_TEMPLATE,
    DeployError,
    Stream,
    open_session,
    shard_invoke_config,
    stage_prefix,
    stream_functions,
    trigger_settings,
)
from ops.table_upgrades import apply_tables_stack

# The infra stack's outputs the next steps read.
INFRA_OUTPUTS = ("TablePrefix", "JwtSecretArn", "StreamDeadLetterQueueArn", *(stream.output for stream in STREAMS))


def stream_trigger_settings(dlq_arn: str, stream: Stream | None = None) -> dict[str, Any]:
    return trigger_settings({"Destination": dlq_arn}, stream)


class ChaliceDeployer(Protocol):
    """`chalice deploy` / `chalice deploy` planning; injectable so tests use a recorded fake."""

    def deploy(self, stage: str, environment: Mapping[str, str], policy_file: Path) -> dict[str, Any]: ...

    def plan(self, stage: str, environment: Mapping[str, str]) -> None: ...

    def last_deployed(self, stage: str) -> dict[str, Any] | None: ...


# --- the app ----------------------------------------------------------------------------------


def app_environment(outputs: Mapping[str, str], websocket_endpoint: str | None) -> dict[str, str]:
    """What the stage's Lambda functions get from the infra stack, on top of config.json."""
    env = {
        "COMANDA_TABLE_PREFIX": outputs["TablePrefix"],
        **{stream.env_var: outputs[stream.output] for stream in STREAMS},
        "JWT_SECRET_ARN": outputs["JwtSecretArn"],
    }
    if websocket_endpoint:
        env["WEBSOCKET_ENDPOINT"] = websocket_endpoint
    return env


def app_fingerprint(stage: str, environment: Mapping[str, str], policy: str, root: Path = ROOT) -> str:
    """A digest of everything that goes into the deployed app: code, requirements, stage config,
    the rendered policy and the environment from the infra stack."""
    digest = hashlib.sha256(policy.encode())
    files = [root / "app.py", root / "requirements.txt", root / ".chalice" / "config.json",
             *sorted((root / "chalicelib").rglob("*.py"))]
    for path in files:
        if path.exists():
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(json.dumps(dict(environment), sort_keys=True).encode())
    return digest.hexdigest()


def fingerprint_parameter(prefix: str) -> str:
    return f"/{prefix}/deploy/app-fingerprint"


def read_fingerprint(ssm: Any, prefix: str) -> str | None:
    try:
        return str(ssm.get_parameter(Name=fingerprint_parameter(prefix))["Parameter"]["Value"])
    except ssm.exceptions.ParameterNotFound:
        return None


def deployed_resource(deployed: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    for resource in deployed.get("resources", []):
        if resource.get("name") == name:
            return dict(resource)
    return None


def management_endpoint(websocket_api_id: str, region: str, api_stage: str = "api") -> str:
    return f"https://{websocket_api_id}.execute-api.{region}.amazonaws.com/{api_stage}"


# --- stream triggers --------------------------------------------------------------------------


def configure_stream_triggers(lam: Any, deployed: Mapping[str, Any], streams: Mapping[str, str], dlq_arn: str,
                              report: Report, plan: bool, kinds: Mapping[str, Stream] | None = None) -> None:
    """Bring each stream trigger's failure settings (and its stream's filter) to `stream_trigger_settings`."""
    for function in streams:
        wanted = stream_trigger_settings(dlq_arn, (kinds or {}).get(function))
        resource = deployed_resource(deployed, function)
        if resource is None:
            raise DeployError(f"chalice deployed no function {function!r}")
        stream = streams[function]
        mappings = lam.list_event_source_mappings(FunctionName=resource["lambda_arn"], EventSourceArn=stream)["EventSourceMappings"]
        if not mappings:
            raise DeployError(f"{function} has no trigger on {stream}")
        for mapping in mappings:
            differences = {k: v for k, v in wanted.items() if mapping.get(k) != v}
            if not differences:
                report.step(f"stream trigger {function}", "no changes", changed=False)
                continue
            if not plan:
                lam.update_event_source_mapping(UUID=mapping["UUID"], **wanted)
            verb = "would set" if plan else "set"
            report.step(f"stream trigger {function}", f"{verb} {', '.join(sorted(differences))}", changed=True)


def configure_shard_destination(lam: Any, deployed: Mapping[str, Any], queue_arn: str, report: Report, plan: bool) -> None:
    """send_frames: bounded async retries, then the failed shard's event to the shard DLQ."""
    resource = deployed_resource(deployed, SHARD_FUNCTION)
    if resource is None:
        raise DeployError(f"chalice deployed no function {SHARD_FUNCTION!r}")
    wanted = shard_invoke_config({"Destination": queue_arn})
    try:
        current = lam.get_function_event_invoke_config(FunctionName=resource["lambda_arn"])
    except lam.exceptions.ResourceNotFoundException:
        current = {}
    differences = sorted(k for k, v in wanted.items() if current.get(k) != v)
    if not differences:
        report.step(f"async invocation {SHARD_FUNCTION}", "no changes", changed=False)
        return
    if not plan:
        lam.put_function_event_invoke_config(FunctionName=resource["lambda_arn"], **wanted)
    report.step(f"async invocation {SHARD_FUNCTION}", f"{'would set' if plan else 'set'} {', '.join(differences)}", changed=True)


# --- Chalice ----------------------------------------------------------------------------------


class RealChalice:
    """Chalice's own deployer, as `chalice deploy --stage` uses it, each run in an interpreter of
    its own (ops/chalice_run.py says why)."""

    def __init__(self, project_dir: Path = ROOT, profile: str | None = None, out: TextIO | None = None) -> None:
        self.project_dir = project_dir
        self.profile = profile
        self.out = out  # where Chalice's own output goes; stdout when None
        self.endpoint_url = os.environ.get("AWS_ENDPOINT_URL")  # Chalice's process talks to the same AWS as this one

    def _run(self, action: str, stage: str, environment: Mapping[str, str], policy_file: Path | None = None) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="comanda-chalice-") as scratch:
            request, result = Path(scratch) / "request.json", Path(scratch) / "deployed.json"
            request.write_text(json.dumps({
                "action": action, "project_dir": str(self.project_dir), "stage": stage, "environment": dict(environment),
                "policy_file": str(policy_file.resolve()) if policy_file else None, "profile": self.profile,
                "result": str(result),
            }), encoding="utf-8")
            env = {**os.environ, **({"AWS_ENDPOINT_URL": self.endpoint_url} if self.endpoint_url else {})}
            done = subprocess.run([sys.executable, "-m", "ops.chalice_run", str(request)], cwd=ROOT, capture_output=True,
                                  text=True, check=False, env=env)
            (self.out or sys.stdout).write(done.stdout)
            if done.returncode != 0:
                raise DeployError(f"chalice {action} --stage {stage} failed:\n{done.stderr.strip()}")
            deployed: dict[str, Any] = json.loads(result.read_text(encoding="utf-8")) if result.exists() else {}
            return deployed

    def deploy(self, stage: str, environment: Mapping[str, str], policy_file: Path) -> dict[str, Any]:
        return self._run("deploy", stage, environment, policy_file)

    def plan(self, stage: str, environment: Mapping[str, str]) -> None:
        self._run("plan", stage, environment)

    def delete(self, stage: str) -> None:
        self._run("delete", stage, {})

    def last_deployed(self, stage: str) -> dict[str, Any] | None:
        """Chalice's record of the stage's last deploy (.chalice/deployed/<stage>.json)."""
        path = self.project_dir / ".chalice" / "deployed" / f"{stage}.json"
        if not path.exists():
            return None
        record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return record


# --- the command ------------------------------------------------------------------------------


@dataclass
class Options:
    stage: str
    plan: bool = False
    alarm_email: str = ""
    domain_name: str = ""
    certificate_arn: str = ""
    force_app: bool = False
    build_dir: Path = ROOT / "build" / "deploy"
    project_dir: Path = ROOT  # the Chalice project (app.py, chalicelib/, .chalice/)


def deploy(options: Options, session: Any, chalice: ChaliceDeployer, out: TextIO = sys.stdout,
           poll: float = 5, config_path: Path = CONFIG) -> Report:
    stage, plan = options.stage, options.plan
    report = Report(out)
    prefix = stage_prefix(stage, config_path)
    region = session.region_name
    cfn = session.client("cloudformation")
    ssm = session.client("ssm")
    print(f"comanda {stage} in {region}: {'plan only, nothing is applied' if plan else 'deploying'}", file=out)

    # 1. infra
    tables_parameters = {"Prefix": prefix, "Stage": stage, "DeletionProtection": "true" if stage == "prod" else "false",
                         "AlarmEmail": options.alarm_email}
    outputs = apply_tables_stack(cfn, session.client("dynamodb"), f"{prefix}-tables", TABLES_TEMPLATE.read_text(),
                                 tables_parameters, report, "infra", plan, poll=poll)
    if not outputs:
        print("plan: the next steps need the infra stack; run without --plan to create it", file=out)
        return report
    missing = [name for name in INFRA_OUTPUTS if name not in outputs]
    if missing:  # only a plan meets a stack of an earlier release
        print(f"plan: the next steps need the infra stack's new outputs ({', '.join(missing)}); run without --plan to "
              "update it", file=out)
        return report

    # 2-3. the app, with the infra's outputs in its environment
    edge = describe_stack(cfn, f"{prefix}-edge")
    known_endpoint = outputs_of(edge).get("WebSocketManagementEndpoint") if edge else None
    environment = app_environment(outputs, known_endpoint)
    account = session.client("sts").get_caller_identity()["Account"]
    known_api = known_endpoint.split("//", 1)[1].split(".", 1)[0] if known_endpoint else "*"
    policy_file = write_policy(stage, prefix, region, account, known_api, options.build_dir)
    if plan:
        chalice.plan(stage, environment)
        if app_fingerprint(stage, environment, policy_file.read_text(), options.project_dir) != read_fingerprint(ssm, prefix):
            report.step("app", "would run chalice deploy (its plan is above)", changed=True)
        else:
            report.step("app", "no changes", changed=False)
        deployed = chalice.last_deployed(stage)
        if deployed is None:
            print("plan: the app was never deployed; the stream triggers and the front door come after it", file=out)
            return report
    else:
        deployed = _deploy_app(chalice, ssm, stage, prefix, environment, policy_file, options.force_app, report,
                               options.project_dir)
        websocket = deployed_resource(deployed, "websocket_api") or {}
        endpoint = management_endpoint(websocket["websocket_api_id"], region) if websocket else None
        if websocket and endpoint != known_endpoint:
            # First deploy: the WebSocket API only exists now; the fan-out needs its endpoint, and
            # the policy can name it.
            environment = app_environment(outputs, endpoint)
            policy_file = write_policy(stage, prefix, region, account, websocket["websocket_api_id"], options.build_dir)
            deployed = _deploy_app(chalice, ssm, stage, prefix, environment, policy_file, True, report, options.project_dir)
    websocket = deployed_resource(deployed, "websocket_api") or {}
    rest = deployed_resource(deployed, "rest_api") or {}

    # 4. stream triggers
    lam = session.client("lambda")
    triggered = {f.name: f.stream for f in stream_functions(options.project_dir) if f.stream is not None}
    streams = {name: outputs[stream.output] for name, stream in triggered.items()}
    configure_stream_triggers(lam, deployed, streams, outputs["StreamDeadLetterQueueArn"], report, plan, triggered)
    configure_shard_destination(lam, deployed, outputs["ShardDeadLetterQueueArn"], report, plan)

    # 5. front door
    edge_outputs: dict[str, str] = {}
    if rest and websocket:
        edge_parameters = {"Prefix": prefix, "RestApiId": rest["rest_api_id"], "WebsocketApiId": websocket["websocket_api_id"],
                           "DomainName": options.domain_name, "CertificateArn": options.certificate_arn}
        edge_outputs = apply_stack(cfn, f"{prefix}-edge", EDGE_TEMPLATE.read_text(), edge_parameters, report, "front door",
                                   plan, poll=poll)
    if plan:
        print("plan: " + ("no changes" if not report.changed else f"would change {', '.join(report.changed)}"), file=out)
        return report

    # 6. URLs
    print("", file=out)
    if edge_outputs:
        print(f"public URL:        {edge_outputs['PublicUrl']}", file=out)
        print(f"WebSocket (cocina): {edge_outputs['WebSocketUrl']}", file=out)
    if rest:
        print(f"REST API (direct):  {rest.get('rest_api_url', '')}", file=out)
    if websocket:
        print(f"WebSocket (direct): {websocket.get('websocket_api_url', '')}", file=out)
    print(f"dashboard:          https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards:name={prefix}",
          file=out)
    print("no changes" if not report.changed else f"changed: {', '.join(report.changed)}", file=out)
    return report


def write_policy(stage: str, prefix: str, region: str, account: str, websocket_api_id: str, build_dir: Path) -> Path:
    """The stage's policy (ops/policies.py) with this deploy's region, account and API."""
    build_dir.mkdir(parents=True, exist_ok=True)
    path = build_dir / f"policy-{stage}.json"
    path.write_text(render(stage_policy(prefix, region, account, websocket_api_id)), encoding="utf-8")
    return path


def _deploy_app(chalice: ChaliceDeployer, ssm: Any, stage: str, prefix: str, environment: Mapping[str, str],
                policy_file: Path, force: bool, report: Report, project_dir: Path = ROOT) -> dict[str, Any]:
    fingerprint = app_fingerprint(stage, environment, policy_file.read_text(), project_dir)
    previous = read_fingerprint(ssm, prefix)
    record = chalice.last_deployed(stage)
    if not force and previous == fingerprint and record is not None:
        report.step("app", "no changes (same code, configuration and environment as the last deploy)", changed=False)
        return record
    deployed = chalice.deploy(stage, environment, policy_file)
    ssm.put_parameter(Name=fingerprint_parameter(prefix), Value=fingerprint, Type="String", Overwrite=True)
    report.step("app", f"chalice deploy --stage {stage}", changed=True)
    return deployed


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ops.deploy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True, choices=STAGES)
    parser.add_argument("--plan", action="store_true", help="show what would change; apply nothing")
    parser.add_argument("--alarm-email", default=os.environ.get("COMANDA_ALARM_EMAIL", ""))
    parser.add_argument("--domain-name", default=os.environ.get("COMANDA_DOMAIN_NAME", ""))
    parser.add_argument("--certificate-arn", default=os.environ.get("COMANDA_CERTIFICATE_ARN", ""))
    parser.add_argument("--force-app", action="store_true", help="run chalice deploy even if nothing changed")
    parser.add_argument("--profile", default=None)
    return parser


def main(argv: list[str] | None = None, session_factory: Callable[..., Any] | None = None,
         chalice: ChaliceDeployer | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    args = build_parser().parse_args(argv)
    try:
        session = open_session(args.profile, session_factory)
    except DeployError as exc:
        print(f"deploy: error: {exc}", file=err)
        return 1
    options = Options(args.stage, args.plan, args.alarm_email, args.domain_name, args.certificate_arn, args.force_app)
    try:
        deploy(options, session, chalice or RealChalice(profile=args.profile), out)
    except DeployError as exc:
        print(f"deploy: error: {exc}", file=err)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
