"""Cash shifts, their expenses and the one-open-caja-per-branch lock (table: `cajas`).

Items (pk is always the tenant id, so another tenant's caja is simply not found):
- caja:  sk `CAJA#<id:010d>`, with `branch_pk` = `<tenant>#<branch>` and `opened_sk` =
         `<opened ISO>#<id:010d>` for the `by-branch` GSI (a branch's history, newest first);
- lock:  sk `OPEN#<branch>`, holding the open caja's id; it exists only while a caja is open;
- gasto: sk `GASTO#<caja id:010d>#<gasto id:010d>`.

Access patterns: GetItem caja; GetItem lock + GetItem caja (open caja of a branch); Query pk +
`GASTO#<caja>#` prefix (expenses of a caja); Query GSI by-branch, descending, with Limit
(history); Query GSI by-branch, `opened_sk` between two moments, closed ones (the cajas report).
No Scan.

Writes: opening is one TransactWrite (Put caja + Put lock, both attribute_not_exists), so two
concurrent opens on a branch can never both succeed. Closing is one TransactWrite (Update caja
conditioned on still open and on its version + Delete lock). Sales and expense tallies are
atomic ADDs that also bump the version, so a close or arqueo computed from a stale read fails
its version condition and is recomputed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.transactions import TransactWrite

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.caja import CAJA_CLOSED, CAJA_OPEN, DENOMINATION_NAMES, EXPENSE_TALLY, SALES_TALLY, Arqueo, Caja, Gasto
from chalicelib.errors import StaleCaja
from chalicelib.settings import Settings
from chalicelib.store.audit import AuditRepository
from chalicelib.store.base import (
    DecimalAttribute,
    Record,
    bound,
    branch_key,
    conflict_on_condition,
    fields_of,
    is_condition_failure,
    to_record,
    transaction,
)


class CountsAttribute(MapAttribute[str, int]):
    b200 = NumberAttribute(default=0)
    b100 = NumberAttribute(default=0)
    b50 = NumberAttribute(default=0)
    b20 = NumberAttribute(default=0)
    b10 = NumberAttribute(default=0)
    b5 = NumberAttribute(default=0)
    m2 = NumberAttribute(default=0)
    m1 = NumberAttribute(default=0)
    m050 = NumberAttribute(default=0)
    m020 = NumberAttribute(default=0)
    m010 = NumberAttribute(default=0)


class ArqueoAttribute(MapAttribute[str, object]):
    counts = CountsAttribute()
    total = DecimalAttribute()
    esperado = DecimalAttribute()
    diferencia = DecimalAttribute()
    estado_diferencia = UnicodeAttribute()
    observacion = UnicodeAttribute(null=True)
    usuario_id = UnicodeAttribute()
    created_at = UnicodeAttribute()


class ByBranchIndex(GlobalSecondaryIndex["CajaRecord"]):
    class Meta:
        index_name = "by-branch"
        projection = AllProjection()

    branch_pk = UnicodeAttribute(hash_key=True)
    opened_sk = UnicodeAttribute(range_key=True)


class CajaRecord(Record):
    caja_id = NumberAttribute()
    branch_id = UnicodeAttribute()
    branch_pk = UnicodeAttribute()
    opened_sk = UnicodeAttribute()
    estado = UnicodeAttribute()
    counts_apertura = CountsAttribute()
    monto_inicial = DecimalAttribute()
    opened_at = UnicodeAttribute()
    opened_by = UnicodeAttribute()
    ventas_efectivo = DecimalAttribute(null=True)
    ventas_qr = DecimalAttribute(null=True)
    gastos_efectivo = DecimalAttribute(null=True)
    gastos_qr = DecimalAttribute(null=True)
    ventas_tarjeta = DecimalAttribute(null=True)  # absent on cajas stored before card payments
    gastos_tarjeta = DecimalAttribute(null=True)
    arqueos = ListAttribute(of=ArqueoAttribute, default=list)
    closed_at = UnicodeAttribute(null=True)
    closed_by = UnicodeAttribute(null=True)
    counts_cierre = CountsAttribute(null=True)
    monto_final = DecimalAttribute(null=True)
    efectivo_esperado = DecimalAttribute(null=True)
    diferencia = DecimalAttribute(null=True)
    estado_diferencia = UnicodeAttribute(null=True)
    cierre_obs = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    version = VersionAttribute()

    by_branch = ByBranchIndex()


class OpenLockRecord(Record):
    caja_id = NumberAttribute()
    opened_at = UnicodeAttribute()


class GastoRecord(Record):
    gasto_id = NumberAttribute()
    caja_id = NumberAttribute()
    descripcion = UnicodeAttribute()
    metodo_pago = UnicodeAttribute()
    monto = DecimalAttribute()
    usuario_id = UnicodeAttribute()
    created_at = UnicodeAttribute()


def caja_sk(caja_id: int) -> str:
    return f"CAJA#{caja_id:010d}"


def lock_sk(branch_id: str) -> str:
    return f"OPEN#{branch_id}"


def gasto_prefix(caja_id: int) -> str:
    return f"GASTO#{caja_id:010d}#"


def gasto_sk(caja_id: int, gasto_id: int) -> str:
    return f"{gasto_prefix(caja_id)}{gasto_id:010d}"


# --- mapping: record <-> domain ---------------------------------------------------------------


def _counts_to_attr(counts: dict[str, int]) -> CountsAttribute:
    return CountsAttribute(**{name: int(counts.get(name, 0)) for name in DENOMINATION_NAMES})


def _counts_from_attr(attr: CountsAttribute | None) -> dict[str, int]:
    return {name: int(getattr(attr, name, 0) or 0) for name in DENOMINATION_NAMES}


def _arqueo_to_attr(a: Arqueo) -> ArqueoAttribute:
    return ArqueoAttribute(
        counts=_counts_to_attr(a.counts),
        total=a.total,
        esperado=a.esperado,
        diferencia=a.diferencia,
        estado_diferencia=a.estado_diferencia,
        observacion=a.observacion,
        usuario_id=a.usuario_id,
        created_at=a.created_at,
    )


def _arqueo_from_attr(a: ArqueoAttribute) -> Arqueo:
    return Arqueo(
        counts=_counts_from_attr(a.counts),
        total=a.total,
        esperado=a.esperado,
        diferencia=a.diferencia,
        estado_diferencia=a.estado_diferencia,
        observacion=a.observacion,
        usuario_id=a.usuario_id,
        created_at=a.created_at,
    )


def _zero(value: Decimal | None) -> Decimal:
    return Decimal("0.00") if value is None else value


# Domain field -> record attribute: same names, listed once (the rest are mapped by hand).
_CAJA_FIELDS = ("branch_id", "monto_inicial", "opened_at", "opened_by", "estado", "ventas_efectivo", "ventas_qr",
                "gastos_efectivo", "gastos_qr", "closed_at", "closed_by", "monto_final", "efectivo_esperado", "diferencia",
                "estado_diferencia", "cierre_obs", "updated_at", "ventas_tarjeta", "gastos_tarjeta")
_TALLIES = (*SALES_TALLY.values(), *EXPENSE_TALLY.values())
_GASTO_FIELDS = ("caja_id", "descripcion", "metodo_pago", "monto", "usuario_id", "created_at")


def caja_to_domain(r: CajaRecord) -> Caja:
    plain = fields_of(r, _CAJA_FIELDS)
    plain.update({name: _zero(plain[name]) for name in _TALLIES})
    return Caja(
        tenant_id=r.pk,
        id=int(r.caja_id),
        counts_apertura=_counts_from_attr(r.counts_apertura),
        arqueos=tuple(_arqueo_from_attr(a) for a in (r.arqueos or [])),
        counts_cierre=_counts_from_attr(r.counts_cierre) if r.counts_cierre is not None else None,
        version=int(r.version or 0),
        **plain,
    )


def caja_to_record(c: Caja, cls: type[CajaRecord]) -> CajaRecord:
    return to_record(
        cls, c.tenant_id, caja_sk(c.id), c, _CAJA_FIELDS,
        caja_id=c.id,
        branch_pk=branch_key(c.tenant_id, c.branch_id),
        opened_sk=f"{c.opened_at}#{c.id:010d}",
        counts_apertura=_counts_to_attr(c.counts_apertura),
        arqueos=[_arqueo_to_attr(a) for a in c.arqueos],
        counts_cierre=_counts_to_attr(c.counts_cierre) if c.counts_cierre is not None else None,
    )


def gasto_to_domain(r: GastoRecord) -> Gasto:
    plain = fields_of(r, _GASTO_FIELDS)
    plain["caja_id"] = int(plain["caja_id"])
    return Gasto(tenant_id=r.pk, id=int(r.gasto_id), **plain)


def gasto_to_record(g: Gasto, cls: type[GastoRecord]) -> GastoRecord:
    return to_record(cls, g.tenant_id, gasto_sk(g.caja_id, g.id), g, _GASTO_FIELDS, gasto_id=g.id)


def _tally_handle(tenant_id: str, caja_id: int, cls: type[CajaRecord]) -> CajaRecord:
    """A key-only caja record for unconditional-version updates: with a non-None version and
    add_version_condition=False, PynamoDB adds `ADD version 1` and no version condition."""
    handle = cls(tenant_id, caja_sk(caja_id))
    handle.version = 0
    return handle


class CajaRepository:
    def __init__(self, settings: Settings, audit: AuditRepository) -> None:
        """`audit`: the process's one audit repository, whose entries this one writes with its changes."""
        self._settings = settings
        self.CajaRecord = bound(CajaRecord, "cajas", settings)
        self.OpenLockRecord = bound(OpenLockRecord, "cajas", settings)
        self.GastoRecord = bound(GastoRecord, "cajas", settings)
        self._audit = audit

    # --- reads ---------------------------------------------------------------------------

    def get(self, tenant_id: str, caja_id: int) -> Caja | None:
        try:
            return caja_to_domain(self.CajaRecord.get(tenant_id, caja_sk(caja_id), consistent_read=True))
        except self.CajaRecord.DoesNotExist:
            return None

    def get_open(self, tenant_id: str, branch_id: str) -> Caja | None:
        try:
            lock = self.OpenLockRecord.get(tenant_id, lock_sk(branch_id), consistent_read=True)
        except self.OpenLockRecord.DoesNotExist:
            return None
        caja = self.get(tenant_id, int(lock.caja_id))
        return caja if caja is not None and caja.is_open else None

    def open_caja_id(self, tenant_id: str, branch_id: str) -> int | None:
        try:
            lock = self.OpenLockRecord.get(tenant_id, lock_sk(branch_id), consistent_read=True)
        except self.OpenLockRecord.DoesNotExist:
            return None
        return int(lock.caja_id)

    def history(self, tenant_id: str, branch_id: str, limit: int) -> list[Caja]:
        """A branch's cajas, newest first: one Query on the by-branch GSI."""
        records = self.CajaRecord.by_branch.query(branch_key(tenant_id, branch_id), scan_index_forward=False, limit=limit)
        return [caja_to_domain(r) for r in records][:limit]

    def closed_opened_between(self, tenant_id: str, branch_id: str, since: str, until: str) -> list[Caja]:
        """A branch's closed cajas opened at `since` <= opened_at < `until` (UTC ISO), oldest
        first: one Query on the by-branch GSI, paginated to the end."""
        records = self.CajaRecord.by_branch.query(
            branch_key(tenant_id, branch_id), ByBranchIndex.opened_sk.between(since, until),
            filter_condition=self.CajaRecord.estado == CAJA_CLOSED,
        )
        return [caja for caja in (caja_to_domain(r) for r in records) if caja.opened_at < until]

    def gastos(self, tenant_id: str, caja_id: int) -> list[Gasto]:
        return [gasto_to_domain(r) for r in self.GastoRecord.query(tenant_id, self.GastoRecord.sk.startswith(gasto_prefix(caja_id)))]

    # --- writes --------------------------------------------------------------------------

    def open(self, caja: Caja) -> None:
        """Put the caja and the branch's open lock together; a lock already there is a 409."""
        with conflict_on_condition("Ya existe una caja abierta en esta sucursal"), transaction(self._settings) as tx:
            tx.save(
                self.OpenLockRecord(caja.tenant_id, lock_sk(caja.branch_id), caja_id=caja.id, opened_at=caja.opened_at),
                condition=self.OpenLockRecord.pk.does_not_exist(),
            )
            tx.save(caja_to_record(caja, self.CajaRecord), condition=self.CajaRecord.pk.does_not_exist())

    def _versioned(self, before: Caja, after: Caja) -> CajaRecord:
        """The full `after` record, to be written only over the version `before` was read at."""
        record = caja_to_record(after, self.CajaRecord)
        record.version = before.version
        return record

    def close(self, before: Caja, after: Caja, audit: AuditEntry | None = None) -> None:
        """Write the closed caja if it is still open and unchanged since `before`, free the
        branch's lock and record the audit entry, in one transaction. A stale `before` raises StaleCaja."""
        with _stale_on_condition(), transaction(self._settings) as tx:
            tx.save(self._versioned(before, after), condition=self.CajaRecord.estado == CAJA_OPEN)
            lock = self.OpenLockRecord(before.tenant_id, lock_sk(before.branch_id))
            tx.delete(lock, condition=self.OpenLockRecord.caja_id == before.id)
            if audit is not None:
                self._audit.stage(tx, audit)

    def add_arqueo(self, before: Caja, after: Caja, audit: AuditEntry | None = None) -> None:
        """Write `after` (with its new arqueo) if the caja is still open and unchanged since
        `before`; with an audit entry, both in one transaction."""
        with _stale_on_condition():
            if audit is None:
                self._versioned(before, after).save(condition=self.CajaRecord.estado == CAJA_OPEN)
                return
            with transaction(self._settings) as tx:
                tx.save(self._versioned(before, after), condition=self.CajaRecord.estado == CAJA_OPEN)
                self._audit.stage(tx, audit)

    def add_gasto(self, gasto: Gasto) -> None:
        """Put the expense and add it to the caja's tally in one transaction, if the caja is open."""
        column = getattr(self.CajaRecord, EXPENSE_TALLY[gasto.metodo_pago])
        with _stale_on_condition(), transaction(self._settings) as tx:
            tx.save(gasto_to_record(gasto, self.GastoRecord), condition=self.GastoRecord.pk.does_not_exist())
            tx.update(
                _tally_handle(gasto.tenant_id, gasto.caja_id, self.CajaRecord),
                actions=[column.add(gasto.monto)],
                condition=self.CajaRecord.estado == CAJA_OPEN,
                add_version_condition=False,
            )

    def add_sale_tally(self, tx: TransactWrite, tenant_id: str, caja_id: int, payment_method: str, amount: Decimal) -> None:
        """Within the caller's transaction, atomically ADD `monto` (negative for a void) to the
        caja's tally of the method (ventas_efectivo, ventas_qr, ventas_tarjeta); the caja must exist."""
        column = getattr(self.CajaRecord, SALES_TALLY[payment_method])
        tx.update(
            _tally_handle(tenant_id, caja_id, self.CajaRecord),
            actions=[column.add(Decimal(amount))],
            condition=self.CajaRecord.pk.exists(),
            add_version_condition=False,
        )


@contextmanager
def _stale_on_condition() -> Iterator[None]:
    """Turn a failed condition into StaleCaja; let everything else through."""
    try:
        yield
    except (TransactWriteError, PutError) as exc:
        if is_condition_failure(exc):
            raise StaleCaja("La caja cambió mientras se procesaba la operación") from exc
        raise
