"""Every successful answer the integration tests get is checked against the response shape its
route declares (a presenter's TypedDict, or one of chalicelib/api/responses.py), in strict mode: the OpenAPI document's success
schemas are the ones real answers have, across every scenario the suite plays."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from devstack.client import ChaliceClient, Reply


@cache
def _routes() -> list[tuple[re.Pattern[str], str, Any]]:
    from chalicelib.api.surfaces import ROUTES

    table = []
    for spec in ROUTES:
        pattern = re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(spec.path)) + "$")
        for method in spec.methods:
            table.append((pattern, method, spec))
    return table


@cache
def _adapter(declared: Any) -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(declared)


def check(method: str, path: str, reply: Reply) -> None:
    if not 200 <= reply.status < 300:
        return
    content_type = next((v for k, v in reply.headers.items() if k.lower() == "content-type"), "application/json")
    if not content_type.startswith("application/json"):
        return  # a download (a report's CSV): its route documents that media type beside the JSON shape
    bare = path.split("?", 1)[0]
    specs = [spec for pattern, m, spec in _routes() if m == method and pattern.match(bare)]
    if not specs:
        return  # the display's files, the Socket.IO transport, the document itself
    spec = max(specs, key=lambda s: s.path.count("/") - s.path.count("{"))  # the literal route beats a {param} one
    assert spec.response is not None, f"{method} {spec.path} declares no response shape"
    body = spec.envelope.unwrap(reply.body) if spec.envelope is not None else reply.body
    _adapter(spec.response).validate_python(body, strict=True)


class ConformingApi(ChaliceClient):
    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, raw: str | None = None) -> Reply:
        reply = super().call(method, path, body, headers, raw)
        check(method, path, reply)
        return reply
