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
from pynamodb.exceptions import PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.transactions import TransactWrite

from chalicelib.domain.delivery import Entrega
from chalicelib.domain.sales import Extra, Item, Pago, Sale
from chalicelib.domain.sales.pacing import Pacing
from chalicelib.errors import Conflict, VersionConflict
from chalicelib.settings import Settings
from chalicelib.store.base import Record, bound, branch_key, is_condition_failure


class KitchenQueueIndex(GlobalSecondaryIndex["SaleRecord"]):
    class Meta:
        index_name = "kitchen-queue"
        projection = AllProjection()

    queue_pk = UnicodeAttribute(hash_key=True)
    queue_sk = UnicodeAttribute(range_key=True)


class ByCajaIndex(GlobalSecondaryIndex["SaleRecord"]):
    class Meta:
        index_name = "by-caja"
        projection = AllProjection()

    caja_pk = UnicodeAttribute(hash_key=True)
    caja_sk = UnicodeAttribute(range_key=True)


class ByBranchIndex(GlobalSecondaryIndex["SaleRecord"]):
    class Meta:
        index_name = "by-branch"
        projection = AllProjection()

    branch_pk = UnicodeAttribute(hash_key=True)
    branch_sk = UnicodeAttribute(range_key=True)


class KdsActiveIndex(GlobalSecondaryIndex["SaleRecord"]):
    class Meta:
        index_name = "kds-active"
        projection = AllProjection()

    kds_pk = UnicodeAttribute(hash_key=True)
    kds_sk = UnicodeAttribute(range_key=True)


class DeliveryByBranchIndex(GlobalSecondaryIndex["SaleRecord"]):
    class Meta:
        index_name = "delivery-by-branch"
        projection = AllProjection()

    delivery_pk = UnicodeAttribute(hash_key=True)
    branch_sk = UnicodeAttribute(range_key=True)


class DeliveryByCustomerIndex(GlobalSecondaryIndex["SaleRecord"]):
    class Meta:
        index_name = "delivery-by-customer"
        projection = AllProjection()

    customer_pk = UnicodeAttribute(hash_key=True)
    branch_sk = UnicodeAttribute(range_key=True)


class AwaitingDriverIndex(GlobalSecondaryIndex["SaleRecord"]):
    class Meta:
        index_name = "awaiting-driver"
        projection = AllProjection()

    dispatch_pk = UnicodeAttribute(hash_key=True)
    dispatch_sk = UnicodeAttribute(range_key=True)


class CoursesDueIndex(GlobalSecondaryIndex["SaleRecord"]):
    class Meta:
        index_name = "courses-due"
        projection = AllProjection()

    course_due_pk = UnicodeAttribute(hash_key=True)
    course_due_sk = UnicodeAttribute(range_key=True)


class SaleRecord(Record):
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
    delivery_pk = UnicodeAttribute(null=True)
    customer_pk = UnicodeAttribute(null=True)
    delivery_estado = UnicodeAttribute(null=True)
    dispatch_pk = UnicodeAttribute(null=True)
    dispatch_sk = UnicodeAttribute(null=True)
    course_due_pk = UnicodeAttribute(null=True)
    course_due_sk = UnicodeAttribute(null=True)
    version = VersionAttribute()

    kitchen_queue = KitchenQueueIndex()
    by_caja = ByCajaIndex()
    by_branch = ByBranchIndex()
    kds_active = KdsActiveIndex()
    delivery_by_branch = DeliveryByBranchIndex()
    delivery_by_customer = DeliveryByCustomerIndex()
    awaiting_driver = AwaitingDriverIndex()
    courses_due = CoursesDueIndex()


def tx_sk(tx_id: int) -> str:
    return f"TX#{tx_id:012d}"


# --- codec: aggregate <-> JSON document ------------------------------------------------------

def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _extra_doc(e: Extra) -> dict[str, Any]:
    return {
        "id": e.id, "ingrediente_id": e.ingrediente_id, "descripcion": e.descripcion, "precio": str(e.precio),
        "cantidad": str(e.cantidad), "created_at": e.created_at, "stock_deducted": e.stock_deducted, "nombre": e.nombre,
    }


