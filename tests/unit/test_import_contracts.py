"""The import-linter contracts `make lint` checks each catch the import they forbid."""

from __future__ import annotations

from pathlib import Path

from tests.support.import_contracts import contract, lint_with

OPS = "ops/ has no cycle"


def test_the_ops_contract_holds_on_the_tree_as_it_is(tmp_path: Path) -> None:
    done = lint_with(tmp_path, ["ops"], contract(OPS), {})
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_ops_contract_fails_when_the_stage_facts_import_a_command(tmp_path: Path) -> None:
    done = lint_with(tmp_path, ["ops"], contract(OPS), {"ops/stage.py": "import ops.deploy  # noqa"})
    assert done.returncode == 1
    assert "BROKEN" in done.stdout and "ops.stage -> ops.deploy" in done.stdout


def test_the_ops_contract_fails_when_package_and_deploy_import_each_other(tmp_path: Path) -> None:
    done = lint_with(tmp_path, ["ops"], contract(OPS), {"ops/package.py": "import ops.deploy  # noqa"})
    assert done.returncode == 1
    assert "ops.package -> ops.deploy" in done.stdout


ADAPTERS_APART = "The protocol adapters only translate"
ADAPTERS_NO_STORAGE = "The protocol adapters never reach storage"


def test_the_adapter_contracts_hold_on_the_tree_as_it_is(tmp_path: Path) -> None:
    for name in (ADAPTERS_APART, ADAPTERS_NO_STORAGE):
        done = lint_with(tmp_path / name.split()[-1], ["chalicelib"], contract(name), {})
        assert done.returncode == 0, done.stdout + done.stderr


def test_an_adapter_importing_another_breaks_the_independence_contract(tmp_path: Path) -> None:
    added = {"chalicelib/realtime/adapters/stomp.py": "from chalicelib.realtime.adapters import socketio  # noqa"}
    done = lint_with(tmp_path, ["chalicelib"], contract(ADAPTERS_APART), added)
    assert done.returncode == 1
    assert "chalicelib.realtime.adapters.stomp -> chalicelib.realtime.adapters.socketio" in done.stdout


def test_an_adapter_importing_storage_breaks_the_storage_contract(tmp_path: Path) -> None:
    added = {"chalicelib/realtime/adapters/json.py": "import chalicelib.store.connections  # noqa"}
    done = lint_with(tmp_path, ["chalicelib"], contract(ADAPTERS_NO_STORAGE), added)
    assert done.returncode == 1
    assert "chalicelib.realtime.adapters.json -> chalicelib.store.connections" in done.stdout
