"""The facts every ops command shares: where the project is, its templates, a stage's prefix,
the streams and their triggers' settings, and the app's functions as Chalice builds them.

Nothing here imports another ops module: deploy, package, policies and replay_dlq sit above it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".chalice" / "config.json"
INFRA = ROOT / "infra"
TABLES_TEMPLATE = INFRA / "tables.yaml"
EDGE_TEMPLATE = INFRA / "edge.yaml"
STAGES = ("dev", "prod")

# The stream triggers' failure handling (Chalice has no setting for any of it).
MAX_RETRY_ATTEMPTS = 5
MAX_RECORD_AGE_SECONDS = 3600

# send_frames, invoked asynchronously by the fan-out and the sweeps: Lambda retries a failed shard
# twice, then sends the event, as a destination record, to the shard DLQ.
SHARD_FUNCTION = "send_frames"
SHARD_RETRY_ATTEMPTS = 2
SHARD_EVENT_AGE_SECONDS = 3600


def shard_invoke_config(on_failure: Mapping[str, Any]) -> dict[str, Any]:
    """send_frames's asynchronous-invocation settings; `on_failure` as the caller's API names it."""
    return {"MaximumRetryAttempts": SHARD_RETRY_ATTEMPTS, "MaximumEventAgeInSeconds": SHARD_EVENT_AGE_SECONDS,
            "DestinationConfig": {"OnFailure": dict(on_failure)}}


class DeployError(Exception):
    """Reported in one line, exit code 1."""


@dataclass(frozen=True)
class Stream:
    """A table whose stream triggers a function of the app."""

    table: str  # the suffix after the stage prefix: `transactions`
    logical_id: str  # the table's resource in infra/tables.yaml
    env_var: str  # how app.py is given the stream's ARN
    output: str  # the infra stack's output with that ARN
    filters: tuple[str, ...] = ()  # Lambda event filter patterns (JSON): only matching records invoke

    @property
    def filter_criteria(self) -> dict[str, Any] | None:
        return {"Filters": [{"Pattern": pattern} for pattern in self.filters]} if self.filters else None


# The tenants table holds each tenant's id counters too; only its branch rows concern venue_changed.
BRANCH_ROWS = json.dumps({"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "BRANCH#"}]}}}})
# The catalog table holds productos, ingredientes and recipes too; only platos concern menu_changed.
PLATO_ROWS = json.dumps({"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "PLATO#"}]}}}})

STREAMS = (
    Stream("transactions", "TransactionsTable", "TRANSACTIONS_STREAM_ARN", "TransactionsStreamArn"),
    Stream("connections", "ConnectionsTable", "CONNECTIONS_STREAM_ARN", "ConnectionsStreamArn"),
    Stream("tenants", "TenantsTable", "TENANTS_STREAM_ARN", "TenantsStreamArn", filters=(BRANCH_ROWS,)),
    Stream("catalog", "CatalogTable", "CATALOG_STREAM_ARN", "CatalogStreamArn", filters=(PLATO_ROWS,)),
)


def stream_of_arn(stream_arn: str) -> Stream:
    """The stream behind an ARN app.py was given (a real one, or the local placeholder)."""
    name = stream_arn.split(":table/", 1)[1].split("/", 1)[0]
    for stream in STREAMS:
        if name.endswith(f"-{stream.table}"):
            return stream
    raise ValueError(f"no infra table for the stream {stream_arn}")


def trigger_settings(on_failure: Mapping[str, Any], stream: Stream | None = None) -> dict[str, Any]:
    """A stream trigger's settings; `on_failure` is the destination as the caller's API names it,
    `stream` adds its filter."""
    settings: dict[str, Any] = {
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "BisectBatchOnFunctionError": True,
        "MaximumRetryAttempts": MAX_RETRY_ATTEMPTS,
        "MaximumRecordAgeInSeconds": MAX_RECORD_AGE_SECONDS,
        "DestinationConfig": {"OnFailure": dict(on_failure)},
    }
    if stream is not None and stream.filter_criteria:
        settings["FilterCriteria"] = stream.filter_criteria
    return settings


def open_session(profile: str | None, session_factory: Any = None) -> Any:
    """The boto3 session an ops command works in (a profile's, or the environment's); raises
    DeployError when it has no region."""
    if session_factory is None:
        import boto3

        session_factory = boto3.Session
    session = session_factory(profile_name=profile) if profile else session_factory()
    if not session.region_name:
        raise DeployError("no AWS region (set AWS_DEFAULT_REGION or a profile's region)")
    return session


def stage_prefix(stage: str, config_path: Path = CONFIG) -> str:
    config = json.loads(config_path.read_text(encoding="utf-8"))
    stages = config.get("stages", {})
    if stage not in stages:
        raise DeployError(f"unknown stage {stage!r}; {config_path.name} has: {', '.join(sorted(stages))}")
    return str(stages[stage].get("environment_variables", {}).get("COMANDA_TABLE_PREFIX") or f"comanda-{stage}")


def load_cfn(path: Path) -> dict[str, Any]:
    """A CloudFormation YAML file with its short tags (!Ref, !Sub…) in their long JSON form."""
    return parse_cfn(path.read_text(encoding="utf-8"))


def parse_cfn(body: str) -> dict[str, Any]:
    """A CloudFormation template's text (YAML with short tags, or JSON) as plain JSON data."""
    from cfnlint.decode import cfn_yaml

    loaded: dict[str, Any] = json.loads(json.dumps(cfn_yaml.loads(body)))
    return loaded


