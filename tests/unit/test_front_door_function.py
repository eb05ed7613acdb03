"""The CloudFront Function of infra/edge.yaml, run with node: paths become the query parameters
`$connect` reads (docs/websocket.md, "AWS path mapping"), and /socket.io/ picks its origin by
the Upgrade header."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

RUNNER = """
import { handler } from './function.mjs';
import { selected, reset } from 'cloudfront';
const cases = JSON.parse(await new Promise((resolve) => {
  let data = ''; process.stdin.on('data', (c) => data += c); process.stdin.on('end', () => resolve(data));
}));
const out = [];
for (const request of cases) {
  reset();
  const result = await handler({ version: '1.0', context: { eventType: 'viewer-request' }, viewer: { ip: '1.2.3.4' }, request });
  out.push({ request: result, origin: selected() });
}
process.stdout.write(JSON.stringify(out));
"""

FAKE_CLOUDFRONT = """
let origin = null;
export function selected() { return origin; }
export function reset() { origin = null; }
export default { selectRequestOriginById(id) { origin = id; } };
"""


def function_code() -> str:
    template = cfn_yaml.loads((ROOT / "infra" / "edge.yaml").read_text())
    code = template["Resources"]["FrontDoorFunction"]["Properties"]["FunctionCode"]["Fn::Sub"]
    return str(code).replace("${ApiGatewayStage}", "api")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    work = tmp_path_factory.mktemp("front-door")
    module = work / "node_modules" / "cloudfront"
    module.mkdir(parents=True)
    (module / "package.json").write_text(json.dumps({"name": "cloudfront", "type": "module", "main": "index.js"}))
    (module / "index.js").write_text(FAKE_CLOUDFRONT)
    (work / "package.json").write_text(json.dumps({"type": "module"}))
    (work / "function.mjs").write_text(function_code() + "\nexport { handler };\n")
    (work / "run.mjs").write_text(RUNNER)

    def invoke(*requests: dict[str, Any]) -> list[dict[str, Any]]:
        done = subprocess.run(["node", "run.mjs"], cwd=work, input=json.dumps(list(requests)), capture_output=True,
                              text=True, timeout=30, check=False)
        assert done.returncode == 0, done.stderr
        return list(json.loads(done.stdout))

    return invoke


def viewer_request(uri: str, query: dict[str, str] | None = None, upgrade: bool = False, method: str = "GET") -> dict[str, Any]:
    headers: dict[str, Any] = {"host": {"value": "d111.cloudfront.net"}}
    if upgrade:
        headers["upgrade"] = {"value": "websocket"}
        headers["connection"] = {"value": "Upgrade"}
    return {"method": method, "uri": uri, "headers": headers, "cookies": {},
            "querystring": {k: {"value": v} for k, v in (query or {}).items()}}


def query_of(result: dict[str, Any]) -> dict[str, str]:
    return {k: v["value"] for k, v in result["request"]["querystring"].items()}


NAMESPACE_PATHS = [
    ("/cocina", "namespace", "cocina"),
    ("/cocina/", "namespace", "cocina"),
    ("/kds", "namespace", "kds"),
    ("/pedidos", "namespace", "pedidos"),
    ("/ws", "protocol", "stomp"),
    ("/ws/", "protocol", "stomp"),
    ("/ws/123/abc/websocket", "protocol", "stomp"),
]

GASTRO_PATHS = [
    ("/ws/pedidos/restaurante/centro/", "pedidos/restaurante/centro"),
    ("/ws/pedidos/cliente/7/", "pedidos/cliente/7"),
    ("/ws/pedidos/cliente/7", "pedidos/cliente/7"),
    ("/ws/repartidor/12/", "repartidor/12"),
    ("/ws/ubicacion/12/", "ubicacion/12"),
]


@pytest.mark.parametrize(("path", "ruta"), GASTRO_PATHS)
def test_a_gastromovil_socket_path_becomes_the_gastromovil_namespace_with_its_route(run: Any, path: str, ruta: str) -> None:
    [result] = run(viewer_request(path, {"token": "abc.def.ghi"}, upgrade=True))
    assert result["request"]["uri"] == "/api"
    assert query_of(result) == {"token": "abc.def.ghi", "namespace": "gastromovil", "ruta": ruta}
    assert result["origin"] == "websocket-api"


@pytest.mark.parametrize(("path", "key", "value"), NAMESPACE_PATHS)
def test_a_socket_path_goes_to_the_websocket_stage_with_its_query_parameter(run: Any, path: str, key: str, value: str) -> None:
    [result] = run(viewer_request(path, upgrade=True))
    assert result["request"]["uri"] == "/api"
    assert query_of(result) == {key: value}
    assert result["origin"] == "websocket-api"


@pytest.mark.parametrize(("path", "key", "value"), NAMESPACE_PATHS)
def test_a_socket_path_keeps_the_clients_own_query_string(run: Any, path: str, key: str, value: str) -> None:
    [result] = run(viewer_request(path, {"token": "abc.def.ghi", "ref": "1"}, upgrade=True))
    assert result["request"]["uri"] == "/api"
    assert query_of(result) == {"token": "abc.def.ghi", "ref": "1", key: value}


def test_the_path_wins_over_a_namespace_the_client_put_in_the_query(run: Any) -> None:
    [result] = run(viewer_request("/kds", {"namespace": "cocina", "token": "t"}, upgrade=True))
    assert query_of(result) == {"namespace": "kds", "token": "t"}


def test_a_socketio_upgrade_goes_to_the_websocket_api_as_the_socketio_protocol(run: Any) -> None:
    [bare, with_sid] = run(
        viewer_request("/socket.io/", {"EIO": "4", "transport": "websocket"}, upgrade=True),
        viewer_request("/socket.io/", {"EIO": "4", "transport": "websocket", "sid": "s1"}, upgrade=True),
    )
    assert bare["origin"] == with_sid["origin"] == "websocket-api"
    assert bare["request"]["uri"] == with_sid["request"]["uri"] == "/api"
    assert query_of(bare) == {"EIO": "4", "transport": "websocket", "protocol": "socketio"}
    assert query_of(with_sid) == {"EIO": "4", "transport": "websocket", "sid": "s1", "protocol": "socketio"}


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_socketio_polling_stays_on_the_rest_api_at_its_route(run: Any, method: str) -> None:
    [result] = run(viewer_request("/socket.io/", {"EIO": "4", "transport": "polling", "sid": "s1"}, method=method))
    assert result["origin"] is None
    assert result["request"]["uri"] == "/socket.io"
    assert query_of(result) == {"EIO": "4", "transport": "polling", "sid": "s1"}


@pytest.mark.parametrize("path", ["/api/auth/login", "/orders", "/items/9b2/status", "/display/index.html", "/", "/cocinas",
                                  "/kds/x", "/wsx"])
def test_other_paths_pass_through_untouched(run: Any, path: str) -> None:
    request = viewer_request(path, {"status": "pending"})
    [result] = run(request)
    assert result["origin"] is None
    assert result["request"] == request


def test_every_socket_path_has_a_cache_behaviour_that_runs_the_function() -> None:
    template = cfn_yaml.loads((ROOT / "infra" / "edge.yaml").read_text())
    behaviours = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["CacheBehaviors"]
    with_function = {b["PathPattern"] for b in behaviours if b.get("FunctionAssociations")}
    assert with_function == {"/cocina", "/kds", "/pedidos", "/ws", "/ws/*", "/socket.io*"}
    to_rest = {b["PathPattern"] for b in behaviours if b["TargetOriginId"] == "rest-api"}
    assert {"/api/*", "/orders*", "/items/*", "/display/*", "/socket.io*"} <= to_rest
