"""Dates as the seeds' clients read them: `HH:mm - dd/MM/yyyy` in the branch's time zone."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.clock import iso, render_local


def local_time(moment: datetime | str | None, tz: str) -> str | None:
    if moment is None:
        return None
    return render_local(moment if isinstance(moment, str) else iso(moment), tz)


# The keys under which the presenters write a moment or a time elapsed. A change of these alone
# is not news to a display (realtime/notifications.py compares presenter output without them).
TIME_FIELDS = frozenset({
    "created_at", "updated_at", "elapsed_seconds",  # kitchen display (ISO)
    "fecha", "hora", "creado_en", "actualizado_en", "cerrado_en",  # Restaurante (La Paz local time)
    "creado_en_iso",  # Restaurante, the ISO twin of creado_en
})


def without_times(shape: object) -> object:
    """`shape` (a presenter's output) with every TIME_FIELDS key left out, at any depth."""
    if isinstance(shape, dict):
        return {k: without_times(v) for k, v in shape.items() if k not in TIME_FIELDS}
    if isinstance(shape, list):
        return [without_times(v) for v in shape]
    return shape
