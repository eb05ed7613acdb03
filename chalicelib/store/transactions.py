"""Sales ("transacciones"), one DynamoDB item per aggregate (table: `transactions`).

The aggregate's lines live in a JSON document attribute so a change is one conditional write
and the stream image carries the whole sale. Top-level attributes carry the index keys:
- kitchen-queue (sparse): only sales whose kitchen is pending, per branch, oldest first;
- kds-active (sparse): sales with kitchen items not yet served, per branch;
- by-caja: the sales of one cash shift; by-branch: a branch's sales, newest first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.transactions import TransactWrite

from chalicelib.domain.orders import Extra, Item, Order, Pago
from chalicelib.errors import Conflict
from chalicelib.settings import Settings
from chalicelib.store.base import Record, bind, is_condition_failure, transaction


class KitchenQueueIndex(GlobalSecondaryIndex["TransactionRecord"]):
    class Meta:
        index_name = "kitchen-queue"
        projection = AllProjection()

    queue_pk = UnicodeAttribute(hash_key=True)
    queue_sk = UnicodeAttribute(range_key=True)


class ByCajaIndex(GlobalSecondaryIndex["TransactionRecord"]):
    class Meta:
        index_name = "by-caja"
        projection = AllProjection()

    caja_pk = UnicodeAttribute(hash_key=True)
    caja_sk = UnicodeAttribute(range_key=True)


class ByBranchIndex(GlobalSecondaryIndex["TransactionRecord"]):
    class Meta:
        index_name = "by-branch"
        projection = AllProjection()

    branch_pk = UnicodeAttribute(hash_key=True)
    branch_sk = UnicodeAttribute(range_key=True)


class KdsActiveIndex(GlobalSecondaryIndex["TransactionRecord"]):
    class Meta:
        index_name = "kds-active"
        projection = AllProjection()

    kds_pk = UnicodeAttribute(hash_key=True)
    kds_sk = UnicodeAttribute(range_key=True)


class TransactionRecord(Record):
    tx_id = NumberAttribute()
    branch_id = UnicodeAttribute()
    estado = UnicodeAttribute()
    estado_cocina = UnicodeAttribute(null=True)
    session_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    doc = UnicodeAttribute()
    queue_pk = UnicodeAttribute(null=True)
    queue_sk = UnicodeAttribute(null=True)
    caja_pk = UnicodeAttribute(null=True)
    caja_sk = UnicodeAttribute(null=True)
    branch_pk = UnicodeAttribute()
    branch_sk = UnicodeAttribute()
    kds_pk = UnicodeAttribute(null=True)
    kds_sk = UnicodeAttribute(null=True)
    version = VersionAttribute()

    kitchen_queue = KitchenQueueIndex()
    by_caja = ByCajaIndex()
    by_branch = ByBranchIndex()
    kds_active = KdsActiveIndex()


def tx_sk(tx_id: int) -> str:
    return f"TX#{tx_id:012d}"


def branch_key(tenant_id: str, branch_id: str) -> str:
    return f"{tenant_id}#{branch_id}"


# --- codec: aggregate <-> JSON document ------------------------------------------------------

def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _extra_doc(e: Extra) -> dict[str, Any]:
    return {
        "id": e.id, "ingrediente_id": e.ingrediente_id, "descripcion": e.descripcion, "precio": str(e.precio),
        "cantidad": str(e.cantidad), "created_at": e.created_at, "stock_deducted": e.stock_deducted,
    }


def _item_doc(i: Item) -> dict[str, Any]:
    return {
        "id": i.id, "uuid": i.uuid, "plato_id": i.plato_id, "producto_id": i.producto_id, "nombre": i.nombre,
        "cantidad": str(i.cantidad), "precio_unitario": str(i.precio_unitario), "notas": i.notas, "created_at": i.created_at,
        "estacion": i.estacion, "kitchen_status": i.kitchen_status, "status_changed_at": i.status_changed_at,
        "extras": [_extra_doc(e) for e in i.extras], "stock_deducted": i.stock_deducted,
        "removed_at": i.removed_at, "removed_by": i.removed_by,
    }


def _pago_doc(p: Pago) -> dict[str, Any]:
    return {
        "id": p.id, "metodo_pago": p.metodo_pago, "monto": str(p.monto),
        "monto_recibido": None if p.monto_recibido is None else str(p.monto_recibido), "cambio": str(p.cambio),
        "referencia_qr": p.referencia_qr, "caja_id": p.caja_id, "usuario_id": p.usuario_id, "created_at": p.created_at,
    }


def encode(order: Order) -> str:
    return json.dumps({
        "nro_reg": order.nro_reg, "concepto": order.concepto, "mesa": order.mesa, "cliente": order.cliente,
        "tipo": order.tipo, "caja_id": order.caja_id, "usuario_id": order.usuario_id,
        "items": [_item_doc(i) for i in order.items], "eliminados": [_item_doc(i) for i in order.eliminados],
        "pagos": [_pago_doc(p) for p in order.pagos], "next_item_id": order.next_item_id,
        "next_extra_id": order.next_extra_id, "closed_at": order.closed_at, "kitchen_done_at": order.kitchen_done_at,
        "voided_at": order.voided_at, "recall_snapshot": order.recall_snapshot,
    }, separators=(",", ":"), ensure_ascii=False)


def _item(d: dict[str, Any]) -> Item:
    return Item(
        id=d["id"], uuid=d["uuid"], plato_id=d["plato_id"], producto_id=d["producto_id"], nombre=d["nombre"],
        cantidad=Decimal(d["cantidad"]), precio_unitario=Decimal(d["precio_unitario"]), notas=d["notas"],
        created_at=d["created_at"], estacion=d.get("estacion"), kitchen_status=d.get("kitchen_status"),
        status_changed_at=d.get("status_changed_at"),
        extras=[
            Extra(e["id"], e["ingrediente_id"], e["descripcion"], Decimal(e["precio"]), Decimal(e["cantidad"]),
                  e["created_at"], e.get("stock_deducted", False))
            for e in d.get("extras", [])
        ],
        stock_deducted=d.get("stock_deducted", False), removed_at=d.get("removed_at"), removed_by=d.get("removed_by"),
    )


def decode(tenant_id: str, tx_id: int, branch_id: str, estado: str, estado_cocina: str | None, session_id: str,
           created_at: str, updated_at: str, version: int, doc: str) -> Order:
    d = json.loads(doc)
    return Order(
        tenant_id=tenant_id, id=tx_id, branch_id=branch_id, nro_reg=d["nro_reg"], concepto=d["concepto"], mesa=d["mesa"],
        cliente=d["cliente"], tipo=d["tipo"], caja_id=d["caja_id"], usuario_id=d["usuario_id"], created_at=created_at,
        updated_at=updated_at, estado=estado, estado_cocina=estado_cocina,
        items=[_item(i) for i in d["items"]], eliminados=[_item(i) for i in d.get("eliminados", [])],
        pagos=[
            Pago(p["id"], p["metodo_pago"], Decimal(p["monto"]), _dec(p["monto_recibido"]), Decimal(p["cambio"]),
                 p["referencia_qr"], p["caja_id"], p["usuario_id"], p["created_at"])
            for p in d["pagos"]
        ],
        session_id=session_id, next_item_id=d["next_item_id"], next_extra_id=d["next_extra_id"], closed_at=d.get("closed_at"),
        kitchen_done_at=d.get("kitchen_done_at"), voided_at=d.get("voided_at"), recall_snapshot=d.get("recall_snapshot") or {},
        version=version,
    )


def to_domain(r: TransactionRecord) -> Order:
    return decode(r.pk, int(r.tx_id), r.branch_id, r.estado, r.estado_cocina, r.session_id, r.created_at, r.updated_at,
                  int(r.version or 0), r.doc)


def from_stream_image(image: dict[str, Any]) -> Order:
    """Rebuild the aggregate from a DynamoDB stream image (low-level attribute-value JSON)."""
    def s(name: str) -> str | None:
        value = image.get(name)
        return None if value is None or "NULL" in value else value.get("S")

    return decode(str(s("pk")), int(image["tx_id"]["N"]), str(s("branch_id")), str(s("estado")), s("estado_cocina"),
                  str(s("session_id")), str(s("created_at")), str(s("updated_at")),
                  int(image.get("version", {}).get("N", 0)), str(s("doc")))


def to_record(order: Order) -> TransactionRecord:
    queue = order.in_kitchen_queue
    kds = order.active_for_kitchen_display
    branch = branch_key(order.tenant_id, order.branch_id)
    ordered = f"{order.created_at}#{order.id:012d}"
    record = TransactionRecord(
        order.tenant_id, tx_sk(order.id), tx_id=order.id, branch_id=order.branch_id, estado=order.estado,
        estado_cocina=order.estado_cocina, session_id=order.session_id, created_at=order.created_at,
        updated_at=order.updated_at, doc=encode(order),
        queue_pk=branch if queue else None, queue_sk=ordered if queue else None,
        caja_pk=f"{order.tenant_id}#{order.caja_id}" if order.caja_id is not None else None,
        caja_sk=f"{order.id:012d}" if order.caja_id is not None else None,
        branch_pk=branch, branch_sk=ordered, kds_pk=branch if kds else None, kds_sk=ordered if kds else None,
    )
    if order.version:
        record.version = order.version
    return record


class TransactionRepository:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        bind(TransactionRecord, "transactions", settings)

    def add(self, order: Order) -> None:
        try:
            to_record(order).save(condition=TransactionRecord.pk.does_not_exist())
        except PutError as exc:
            if is_condition_failure(exc):
                raise Conflict(f"La transacción {order.id} ya existe") from exc
            raise

    def get(self, tenant_id: str, tx_id: int) -> Order | None:
        try:
            return to_domain(TransactionRecord.get(tenant_id, tx_sk(tx_id), consistent_read=True))
        except TransactionRecord.DoesNotExist:
            return None

    def get_by_item_uuid(self, tenant_id: str, branch_id: str, item_uuid: str) -> Order | None:
        """Active KDS orders of the branch hold every item that can still change status."""
        for order in self.kds_active(tenant_id, branch_id):
            if any(i.uuid == item_uuid for i in order.items):
                return self.get(tenant_id, order.id)
        return None

    def save(self, order: Order, extra_writes: Callable[[TransactWrite], None] | None = None) -> None:
        """Write the changed aggregate if nobody changed it since it was read (version), in one
        DynamoDB transaction with `extra_writes` (stock, caja tallies). A write that closes the
        sale is also conditioned on the stored sale not being closed. Raises VersionConflict."""
        record = to_record(order)
        not_closed = TransactionRecord.estado != "cerrado" if order.closing else None
        try:
            if extra_writes is None:
                record.save(condition=not_closed)
            else:
                with transaction(self._settings) as tx:
                    tx.save(record, condition=not_closed)
                    extra_writes(tx)
        except (PutError, TransactWriteError) as exc:
            if is_condition_failure(exc):
                raise VersionConflict(order.id) from exc
            raise
        order.version = int(record.version or 0)

    def kitchen_queue(self, tenant_id: str, branch_id: str) -> list[Order]:
        return [to_domain(r) for r in TransactionRecord.kitchen_queue.query(branch_key(tenant_id, branch_id))]

    def kds_active(self, tenant_id: str, branch_id: str) -> list[Order]:
        return [to_domain(r) for r in TransactionRecord.kds_active.query(branch_key(tenant_id, branch_id))]

    def by_caja(self, tenant_id: str, caja_id: int) -> list[Order]:
        return [to_domain(r) for r in TransactionRecord.by_caja.query(f"{tenant_id}#{caja_id}")]

    def by_branch(self, tenant_id: str, branch_id: str, limit: int) -> list[Order]:
        rows = TransactionRecord.by_branch.query(branch_key(tenant_id, branch_id), scan_index_forward=False, limit=limit)
        return [to_domain(r) for r in rows]


class VersionConflict(Conflict):
    def __init__(self, tx_id: int) -> None:
        super().__init__(f"La transacción {tx_id} fue modificada por otra petición; intente de nuevo")

