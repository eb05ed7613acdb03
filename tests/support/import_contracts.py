"""Run one import-linter contract of pyproject.toml on a copy of the code with an import added,
to show the contract catches that import (a contract that cannot fail protects nothing)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def contract(name_starts: str) -> dict[str, Any]:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    [found] = [c for c in contracts if c["name"].startswith(name_starts)]
    return dict(found)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace('"', '\\"') + '"'


def lint_with(
    tmp: Path, packages: list[str], checked: dict[str, Any], added_imports: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Copy `packages` into `tmp`, append each line of `added_imports` (path -> line) to its module,
    and run only the `checked` contract there."""
    for package in packages:
        shutil.copytree(ROOT / package, tmp / package, ignore=shutil.ignore_patterns("__pycache__", "web"))
    for path, line in added_imports.items():
        with (tmp / path).open("a", encoding="utf-8") as module:
            module.write(f"\n{line}\n")
    body = "\n".join(f"{key} = {_toml_value(value)}" for key, value in checked.items())
    roots = _toml_value(packages)
    (tmp / "contracts.toml").write_text(f"[tool.importlinter]\nroot_packages = {roots}\n\n[[tool.importlinter.contracts]]\n{body}\n")
    lint_imports = Path(sys.executable).parent / "lint-imports"
    return subprocess.run([str(lint_imports), "--config", "contracts.toml", "--no-cache"], cwd=tmp, capture_output=True, text=True,
                          check=False)
