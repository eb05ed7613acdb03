"""The stream's side of the reports: each stored change of a sale moves every report's rollup
by what the change did to the sale's facts (domain/rollups.py), once per stream event id."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from chalicelib.domain import kitchen_pace, rollups, sales_rollup
from chalicelib.domain.rollups import FactsOf

if TYPE_CHECKING:
    from chalicelib.domain.sales import Sale
    from chalicelib.domain.tenancy import Branch
    from chalicelib.services.ports import RollupStore


# Every report kept by the stream: what a sale in its current state contributes to each.
REPORTS: tuple[FactsOf, ...] = (kitchen_pace.facts, sales_rollup.facts)


class RollupFeed:
    def __init__(self, store: RollupStore, branch: Callable[[str, str], Branch], reports: Sequence[FactsOf]) -> None:
        self.store = store
        self.branch = branch
        self.reports = tuple(reports)

    def record(self, event_id: str, old: Sale | None, new: Sale | None) -> bool:
        """Apply one stream record; False when it moved nothing or was applied before."""
        current = new or old
        if current is None:
            return False
        delta = rollups.change(self.reports, old, new, self.branch(current.tenant_id, current.branch_id))
        if not delta:
            return False
        return self.store.apply_once(current.tenant_id, event_id, delta)
