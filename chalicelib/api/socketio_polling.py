"""Socket.IO's long-polling transport on the Socket.IO path (Engine.IO v4): GET without `sid` is
the handshake, POST carries packets, GET with `sid` polls. No token here: Socket.IO clients
authenticate in the namespace connect packet, as over a WebSocket."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.container import get_services

blueprint = Blueprint(__name__)

TEXT: dict[str, str | list[str]] = {"Content-Type": "text/plain; charset=UTF-8", "Cache-Control": "no-store"}
# Engine.IO v4 polling payloads are text (binary goes base64 with a `b` prefix). No binary type
# here: Chalice's deployer refuses a route that mixes binary and text content types.
CONTENT_TYPES = ["text/plain", "application/json"]


def _error(code: int, message: str) -> Response:
    return Response(body={"code": code, "message": message}, status_code=400)


@blueprint.route("/socket.io", methods=["GET", "POST"], content_types=CONTENT_TYPES)
def engine_io_polling() -> Response:
    from chalicelib.realtime.polling import UnknownSession

    request = blueprint.current_request
    query: dict[str, str] = dict(request.query_params or {})
    if query.get("EIO") != "4":
        return _error(5, "Unsupported protocol version")
    if query.get("transport") != "polling":
        return _error(0, "Transport unknown")
    sessions = get_services().polling
    sid = query.get("sid")
    try:
        if request.method == "GET":
            return Response(body=sessions.poll(sid) if sid else sessions.handshake(), headers=TEXT)
        if not sid:
            return _error(1, "Session ID unknown")
        raw = request.raw_body or b""
        sessions.post(sid, raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw)
        return Response(body="ok", headers=TEXT)
    except UnknownSession:
        return _error(1, "Session ID unknown")
