"""Environment -> one validated settings object, built lazily and cached."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

LOCAL_DEV_SECRET = "comanda-local-dev-secret-change-me-0123456789"
PLACEHOLDER_SECRET_PREFIX = "set-me"

TABLES = ("tenants", "users", "catalog", "cajas", "transactions", "idempotency", "connections", "reports")


class SettingsError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    endpoint_url: str | None
    table_prefix: str
    jwt_secret: str
    jwt_algorithm: str
    jwt_issuer: str
    jwt_audience: str
    jwt_ttl_seconds: int
    jwks_url: str | None
    default_tenant: str | None
    default_timezone: str
    websocket_endpoint: str | None
    recall_window_minutes: int
    log_level: str
    socketio_ping_interval_ms: int = 240_000
    socketio_ping_timeout_ms: int = 120_000
    socketio_poll_wait_seconds: int = 20
    stomp_connect_deadline_seconds: int = 10
    dispatch_reoffer_minutes: int = 5
    metrics_enabled: bool = False
    session_cache_seconds: int = 30
    login_max_failures: int = 5
    login_window_seconds: int = 900
    cors_allowed_origins: tuple[str, ...] = ("*",)
    audit_retention_days: int = 400
    aws_credentials: tuple[str, str] | None = None  # explicit keys (an embedded AWS); None: the default chain
    fanout_shard_threshold: int = 200  # a channel with more subscribers is sent by send_frames shards
    fanout_shard_size: int = 100  # connections per send_frames invocation
    send_frames_function: str = "comanda-local-send_frames"
    lambda_endpoint_url: str | None = None  # where Lambda's Invoke goes (the local stack's emulation); None: endpoint_url

    def table_name(self, table: str) -> str:
        if table not in TABLES:
            raise SettingsError(f"unknown table {table!r}")
        return f"{self.table_prefix}-{table}"


def _int(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{key} must be an integer, got {raw!r}") from exc
    if value <= 0:
        raise SettingsError(f"{key} must be positive, got {value}")
    return value


SECRET_MAX_AGE_SECONDS = 24 * 3600  # the settings hold it for the container's life anyway


def read_stored_secret(env: Mapping[str, str]) -> str:
    """JWT_SECRET from Secrets Manager (JWT_SECRET_ARN) or an SSM SecureString
    (JWT_SECRET_PARAMETER), through Powertools' cached parameters; "" when neither is named."""
    arn, parameter = env.get("JWT_SECRET_ARN"), env.get("JWT_SECRET_PARAMETER")
    if not arn and not parameter:
        return ""
    from aws_lambda_powertools.utilities import parameters

    try:
        if arn:
            value = parameters.get_secret(arn, max_age=SECRET_MAX_AGE_SECONDS)
        else:
            value = parameters.get_parameter(str(parameter), decrypt=True, max_age=SECRET_MAX_AGE_SECONDS)
    except parameters.exceptions.GetParameterError as exc:
        raise SettingsError(f"cannot read the JWT secret from {arn or parameter}: {exc}") from exc
    return value if isinstance(value, str) else bytes(value).decode()


