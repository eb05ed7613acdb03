"""GET /api/auditoria entries."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.clock import iso
from chalicelib.presenters.shapes import IsoTime, Shape


class EntradaAuditoria(Shape):
    id: str
    fecha: IsoTime
    accion: str
    objetivo: str
    detalle: dict[str, Any]
    usuario_id: str | None
    usuario_nombre: str | None
    request_id: str | None


def audit_entry_out(e: AuditEntry) -> EntradaAuditoria:
    return {
        "id": e.entry_id,
        "fecha": iso(e.at),
        "accion": e.action,
        "objetivo": e.target,
        "detalle": dict(e.detail),
        "usuario_id": e.actor_id,
        "usuario_nombre": e.actor_name,
        "request_id": e.request_id,
    }
