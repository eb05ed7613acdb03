"""Dates as the seeds' clients read them: `HH:mm - dd/MM/yyyy` in the branch's time zone."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.clock import iso, render_local


def local_time(moment: datetime | str | None, tz: str) -> str | None:
    if moment is None:
        return None
    return render_local(moment if isinstance(moment, str) else iso(moment), tz)
