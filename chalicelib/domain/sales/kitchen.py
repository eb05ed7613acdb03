"""A sale's kitchen side: the item-level workflow, bump and recall, courses fired, rush. A part
of the Sale aggregate (`Sale(KitchenWork)`), kept apart because it is one concern of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain.clock import parse_iso
from chalicelib.domain.sales.lines import ITEM_FLOW, ITEM_PENDING, ITEM_PREPARING, ITEM_READY, ITEM_SERVED, NEXT_ITEM_STATUS, Item
from chalicelib.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from chalicelib.domain.delivery import Entrega
    from chalicelib.domain.sales.pacing import Pacing

# Billing state.
PENDING, OPEN, CLOSED, VOIDED = "pendiente", "abierto", "cerrado", "anulado"
# Kitchen state (estado_cocina); None when the sale has no kitchen work.
KITCHEN_PENDING, KITCHEN_DONE, KITCHEN_VOIDED = "pendiente", "terminado", "anulado"


class KitchenWork:
    """What the kitchen's moves read and change of the sale; `Sale` declares and holds them."""

    estado: str
    estado_cocina: str | None
    items: list[Item]
    eliminados: list[Item]
    closed_at: str | None
    kitchen_done_at: str | None
    recall_snapshot: dict[str, str]
    entrega: Entrega | None
    pacing: Pacing

    @property
    def kitchen_items(self) -> list[Item]:
        return [i for i in self.items if i.needs_kitchen]

    @property
    def fired_items(self) -> list[Item]:
        return [i for i in self.items if i.fired]

    @property
    def held_items(self) -> list[Item]:
        return [i for i in self.items if i.needs_kitchen and i.held]

    def item_by_uuid(self, item_uuid: str) -> Item:
        for item in self.items:
            if item.uuid == item_uuid:
                return item
        raise NotFound(f"Item {item_uuid} no encontrado")

    def _require_not_voided(self) -> None:
        if self.estado == VOIDED:
            raise InvalidInput("La transacción está anulada")

    def touch(self, now: str) -> None:
        raise NotImplementedError

    def close_if_settled(self, now: str) -> None:
        raise NotImplementedError

    # --- kitchen -----------------------------------------------------------------------

    def _kitchen_snapshot(self) -> dict[str, str]:
        return {i.uuid: i.kitchen_status for i in self.kitchen_items if i.kitchen_status}

    def _recompute_kitchen(self, now: str, snapshot: dict[str, str] | None = None) -> None:
        if self.estado_cocina == KITCHEN_VOIDED:
            return
        kitchen = self.kitchen_items
        if not kitchen:
            self.estado_cocina = KITCHEN_PENDING if not self.items and not self.eliminados else None
            return
        if all(i.kitchen_status in (ITEM_READY, ITEM_SERVED) for i in kitchen):
            self._kitchen_done(now, snapshot or {})
        else:
            self.estado_cocina = KITCHEN_PENDING

    def _kitchen_done(self, now: str, snapshot: dict[str, str]) -> None:
        """Every kitchen item is ready: the sale is done in the kitchen (once; `snapshot` is what a
        recall restores) and a cooked delivery goes out."""
        if self.estado_cocina != KITCHEN_DONE:
            self.estado_cocina = KITCHEN_DONE
            self.kitchen_done_at = now
            self.recall_snapshot = snapshot
        if self.entrega is not None:
            self.entrega.dispatch(now)

    def complete_kitchen(self, now: str) -> None:
        """`cocina/completar`: every remaining kitchen item becomes ready."""
        self._require_not_voided()
        snapshot = self._kitchen_snapshot()
        for item in self.fired_items:
            if item.kitchen_status in (ITEM_PENDING, ITEM_PREPARING):
                item.mark(ITEM_READY, now)
        if self.held_items:
            self._recompute_kitchen(now, snapshot)
        else:
            self._kitchen_done(now, snapshot)
        self.touch(now)
        self.close_if_settled(now)

    def set_item_status(self, item_uuid: str, status: str, now: str) -> Item:
        """KDS item workflow: only pending -> preparing -> ready -> served."""
        self._require_not_voided()
        if status not in ITEM_FLOW:
            raise InvalidInput(f"status must be one of the following values: {', '.join(ITEM_FLOW)}")
        item = self.item_by_uuid(item_uuid)
        if item.kitchen_status is None:
            raise InvalidInput("Este item no pasa por cocina")
        if item.held:
            raise Conflict(f"El item {item.nombre} está retenido (curso {item.curso}): marche el curso antes de prepararlo")
        allowed = NEXT_ITEM_STATUS.get(item.kitchen_status)
        if status != allowed:
            raise InvalidInput(
                f"Transición inválida: {item.kitchen_status} -> {status}"
                + (f" (solo se permite {item.kitchen_status} -> {allowed})" if allowed else f" ({item.kitchen_status} es final)")
            )
        snapshot = self._kitchen_snapshot()
        item.mark(status, now)
        self._recompute_kitchen(now, snapshot)
        self.touch(now)
        self.close_if_settled(now)
        return item

    def recall(self, now: str, window_seconds: int) -> None:
        """Put a bumped order back on the queue, its items as they were before the bump.
        Items served since then stay served."""
        self._require_not_voided()
        if self.estado_cocina != KITCHEN_DONE or not self.kitchen_done_at:
            raise InvalidInput("Solo se puede recuperar un pedido completado")
        elapsed = (parse_iso(now) - parse_iso(self.kitchen_done_at)).total_seconds()
        if elapsed > window_seconds:
            raise InvalidInput(f"El pedido se completó hace más de {window_seconds // 60} minutos y ya no se puede recuperar")
        for item in self.kitchen_items:
            before = self.recall_snapshot.get(item.uuid, ITEM_PENDING)
            if item.kitchen_status == ITEM_READY and before in (ITEM_PENDING, ITEM_PREPARING):
                item.mark(before, now)
        if self.estado == CLOSED:
            self.estado = OPEN
            self.closed_at = None
        self.estado_cocina = KITCHEN_PENDING
        self.kitchen_done_at = None
        self.recall_snapshot = {}
        if all(i.kitchen_status in (ITEM_READY, ITEM_SERVED) for i in self.kitchen_items):
            for item in self.kitchen_items:
                if item.kitchen_status == ITEM_READY:
                    item.mark(ITEM_PREPARING, now)
        self.touch(now)

    def fire_course(self, course: int, now: str) -> list[Item]:
        """Marchar: every held kitchen item of course ≤ `course` goes to the kitchen now."""
        self._require_not_voided()
        fired = self.pacing.fire(course, self.held_items, now)
        self._recompute_kitchen(now)
        self.touch(now)
        return fired

    def fire_due_course(self, now: str) -> list[Item]:
        """The sale's delay between courses has elapsed: the next held course goes."""
        due = self.pacing.due_course(self.held_items, now)
        return self.fire_course(due, now) if due is not None else []

    def set_rush(self, rush: bool, now: str) -> None:
        self._require_not_voided()
        self.pacing.rush = rush
        self.touch(now)
