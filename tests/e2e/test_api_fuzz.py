"""Schemathesis against the running local stack, from the API's own OpenAPI document: examples,
coverage, random fuzzing and a stateful run following links, authenticated as the owner.
No 5xx, no response outside its documented status codes, content types and schemas, and no
traceback in any body. The run's summary is printed into the test log (and so into CI's)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.harness import launch_stack

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
MIN_REQUESTS = 2000


def responses(report: Path) -> list[dict]:
    """Every (status, body) schemathesis recorded, from its NDJSON report's finished scenarios."""
    seen = []
    for line in report.read_text().splitlines():
        event = json.loads(line)
        recorder = (event.get("ScenarioFinished") or {}).get("recorder") or {}
        for interaction in (recorder.get("interactions") or {}).values():
            response = interaction.get("response")
            if isinstance(response, dict):
                seen.append({"status": response.get("status_code"), "body": _text(response.get("content"))})
    return seen


def _text(content: object) -> str:
    if isinstance(content, dict) and "$base64" in content:
        return base64.b64decode(content["$base64"]).decode(errors="replace")
    return str(content or "")


def test_a_generated_fuzz_of_every_route_finds_no_server_error_and_nothing_undocumented(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = launch_stack()  # its own stack: the fuzz creates, changes and deletes freely
    try:
        token = stack.login("admin", "Admin123!")
        report = tmp_path / "fuzz.ndjson"
        st = str(Path(sys.executable).parent / "st")
        run = subprocess.run(
            [st, "run", f"{stack.base_url}/api/openapi.json", "-H", f"Authorization: Bearer {token}", "--checks", CHECKS,
             "--phases", "examples,coverage,fuzzing,stateful", "--max-examples", "12", "--seed", "20261130",
             # Logging out, or an admin PATCH of user 1 (the run's own admin: role, activo, branch or
             # password) ends the run's token, and every later request would be a 401; both are
             # covered by tests/integration/test_sessions.py.
             "--exclude-operation-id", "post_api_auth_logout", "--exclude-operation-id", "patch_api_usuarios_user_id",
             "--report", "ndjson", "--report-ndjson-path", str(report), "--output-truncate", "false"],
            capture_output=True, text=True, timeout=900, cwd=tmp_path,
        )
    finally:
        stack.stop()
    summary = run.stdout[run.stdout.rfind("SUMMARY") - 40:] if "SUMMARY" in run.stdout else run.stdout[-3000:]
    seen = responses(report)
    with capsys.disabled():
        print(f"\n--- schemathesis: {len(seen)} requests recorded ---\n{summary}", flush=True)
    assert run.returncode == 0, run.stdout[-8000:]
    assert len(seen) >= MIN_REQUESTS
    assert not [r for r in seen if r["status"] and r["status"] >= 500]
    assert not [r for r in seen if "Traceback" in r["body"]]


# The operations only a customer or a driver may call: fuzzed as the owner they answer only 401/403.
OWN_USERS = {"customer": {"cliente:self", "pedidos:place"}, "driver": {"pedidos:deliver"}}


def operations_for(document: dict, permissions: set[str]) -> list[str]:
    return sorted(op["operationId"] for ops in document["paths"].values() for op in ops.values()
                  if isinstance(op, dict) and op.get("x-permission") in permissions)


def test_the_customer_and_driver_operations_fuzzed_as_their_own_users_find_no_server_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = launch_stack()
    try:
        customer = {"nombre": "Fuzz Cliente", "nombre_usuario": "fuzzcliente", "email": "fuzz@example.com",
                    "contrasena": "Cliente123!", "telefono": "+591 7000001"}
        registered = stack.post("/api/clientes/registro", customer)
        assert registered.status == 201, registered
        tokens = {"customer": stack.post("/api/login/", {"username": "fuzz@example.com", "password": "Cliente123!"}).body["access"],
                  "driver": stack.post("/api/login/", {"username": "repartidor1", "password": "Repartidor123!"}).body["access"]}
        document = stack.get("/api/openapi.json").body
        runs = {}
        for user, permissions in OWN_USERS.items():
            operations = operations_for(document, permissions)
            report = tmp_path / f"{user}.ndjson"
            st = str(Path(sys.executable).parent / "st")
            only = [arg for op in operations for arg in ("--include-operation-id", op)]
            run = subprocess.run(
                [st, "run", f"{stack.base_url}/api/openapi.json", "-H", f"Authorization: Bearer {tokens[user]}", "--checks", CHECKS,
                 "--phases", "examples,coverage,fuzzing", "--max-examples", "12", "--seed", "20261205", *only,
                 "--report", "ndjson", "--report-ndjson-path", str(report), "--output-truncate", "false"],
                capture_output=True, text=True, timeout=600, cwd=tmp_path,
            )
            runs[user] = (operations, run, responses(report))
    finally:
        stack.stop()
    assert sum(len(operations) for operations, _, _ in runs.values()) == 9
    for user, (operations, run, seen) in runs.items():
        with capsys.disabled():
            print(f"\n--- schemathesis as the {user}: {len(operations)} operations, {len(seen)} requests, "
                  f"statuses {sorted({r['status'] for r in seen if r['status']})} ---", flush=True)
        assert run.returncode == 0, run.stdout[-8000:]
        assert not [r for r in seen if r["status"] and r["status"] >= 500]
        assert not [r for r in seen if "Traceback" in r["body"]]
        assert [r for r in seen if r["status"] and 200 <= r["status"] < 300], f"the {user} was never served: {user} tokens refused?"
