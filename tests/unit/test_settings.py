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