# --- the app's functions ----------------------------------------------------------------------


REST_HANDLER = "api_handler"  # Chalice's name for the function behind the REST API


@dataclass(frozen=True)
class AppFunction:
    """One Lambda function of the app, as Chalice's deployer and `chalice package` name it."""

    name: str  # Chalice's resource name: `fan_out`, `websocket_connect`, `api_handler`
    stream: Stream | None = None  # the stream that triggers it, if any

    @property
    def logical_id(self) -> str:
        """Its resource in the packaged template (`fan_out` -> `FanOut`, `api_handler` -> `APIHandler`)."""
        from chalice.package import to_cfn_resource_name

        return "APIHandler" if self.name == REST_HANDLER else str(to_cfn_resource_name(self.name))

    def deployed_name(self, prefix: str) -> str:
        """The function's name once deployed: the stage prefix, then its own name (the REST handler has none)."""
        return prefix if self.name == REST_HANDLER else f"{prefix}-{self.name}"


def app_functions(project_dir: Path = ROOT, stage: str = "dev") -> tuple[AppFunction, ...]:
    """Every function `chalice deploy` makes of app.py, read from Chalice's own application graph,
    so a new handler in app.py needs no edit here."""
    return _app_functions(str(project_dir), stage)


@lru_cache(maxsize=8)
def _app_functions(project_dir: str, stage: str) -> tuple[AppFunction, ...]:
    from chalice.cli.factory import CLIFactory
    from chalice.deploy import models
    from chalice.deploy.appgraph import ApplicationGraphBuilder

    config = CLIFactory(project_dir=project_dir).create_config_obj(chalice_stage_name=stage)
    graph = ApplicationGraphBuilder().build(config, stage)
    functions: dict[str, AppFunction] = {}
    triggered: dict[str, Stream] = {}
    pending: list[Any] = [graph]
    seen: set[int] = set()
    while pending:
        resource = pending.pop()
        if id(resource) in seen:
            continue
        seen.add(id(resource))
        if isinstance(resource, models.LambdaFunction):
            functions.setdefault(resource.resource_name, AppFunction(resource.resource_name))
        if isinstance(resource, models.DynamoDBEventSource):
            triggered[resource.lambda_function.resource_name] = stream_of_arn(resource.stream_arn)
        pending.extend(resource.dependencies())
    return tuple(AppFunction(name, triggered.get(name)) for name in sorted(functions))


def stream_functions(project_dir: Path = ROOT) -> tuple[AppFunction, ...]:
    return tuple(f for f in app_functions(project_dir) if f.stream is not None)
