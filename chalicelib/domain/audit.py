"""Audit entries: who changed what, when, and from which request, per tenant."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

# Actions recorded (the `accion` of GET /api/auditoria).
SALE_VOIDED = "transaccion.anulada"
ITEM_REMOVED = "transaccion.item_eliminado"
SALE_REOPENED = "transaccion.reabierta"
CAJA_CLOSED = "caja.cerrada"
CAJA_ARQUEO = "caja.arqueo"
PRICE_CHANGED = "catalogo.precio_cambiado"
USER_CREATED = "usuario.creado"
USER_CHANGED = "usuario.modificado"
USER_DELETED = "usuario.eliminado"
PASSWORD_CHANGED = "usuario.contrasena_cambiada"

SYSTEM = "sistema"  # the actor of changes made outside a request (provisioning, tools)


@dataclass(frozen=True)
class AuditEntry:
    tenant_id: str
    entry_id: str  # `<ISO UTC time>#<random>`: sorts by time
    at: datetime
    action: str
    target: str  # `<kind>:<id>`
    actor_id: str
    actor_name: str
    request_id: str
    expires_at: int  # epoch seconds (TTL)
    detail: Mapping[str, str] = field(default_factory=dict)