def load_settings(env: Mapping[str, str]) -> Settings:
    stage = env.get("COMANDA_STAGE", "local")
    algorithm = env.get("JWT_ALGORITHM", "HS256")
    if algorithm not in ("HS256", "RS256"):
        raise SettingsError(f"JWT_ALGORITHM must be HS256 or RS256, got {algorithm!r}")
    secret = env.get("JWT_SECRET") or (LOCAL_DEV_SECRET if stage == "local" else read_stored_secret(env))
    if algorithm == "HS256" and len(secret) < 32:
        raise SettingsError(
            "the JWT secret must be at least 32 characters; outside the local stage it comes from Secrets Manager"
            " (JWT_SECRET_ARN) or SSM (JWT_SECRET_PARAMETER), or JWT_SECRET for operator tools"
        )
    if stage != "local" and secret.startswith(PLACEHOLDER_SECRET_PREFIX):
        raise SettingsError(f"JWT_SECRET for stage {stage} is still the placeholder from .chalice/config.json")
    jwks_url = env.get("JWKS_URL") or None
    if algorithm == "RS256" and not jwks_url:
        raise SettingsError("JWT_ALGORITHM=RS256 needs JWKS_URL")
    return Settings(
        stage=stage,
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
        table_prefix=env.get("COMANDA_TABLE_PREFIX") or f"comanda-{stage}",
        jwt_secret=secret,
        jwt_algorithm=algorithm,
        jwt_issuer=env.get("JWT_ISSUER", "comanda"),
        jwt_audience=env.get("JWT_AUDIENCE", "comanda-api"),
        jwt_ttl_seconds=_int(env, "JWT_TTL_SECONDS", 24 * 3600),
        jwks_url=jwks_url,
        default_tenant=env.get("COMANDA_DEFAULT_TENANT") or None,
        default_timezone=env.get("COMANDA_DEFAULT_TIMEZONE", "America/La_Paz"),
        websocket_endpoint=env.get("WEBSOCKET_ENDPOINT") or None,
        recall_window_minutes=_int(env, "RECALL_WINDOW_MINUTES", 15),
        log_level=env.get("LOG_LEVEL", "INFO"),
        socketio_ping_interval_ms=_int(env, "SOCKETIO_PING_INTERVAL_MS", 240_000),
        socketio_ping_timeout_ms=_int(env, "SOCKETIO_PING_TIMEOUT_MS", 120_000),
        socketio_poll_wait_seconds=min(25, _int(env, "SOCKETIO_POLL_WAIT_SECONDS", 20)),
        stomp_connect_deadline_seconds=_int(env, "STOMP_CONNECT_DEADLINE_SECONDS", 10),
        dispatch_reoffer_minutes=_int(env, "DISPATCH_REOFFER_MINUTES", 5),
        metrics_enabled=metrics_wanted(env, stage),
        session_cache_seconds=min(30, _int(env, "SESSION_CACHE_SECONDS", 30)),
        login_max_failures=_int(env, "LOGIN_MAX_FAILURES", 5),
        login_window_seconds=_int(env, "LOGIN_WINDOW_SECONDS", 900),
        cors_allowed_origins=cors_origins(env, stage),
        audit_retention_days=_int(env, "AUDIT_RETENTION_DAYS", 400),
        fanout_shard_threshold=_int(env, "COMANDA_FANOUT_SHARD_THRESHOLD", 200),
        fanout_shard_size=_int(env, "COMANDA_FANOUT_SHARD_SIZE", 100),
        # Chalice names a function <app>-<stage>-<name>
        send_frames_function=env.get("COMANDA_SEND_FRAMES_FUNCTION") or f"comanda-{stage}-send_frames",
        lambda_endpoint_url=env.get("COMANDA_LAMBDA_ENDPOINT_URL") or None,
    )


def cors_origins(env: Mapping[str, str], stage: str) -> tuple[str, ...]:
    """CORS_ALLOWED_ORIGINS, comma-separated: `*` in local unless set; none elsewhere unless set,
    and `*` only in local."""
    raw = env.get("CORS_ALLOWED_ORIGINS")
    if raw is None:
        return ("*",) if stage == "local" else ()
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    if "*" in origins and stage != "local":
        raise SettingsError(f"CORS_ALLOWED_ORIGINS may be * only in the local stage, not in {stage}")
    return origins


def metrics_wanted(env: Mapping[str, str], stage: str) -> bool:
    """Off in the local stage unless POWERTOOLS_METRICS_DISABLED=false; =true turns them off anywhere."""
    flag = env.get("POWERTOOLS_METRICS_DISABLED")
    if flag is not None:
        return flag.strip().lower() not in ("1", "true", "yes", "on")
    return stage != "local"


LOCAL_STREAM = "arn:aws:dynamodb:us-east-1:000000000000:table/comanda-local-{table}/stream/local"


@dataclass(frozen=True)
class StreamSources:
    """The stream ARNs that trigger the app's functions: known once infra/ is deployed (ops/deploy.py
    passes them), local placeholders otherwise. Read at import by app.py's decorators, without the secret."""

    transactions: str
    connections: str
    tenants: str
    catalog: str


def stream_sources(env: Mapping[str, str]) -> StreamSources:
    return StreamSources(
        transactions=env.get("TRANSACTIONS_STREAM_ARN") or LOCAL_STREAM.format(table="transactions"),
        connections=env.get("CONNECTIONS_STREAM_ARN") or LOCAL_STREAM.format(table="connections"),
        tenants=env.get("TENANTS_STREAM_ARN") or LOCAL_STREAM.format(table="tenants"),
        catalog=env.get("CATALOG_STREAM_ARN") or LOCAL_STREAM.format(table="catalog"),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings(os.environ)


def reset_settings() -> None:
    """Forget the cached settings (tests and the local stack change the environment)."""
    get_settings.cache_clear()
