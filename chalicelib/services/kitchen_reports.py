"""The kitchen speed report (`GET /api/reportes/cocina`), read from the stream-fed rollup: one
Query of the branch's days, so its cost grows with days × stations, never with sales."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from chalicelib.domain import kitchen_pace, rollups
from chalicelib.domain.clock import iso, utc_now
from chalicelib.domain.kitchen_pace import KitchenSpeed

if TYPE_CHECKING:
    from chalicelib.auth import Principal
    from chalicelib.services.ports import CatalogStore, RollupStore
    from chalicelib.services.zones import BranchTimezones


class KitchenReports:
    def __init__(self, rollups: RollupStore, catalog: CatalogStore, zones: BranchTimezones) -> None:
        self.rollups = rollups
        self.catalog = catalog
        self.zones = zones

    def speed(self, who: Principal, branch_id: str, since: str | None, until: str | None, station: str | None) -> KitchenSpeed:
        branch = self.zones.branch(who.tenant, branch_id)
        today = date.fromisoformat(rollups.local_day(iso(utc_now()), branch.timezone))
        covered = rollups.day_range(since, until, today, default_days=1)
        first, last = covered.since.isoformat(), covered.until.isoformat()
        rows = self.rollups.days(who.tenant, branch_id, kitchen_pace.REPORT, first, last)
        days = kitchen_pace.report(rows, station)
        names: dict[str, str] = {}
        if any(d.slowest for d in days):
            names = {p.id: p.nombre for p in self.catalog.list_platos(who.tenant)}
        return KitchenSpeed(branch, first, last, days, names)
