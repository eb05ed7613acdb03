"""What moto 5.2.5 cannot emulate of `chalice deploy`, and a stand-in for each of those
resources only.

- **The REST API's definition.** Chalice creates and updates its REST API by importing a
  Swagger 2.0 document (`ImportRestApi`, `PutRestApi`). moto only imports OpenAPI 3 (it refuses
  `"swagger": "2.0"`) and requires `info.description`, which Chalice does not write. The
  stand-in reads Chalice's document as the OpenAPI 3 moto knows: the paths and their
  `x-amazon-apigateway-integration` are spelled the same in both, so every route still becomes
  a resource, a method and an integration pointing at the REST handler, and the test checks
  them (moto also wants a `uri` on the CORS preflight's mock integrations: an empty one).
  The REST API itself, its deployment, stage and permission are moto's.
- **The WebSocket API's deployment.** moto's API Gateway v2 has no deployments
  (`CreateDeployment`, `GetDeployments`): its server answers 404. The stand-in answers them,
  keeping each API's deployment ids, so Chalice can deploy the API and create its stage (moto's
  own), and the test can see that it did. The API, its routes, integrations and stage are moto's.

Everything else `chalice deploy` and ops/deploy.py create is moto's own: IAM, Lambda (created,
never invoked: no Docker), event source mappings, EventBridge rules and targets, the WebSocket
API (API Gateway v2), CloudFormation, DynamoDB, SQS, SSM, SNS. The CloudFormation resource types
moto does not implement (the secret, CloudFront) are tests/support/moto_cfn.py's stand-ins.

moto's server runs in the test's process (`ThreadedMotoServer`), so patching its backend class
and its URL map reaches the server.
"""

from __future__ import annotations

import copy
import json
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import pytest
from moto.apigateway import urls as apigateway_urls
from moto.apigateway.models import APIGatewayBackend
from moto.apigatewayv2 import urls as apigatewayv2_urls

STOOD_IN_FOR = ("REST API import (Swagger 2.0): ImportRestApi, PutRestApi",
                "WebSocket API deployments: apigatewayv2 CreateDeployment, GetDeployments")

WEBSOCKET_DEPLOYMENTS: dict[str, list[dict[str, Any]]] = {}  # API id -> its deployments, oldest first


def _as_openapi3(api_doc: dict[str, Any]) -> dict[str, Any]:
    if "swagger" not in api_doc:
        return api_doc
    document = copy.deepcopy(api_doc)
    document.pop("swagger")
    document["openapi"] = "3.0.1"
    document.setdefault("info", {}).setdefault("description", "")
    for methods in document.get("paths", {}).values():
        for method in methods.values():
            integration = method.get("x-amazon-apigateway-integration")
            if integration is not None and integration.get("type") == "mock":  # CORS preflight: no backend
                integration.setdefault("uri", "")
                integration.setdefault("httpMethod", "")
    return document


def install(monkeypatch: pytest.MonkeyPatch) -> None:
    original_import, original_put = APIGatewayBackend.import_rest_api, APIGatewayBackend.put_rest_api

    def import_rest_api(self: APIGatewayBackend, api_doc: dict[str, Any], fail_on_warnings: bool) -> Any:
        return original_import(self, _as_openapi3(api_doc), fail_on_warnings)

    def put_rest_api(self: APIGatewayBackend, function_id: str, api_doc: dict[str, Any], fail_on_warnings: bool,
                     mode: str = "merge") -> Any:
        return original_put(self, function_id, _as_openapi3(api_doc), fail_on_warnings, mode)

    monkeypatch.setattr(APIGatewayBackend, "import_rest_api", import_rest_api)
    monkeypatch.setattr(APIGatewayBackend, "put_rest_api", put_rest_api)
    # Read by moto's server when it first routes an API Gateway request. Both API Gateway
    # versions share a host, and moto.apigateway.urls copies v2's paths when it is imported.
    for urls in (apigatewayv2_urls, apigateway_urls):
        monkeypatch.setitem(urls.url_paths, "{0}/v2/apis/(?P<api_id>[^/]+)/deployments$", _websocket_deployments)


def _websocket_deployments(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    api_id = urlparse(full_url).path.split("/")[3]
    deployments = WEBSOCKET_DEPLOYMENTS.setdefault(api_id, [])
    if request.method == "POST":
        body = json.loads(request.data or b"{}")
        deployment = {"DeploymentId": secrets.token_hex(3), "DeploymentStatus": "DEPLOYED",
                      "CreatedDate": datetime.now(UTC).isoformat(), "Description": body.get("description", "")}
        deployments.append(deployment)
        return 201, {"Content-Type": "application/json"}, json.dumps({k[0].lower() + k[1:]: v for k, v in deployment.items()})
    items = [{k[0].lower() + k[1:]: v for k, v in d.items()} for d in deployments]
    return 200, {"Content-Type": "application/json"}, json.dumps({"items": items})
