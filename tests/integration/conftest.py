from __future__ import annotations

from collections.abc import Iterator

import pytest
from chalice.test import Client

from tests.support.api import Api, TenantWorld, provision_world
from tests.support.aws import clean_tables, embedded_aws


@pytest.fixture(scope="session")
def aws_session() -> Iterator[None]:
    """One embedded AWS per test process, tables deployed from infra/ once."""
    with embedded_aws():
        yield


@pytest.fixture
def aws(aws_session: None) -> Iterator[None]:
    yield
    clean_tables()


@pytest.fixture
def api(aws: None) -> Iterator[Api]:
    from app import app

    with Client(app) as client:
        yield Api(client)


@pytest.fixture
def alpha(api: Api) -> TenantWorld:
    """Tenant `alpha`, branches `centro` and `norte`, one user per role in `centro`."""
    return provision_world(api, "alpha", ["centro", "norte"])


@pytest.fixture
def beta(api: Api) -> TenantWorld:
    """A second, unrelated tenant: `beta` with branch `sur`."""
    return provision_world(api, "beta", ["sur"])
