"""Settings come from the environment, validated once."""

from __future__ import annotations

import pytest

from chalicelib.settings import SettingsError, load_settings


def test_the_local_stage_has_working_defaults() -> None:
    settings = load_settings({})
    assert (settings.stage, settings.table_name("transactions")) == ("local", "comanda-local-transactions")
    assert settings.jwt_ttl_seconds == 24 * 3600 and settings.default_timezone == "America/La_Paz"


def test_outside_local_a_real_secret_is_required() -> None:
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        load_settings({"COMANDA_STAGE": "prod"})
    with pytest.raises(SettingsError, match="placeholder"):
        load_settings({"COMANDA_STAGE": "prod", "JWT_SECRET": "set-me-before-deploying-0123456789abcdef"})
    assert load_settings({"COMANDA_STAGE": "prod", "JWT_SECRET": "x" * 40}).table_prefix == "comanda-prod"


def test_rs256_needs_a_jwks_url_and_unknown_algorithms_are_refused() -> None:
    with pytest.raises(SettingsError, match="JWKS_URL"):
        load_settings({"JWT_ALGORITHM": "RS256"})
    with pytest.raises(SettingsError, match="HS256 or RS256"):
        load_settings({"JWT_ALGORITHM": "none"})


def test_bad_numbers_are_named() -> None:
    with pytest.raises(SettingsError, match="JWT_TTL_SECONDS"):
        load_settings({"JWT_TTL_SECONDS": "soon"})


def test_outside_local_the_secret_comes_from_secrets_manager_or_ssm_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from moto import mock_aws

    for key, value in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        from aws_lambda_powertools.utilities import parameters

        parameters.clear_caches()
        arn = boto3.client("secretsmanager").create_secret(Name="comanda-dev/jwt-secret", SecretString="s" * 64)["ARN"]
        boto3.client("ssm").put_parameter(Name="/comanda-dev/jwt", Value="p" * 64, Type="SecureString")
        assert load_settings({"COMANDA_STAGE": "dev", "JWT_SECRET_ARN": arn}).jwt_secret == "s" * 64
        assert load_settings({"COMANDA_STAGE": "dev", "JWT_SECRET_PARAMETER": "/comanda-dev/jwt"}).jwt_secret == "p" * 64
        boto3.client("secretsmanager").put_secret_value(SecretId=arn, SecretString="r" * 64)
        assert load_settings({"COMANDA_STAGE": "dev", "JWT_SECRET_ARN": arn}).jwt_secret == "s" * 64  # cached
        with pytest.raises(SettingsError, match="cannot read the JWT secret"):
            load_settings({"COMANDA_STAGE": "dev", "JWT_SECRET_ARN": arn.replace("jwt-secret", "missing")})
        parameters.clear_caches()


STARTUP = """
import os, sys, boto3
from moto import mock_aws
with mock_aws():
    if sys.argv[1] == "stored":
        os.environ["JWT_SECRET_ARN"] = boto3.client("secretsmanager").create_secret(Name="s", SecretString="k" * 48)["ARN"]
    import app
    print("started")
"""


@pytest.mark.parametrize(("secret", "starts"), [("none", False), ("stored", True)])
def test_a_deployed_container_outside_local_refuses_to_start_without_its_secret(secret: str, starts: bool) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JWT_", "COMANDA_", "AWS_"))}
    env.update({"AWS_LAMBDA_FUNCTION_NAME": "comanda-dev", "COMANDA_STAGE": "dev", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"})
    done = subprocess.run([sys.executable, "-c", STARTUP, secret], cwd=root, env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert (done.returncode == 0 and "started" in done.stdout) is starts, done.stderr[-2000:]
    if not starts:
        assert "SettingsError" in done.stderr and "JWT secret" in done.stderr
