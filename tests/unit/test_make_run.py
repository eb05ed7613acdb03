"""`make run` keeps its tables in the checkout's ignored .devstack/data; `make run FRESH=1` starts
empty; `make soak` passes its minutes through (read with make -n)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def planned(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}  # also under `make test`
    return subprocess.run(["make", "--no-print-directory", "-n", "-o", ".venv/.installed", *args], cwd=ROOT, capture_output=True,
                          text=True, check=True, env=env).stdout


def test_make_run_keeps_the_tables_in_an_ignored_folder_of_the_checkout() -> None:
    command = planned("run")
    assert "-m devstack" in command and "--data-dir .devstack/data" in command and "--fresh" not in command
    ignored = subprocess.run(["git", "check-ignore", ".devstack/data/comanda-local.json"], cwd=ROOT, capture_output=True, text=True)
    assert ignored.returncode == 0


def test_make_run_fresh_starts_empty() -> None:
    assert "--data-dir .devstack/data --fresh" in planned("run", "FRESH=1")


def test_make_soak_runs_the_bench_for_the_minutes_given() -> None:
    assert "-m bench.soak --minutes 30" in planned("soak", "MINUTES=30")
    assert "--minutes 10" in planned("soak")
