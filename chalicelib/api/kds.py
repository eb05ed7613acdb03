"""The kitchen display API (COMPAT B): `{success, data}` envelope, ISO times, item UUIDs."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from chalicelib.api import schemas as v
from chalicelib.api.http import LIMIT, Envelope, ErrorFormat, RequestContext, Surface
from chalicelib.api.responses import SessionToken
from chalicelib.container import get_services
from chalicelib.domain.catalog import STATION_PATTERN
from chalicelib.domain.clock import iso, utc_now
from chalicelib.domain.sales import ITEM_FLOW
from chalicelib.errors import InvalidInput
from chalicelib.presenters import kds as kds_view
from chalicelib.presenters.kds import KdsItemStatus, KdsOrder

if TYPE_CHECKING:
    from chalicelib.services.kitchen_display import KitchenDisplayService

ORDER_STATUSES = ("pending", "confirmed", "preparing", "ready")


def _error(status: int, message: Any, phrase: str) -> dict[str, Any]:
    """A display shows one line: every problem of a 400, joined."""
    text = "; ".join(message) if isinstance(message, list) else message
    return {"success": False, "error": {"code": phrase.upper().replace(" ", "_"), "message": text}, "statusCode": status}


KDS_ERROR = ErrorFormat("KdsError", _error, {
    "type": "object",
    "properties": {
        "success": {"const": False},
        "error": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "required": ["code", "message"],
        },
        "statusCode": {"type": "integer"},
    },
    "required": ["success", "error"],
})
SUCCESS_ENVELOPE = Envelope(
    wrap=lambda data: {"success": True, "data": data},
    unwrap=lambda body: body["data"],
    schema=lambda data: {"type": "object", "properties": {"success": {"const": True}, "data": data}, "required": ["success", "data"]},
)
surface = Surface("kds", envelope=SUCCESS_ENVELOPE, errors=KDS_ERROR)

ITEM_STATUS = {"status": v.choice(*ITEM_FLOW)}


def _kds() -> KitchenDisplayService:
    return get_services().kds


ORDERS_QUERY = {
    **LIMIT,
    "status": v.choice(*ORDER_STATUSES, required=False, description="only orders in this status"),
    "station": v.text(required=False, pattern=STATION_PATTERN, description="only the items of this kitchen station"),
    "include": v.choice("held", required=False, description="held: also the items of courses not fired yet (held_items)"),
}


@surface.route("/orders", ["GET"], permission="orders:read", query=ORDERS_QUERY, response=list[KdsOrder])
def list_orders(ctx: RequestContext) -> list[KdsOrder]:
    status, station = ctx.params()["status"], ctx.params()["station"]
    with_held = ctx.params()["include"] == "held"
    now = iso(utc_now())
    orders = ctx.limited(_kds().active_orders(ctx.principal, ctx.branch, status, station, with_held))
    return [kds_view.order(o, now, station, with_held=with_held) for o in orders]


@surface.route(
    "/items/{item_id}/status", ["PATCH"], permission="orders:update_item_status", body=ITEM_STATUS, response=KdsItemStatus
)
def update_item_status(ctx: RequestContext, item_id: str) -> KdsItemStatus:
    if not re.fullmatch(r"[0-9a-fA-F-]{36}", item_id):
        raise InvalidInput("id must be an item UUID")
    status = ctx.body()["status"]
    order, item = _kds().set_item_status(ctx.principal, ctx.branch, item_id.lower(), status)
    return kds_view.item_status(item, order)


@surface.route("/orders/{order_id}/bump", ["POST"], permission="cocina:complete", response=KdsOrder)
def bump(ctx: RequestContext, order_id: str) -> KdsOrder:
    return kds_view.order(_kds().bump(ctx.principal, v.path_int(order_id)), iso(utc_now()))


@surface.route("/orders/{order_id}/recall", ["POST"], permission="orders:recall", response=KdsOrder)
def recall(ctx: RequestContext, order_id: str) -> KdsOrder:
    return kds_view.order(_kds().recall(ctx.principal, v.path_int(order_id)), iso(utc_now()))


@surface.route("/orders/{order_id}/session-token", ["POST"], permission="session:mint", status=201, response=SessionToken)
def customer_token(ctx: RequestContext, order_id: str) -> SessionToken:
    token, order, ttl = _kds().customer_token(ctx.principal, v.path_int(order_id))
    return {"token": token, "session_id": order.session_id, "channel": f"session:{order.session_id}", "expires_in": ttl}
