"""Chalice's own deployer, run in an interpreter of its own by ops/deploy.py (`RealChalice`).

    python -m ops.chalice_run request.json

The request names the action (`deploy`, `plan` or `delete`), the project, the stage, the
environment from the infra stack and the rendered policy file. A fresh interpreter is needed
because app.py reads the stream ARNs at import (its decorators need them) and Chalice imports
`app` with `importlib.import_module`: in a process that already imported app.py (ops.stage's
application graph does, with the local placeholder streams) Chalice would deploy triggers on
streams that do not exist, and a second import of app.py cannot re-register its blueprints.
What Chalice prints goes to stdout; for `deploy`, the deployed record goes to the request's
`result` path as well as to Chalice's own `.chalice/deployed/<stage>.json`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


def run(request: dict[str, Any]) -> int:
    from chalice.cli.factory import CLIFactory
    from chalice.utils import UI

    os.environ.update(request.get("environment", {}))
    project_dir = str(Path(request["project_dir"]).resolve())
    stage = request["stage"]
    factory = CLIFactory(project_dir=project_dir, profile=request.get("profile"))
    params: dict[str, Any] = {"environment_variables": dict(request.get("environment", {}))}
    if request.get("policy_file"):
        params["iam_policy_file"] = str(Path(request["policy_file"]).resolve())  # Chalice joins it to .chalice/; absolute wins
    config = factory.create_config_obj(chalice_stage_name=stage, user_provided_params=params)
    session = factory.create_botocore_session()
    ui = UI()
    action = request["action"]
    if action == "plan":
        factory.create_plan_only_deployer(session=session, config=config, ui=ui).deploy(config, chalice_stage_name=stage)
        return 0
    if action == "delete":
        factory.create_deletion_deployer(session=session, ui=ui).deploy(config, chalice_stage_name=stage)
        return 0
    deployed = factory.create_default_deployer(session=session, config=config, ui=ui).deploy(config, chalice_stage_name=stage)
    factory.create_deployment_reporter(ui=ui).display_report(deployed)
    Path(request["result"]).write_text(json.dumps(deployed), encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m ops.chalice_run request.json", file=sys.stderr)
        return 2
    return run(json.loads(Path(args[0]).read_text(encoding="utf-8")))


if __name__ == "__main__":
    sys.exit(main())