def _item_doc(i: Item) -> dict[str, Any]:
    return {
        "id": i.id, "uuid": i.uuid, "plato_id": i.plato_id, "producto_id": i.producto_id, "nombre": i.nombre,
        "cantidad": str(i.cantidad), "precio_unitario": str(i.precio_unitario), "notas": i.notas, "created_at": i.created_at,
        "estacion": i.estacion, "kitchen_status": i.kitchen_status, "status_changed_at": i.status_changed_at,
        "extras": [_extra_doc(e) for e in i.extras], "stock_deducted": i.stock_deducted,
        "removed_at": i.removed_at, "removed_by": i.removed_by, "curso": i.curso, "held": i.held, "fired_at": i.fired_at,
        "started_at": i.started_at, "ready_at": i.ready_at, "served_at": i.served_at,
    }


def _payment_doc(p: Pago) -> dict[str, Any]:
    return {
        "id": p.id, "metodo_pago": p.metodo_pago, "monto": str(p.monto),
        "monto_recibido": None if p.monto_recibido is None else str(p.monto_recibido), "cambio": str(p.cambio),
        "referencia_qr": p.referencia_qr, "caja_id": p.caja_id, "usuario_id": p.usuario_id, "created_at": p.created_at,
    }


def encode(order: Sale) -> str:
    return json.dumps({
        "nro_reg": order.nro_reg, "concepto": order.concepto, "mesa": order.mesa, "cliente": order.cliente,
        "tipo": order.tipo, "caja_id": order.caja_id, "usuario_id": order.usuario_id, "usuario_nombre": order.usuario_nombre,
        "items": [_item_doc(i) for i in order.items], "eliminados": [_item_doc(i) for i in order.eliminados],
        "pagos": [_payment_doc(p) for p in order.pagos], "next_item_id": order.next_item_id,
        "next_extra_id": order.next_extra_id, "closed_at": order.closed_at, "kitchen_done_at": order.kitchen_done_at,
        "voided_at": order.voided_at, "recall_snapshot": order.recall_snapshot,
        "entrega": order.entrega.to_doc() if order.entrega else None,
        "curso_marchado": order.pacing.fired_course, "minutos_entre_cursos": order.pacing.course_minutes,
        "curso_marchado_at": order.pacing.course_fired_at, "rush": order.pacing.rush,
    }, separators=(",", ":"), ensure_ascii=False)


def _item(d: dict[str, Any]) -> Item:
    return Item(
        id=d["id"], uuid=d["uuid"], plato_id=d["plato_id"], producto_id=d["producto_id"], nombre=d["nombre"],
        cantidad=Decimal(d["cantidad"]), precio_unitario=Decimal(d["precio_unitario"]), notas=d["notas"],
        created_at=d["created_at"], estacion=d.get("estacion"), kitchen_status=d.get("kitchen_status"),
        status_changed_at=d.get("status_changed_at"),
        extras=[
            Extra(e["id"], e["ingrediente_id"], e["descripcion"], Decimal(e["precio"]), Decimal(e["cantidad"]),
                  e["created_at"], e.get("stock_deducted", False), e.get("nombre"))
            for e in d.get("extras", [])
        ],
        stock_deducted=d.get("stock_deducted", False), removed_at=d.get("removed_at"), removed_by=d.get("removed_by"),
        curso=d.get("curso", 1), held=d.get("held", False),
        # Items stored before courses existed were fired when they were added.
        fired_at=d.get("fired_at", d["created_at"] if d["plato_id"] and not d.get("held") else None),
        started_at=d.get("started_at"), ready_at=d.get("ready_at"), served_at=d.get("served_at"),
    )


