"""Tracing is on outside the local stage only; the app's import stays light."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.observability import tracing_wanted

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
import app
print(",".join(m for m in ("aws_xray_sdk", "aws_lambda_powertools.utilities.parameters") if m in sys.modules))
"""


def test_tracing_is_wanted_outside_the_local_stage_only() -> None:
    assert tracing_wanted({"COMANDA_STAGE": "dev"}) and tracing_wanted({"COMANDA_STAGE": "prod"})
    assert not tracing_wanted({"COMANDA_STAGE": "local"}) and not tracing_wanted({})


@pytest.mark.parametrize("stage", ["local", "dev"])
def test_importing_the_app_loads_neither_the_xray_sdk_nor_the_parameters_utility(stage: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMANDA_", "JWT_", "AWS_LAMBDA"))}
    env["COMANDA_STAGE"] = stage
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[0] == ""
