"""What a change to a sale means for real-time clients, derived from the stream's old and new
images. Pure: the fan-out renders and delivers what this returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.domain import delivery as d
from chalicelib.domain.catalog import Plato
from chalicelib.domain.sales import KITCHEN_DONE, Sale
from chalicelib.presenters import catalog as catalog_view
from chalicelib.presenters import kds as kds_view
from chalicelib.presenters import sales as sale_view
from chalicelib.presenters.time import without_times
from chalicelib.realtime.channels import (
    Channel,
    gm_branch,
    gm_customer,
    gm_dispatch,
    gm_location,
    kds_channels,
    kitchen_channel,
    session_channel,
    venue_channel,
)
from chalicelib.realtime.encoding import Outgoing


@dataclass(frozen=True)
class Notice:
    """One message to publish: `kind` names it, `sale` is the sale after the change."""

    kind: str  # "nuevo-pedido" | "pedido-completado"
    sale: Sale


@dataclass(frozen=True)
class Derived:
    notices: list[Notice]
    queue_changed: bool  # the branch's kitchen queue must be re-published


def _queue_view(order: Sale | None) -> object:
    """The sale as the kitchen queue (`pedidos-actualizados`) shows it; a change here is a queue change."""
    if order is None or not order.in_kitchen_queue:
        return None
    return without_times(sale_view.sale_out(order, "UTC"))


def derive(old: Sale | None, new: Sale | None) -> Derived:
    notices: list[Notice] = []
    if new is not None and old is None and (new.mesa or new.cliente):
        notices.append(Notice("nuevo-pedido", new))
    if new is not None and new.estado_cocina == KITCHEN_DONE and (old is None or old.estado_cocina != KITCHEN_DONE):
        notices.append(Notice("pedido-completado", new))
    return Derived(notices, _queue_view(old) != _queue_view(new))


# --- the kds namespace ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KdsMessage:
    channel: Channel
    event: str  # "order:new" | "order:updated" | "order:item_status" | "sale:updated"
    data: Mapping[str, Any]
    key: str  # distinguishes messages derived from one stream record


def _kds_view(order: Sale | None) -> object:
    """The order as the kitchen display shows it, less what has its own event (an item's status:
    `order:item_status`); a change here is an `order:updated`."""
    if order is None:
        return None
    shown = kds_view.order(order, order.created_at)
    items = [{k: v for k, v in item.items() if k != "status"} for item in shown["items"]]
    return without_times({**shown, "items": items})


def _order_channels(order: Sale, *, with_session: bool) -> list[tuple[Channel, str | None]]:
    """(channel, station filter) pairs an order-level event goes to."""
    stations = sorted({i.estacion for i in order.kitchen_items if i.estacion})
    pairs: list[tuple[Channel, str | None]] = [(c, None) for c in kds_channels(order.branch_id)]
    pairs += [(kds_channels(order.branch_id, s)[-1], s) for s in stations]
    if with_session:
        pairs.append((session_channel(order.session_id), None))
    return pairs


def kds_messages(old: Sale | None, new: Sale | None) -> list[KdsMessage]:
    if new is None:
        return []
    now = new.updated_at
    had_kitchen = old is not None and bool(old.kitchen_items)
    out: list[KdsMessage] = []
    if not had_kitchen and not new.kitchen_items:
        # no kitchen work (a counter sale of productos): only the branch's screens hear of it
        if old is None or kds_view.sale_summary(old) != kds_view.sale_summary(new):
            out.append(KdsMessage(kds_channels(new.branch_id)[0], "sale:updated", kds_view.sale_summary(new), "sale"))
        return out
    if not had_kitchen and new.kitchen_items and new.estado != "anulado":
        for channel, station in _order_channels(new, with_session=False):
            out.append(KdsMessage(channel, "order:new", kds_view.order(new, now, station), "new"))
        return out
    if old is None:
        return out
    before = {i.uuid: i.kitchen_status for i in old.kitchen_items}
    for item in new.kitchen_items:
        if item.uuid in before and before[item.uuid] != item.kitchen_status:
            data = {"item": kds_view.item(item, new.id), "order_id": new.id, "order_status": new.kds_status}
            targets = kds_channels(new.branch_id, item.estacion) + [session_channel(new.session_id)]
            out += [KdsMessage(c, "order:item_status", data, f"item:{item.uuid}") for c in targets]
    if _kds_view(old) != _kds_view(new) and (had_kitchen or new.kitchen_items):
        for channel, station in _order_channels(new if new.kitchen_items else old, with_session=True):
            out.append(KdsMessage(channel, "order:updated", kds_view.order(new, now, station), "updated"))
    elif old.estado != new.estado and new.kitchen_items:
        out.append(KdsMessage(kds_channels(new.branch_id)[0], "order:updated", kds_view.order(new, now), "updated"))
    return out


# --- the menu (every namespace of the branch) ----------------------------------------------------


def menu_messages(plato: Plato, branch: str, sequence: str) -> list[Outgoing]:
    """A plato's change for one branch: `menu-actualizado` on /cocina, `menu:updated` on the kds
    branch channel and on `venue:<branch>` (STOMP `/venue/{tenant}/{venue}`)."""
    data = catalog_view.menu_plato(plato)
    message_id = f"{sequence}:menu:{plato.id}"
    return [
        Outgoing("menu-actualizado", kitchen_channel(branch), data, message_id),
        Outgoing("menu:updated", kds_channels(branch)[0], data, message_id),
        Outgoing("menu:updated", venue_channel(branch), data, message_id),
    ]


# --- the gastromovil namespace (COMPAT C) -------------------------------------------------------


@dataclass(frozen=True)
class GastroMessage:
    channel: Channel
    kind: str  # nuevo_pedido | cambio_estado | pedido_disponible | pedido_tomado | pedido_entregado
    sale: Sale
    audience: str | None = None  # None: every subscriber; "available": available drivers; else the subscription tag


def gastro_messages(old: Sale | None, new: Sale | None) -> list[GastroMessage]:
    if new is None or new.entrega is None:
        return []
    e, before = new.entrega, old.entrega if old is not None else None
    out: list[GastroMessage] = []
    if before is None:
        out.append(GastroMessage(gm_branch(new.branch_id), "nuevo_pedido", new))
    elif before.estado != e.estado:
        out.append(GastroMessage(gm_customer(e.customer_id), "cambio_estado", new))
    offered_now = e.estado == d.SENT and e.repartidor_id is None and (
        before is None or before.estado != d.SENT or before.offered_at != e.offered_at)
    if offered_now:
        out.append(GastroMessage(gm_dispatch(new.branch_id), "pedido_disponible", new, "available"))
    if before is not None and before.estado == d.SENT and e.estado != d.SENT:
        out.append(GastroMessage(gm_dispatch(new.branch_id), "pedido_tomado", new))
    if before is not None and before.estado == d.ON_THE_WAY and e.estado == d.DELIVERED and before.repartidor_id:
        out.append(GastroMessage(gm_location(before.repartidor_id), "pedido_entregado", new, f"cliente:{e.customer_id}"))
    return out
