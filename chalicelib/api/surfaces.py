"""Every blueprint of the REST API, in one list: the surfaces (routes that declare their
permission, and from which the OpenAPI document is built) and the few other blueprints (the
kitchen display's files, Socket.IO's polling transport, the document and its page). app.py
registers exactly these."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api import (
    audit,
    auth,
    branches,
    caja,
    catalog,
    delivery,
    display,
    docs_page,
    kds,
    kitchen_report,
    openapi,
    reports,
    sales,
    socketio_polling,
    users,
)
from chalicelib.api.http import RouteSpec, Surface

# In the order the modules above are imported, which is the order the OpenAPI document lists the
# routes in (and so the order Schemathesis walks them with its fixed seed).
SURFACES: tuple[Surface, ...] = (
    audit.surface, auth.surface, branches.surface, caja.surface, catalog.surface, delivery.surface, kds.surface,
    kitchen_report.surface, reports.surface, sales.surface, users.surface,
)
BLUEPRINTS: tuple[Blueprint, ...] = (
    *(surface.blueprint for surface in SURFACES),
    socketio_polling.blueprint, display.blueprint, openapi.blueprint, docs_page.blueprint,
)
# Every route a surface declares, surface by surface: the OpenAPI document and the security matrix walk these.
ROUTES: tuple[RouteSpec, ...] = tuple(spec for surface in SURFACES for spec in surface.routes)
