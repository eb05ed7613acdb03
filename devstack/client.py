"""One JSON client for Comanda's REST API, for the tests and the benches: over Chalice's in-process
test client, or over HTTP against a running local stack. One reply type for both."""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.body!r})"


class JsonClient:
    """Sends JSON with the bearer token it was given (`as_`); subclasses say how a request travels."""

    token: str | None = None

    def _send(self, method: str, path: str, headers: dict[str, str], payload: str | None) -> tuple[int, bytes | str, dict[str, str]]:
        raise NotImplementedError

    def as_(self, token: str | None) -> Any:
        other = copy.copy(self)
        other.token = token
        return other

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, raw: str | None = None) -> Reply:
        all_headers = {"Content-Type": "application/json"}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        all_headers.update(headers or {})
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        status, content, out_headers = self._send(method, path, all_headers, payload)
        text = content.decode() if isinstance(content, bytes) else content
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return Reply(status, parsed, out_headers)

    def get(self, path: str, **kw: Any) -> Reply:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("PATCH", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.call("DELETE", path, **kw)

    def login(self, username: str, password: str, tenant: str | None = None) -> str:
        body = {"nombre_usuario": username, "contrasena": password, **({"tenant": tenant} if tenant else {})}
        reply = self.as_(None).post("/api/auth/login", body)
        assert reply.status == 201, reply
        return str(reply.body["access_token"])


class ChaliceClient(JsonClient):
    """Through Chalice's test client: the app in this process, no server."""

    def __init__(self, client: Any, token: str | None = None) -> None:
        self._client = client
        self.token = token

    def _send(self, method: str, path: str, headers: dict[str, str], payload: str | None) -> tuple[int, bytes | str, dict[str, str]]:
        response = getattr(self._client.http, method.lower())(path, headers=headers, body=payload)
        return response.status_code, response.body, dict(response.headers)


class HttpClient(JsonClient):
    """Over HTTP, against a running stack."""

    base_url: str

    def _send(self, method: str, path: str, headers: dict[str, str], payload: str | None) -> tuple[int, bytes | str, dict[str, str]]:
        data = payload.encode() if payload is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), dict(exc.headers)
