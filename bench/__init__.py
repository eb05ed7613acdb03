"""Comanda benchmarks: measurements, never assertions. `python -m bench` runs them all.

Every bench module exposes `run(quick: bool = False) -> dict` (the figures, JSON-able) and
`render(result: dict) -> str` (a small text table). The figures are written to
bench/results.json next to the machine they were measured on.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results.json"

BENCHES = ("cold_start", "requests_per_operation", "kitchen_queue", "kitchen_report", "sales_report", "fanout", "e2e_latency",
           "protocols")


def rss_mb(pid: int | None) -> float | None:
    """A process's resident memory in MB (/proc/<pid>/status); None without a pid."""
    if pid is None:
        return None
    with open(f"/proc/{pid}/status") as status:
        return next((int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:")), None)


def git_revision() -> str:
    """HEAD, with `+dirty` when the working tree has uncommitted changes (others edit it too)."""
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}{'+dirty' if dirty else ''}" if head else "unknown"


def machine() -> dict[str, Any]:
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    return {
        "git": git_revision(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "loadavg_at_start": load,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def machine_line(info: dict[str, Any] | None = None) -> str:
    info = info or machine()
    return (
        f"machine: {info['cores']} cores, {info['implementation']} {info['python']}, {info['platform']}; "
        f"load avg {info['loadavg_at_start']}; {info['date']}; git {info.get('git', 'unknown')}"
    )


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


def summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "p90": percentile(values, 90),
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))

    return "\n".join([line(cells[0]), line(["-" * w for w in widths]), *[line(r) for r in cells[1:]]])


def save(name: str, result: dict[str, Any], path: Path = RESULTS) -> None:
    """Merge one bench's figures into results.json (other benches' last figures are kept)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    data[name] = result
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def main_for(name: str, argv: Sequence[str] | None = None) -> int:
    """`python -m bench.<name> [--quick] [--no-save]`."""
    import importlib

    args = list(sys.argv[1:] if argv is None else argv)
    module = importlib.import_module(f"bench.{name}")
    result = module.run(quick="--quick" in args)
    print(module.render(result), flush=True)
    if "--no-save" not in args:
        save(name, result)
    return 0
