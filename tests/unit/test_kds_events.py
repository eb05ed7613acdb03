"""KDS order status, recall, and which kds channel gets which event (no AWS)."""

from __future__ import annotations

from copy import deepcopy
from decimal import Decimal as D

import pytest

from chalicelib.domain.sales import Sale
from chalicelib.errors import InvalidInput
from chalicelib.realtime.notifications import derive, kds_messages

T0 = "2026-03-18T12:00:00.000Z"


def order_with(*stations: str) -> Sale:
    order = Sale(tenant_id="t", id=9, branch_id="centro", nro_reg=1, concepto="Mesa 2", mesa="2", cliente=None, tipo="venta",
                  caja_id=None, usuario_id="1", created_at=T0, updated_at=T0, session_id="sess1")
    for n, station in enumerate(stations):
        order.add_item(plato_id=f"plato_{n}", product_id=None, name=f"Plato {n}", unit_price=D("10"), quantity=D("1"),
                       notes=None, station=station, now=T0)
    return order


def moved(order: Sale, index: int, status: str, now: str = T0) -> Sale:
    changed = deepcopy(order)
    changed.set_item_status(changed.items[index].uuid, status, now)
    return changed


def routes(messages: list) -> list[tuple[str, str]]:
    return [(m.channel.name, m.event) for m in messages]


def test_order_status_derives_from_its_kitchen_items() -> None:
    order = order_with("parrilla", "bar")
    assert order.kds_status == "pending"
    order.add_payment(payment_id=1, payment_method="qr", amount=D("5"), amount_received=None, qr_reference=None, user_id="1", now=T0)
    assert order.kds_status == "confirmed"
    order = moved(order, 0, "preparing")
    assert order.kds_status == "preparing"
    order = moved(moved(order, 0, "ready"), 1, "preparing")
    order = moved(order, 1, "ready")
    assert order.kds_status == "ready"
    order = moved(moved(order, 0, "served"), 1, "served")
    assert order.kds_status is None
    assert not order.active_for_kitchen_display


def test_a_new_kitchen_order_goes_to_branch_kitchen_and_each_station_with_only_its_items() -> None:
    empty = order_with()
    first = order_with("parrilla", "bar")
    messages = kds_messages(empty, first)
    assert routes(messages) == [
        ("branch:centro", "order:new"), ("branch:centro:kitchen", "order:new"),
        ("branch:centro:kitchen:bar", "order:new"), ("branch:centro:kitchen:parrilla", "order:new"),
    ]
    bar = next(m for m in messages if m.channel.name.endswith(":bar"))
    assert [i["station"] for i in bar.data["items"]] == ["bar"]


def test_an_item_status_change_reaches_its_station_and_the_customer_but_not_other_stations() -> None:
    order = order_with("parrilla", "bar")
    messages = kds_messages(order, moved(order, 1, "preparing"))
    assert ("branch:centro:kitchen:bar", "order:item_status") in routes(messages)
    assert ("session:sess1", "order:item_status") in routes(messages)
    assert not any(name.endswith(":parrilla") and event == "order:item_status" for name, event in routes(messages))
    status = next(m for m in messages if m.event == "order:item_status")
    assert status.data["item"]["status"] == "preparing" and status.data["order_id"] == 9


def test_an_order_status_change_is_announced_as_order_updated() -> None:
    order = order_with("parrilla")
    messages = kds_messages(order, moved(order, 0, "preparing"))
    assert ("branch:centro:kitchen", "order:updated") in routes(messages)
    updated = next(m for m in messages if m.event == "order:updated")
    assert updated.data["status"] == "preparing"


def test_the_cocina_surface_hears_pedido_completado_when_the_last_kitchen_item_is_ready() -> None:
    order = moved(order_with("parrilla", "bar"), 0, "preparing")
    order = moved(order, 0, "ready")
    order = moved(order, 1, "preparing")
    assert [n.kind for n in derive(order, moved(order, 1, "ready")).notices] == ["pedido-completado"]


def test_recall_within_the_window_restores_the_items_previous_state() -> None:
    order = moved(order_with("parrilla", "bar"), 0, "preparing")
    order.complete_kitchen(T0)
    assert order.estado_cocina == "terminado"
    order.recall("2026-03-18T12:05:00.000Z", window_seconds=600)
    assert [i.kitchen_status for i in order.items] == ["preparing", "pending"]
    assert order.estado_cocina == "pendiente" and order.in_kitchen_queue


