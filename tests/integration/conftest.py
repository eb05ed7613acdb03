from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.container import use_settings
from chalicelib.settings import Settings
from tests.support.api import Api, TenantWorld, provision_world
from tests.support.aws import clean_tables, embedded_aws
from tests.support.conformance import ConformingApi
from tests.support.menu import Menu, make_menu


@pytest.fixture(scope="session")
def aws_session() -> Iterator[Settings]:
    """One embedded AWS per test process, tables deployed from infra/ once, on the moto the local
    stack runs (devstack/moto_tidy.py: transactions journal what they touch instead of copying
    whole tables, which made every transaction cost as much as the table it wrote to)."""
    from devstack import moto_tidy

    moto_tidy.install()
    with embedded_aws() as settings:
        yield settings


@pytest.fixture
def aws(aws_session: Settings) -> Iterator[None]:
    with use_settings(aws_session):  # fresh services: no test sees another's caches
        yield
    clean_tables()


@pytest.fixture
def api(aws: None) -> Iterator[Api]:
    from app import app

    with Client(app) as client:
        yield ConformingApi(client)


@pytest.fixture
def alpha(api: Api) -> TenantWorld:
    """Tenant `alpha`, branches `centro` and `norte`, one user per role in `centro`."""
    return provision_world(api, "alpha", ["centro", "norte"])


@pytest.fixture
def beta(api: Api) -> TenantWorld:
    """A second, unrelated tenant: `beta` with branch `sur`."""
    return provision_world(api, "beta", ["sur"])


@pytest.fixture
def atomic_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real DynamoDB applies each request atomically; in-process moto does not (concurrent
    requests mutate its tables mid-copy). Serialise the emulator per request, as a server
    would, while the application code around the requests still runs concurrently."""
    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.Lock()
    original = BotocoreStubber.process_request

    def one_at_a_time(self: BotocoreStubber, request: Any) -> Any:
        with lock:
            return original(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", one_at_a_time)


@pytest.fixture
def menu(alpha: TenantWorld) -> Menu:
    """Tenant alpha's catalog (tests/support/menu.py)."""
    return make_menu("alpha")


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A boto3 session on in-process moto, with CloudFormation's stand-ins (tests/support/moto_cfn.py): for the ops tests."""
    import boto3
    from moto import mock_aws

    from tests.support import moto_cfn

    moto_cfn.install()
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield boto3.Session(region_name="us-east-1")
