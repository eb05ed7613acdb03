"""The owner's reports of one branch over a range of its local days: sales (from the "ventas"
rollup that the stream keeps: one Query of days × parts, never the sales themselves) and the
closed cajas (one Query on the cajas' by-branch index).

The branch is the caller's (a token's branch, or an owner's X-Branch-Id, checked at the edge);
every read is keyed by the caller's tenant. Names of platos, productos and waiters are looked up
when the report is read, since the counters hold ids only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from chalicelib.domain import sales_rollup
from chalicelib.domain.clock import iso, utc_now
from chalicelib.domain.rollups import DayRange, day_range
from chalicelib.domain.sales_rollup import SalesReport

if TYPE_CHECKING:
    from chalicelib.auth import Principal
    from chalicelib.domain.caja import Caja
    from chalicelib.domain.tenancy import Branch
    from chalicelib.services.ports import CajaStore, CatalogStore, RollupStore, UserStore


@dataclass(frozen=True)
class NamedSalesReport:
    branch: Branch
    report: SalesReport
    names: dict[str, str]  # line key -> what a person reads (a plato's name, a waiter's name, "13:00")


@dataclass(frozen=True)
class CajasReport:
    branch: Branch
    days: DayRange
    cajas: list[Caja]


class SalesReports:
    def __init__(self, rollups: RollupStore, branch: Callable[[str, str], Branch], catalog: CatalogStore, users: UserStore,
                 cajas: CajaStore, clock: Callable[[], datetime] = utc_now) -> None:
        self.rollups = rollups
        self.branch = branch
        self.catalog = catalog
        self.users = users
        self.cajas = cajas
        self.clock = clock

    def _range(self, branch: Branch, since: str | None, until: str | None) -> DayRange:
        today = self.clock().astimezone(ZoneInfo(branch.timezone)).date()
        return day_range(since, until, today)

    def sales(self, who: Principal, branch_id: str, since: str | None, until: str | None, grouping: str) -> NamedSalesReport:
        branch = self.branch(who.tenant, branch_id)
        days = self._range(branch, since, until)
        rows = self.rollups.days(who.tenant, branch_id, sales_rollup.REPORT, days.since.isoformat(), days.until.isoformat())
        report = sales_rollup.report(rows.items(), days, grouping)
        return NamedSalesReport(branch, report, self._names(who.tenant, report))

    def _names(self, tenant_id: str, report: SalesReport) -> dict[str, str]:
        keys = [line.key for line in report.lines]
        if report.grouping == "hora":
            return {key: f"{key}:00" for key in keys}
        if report.grouping == "plato":
            return self._dish_names(tenant_id, keys)
        if report.grouping == "mesero":
            staff = {str(user.user_id): user.nombre for user in self.users.list(tenant_id)}
            return {key: staff.get(key, key) for key in keys}
        return {key: key for key in keys}

    def _dish_names(self, tenant_id: str, keys: list[str]) -> dict[str, str]:
        """One Query each for the live platos and productos; a GetItem for an entry deleted since."""
        if not keys:
            return {}
        known = {f"plato:{p.id}": p.nombre for p in self.catalog.list_platos(tenant_id)}
        known |= {f"producto:{p.id}": p.nombre for p in self.catalog.list_products(tenant_id)}
        for key in keys:
            if key not in known:
                kind, _, entry_id = key.partition(":")
                catalog = self.catalog
                entry = catalog.get_plato(tenant_id, entry_id) if kind == "plato" else catalog.get_product(tenant_id, entry_id)
                known[key] = entry.nombre if entry is not None else entry_id
        return {key: known[key] for key in keys}

    def closed_cajas(self, who: Principal, branch_id: str, since: str | None, until: str | None) -> CajasReport:
        """The branch's cajas opened on the range's local days and closed since, oldest first."""
        branch = self.branch(who.tenant, branch_id)
        days = self._range(branch, since, until)
        start, end = local_midnight(days.since, branch.timezone), local_midnight(days.until + timedelta(days=1), branch.timezone)
        return CajasReport(branch, days, self.cajas.closed_opened_between(who.tenant, branch_id, start, end))


def local_midnight(day: date, timezone: str) -> str:
    """The UTC moment a local day starts (ISO, as stored)."""
    return iso(datetime.combine(day, time(), ZoneInfo(timezone)))
