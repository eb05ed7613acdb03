"""Idempotent commands (Powertools Idempotency over the `idempotency` table).

A retry with the same key and body returns the first response and does nothing new; the same
key with a different body is refused (422); a retry that arrives while the first attempt is
still running waits for its result."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property
from typing import Any

from chalicelib.errors import Conflict, Unprocessable
from chalicelib.settings import Settings

IN_PROGRESS_WAIT_SECONDS = 10.0


class IdempotentCommands:
    def __init__(self, settings: Settings, expires_after_seconds: int = 24 * 3600) -> None:
        self._settings = settings
        self._expires = expires_after_seconds

    @cached_property
    def _persistence(self) -> Any:
        import boto3
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

        access_key, secret_key = self._settings.aws_credentials or (None, None)
        client = boto3.client("dynamodb", region_name=self._settings.region, endpoint_url=self._settings.endpoint_url,
                              aws_access_key_id=access_key, aws_secret_access_key=secret_key)
        return DynamoDBPersistenceLayer(table_name=self._settings.table_name("idempotency"), boto3_client=client)

    @cached_property
    def _config(self) -> Any:
        from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

        return IdempotencyConfig(
            event_key_jmespath="key",
            payload_validation_jmespath="fingerprint",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=self._expires,
        )

    def run(
        self, key: str, fingerprint: dict[str, Any], command: Callable[[], dict[str, Any]], lambda_context: Any = None
    ) -> dict[str, Any]:
        """Run `command` at most once for `key` (already scoped by the caller, e.g. to a tenant).
        The Lambda context bounds how long an in-progress record may block a retry."""
        from aws_lambda_powertools.utilities.idempotency import idempotent_function
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyValidationError,
        )

        def idempotent_command(request: dict[str, Any]) -> dict[str, Any]:
            return command()

        if lambda_context is not None:
            self._config.register_lambda_context(lambda_context)
        guarded = idempotent_function(
            data_keyword_argument="request", persistence_store=self._persistence, config=self._config
        )(idempotent_command)
        deadline = time.monotonic() + IN_PROGRESS_WAIT_SECONDS
        delay = 0.05
        while True:
            try:
                result: dict[str, Any] = guarded(request={"key": key, "fingerprint": fingerprint})
                return result
            except IdempotencyValidationError as exc:
                raise Unprocessable("Idempotency-Key ya usada con un cuerpo distinto") from exc
            except IdempotencyAlreadyInProgressError as exc:
                if time.monotonic() > deadline:
                    raise Conflict("Una petición con la misma Idempotency-Key está en curso") from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
