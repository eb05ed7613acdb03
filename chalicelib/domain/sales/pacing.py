"""How a sale's courses reach the kitchen (hold and fire) and whether it jumps the queue (rush).

Course 0 fires when it is added (drinks); any other course waits until the sale's fired course
reaches it. Every plato defaults to course 1 and a sale starts with course 1 fired, so a
restaurant that never sets courses has every item fired when it is added."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, TypeVar

from chalicelib.domain.catalog import check_course
from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.sales.lines import Item
from chalicelib.errors import Conflict


@dataclass
class Pacing:
    fired_course: int = 1
    course_minutes: int | None = None  # fire the next held course this long after the last one
    course_fired_at: str | None = None
    rush: bool = False

    def holds(self, course: int) -> bool:
        return course != 0 and course > self.fired_course

    def fire(self, course: int, held: Iterable[Item], now: str) -> list[Item]:
        check_course(course)
        firing = [i for i in held if i.curso <= course]
        if not firing:
            if course <= self.fired_course:
                raise Conflict(f"El curso {course} ya fue marchado")
            raise Conflict(f"El curso {course} no tiene items retenidos")
        for item in firing:
            item.held = False
            item.fired_at = now
            item.status_changed_at = now
        self.fired_course = max(self.fired_course, course)
        self.course_fired_at = now
        return firing

    def due_at(self, held: Iterable[Item]) -> str | None:
        """When the delay fires the next held course; None without a delay or held items."""
        if self.course_minutes is None or self.course_fired_at is None or not list(held):
            return None
        return iso(parse_iso(self.course_fired_at) + timedelta(minutes=self.course_minutes))

    def due_course(self, held: list[Item], now: str) -> int | None:
        due = self.due_at(held)
        if due is None or parse_iso(due) > parse_iso(now):
            return None
        return min(i.curso for i in held)


class Paced(Protocol):
    @property
    def pacing(self) -> Pacing: ...


T = TypeVar("T", bound=Paced)


def rush_first(orders: Iterable[T]) -> list[T]:
    """The kitchen's order of work: rush orders first, each group in the order given (oldest first)."""
    return sorted(orders, key=lambda o: not o.pacing.rush)
