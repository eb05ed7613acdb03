"""GET /api/auditoria entries."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.clock import iso


def audit_entry_out(e: AuditEntry) -> dict[str, Any]:
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