def test_recall_after_the_window_or_of_an_unfinished_order_is_refused() -> None:
    order = order_with("parrilla")
    with pytest.raises(InvalidInput, match="completado"):
        order.recall(T0, window_seconds=600)
    order.complete_kitchen(T0)
    with pytest.raises(InvalidInput, match="10 minutos"):
        order.recall("2026-03-18T12:10:01.000Z", window_seconds=600)


def test_bump_and_recall_both_emit_events_on_both_surfaces() -> None:
    order = moved(order_with("parrilla"), 0, "preparing")
    bumped = deepcopy(order)
    bumped.complete_kitchen(T0)
    assert [n.kind for n in derive(order, bumped).notices] == ["pedido-completado"]
    assert derive(order, bumped).queue_changed
    assert ("branch:centro:kitchen", "order:updated") in routes(kds_messages(order, bumped))

    recalled = deepcopy(bumped)
    recalled.recall("2026-03-18T12:01:00.000Z", window_seconds=900)
    assert derive(bumped, recalled).queue_changed  # back in the /cocina queue
    updated = [m for m in kds_messages(bumped, recalled) if m.event == "order:updated"]
    assert updated and updated[0].data["status"] == "preparing"


def test_a_field_added_to_the_item_presenter_fires_order_updated_when_it_changes_with_no_other_edit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Change detection compares what the display is sent, so a new field is news without a list to keep."""
    from chalicelib.presenters import kds as kds_view

    before = order_with("parrilla")
    repriced = deepcopy(before)
    repriced.items[0].precio_unitario = D("12")
    assert kds_messages(before, repriced) == []  # the display is not sent the price today

    shown_today = kds_view.item
    monkeypatch.setattr(kds_view, "item", lambda i, order_id: {**shown_today(i, order_id), "price": str(i.precio_unitario)})

    messages = kds_messages(before, repriced)
    assert {m.event for m in messages} == {"order:updated"}
    assert [i["price"] for i in messages[0].data["items"]] == ["12"]


def test_a_change_of_times_alone_fires_nothing() -> None:
    before = order_with("parrilla")
    later = deepcopy(before)
    later.updated_at = "2026-03-18T12:30:00.000Z"
    assert kds_messages(before, later) == []
    assert derive(before, later).queue_changed is False


def test_the_iso_creation_time_is_a_time_too_so_it_alone_is_no_queue_change() -> None:
    from chalicelib.presenters import sales as sale_view

    before = order_with("parrilla")
    shifted = deepcopy(before)
    shifted.created_at = "2026-03-18T11:00:00.000Z"
    assert sale_view.header_out(shifted, "UTC")["creado_en_iso"] == "2026-03-18T11:00:00.000Z"
    assert derive(before, shifted).queue_changed is False


def counter_sale() -> Sale:
    """A sale of productos only: nothing for the kitchen."""
    sale = Sale(tenant_id="alpha", id=9, branch_id="centro", nro_reg=1, concepto="Mostrador", mesa=None, cliente=None,
                tipo="venta", caja_id=1, usuario_id="2", created_at=T0, updated_at=T0)
    sale.add_item(plato_id=None, product_id="prod_cola", name="Coca-Cola", unit_price=D("10"), quantity=D(2), notes=None,
                  station=None, now=T0)
    return sale


def test_a_sale_with_no_kitchen_work_is_heard_only_on_the_branch_channel_as_sale_updated() -> None:
    taken = counter_sale()
    paid = deepcopy(taken)
    paid.add_payment(payment_id=1, payment_method="efectivo", amount=D("20"), amount_received=None, qr_reference=None,
                     user_id="2", now=T0)

    messages = kds_messages(taken, paid)

    assert [(m.channel.name, m.event) for m in messages] == [("branch:centro", "sale:updated")]
    assert (messages[0].data["status"], messages[0].data["total"], messages[0].data["paid"]) == ("cerrado", "20.00", "20.00")
    assert kds_messages(paid, deepcopy(paid)) == [], "nothing it shows changed"
