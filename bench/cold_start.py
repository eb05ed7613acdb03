"""Cold start: how long `import app` (the Lambda entry module) takes in a fresh interpreter,
next to a bare `import boto3`, and which modules weigh most (`python -X importtime`).

Every sample is a new subprocess with the environment a deployed Lambda would have; the app is
never imported in this (parent) process. The import is timed with perf_counter inside the child,
so interpreter start-up is excluded; the child's whole wall time is reported too.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from typing import Any

from bench import REPO, machine, machine_line, summary, table

RUNS = 15
IMPORTTIME_RUNS = 5

LAMBDA_ENV = {
    "COMANDA_STAGE": "dev",
    "JWT_SECRET": "bench-secret-0123456789-0123456789-abcdef",
    "COMANDA_TABLE_PREFIX": "comanda-dev",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_LAMBDA_FUNCTION_NAME": "comanda-dev",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
}

NOTABLE = ("boto3", "botocore", "pynamodb", "aws_lambda_powertools", "jwt", "cryptography", "chalice", "pydantic")
TIMED = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
IMPORTTIME_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)$")


def lambda_env() -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("COMANDA_", "AWS_", "JWT_", "WEBSOCKET_"))}
    keep.pop("PYTHONPATH", None)
    return {**keep, **LAMBDA_ENV, "PYTHONDONTWRITEBYTECODE": "1"}


def _child(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=REPO, env=lambda_env(), capture_output=True, text=True, check=True, timeout=120)


def time_import(module: str, runs: int) -> dict[str, Any]:
    inside, wall = [], []
    for _ in range(runs):
        started = time.perf_counter()
        done = _child(["-c", TIMED.format(module=module)])
        wall.append(time.perf_counter() - started)
        inside.append(float(done.stdout.strip().splitlines()[-1]))
    return {"import_s": summary(inside), "process_wall_s": summary(wall)}


def heaviest(module: str, runs: int, top: int = 10) -> dict[str, list[dict[str, Any]]]:
    """Median import times over `runs` runs of `-X importtime`: the top modules by cumulative
    time (nested: a parent includes its children), and the top-level packages by the sum of
    their modules' self time (not nested: these add up to the whole import)."""
    cumulative: dict[str, list[int]] = {}
    packages: dict[str, list[int]] = {}
    depth: dict[str, int] = {}
    for _ in range(runs):
        done = _child(["-X", "importtime", "-c", f"import {module}"])
        own: dict[str, int] = {}
        for line in done.stderr.splitlines():
            match = IMPORTTIME_LINE.match(line)
            if match:
                name = match.group(4)
                cumulative.setdefault(name, []).append(int(match.group(2)))
                depth[name] = len(match.group(3)) // 2
                top_level = name.split(".")[0]
                own[top_level] = own.get(top_level, 0) + int(match.group(1))
        for name, us in own.items():
            packages.setdefault(name, []).append(us)
    by_module = sorted(((n, statistics.median(us)) for n, us in cumulative.items() if n != module), key=lambda kv: -kv[1])
    by_package = sorted(((n, statistics.median(us)) for n, us in packages.items()), key=lambda kv: -kv[1])
    return {
        "modules_by_cumulative": [
            {"module": n, "cumulative_ms": round(us / 1000, 1), "depth": depth[n]} for n, us in by_module[:top]
        ],
        "packages_by_self_time": [{"package": n, "self_ms": round(us / 1000, 1)} for n, us in by_package[:top]],
    }


def pulled_in(module: str) -> dict[str, bool]:
    """Which notable packages the import loads at all."""
    probe = f"import sys; import {module}; print(','.join(m for m in {NOTABLE!r} if m in sys.modules))"
    loaded = set(_child(["-c", probe]).stdout.strip().split(","))
    return {name: name in loaded for name in NOTABLE}


def run(quick: bool = False) -> dict[str, Any]:
    runs = 3 if quick else RUNS
    return {
        "machine": machine(),
        "runs": runs,
        "env": {k: ("<set>" if k in ("JWT_SECRET", "AWS_SECRET_ACCESS_KEY") else v) for k, v in LAMBDA_ENV.items()},
        "import_app": time_import("app", runs),
        "import_boto3": time_import("boto3", runs),
        "import_app_loads": pulled_in("app"),
        "heaviest_in_import_app": heaviest("app", 1 if quick else IMPORTTIME_RUNS),
    }


def render(result: dict[str, Any]) -> str:
    def ms(x: float) -> str:
        return f"{x * 1000:.0f}"

    rows = []
    for label, key in (("import app", "import_app"), ("import boto3", "import_boto3")):
        imp, wall = result[key]["import_s"], result[key]["process_wall_s"]
        rows.append([label, ms(imp["median"]), ms(imp["min"]), ms(imp["max"]), ms(wall["median"])])
    loads = ", ".join(f"{k}={'yes' if v else 'no'}" for k, v in result["import_app_loads"].items())
    heavy = result["heaviest_in_import_app"]
    modules = table(
        ["module (depth under app)", "cumulative ms"],
        [[f"{'  ' * (h['depth'] - 1)}{h['module']} ({h['depth']})", h["cumulative_ms"]] for h in heavy["modules_by_cumulative"]],
    )
    packages = table(["top-level package", "self ms (sum)"], [[p["package"], p["self_ms"]] for p in heavy["packages_by_self_time"]])
    return "\n".join([
        "== cold_start: import time in a fresh interpreter (Lambda-like env) ==",
        machine_line(result["machine"]),
        table(["import", "median ms", "min ms", "max ms", "process wall median ms"], rows),
        f"(N={result['runs']} fresh subprocesses each; import timed inside the child with perf_counter)",
        f"`import app` loads: {loads}",
        "heaviest modules under `import app` (-X importtime, median of runs; cumulative includes children):",
        modules,
        "the same import by top-level package (sum of self times; these add up to the whole import):",
        packages,
    ])


if __name__ == "__main__":
    from bench import main_for

    raise SystemExit(main_for("cold_start"))
