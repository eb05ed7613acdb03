"""The e2e suite runs against the real local stack, launched once per session as a subprocess
(`python -m devstack` on a free port, embedded moto, no AWS_ENDPOINT_URL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.harness import RunningStack, launch_stack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def stack() -> Iterator[RunningStack]:
    running = launch_stack()
    try:
        yield running
    finally:
        running.stop()
