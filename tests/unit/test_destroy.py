"""`make destroy STAGE=…`: prod is refused unless CONFIRM=prod is given too, before any AWS call.
(The destroy itself, on a moto server with Chalice's real delete: tests/integration/test_real_deployer.py.)"""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path
from typing import Any, NoReturn

import pytest

from ops import destroy

ROOT = Path(__file__).resolve().parents[2]


def no_aws(*args: Any, **kwargs: Any) -> NoReturn:
    raise AssertionError("destroy reached AWS")


@pytest.mark.parametrize("argv", [["--stage", "prod"], ["--stage", "prod", "--confirm", "dev"],
                                  ["--stage", "prod", "--confirm", "yes"]])
def test_destroying_prod_is_refused_without_confirm_prod_and_touches_nothing(argv: list[str]) -> None:
    err = io.StringIO()
    assert destroy.main(argv, session_factory=no_aws, chalice=None, out=io.StringIO(), err=err) == 2
    assert err.getvalue() == "destroy: refusing to destroy 'prod': give CONFIRM=prod (--confirm prod) too\n"


def test_prod_is_destroyed_only_with_its_own_name_as_confirmation_and_dev_needs_none() -> None:
    assert destroy.refusal("prod", "prod") is None
    assert destroy.refusal("dev", "") is None
    assert destroy.refusal("prod", "") is not None


def test_the_function_refuses_too_for_callers_that_skip_the_command_line() -> None:
    with pytest.raises(destroy.DeployError, match="CONFIRM=prod"):
        destroy.destroy("prod", session=None, chalice=None)  # type: ignore[arg-type]


def make_dry_run(*variables: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}  # also under `make test`
    done = subprocess.run(["make", "--no-print-directory", "-n", "-o", ".venv/.installed", "destroy", *variables], cwd=ROOT,
                          capture_output=True, text=True, check=True, env=env)
    return done.stdout.strip().splitlines()[-1]


def test_make_destroy_passes_the_stage_and_the_confirmation_to_ops_destroy() -> None:
    assert make_dry_run("STAGE=prod").endswith('-m ops.destroy --stage prod --confirm ""')
    assert make_dry_run("STAGE=prod", "CONFIRM=prod").endswith('-m ops.destroy --stage prod --confirm "prod"')
    assert make_dry_run("STAGE=dev", "KEEP_DATA=1").endswith('-m ops.destroy --stage dev --confirm "" --keep-data')
