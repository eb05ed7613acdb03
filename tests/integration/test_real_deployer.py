"""`make deploy` with Chalice's real deployer (not the recorded fake), end to end, against a moto
server on loopback (`AWS_ENDPOINT_URL`), then `make destroy`.

Two stages are deployed from a copy of the project (so a test can change a handler without
touching the checkout): `prod`, which must come out of everything untouched, and `dev`. Each copy
gets its own app name, so every name is this run's own (moto's state is shared by the process).

What moto 5.2.5 cannot emulate, and the stand-in for that one resource only (docs/operations.md,
"Testing the deployer"):
- the REST API's Swagger 2.0 import and the WebSocket API's deployments (tests/support/moto_chalice.py);
- in CloudFormation: the JWT secret and the CloudFront function and distribution
  (tests/support/moto_cfn.py); CloudWatch alarms are skipped by moto's CloudFormation
  (checked below: every other resource of infra/ is in the stacks).
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from ops import destroy as ops_destroy
from ops.deploy import Options, RealChalice, deploy
from ops.stage import EDGE_TEMPLATE, MAX_RECORD_AGE_SECONDS, MAX_RETRY_ATTEMPTS, TABLES_TEMPLATE, app_functions, load_cfn
from tests.support import moto_cfn, moto_chalice

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
NOT_EMULATED_BY_MOTO_CLOUDFORMATION = {"AWS::CloudWatch::Alarm"}  # moto's CloudFormation skips them with a warning
STREAM_TABLES = {"fan_out": "transactions", "connection_opened": "connections", "venue_changed": "tenants",
                 "menu_changed": "catalog"}
WEBSOCKET_ROUTES = {"$connect": "websocket_connect", "$default": "websocket_message", "$disconnect": "websocket_disconnect"}


@dataclass
class Stage:
    name: str
    project: Path
    prefix: str
    outputs: list[str] = field(default_factory=list)  # what each `make deploy` printed

    @property
    def config(self) -> Path:
        return self.project / ".chalice" / "config.json"

    def record(self) -> dict[str, Any]:
        return dict(json.loads((self.project / ".chalice" / "deployed" / f"{self.name}.json").read_text()))

    def resource(self, name: str) -> dict[str, Any]:
        return next(r for r in self.record()["resources"] if r["name"] == name)


@dataclass
class World:
    session: Any
    dev: Stage
    prod: Stage


def copy_project(destination: Path, tag: str) -> None:
    destination.mkdir(parents=True)
    shutil.copy(ROOT / "app.py", destination)
    shutil.copy(ROOT / "requirements.txt", destination)
    shutil.copytree(ROOT / "chalicelib", destination / "chalicelib", ignore=shutil.ignore_patterns("__pycache__"))
    (destination / ".chalice").mkdir()
    for name in ("policy-dev.json", "policy-prod.json"):
        shutil.copy(ROOT / ".chalice" / name, destination / ".chalice" / name)
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    config["app_name"] = f"comanda{tag}"  # Chalice names the functions <app>-<stage>: the stage's prefix
    for stage in ("dev", "prod"):
        config["stages"][stage]["environment_variables"]["COMANDA_TABLE_PREFIX"] = f"comanda{tag}-{stage}"
    (destination / ".chalice" / "config.json").write_text(json.dumps(config, indent=2))
    copy_packages(ROOT / ".chalice" / "deployments", destination / ".chalice" / "deployments")


def copy_packages(source: Path, destination: Path) -> None:
    """Chalice's cache of packaged requirements (one zip per hash of requirements.txt and the
    app's files): complete zips only, since `make package` or a test of it may be writing one,
    and each one written whole under a temporary name first."""
    destination.mkdir(parents=True, exist_ok=True)
    for package in sorted(source.glob("*-python*.zip")) if source.is_dir() else []:
        if ".tmp" in package.name or (destination / package.name).exists():
            continue
        try:
            with zipfile.ZipFile(package) as archive:
                if archive.testzip() is not None:
                    continue
        except (zipfile.BadZipFile, OSError):
            continue
        partial = destination / f".{package.name}.{uuid.uuid4().hex}"
        shutil.copyfile(package, partial)
        os.replace(partial, destination / package.name)


def run_deploy(session: Any, stage: Stage, capsys: pytest.CaptureFixture[str] | None = None, **options: Any) -> tuple[Any, str]:
    out = io.StringIO()
    chalice_out = io.StringIO()
    report = deploy(Options(stage.name, project_dir=stage.project, build_dir=stage.project / "build", **options), session,
                    RealChalice(stage.project, out=chalice_out), out, poll=0.05, config_path=stage.config)
    text = chalice_out.getvalue() + out.getvalue()
    stage.outputs.append(text)
    return report, text


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with pytest.MonkeyPatch.context() as patch:
        moto_cfn.install()
        moto_chalice.install(patch)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            for key, value in {"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "testing",
                               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}.items():
                patch.setenv(key, value)
            patch.delenv("AWS_PROFILE", raising=False)
            tag = uuid.uuid4().hex[:6]
            projects = {stage: tmp_path_factory.mktemp(stage) / "comanda" for stage in ("dev", "prod")}
            for project in projects.values():
                copy_project(project, tag)
            session = boto3.Session(region_name=REGION)
            world = World(session, Stage("dev", projects["dev"], f"comanda{tag}-dev"),
                          Stage("prod", projects["prod"], f"comanda{tag}-prod"))
            run_deploy(session, world.prod)
            run_deploy(session, world.dev)
            copy_packages(projects["dev"] / ".chalice" / "deployments", ROOT / ".chalice" / "deployments")  # for the next run
            yield world
        finally:
            server.stop()


def functions_of(session: Any, prefix: str) -> dict[str, dict[str, Any]]:
    lam = session.client("lambda")
    found: dict[str, dict[str, Any]] = {}
    for page in lam.get_paginator("list_functions").paginate():
        for function in page["Functions"]:
            if function["FunctionName"] == prefix or function["FunctionName"].startswith(f"{prefix}-"):
                found[function["FunctionName"]] = function
    return found


def rules_of(session: Any, prefix: str) -> dict[str, dict[str, Any]]:
    return {r["Name"]: r for r in session.client("events").list_rules(NamePrefix=f"{prefix}-")["Rules"]}


def snapshot(session: Any, stage: Stage) -> dict[str, Any]:
    """Everything of a stage that a deploy could change, as it is deployed now."""
    lam = session.client("lambda")
    functions = {name: {k: v for k, v in f.items() if k not in ("ResponseMetadata",)} for name, f in
                 functions_of(session, stage.prefix).items()}
    mappings = {m["UUID"]: {k: v for k, v in m.items() if k != "LastModified"}
                for name, f in functions.items()
                for m in lam.list_event_source_mappings(FunctionName=f["FunctionArn"])["EventSourceMappings"]}
    events = session.client("events")
    rules = {name: (rule["ScheduleExpression"], [t["Arn"] for t in events.list_targets_by_rule(Rule=name)["Targets"]])
             for name, rule in rules_of(session, stage.prefix).items()}
    iam = session.client("iam")
    roles = {r["RoleName"]: [iam.get_role_policy(RoleName=r["RoleName"], PolicyName=p)["PolicyDocument"]
                             for p in iam.list_role_policies(RoleName=r["RoleName"])["PolicyNames"]]
             for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(f"{stage.prefix}-")}
    stacks = {s: session.client("cloudformation").describe_stacks(StackName=f"{stage.prefix}-{s}")["Stacks"][0].get(
        "LastUpdatedTime") for s in ("tables", "edge")}
    return {"functions": functions, "mappings": mappings, "rules": rules, "roles": roles, "stacks": stacks}


# --- the first deploy ---------------------------------------------------------------------------


def test_the_first_deploy_creates_the_infra_stack_then_runs_chalice_deploy_and_the_front_door(world: World) -> None:
    out = world.dev.outputs[0]
    lines = out.splitlines()
    assert f"infra: created stack {world.dev.prefix}-tables (CREATE_COMPLETE)" in lines
    assert f"Creating lambda function: {world.dev.prefix}-fan_out" in lines  # Chalice's own output
    assert lines.count("app: chalice deploy --stage dev") == 2  # the second one gives the fan-out the WebSocket endpoint
    assert f"front door: created stack {world.dev.prefix}-edge (CREATE_COMPLETE)" in lines
    assert lines[-1].startswith("changed: infra, app, app, stream trigger")


def test_every_function_of_app_py_is_deployed_with_the_stages_environment_and_its_policy(world: World) -> None:
    session, stage = world.session, world.dev
    deployed = functions_of(session, stage.prefix)
    expected = {f.deployed_name(stage.prefix) for f in app_functions(ROOT, "dev")}
    assert set(deployed) == expected
    assert {f.name for f in app_functions(ROOT, "dev")} >= {
        "api_handler", "websocket_connect", "websocket_message", "websocket_disconnect", "fan_out", "connection_opened",
        "venue_changed", "send_frames", "socketio_heartbeat", "stomp_connect_deadline", "dispatch_reoffer"}
    infra = {o["OutputKey"]: o["OutputValue"] for o in
             session.client("cloudformation").describe_stacks(StackName=f"{stage.prefix}-tables")["Stacks"][0]["Outputs"]}
    websocket = stage.resource("websocket_api")["websocket_api_id"]
    iam = session.client("iam")
    for name, function in deployed.items():
        variables = function["Environment"]["Variables"]
        assert variables["COMANDA_STAGE"] == "dev"
        assert variables["COMANDA_TABLE_PREFIX"] == stage.prefix
        assert variables["TRANSACTIONS_STREAM_ARN"] == infra["TransactionsStreamArn"]
        assert variables["JWT_SECRET_ARN"] == infra["JwtSecretArn"]
        assert variables["WEBSOCKET_ENDPOINT"] == f"https://{websocket}.execute-api.{REGION}.amazonaws.com/api"
        role = function["Role"].rsplit("/", 1)[1]
        [policy_name] = iam.list_role_policies(RoleName=role)["PolicyNames"]
        policy = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
        assert policy == json.loads((stage.project / "build" / "policy-dev.json").read_text()), name
    assert deployed[f"{stage.prefix}-send_frames"]["Timeout"] == 60
    assert deployed[f"{stage.prefix}-fan_out"]["MemorySize"] == 1024


def test_each_stream_handler_is_triggered_by_its_tables_stream_with_item_failures_bisect_bounded_retries_and_the_dlq(
    world: World
) -> None:
    session, stage = world.session, world.dev
    infra = {o["OutputKey"]: o["OutputValue"] for o in
             session.client("cloudformation").describe_stacks(StackName=f"{stage.prefix}-tables")["Stacks"][0]["Outputs"]}
    lam = session.client("lambda")
    triggered = {f.name for f in app_functions(ROOT, "dev") if f.stream is not None}
    assert triggered == set(STREAM_TABLES)
    functions = functions_of(session, stage.prefix)
    for function, table in STREAM_TABLES.items():
        arn = functions[f"{stage.prefix}-{function}"]["FunctionArn"]
        [mapping] = lam.list_event_source_mappings(FunctionName=arn)["EventSourceMappings"]
        assert mapping["EventSourceArn"].split("/stream/")[0].endswith(f":table/{stage.prefix}-{table}")
        assert mapping["EventSourceArn"] == infra[f"{table.title()}StreamArn"]
        assert mapping["BatchSize"] == 100 and mapping["StartingPosition"] == "LATEST"  # Chalice's, from app.py
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BisectBatchOnFunctionError"] is True
        assert mapping["MaximumRetryAttempts"] == MAX_RETRY_ATTEMPTS
        assert mapping["MaximumRecordAgeInSeconds"] == MAX_RECORD_AGE_SECONDS
        assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": infra["StreamDeadLetterQueueArn"]}}


def test_every_schedule_of_app_py_has_its_eventbridge_rule_targeting_its_function(world: World) -> None:
    from chalice.app import ScheduledEventConfig

    from app import app

    session, stage = world.session, world.dev
    schedules = {e.handler_string.rsplit(".", 1)[1]: e.schedule_expression for e in app.event_sources
                 if isinstance(e, ScheduledEventConfig)}
    assert set(schedules) == {"socketio_heartbeat", "stomp_connect_deadline", "dispatch_reoffer", "fire_due_courses"}
    rules = rules_of(session, stage.prefix)
    events = session.client("events")
    for function, expression in schedules.items():
        [rule] = [r for name, r in rules.items() if name == f"{stage.prefix}-{function}-event"]
        wanted = expression if isinstance(expression, str) else expression.to_string()
        assert rule["ScheduleExpression"] == wanted
        [target] = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        assert target["Arn"] == functions_of(session, stage.prefix)[f"{stage.prefix}-{function}"]["FunctionArn"]
    assert len(rules) == len(schedules)


def test_the_rest_api_sends_every_route_of_app_py_to_the_rest_handler(world: World) -> None:
    from app import app

    session, stage = world.session, world.dev
    rest_id = stage.resource("rest_api")["rest_api_id"]
    gateway = session.client("apigateway")
    assert gateway.get_rest_api(restApiId=rest_id)["name"] == app.app_name  # Chalice names it after app.py's app
    handler = functions_of(session, stage.prefix)[stage.prefix]["FunctionArn"]
    resources = {r["path"]: r for r in gateway.get_resources(restApiId=rest_id, limit=500)["items"]}
    for path, methods in app.routes.items():
        assert path in resources, path
        for method in methods:
            integration = gateway.get_integration(restApiId=rest_id, resourceId=resources[path]["id"], httpMethod=method)
            assert integration["type"].upper() == "AWS_PROXY", (path, method)
            assert handler in integration["uri"], (path, method)
    assert [s["stageName"] for s in gateway.get_stages(restApiId=rest_id)["item"]] == ["api"]


def test_the_websocket_api_routes_connect_message_and_disconnect_to_their_functions(world: World) -> None:
    from app import app

    session, stage = world.session, world.dev
    api_id = stage.resource("websocket_api")["websocket_api_id"]
    v2 = session.client("apigatewayv2")
    assert v2.get_api(ApiId=api_id)["ProtocolType"] == "WEBSOCKET"
    integrations = {i["IntegrationId"]: i for i in v2.get_integrations(ApiId=api_id)["Items"]}
    routes = {r["RouteKey"]: r for r in v2.get_routes(ApiId=api_id)["Items"]}
    assert set(routes) == set(app.websocket_handlers) == set(WEBSOCKET_ROUTES)
    functions = functions_of(session, stage.prefix)
    for key, function in WEBSOCKET_ROUTES.items():
        integration = integrations[routes[key]["Target"].split("/", 1)[1]]
        assert functions[f"{stage.prefix}-{function}"]["FunctionArn"] in integration["IntegrationUri"], key
    assert [s["StageName"] for s in v2.get_stages(ApiId=api_id)["Items"]] == ["api"]
    assert moto_chalice.WEBSOCKET_DEPLOYMENTS[api_id]  # stood in for: moto has no API Gateway v2 deployments


def test_the_stacks_hold_every_resource_of_infra_that_moto_emulates(world: World) -> None:
    session, stage = world.session, world.dev
    cfn = session.client("cloudformation")
    for template, stack in ((TABLES_TEMPLATE, "tables"), (EDGE_TEMPLATE, "edge")):
        declared = load_cfn(template)["Resources"]
        wanted = {name for name, r in declared.items()
                  if r["Type"] not in NOT_EMULATED_BY_MOTO_CLOUDFORMATION and "Condition" not in r}
        listed = {r["LogicalResourceId"] for r in
                  cfn.list_stack_resources(StackName=f"{stage.prefix}-{stack}")["StackResourceSummaries"]}
        assert wanted <= listed, (stack, wanted - listed)
    tables = load_cfn(TABLES_TEMPLATE)["Resources"]
    ddb = session.client("dynamodb")
    for resource in tables.values():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        name = resource["Properties"]["TableName"]["Fn::Sub"].replace("${Prefix}", stage.prefix)
        table = ddb.describe_table(TableName=name)["Table"]
        indexes = {i["IndexName"] for i in resource["Properties"].get("GlobalSecondaryIndexes", [])}
        assert {i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])} == indexes, name


# --- the next deploys ---------------------------------------------------------------------------


def test_a_second_deploy_reports_no_changes_and_changes_nothing(world: World) -> None:
    before = snapshot(world.session, world.dev)
    report, out = run_deploy(world.session, world.dev)
    assert report.changed == []
    assert out.strip().splitlines()[-1] == "no changes"
    assert "app: no changes" in out and "Creating" not in out and "Updating" not in out
    assert snapshot(world.session, world.dev) == before


def test_a_changed_handler_shows_in_deploy_plan_and_is_the_only_function_the_next_deploy_updates(world: World) -> None:
    session, stage = world.session, world.dev
    config = json.loads(stage.config.read_text())
    config["lambda_functions"]["send_frames"]["lambda_timeout"] = 90  # the shards' handler gets more time
    stage.config.write_text(json.dumps(config, indent=2))
    before = snapshot(session, stage)

    report, plan = run_deploy(session, stage, plan=True)
    assert report.changed == ["app"]
    assert f"function {stage.prefix}-send_frames: would change Timeout 60 -> 90" in plan.splitlines()
    assert sum(line.endswith(": no changes") and line.startswith("function ") for line in plan.splitlines()) == \
        len(before["functions"]) - 1
    assert snapshot(session, stage) == before  # a plan applies nothing

    report, out = run_deploy(session, stage)
    assert report.changed == ["app"]
    assert f"updated: {stage.prefix}-send_frames (Timeout 60 -> 90); unchanged functions: {len(before['functions']) - 1}" in out
    after = snapshot(session, stage)
    changed = {name for name in before["functions"] if before["functions"][name] != after["functions"][name]}
    assert changed == {f"{stage.prefix}-send_frames"}
    assert after["functions"][f"{stage.prefix}-send_frames"]["Timeout"] == 90
    assert {k: v for k, v in after.items() if k != "functions"} == {k: v for k, v in before.items() if k != "functions"}


# --- destroy ----------------------------------------------------------------------------------


def test_destroy_removes_the_stage_and_leaves_the_other_stage_untouched(world: World) -> None:
    session, dev, prod = world.session, world.dev, world.prod
    prod_before = snapshot(session, prod)
    rest_id, websocket_id = dev.resource("rest_api")["rest_api_id"], dev.resource("websocket_api")["websocket_api_id"]
    prod_tables = sorted(t for t in session.client("dynamodb").list_tables()["TableNames"] if t.startswith(f"{prod.prefix}-"))
    out, err = io.StringIO(), io.StringIO()

    code = ops_destroy.main(["--stage", "dev"], session_factory=lambda: session, chalice=RealChalice(dev.project, out=out),
                            out=out, err=err, project_dir=dev.project)

    assert code == 0, err.getvalue()
    assert out.getvalue().strip().splitlines()[-1] == "destroyed dev"
    assert functions_of(session, dev.prefix) == {}
    assert rules_of(session, dev.prefix) == {}
    assert [r for r in session.client("iam").list_roles()["Roles"] if r["RoleName"].startswith(f"{dev.prefix}-")] == []
    assert [a for a in session.client("apigateway").get_rest_apis()["items"] if a["id"] == rest_id] == []
    assert [a for a in session.client("apigatewayv2").get_apis()["Items"] if a["ApiId"] == websocket_id] == []
    assert [t for t in session.client("dynamodb").list_tables()["TableNames"] if t.startswith(f"{dev.prefix}-")] == []
    stacks = session.client("cloudformation").list_stacks()["StackSummaries"]
    assert {s["StackStatus"] for s in stacks if s["StackName"].startswith(f"{dev.prefix}-")} == {"DELETE_COMPLETE"}
    assert [p for p in session.client("ssm").describe_parameters()["Parameters"] if p["Name"].startswith(f"/{dev.prefix}/")] == []
    # the other stage
    assert snapshot(session, prod) == prod_before
    assert sorted(t for t in session.client("dynamodb").list_tables()["TableNames"] if t.startswith(f"{prod.prefix}-")) == \
        prod_tables
    _, again = run_deploy(session, prod)
    assert again.strip().splitlines()[-1] == "no changes"
