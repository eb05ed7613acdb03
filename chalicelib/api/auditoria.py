"""GET /api/auditoria?desde=&hasta=&limit=: the tenant's audit trail, newest first, admins only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.api.http import QueryParam, RequestContext, Surface
from chalicelib.container import get_services
from chalicelib.domain.clock import utc_now
from chalicelib.errors import InvalidInput
from chalicelib.presenters.audit import entrada

surface = Surface("auditoria")

DEFAULT_SPAN = timedelta(days=7)
KNOWN = {"desde", "hasta", "limit"}


def _moment(ctx: RequestContext, name: str, end_of_day: bool) -> datetime | None:
    raw = ctx.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput([f"{name} must be an ISO 8601 date or date-time"]) from exc
    if end_of_day and len(raw) == 10:  # a bare date includes the whole day
        moment += timedelta(days=1, microseconds=-1000)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


QUERY = (
    QueryParam("desde", "string", "ISO 8601 date or date-time, UTC (default: hasta minus 7 days)"),
    QueryParam("hasta", "string", "ISO 8601 date or date-time, UTC; a bare date includes the whole day (default: now)"),
    QueryParam("limit", "integer", "at most this many, newest first (default 100)", 1, 500),
)


@surface.route("/api/auditoria", ["GET"], permission="auditoria:read", query=QUERY)
def entries(ctx: RequestContext) -> list[dict[str, Any]]:
    unknown = sorted(set(ctx.query) - KNOWN)
    if unknown:
        raise InvalidInput([f"property {name} should not exist" for name in unknown])
    hasta = _moment(ctx, "hasta", end_of_day=True) or utc_now()
    desde = _moment(ctx, "desde", end_of_day=False) or hasta - DEFAULT_SPAN
    if desde > hasta:
        raise InvalidInput(["desde must not be after hasta"])
    return [entrada(e) for e in get_services().audit.between(ctx.tenant, desde, hasta, ctx.limit(100, 500))]
