"""What a change to a sale means for real-time clients, derived from the stream's old and new
images. Pure: the fan-out renders and delivers what this returns."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.orders import COCINA_TERMINADO, Order


@dataclass(frozen=True)
class Notice:
    """One message to publish: `kind` names it, `order` is the sale after the change."""

    kind: str  # "nuevo-pedido" | "pedido-completado"
    order: Order


@dataclass(frozen=True)
class Derived:
    notices: list[Notice]
    queue_changed: bool  # the branch's kitchen queue must be re-published


def _queue_view(order: Order | None) -> object:
    """What a kitchen display shows of a sale; a change here is a queue change."""
    if order is None or not order.in_kitchen_queue:
        return None
    items = [(i.id, i.cantidad, i.notas, i.kitchen_status, [(e.id, e.cantidad, e.descripcion) for e in i.extras]) for i in order.items]
    return (order.concepto, order.mesa, order.cliente, order.estado_cocina, items)


def derive(old: Order | None, new: Order | None) -> Derived:
    notices: list[Notice] = []
    if new is not None and old is None and (new.mesa or new.cliente):
        notices.append(Notice("nuevo-pedido", new))
    if new is not None and new.estado_cocina == COCINA_TERMINADO and (old is None or old.estado_cocina != COCINA_TERMINADO):
        notices.append(Notice("pedido-completado", new))
    return Derived(notices, _queue_view(old) != _queue_view(new))
