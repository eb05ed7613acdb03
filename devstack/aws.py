"""Where AWS is for the local stack: AWS_ENDPOINT_URL if set, otherwise an embedded moto server."""

from __future__ import annotations

import logging
import os
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

LOCAL_DEFAULTS = {
    "COMANDA_STAGE": "local",
    "COMANDA_TABLE_PREFIX": "comanda-local",
    "COMANDA_DEFAULT_TENANT": "demo",
    "AWS_DEFAULT_REGION": "us-east-1",
}

DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@dataclass
class AwsEndpoint:
    url: str
    embedded: bool
    _server: Any = None

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def apply_local_defaults(env: MutableMapping[str, str], extra: dict[str, str] | None = None) -> None:
    """Fill in the local stage's environment without overriding anything the user set."""
    for key, value in {**LOCAL_DEFAULTS, **(extra or {})}.items():
        env.setdefault(key, value)
    env.setdefault("AWS_REGION", env["AWS_DEFAULT_REGION"])


def is_local_endpoint(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    return host in ("localhost", "127.0.0.1", "::1", "localstack", "host.docker.internal") or host.endswith(".localhost")


def start_aws(env: MutableMapping[str, str] | None = None, host: str = "127.0.0.1") -> AwsEndpoint:
    """Use AWS_ENDPOINT_URL when set (LocalStack, real AWS...), else start moto in this process.

    Must run before the app's settings are first read: it writes AWS_ENDPOINT_URL and dummy
    credentials into the environment."""
    env = os.environ if env is None else env
    if env.get("AWS_ENDPOINT_URL"):
        url = env["AWS_ENDPOINT_URL"]
        if is_local_endpoint(url) and not (env.get("AWS_ACCESS_KEY_ID") or env.get("AWS_PROFILE")):
            # LocalStack / a moto server accept any credentials; real AWS never gets these.
            env.update(DUMMY_CREDENTIALS)
        return AwsEndpoint(url, embedded=False)
    from moto.server import ThreadedMotoServer

    if env.get("COMANDA_LOCAL_TIDY_MOTO", "1") != "0":
        from devstack import moto_tidy

        moto_tidy.install()
    # werkzeug logs every request at INFO; keep the console for the stack's own output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = int(env.get("COMANDA_MOTO_PORT") or 0)
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    url = f"http://{bound_host}:{bound_port}"
    env["AWS_ENDPOINT_URL"] = url
    # The embedded emulator never sees real credentials, whatever the shell has configured.
    env.update(DUMMY_CREDENTIALS)
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    return AwsEndpoint(url, embedded=True, _server=server)
