"""`make test` sets up what the browser and JavaScript-client tests need before any test starts
(tests/e2e/deps.sh, run by the Makefile's e2e-deps): Debian's Chromium through apt-get, with sudo
when not root, or one line naming the command to run when it cannot."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def stub(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/usr/bin/env bash\necho \"{name} $*\" >> \"$CALLS\"\n{body}\n")
    path.chmod(0o755)


def run(
    tmp_path: Path, uid: int, sudo: str | None, chromium_present: bool = False
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    work, bin_dir = tmp_path / "e2e", tmp_path / "bin"
    for folder in (work / "js", work / "axe", bin_dir):
        folder.mkdir(parents=True)
    shutil.copy2(ROOT / "tests" / "e2e" / "deps.sh", work / "deps.sh")
    chromium, calls = tmp_path / "chromium", tmp_path / "calls"
    calls.touch()
    if chromium_present:
        chromium.write_text("")
        chromium.chmod(0o755)
    stub(bin_dir, "id", f"echo {uid}")
    # apt-get "installs" the browser where the script looks for it.
    stub(bin_dir, "apt-get", f'if [ "$1" = install ]; then touch "{chromium}"; chmod +x "{chromium}"; fi')
    stub(bin_dir, "npm", 'mkdir -p "$3/node_modules" && touch "$3/node_modules/.package-lock.json"')
    if sudo is not None:
        stub(bin_dir, "sudo", sudo)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "CHROMIUM": str(chromium), "CALLS": str(calls), "HOME": str(tmp_path)}
    if sudo is None:
        env["PATH"] = f"{bin_dir}:{_without_sudo(tmp_path)}"
    done = subprocess.run(["bash", str(work / "deps.sh")], env=env, capture_output=True, text=True, check=False, timeout=30)
    return done, calls.read_text().splitlines()


def _without_sudo(tmp_path: Path) -> str:
    """A folder with the few system tools the script uses, and no sudo."""
    tools = tmp_path / "tools"
    tools.mkdir()
    for name in ("bash", "dirname", "env", "mkdir", "touch", "chmod", "cat"):
        found = shutil.which(name)
        assert found, name
        os.symlink(found, tools / name)
    return str(tools)


def test_as_root_a_missing_chromium_is_installed_with_apt_get_before_the_node_packages(tmp_path: Path) -> None:
    done, calls = run(tmp_path, uid=0, sudo=None)
    assert done.returncode == 0, done.stderr
    apt = [c for c in calls if c.startswith("apt-get")]
    assert apt[0] == "apt-get update -qq"
    assert apt[1].startswith("apt-get install") and apt[1].endswith("chromium")
    assert [c for c in calls if c.startswith("npm")] == [
        "npm ci --prefix js --no-audit --no-fund --loglevel=error", "npm ci --prefix axe --no-audit --no-fund --loglevel=error"]


def test_a_user_with_sudo_installs_chromium_through_sudo(tmp_path: Path) -> None:
    done, calls = run(tmp_path, uid=1000, sudo='[ "$1" = -n ] && exit 0; "$@"')
    assert done.returncode == 0, done.stderr
    assert "sudo apt-get update -qq" in calls
    assert any(c.startswith("sudo env DEBIAN_FRONTEND=noninteractive apt-get install") for c in calls)


def test_without_apt_rights_it_stops_at_once_with_one_line_naming_the_command(tmp_path: Path) -> None:
    done, calls = run(tmp_path, uid=1000, sudo=None)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"make test needs Chromium at {tmp_path / 'chromium'}: run 'sudo apt-get install -y chromium', then make test again"]
    assert not [c for c in calls if c.startswith(("apt-get", "npm"))]


def test_with_chromium_and_the_node_packages_there_it_installs_nothing(tmp_path: Path) -> None:
    done, calls = run(tmp_path, uid=1000, sudo=None, chromium_present=True)
    assert done.returncode == 0, done.stderr
    assert not [c for c in calls if c.startswith("apt-get")]


def test_make_test_runs_it_before_lint_and_every_test_and_ci_installs_nothing_itself() -> None:
    makefile = (ROOT / "Makefile").read_text()
    [test_rule] = [line for line in makefile.splitlines() if line.startswith("test:")]
    assert test_rule.split()[1:3] == ["$(STAMP)", "e2e-deps"]
    assert "tests/e2e/deps.sh" in makefile
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "apt-get" not in ci and "npm" not in ci
