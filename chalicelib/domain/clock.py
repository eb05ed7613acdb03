"""Time is stored as UTC ISO-8601 and rendered per surface."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

LOCAL_FORMAT = "%H:%M - %d/%m/%Y"


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def render_local(value: str | None, tz_name: str) -> str | None:
    """Restaurante surface: `HH:mm - dd/MM/yyyy` in the branch's time zone."""
    if not value:
        return None
    return parse_iso(value).astimezone(_zone(tz_name)).strftime(LOCAL_FORMAT)