def decode(tenant_id: str, tx_id: int, branch_id: str, status: str, kitchen_status: str | None, session_id: str,
           created_at: str, updated_at: str, version: int, doc: str) -> Sale:
    d = json.loads(doc)
    return Sale(
        tenant_id=tenant_id, id=tx_id, branch_id=branch_id, nro_reg=d["nro_reg"], concepto=d["concepto"], mesa=d["mesa"],
        cliente=d["cliente"], tipo=d["tipo"], caja_id=d["caja_id"], usuario_id=d["usuario_id"], usuario_nombre=d.get("usuario_nombre"),
        created_at=created_at,
        updated_at=updated_at, estado=status, estado_cocina=kitchen_status,
        items=[_item(i) for i in d["items"]], eliminados=[_item(i) for i in d.get("eliminados", [])],
        pagos=[
            Pago(p["id"], p["metodo_pago"], Decimal(p["monto"]), _dec(p["monto_recibido"]), Decimal(p["cambio"]),
                 p["referencia_qr"], p["caja_id"], p["usuario_id"], p["created_at"])
            for p in d["pagos"]
        ],
        session_id=session_id, next_item_id=d["next_item_id"], next_extra_id=d["next_extra_id"], closed_at=d.get("closed_at"),
        kitchen_done_at=d.get("kitchen_done_at"), voided_at=d.get("voided_at"), recall_snapshot=d.get("recall_snapshot") or {},
        entrega=Entrega.from_doc(d["entrega"]) if d.get("entrega") else None,
        pacing=Pacing(d.get("curso_marchado", 1), d.get("minutos_entre_cursos"), d.get("curso_marchado_at", created_at),
                      d.get("rush", False)),
        version=version,
    )


def to_domain(r: SaleRecord) -> Sale:
    return decode(r.pk, int(r.tx_id), r.branch_id, r.estado, r.estado_cocina, r.session_id, r.created_at, r.updated_at,
                  int(r.version or 0), r.doc)


def from_stream_image(image: dict[str, Any]) -> Sale:
    """Rebuild the aggregate from a DynamoDB stream image, with PynamoDB's own deserializer."""
    return to_domain(SaleRecord.from_raw_data(image))


def to_record(order: Sale, cls: type[SaleRecord]) -> SaleRecord:
    queue = order.in_kitchen_queue
    kds = order.active_for_kitchen_display
    awaiting = order.entrega is not None and order.entrega.awaiting_driver
    course_due = order.pacing.due_at(order.held_items) if order.estado != "anulado" else None
    branch = branch_key(order.tenant_id, order.branch_id)
    ordered = f"{order.created_at}#{order.id:012d}"
    record = cls(
        order.tenant_id, tx_sk(order.id), tx_id=order.id, branch_id=order.branch_id, estado=order.estado,
        estado_cocina=order.estado_cocina, session_id=order.session_id, created_at=order.created_at,
        updated_at=order.updated_at, doc=encode(order),
        queue_pk=branch if queue else None, queue_sk=ordered if queue else None,
        caja_pk=f"{order.tenant_id}#{order.caja_id}" if order.caja_id is not None else None,
        caja_sk=f"{order.id:012d}" if order.caja_id is not None else None,
        branch_pk=branch, branch_sk=ordered, kds_pk=branch if kds else None, kds_sk=ordered if kds else None,
        delivery_pk=branch if order.entrega else None,
        customer_pk=customer_key(order.tenant_id, order.entrega.customer_id) if order.entrega else None,
        delivery_estado=order.entrega.estado if order.entrega else None,
        dispatch_pk=DISPATCH if awaiting else None,
        dispatch_sk=f"{order.entrega.offered_at}#{order.tenant_id}#{order.id:012d}" if awaiting and order.entrega else None,
        course_due_pk=COURSES_DUE if course_due else None,
        course_due_sk=f"{course_due}#{order.tenant_id}#{order.id:012d}" if course_due else None,
    )
    if order.version:
        record.version = order.version
    return record


DISPATCH = "DISPATCH"  # the one partition of the sparse awaiting-driver index
COURSES_DUE = "COURSES"  # the one partition of the sparse courses-due index


def customer_key(tenant_id: str, customer_id: int) -> str:
    return f"{tenant_id}#cliente#{customer_id}"


def _save_condition(sale: Sale) -> Any:
    return SaleRecord.estado != "cerrado" if sale.closing else None


