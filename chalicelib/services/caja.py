"""Use cases of the cash shift: open, current, expenses, summary, arqueo, close, history and
detail. One open caja per branch; every write is conditional (see store/cajas.py).

A change that depends on a read (close, arqueo) is read -> pure domain method -> write
conditioned on the version read; if a sale or expense lands in between, the write fails and
the change is recomputed on fresh state."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.auth import Principal
from chalicelib.domain import audit as actions
from chalicelib.domain.caja import NO_OPEN_CAJA, Arqueo, Caja, Gasto, counts_of
from chalicelib.domain.clock import iso, utc_now
from chalicelib.errors import Conflict, InvalidInput, NotFound, StaleCaja
from chalicelib.services.retry import retry_on_conflict

if TYPE_CHECKING:
    from chalicelib.services.audit import AuditTrail
    from chalicelib.services.ports import CajaStore, TenantStore
    from chalicelib.services.zones import BranchTimezones

MAX_ATTEMPTS = 20


@dataclass(frozen=True)
class CajaDetail:
    caja: Caja
    gastos: list[Gasto]


class CajaService:
    def __init__(self, repo: CajaStore, tenants: TenantStore, zones: BranchTimezones, audit: AuditTrail | None = None) -> None:
        self.audit = audit
        self.repo = repo
        self.tenants = tenants
        self.zones = zones
        self.sleep: Callable[[float], None] = time.sleep

    def timezone(self, tenant_id: str, branch_id: str) -> str:
        return self.zones(tenant_id, branch_id)

    # --- reading ---------------------------------------------------------------------------

    def current(self, who: Principal, branch_id: str) -> Caja | None:
        return self.repo.get_open(who.tenant, branch_id)

    def require_open(self, who: Principal, branch_id: str) -> Caja:
        caja = self.repo.get_open(who.tenant, branch_id)
        if caja is None:
            raise InvalidInput(NO_OPEN_CAJA)
        return caja

    def get(self, who: Principal, caja_id: int) -> Caja:
        """A caja of the caller's tenant. Admins see every branch of their tenant; other roles
        only their own branch. Anything else is "not found", never "forbidden"."""
        caja = self.repo.get(who.tenant, caja_id)
        if caja is None or (who.role != "admin" and caja.branch_id != who.branch):
            raise NotFound(f"Caja con id {caja_id} no encontrada")
        return caja

    def history(self, who: Principal, branch_id: str, limit: int) -> list[Caja]:
        return self.repo.history(who.tenant, branch_id, limit)

    def gastos(self, who: Principal, branch_id: str, caja_id: int | None = None) -> list[Gasto]:
        if caja_id is not None:
            return self.repo.gastos(who.tenant, self.get(who, caja_id).id)
        caja = self.repo.get_open(who.tenant, branch_id)
        return [] if caja is None else self.repo.gastos(who.tenant, caja.id)

    def detail(self, who: Principal, caja_id: int) -> CajaDetail:
        caja = self.get(who, caja_id)
        return CajaDetail(caja, self.repo.gastos(who.tenant, caja.id))

    # --- changing --------------------------------------------------------------------------

    def open(self, who: Principal, branch_id: str, counts: Mapping[str, int]) -> Caja:
        if self.repo.get_open(who.tenant, branch_id) is not None:
            raise Conflict("Ya existe una caja abierta en esta sucursal")
        checked = counts_of(counts)  # before an id is reserved
        caja = Caja.open(who.tenant, self.tenants.next_id(who.tenant, "caja"), branch_id, checked, who.user_id, iso(utc_now()))
        self.repo.open(caja)  # the conditional write is what actually guarantees one open caja
        return caja

    def add_gasto(self, who: Principal, branch_id: str, data: Mapping[str, Any]) -> Gasto:
        caja = self.require_open(who, branch_id)
        gasto = Gasto.create(
            who.tenant,
            self.tenants.next_id(who.tenant, "gasto"),
            caja,
            data["descripcion"],
            data["metodo_pago"],
            data["monto"],
            who.user_id,
            iso(utc_now()),
        )
        try:
            self.repo.add_gasto(gasto)
        except StaleCaja as exc:  # closed between the read and the write
            raise InvalidInput(NO_OPEN_CAJA) from exc
        return gasto

    def arqueo(self, who: Principal, caja_id: int, counts: Mapping[str, int], remark: str | None) -> tuple[Caja, Arqueo]:
        def attempt() -> tuple[Caja, Arqueo]:
            before = self.get(who, caja_id)
            after, arqueo = before.arqueo(counts, remark, who.user_id, iso(utc_now()))
            entry = None if self.audit is None else self.audit.entry(who.tenant, actions.CAJA_ARQUEO, f"caja:{after.id}", {
                "total": arqueo.total, "esperado": arqueo.esperado, "diferencia": arqueo.diferencia,
                "estado_diferencia": arqueo.estado_diferencia, "observacion": arqueo.observacion,
            })
            self.repo.add_arqueo(before, after, entry)
            return after, arqueo

        return retry_on_conflict(attempt, f"La caja {caja_id} está muy solicitada; intente de nuevo", attempts=MAX_ATTEMPTS,
                                 sleep=self.sleep)

    def close(self, who: Principal, branch_id: str, counts: Mapping[str, int], closing_remark: str | None) -> Caja:
        def attempt() -> Caja:
            before = self.require_open(who, branch_id)
            after = before.close(counts, closing_remark, who.user_id, iso(utc_now()))
            entry = None if self.audit is None else self.audit.entry(who.tenant, actions.CAJA_CLOSED, f"caja:{after.id}", {
                "sucursal_id": after.branch_id, "monto_final": after.monto_final, "esperado": after.efectivo_esperado,
                "diferencia": after.diferencia, "estado_diferencia": after.estado_diferencia, "observacion": after.cierre_obs,
            })
            self.repo.close(before, after, entry)
            return after

        return retry_on_conflict(attempt, "La caja está muy solicitada; intente de nuevo", attempts=MAX_ATTEMPTS, sleep=self.sleep)
