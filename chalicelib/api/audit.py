"""GET /api/auditoria?desde=&hasta=&limit=: the tenant's audit trail, newest first, admins only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.api.http import RequestContext, Surface, limit_query
from chalicelib.api.schemas import moment
from chalicelib.container import get_services
from chalicelib.domain.clock import utc_now
from chalicelib.errors import InvalidInput
from chalicelib.presenters.audit import EntradaAuditoria, audit_entry_out

surface = Surface("auditoria")

DEFAULT_SPAN = timedelta(days=7)


def _moment(raw: str | None, end_of_day: bool) -> datetime | None:
    if raw is None:
        return None
    moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if end_of_day and len(raw) == 10:  # a bare date includes the whole day
        moment += timedelta(days=1, microseconds=-1000)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


QUERY = {
    "desde": moment(required=False, description="ISO 8601 date or date-time, UTC (default: hasta minus 7 days)"),
    "hasta": moment(required=False, description="ISO 8601 date or date-time, UTC; a bare date includes the whole day (default: now)"),
    **limit_query(100, 500),
}


@surface.route("/api/auditoria", ["GET"], permission="auditoria:read", query=QUERY, response=list[EntradaAuditoria])
def entries(ctx: RequestContext) -> list[EntradaAuditoria]:
    unknown = sorted(set(ctx.query) - set(QUERY))
    if unknown:
        raise InvalidInput([f"property {name} should not exist" for name in unknown])
    until = _moment(ctx.params()["hasta"], end_of_day=True) or utc_now()
    since = _moment(ctx.params()["desde"], end_of_day=False) or until - DEFAULT_SPAN
    if since > until:
        raise InvalidInput(["desde must not be after hasta"])
    return [audit_entry_out(e) for e in get_services().audit.between(ctx.tenant, since, until, ctx.limit())]