class SaleRepository:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.SaleRecord = bound(SaleRecord, "transactions", settings)

    def add(self, order: Sale) -> None:
        try:
            to_record(order, self.SaleRecord).save(condition=self.SaleRecord.pk.does_not_exist())
        except PutError as exc:
            if is_condition_failure(exc):
                raise Conflict(f"La transacción {order.id} ya existe") from exc
            raise

    def get(self, tenant_id: str, tx_id: int) -> Sale | None:
        try:
            return to_domain(self.SaleRecord.get(tenant_id, tx_sk(tx_id), consistent_read=True))
        except self.SaleRecord.DoesNotExist:
            return None

    def save(self, sale: Sale) -> None:
        """Write the changed aggregate if nobody changed it since it was read (version); a write
        that closes the sale is also conditioned on the stored sale not being closed. Raises
        VersionConflict. Writes that must commit with the sale go through the unit of work."""
        record = to_record(sale, self.SaleRecord)
        try:
            record.save(condition=_save_condition(sale))
        except PutError as exc:
            if is_condition_failure(exc):
                raise VersionConflict(sale.id) from exc
            raise
        sale.version = int(record.version or 0)

    @staticmethod
    def decode_stream_image(image: dict[str, Any]) -> Sale:
        return from_stream_image(image)

    def stage_save(self, tx: TransactWrite, sale: Sale) -> Callable[[], None]:
        """Add `save`'s conditional put to the unit of work's transaction; returns what to run
        once it has committed."""
        record = to_record(sale, self.SaleRecord)
        tx.save(record, condition=_save_condition(sale))
        return lambda: setattr(sale, "version", int(record.version or 0))

    def kitchen_queue(self, tenant_id: str, branch_id: str) -> list[Sale]:
        return [to_domain(r) for r in self.SaleRecord.kitchen_queue.query(branch_key(tenant_id, branch_id))]

    def kds_active(self, tenant_id: str, branch_id: str) -> list[Sale]:
        return [to_domain(r) for r in self.SaleRecord.kds_active.query(branch_key(tenant_id, branch_id))]

    def by_caja(self, tenant_id: str, caja_id: int) -> list[Sale]:
        return [to_domain(r) for r in self.SaleRecord.by_caja.query(f"{tenant_id}#{caja_id}")]

    def by_branch(self, tenant_id: str, branch_id: str, limit: int) -> list[Sale]:
        rows = self.SaleRecord.by_branch.query(branch_key(tenant_id, branch_id), scan_index_forward=False, limit=limit)
        return [to_domain(r) for r in rows]

    def deliveries(self, tenant_id: str, branch_id: str, limit: int) -> list[Sale]:
        rows = self.SaleRecord.delivery_by_branch.query(branch_key(tenant_id, branch_id), scan_index_forward=False, limit=limit)
        return [to_domain(r) for r in rows]

    def active_deliveries(self, tenant_id: str, branch_id: str, statuses: tuple[str, ...], limit: int) -> list[Sale]:
        rows = self.SaleRecord.delivery_by_branch.query(
            branch_key(tenant_id, branch_id), scan_index_forward=False,
            filter_condition=self.SaleRecord.delivery_estado.is_in(*statuses), limit=limit,
        )
        return [to_domain(r) for r in rows]

    def by_customer(self, tenant_id: str, customer_id: int, limit: int) -> list[Sale]:
        rows = self.SaleRecord.delivery_by_customer.query(customer_key(tenant_id, customer_id), scan_index_forward=False,
                                                          limit=limit)
        return [to_domain(r) for r in rows]

    def awaiting_driver(self, offered_before: str, limit: int) -> list[Sale]:
        """Delivery orders (every tenant) offered before `offered_before` and still unclaimed, oldest offer first."""
        rows = self.SaleRecord.awaiting_driver.query(DISPATCH, self.SaleRecord.dispatch_sk < offered_before, limit=limit)
        return [to_domain(r) for r in rows]

    def courses_due(self, due_before: str, limit: int) -> list[Sale]:
        """Sales (every tenant) whose next held course is due before `due_before`, soonest first."""
        rows = self.SaleRecord.courses_due.query(COURSES_DUE, self.SaleRecord.course_due_sk < due_before, limit=limit)
        return [to_domain(r) for r in rows]
