"""Tenants, branches and per-tenant atomic counters (one table: `tenants`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError

from chalicelib.domain.tenancy import DEFAULT_LATE_MINUTES, Branch, Tenant
from chalicelib.errors import NotFound
from chalicelib.settings import Settings
from chalicelib.store.base import Record, bound, conflict_on_condition, is_condition_failure, transaction


class TenantRecord(Record):
    nombre = UnicodeAttribute()
    default_branch = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class BranchRecord(Record):
    nombre = UnicodeAttribute()
    timezone = UnicodeAttribute()
    tarifa_domicilio = UnicodeAttribute(null=True)
    minutos_tarde = NumberAttribute(null=True)
    mesas = ListAttribute(of=UnicodeAttribute, null=True)  # absent on branches stored before the setting existed


class CounterRecord(Record):
    value = NumberAttribute(default=0)


def tenant_key(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


def _branch_record(branch: Branch, cls: type[BranchRecord]) -> BranchRecord:
    return cls(
        tenant_key(branch.tenant_id), f"BRANCH#{branch.branch_id}", nombre=branch.nombre, timezone=branch.timezone,
        tarifa_domicilio=str(branch.tarifa_domicilio), minutos_tarde=branch.late_minutes, mesas=list(branch.mesas) or None
    )


def decode_branch(image: dict[str, Any]) -> Branch | None:
    """The branch of a branch row's stream image; None for any other row (the tenant, its counters)."""
    pk, sk = image.get("pk", {}).get("S", ""), image.get("sk", {}).get("S", "")
    if not pk.startswith("TENANT#") or not sk.startswith("BRANCH#"):
        return None
    fee = image.get("tarifa_domicilio", {}).get("S")
    late = image.get("minutos_tarde", {}).get("N")
    mesas = tuple(str(m["S"]) for m in image.get("mesas", {}).get("L", []))
    return Branch(pk.removeprefix("TENANT#"), sk.removeprefix("BRANCH#"), str(image["nombre"]["S"]), str(image["timezone"]["S"]),
                  Decimal(fee or "0"), int(late) if late else DEFAULT_LATE_MINUTES, mesas)


def _branch(tenant_id: str, branch_id: str, r: BranchRecord) -> Branch:
    late = int(r.minutos_tarde) if r.minutos_tarde is not None else DEFAULT_LATE_MINUTES
    mesas = tuple(str(m) for m in r.mesas or ())
    return Branch(tenant_id, branch_id, r.nombre, r.timezone, Decimal(r.tarifa_domicilio or "0"), late, mesas)


class TenantRepository:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.TenantRecord = bound(TenantRecord, "tenants", settings)
        self.BranchRecord = bound(BranchRecord, "tenants", settings)
        self.CounterRecord = bound(CounterRecord, "tenants", settings)

    def create_tenant(self, tenant: Tenant, branches: list[Branch]) -> None:
        with conflict_on_condition("El restaurante ya existe"), transaction(self._settings) as tx:
            tx.save(
                self.TenantRecord(
                    tenant_key(tenant.tenant_id),
                    "TENANT",
                    nombre=tenant.nombre,
                    default_branch=tenant.default_branch,
                    created_at=tenant.created_at,
                ),
                condition=self.TenantRecord.pk.does_not_exist(),
            )
            for branch in branches:
                tx.save(_branch_record(branch, self.BranchRecord), condition=self.BranchRecord.pk.does_not_exist())

    def add_branch(self, branch: Branch) -> None:
        with conflict_on_condition("La sucursal ya existe"):
            _branch_record(branch, self.BranchRecord).save(condition=self.BranchRecord.pk.does_not_exist())

    def replace_branch(self, branch: Branch) -> None:
        """Overwrite an existing branch's settings (NotFound if it does not exist)."""
        try:
            _branch_record(branch, self.BranchRecord).save(condition=self.BranchRecord.pk.exists())
        except PutError as exc:
            if is_condition_failure(exc):
                raise NotFound("Sucursal no encontrada") from exc
            raise

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        try:
            r = self.TenantRecord.get(tenant_key(tenant_id), "TENANT")
        except self.TenantRecord.DoesNotExist:
            return None
        return Tenant(tenant_id, r.nombre, r.default_branch, r.created_at)

    def get_branch(self, tenant_id: str, branch_id: str) -> Branch | None:
        try:
            r = self.BranchRecord.get(tenant_key(tenant_id), f"BRANCH#{branch_id}")
        except self.BranchRecord.DoesNotExist:
            return None
        return _branch(tenant_id, branch_id, r)

    def list_branches(self, tenant_id: str) -> list[Branch]:
        return [
            _branch(tenant_id, r.sk.split("#", 1)[1], r)
            for r in self.BranchRecord.query(tenant_key(tenant_id), self.BranchRecord.sk.startswith("BRANCH#"))
        ]

    def next_id(self, tenant_id: str, counter: str, count: int = 1) -> int:
        """Atomically reserve `count` ids and return the last one reserved."""
        record = self.CounterRecord(tenant_key(tenant_id), f"COUNTER#{counter}")
        record.update(actions=[self.CounterRecord.value.add(count)])
        return int(record.value)
