"""The e2e suite runs against the real local stack, launched once per session as a subprocess
(`python -m devstack` on a free port, embedded moto, no AWS_ENDPOINT_URL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.harness import RunningStack, launch_stack

_RUNNING: list[RunningStack] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    """On a failure, show the tail of the stack's own log (tracebacks are logged there)."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and _RUNNING:
        report.sections.append(("local stack output (last 25 lines)", "\n".join(_RUNNING[0].output[-25:])))


@pytest.fixture(scope="session")
def stack() -> Iterator[RunningStack]:
    running = launch_stack()
    _RUNNING.append(running)
    try:
        yield running
    finally:
        _RUNNING.remove(running)
        running.stop()


# --- browsers (pytest-playwright) ----------------------------------------------------------------
# Debian's Chromium, never a downloaded browser (these machines have no network for it).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    import os

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (.ci/run does it)")
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    return {"viewport": {"width": 1280, "height": 800}, "locale": "es-BO"}


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe-core, installed by npm from tests/e2e/axe/package-lock.json on first use."""
    import shutil
    import subprocess

    from tests.e2e.browser import AXE_DIR

    if shutil.which("npm") is None:
        pytest.fail("npm is needed to install axe-core for the accessibility check")
    if not (AXE_DIR / "node_modules" / "axe-core" / "axe.min.js").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=AXE_DIR, check=True, timeout=300)
    return (AXE_DIR / "node_modules" / "axe-core" / "axe.min.js").read_text()
