"""The one branch time-zone lookup: a branch's own zone, or the stage's default
(COMANDA_DEFAULT_TIMEZONE) for a branch that has none; cached per container for a minute so
that a change of the branch's settings is seen without a read per request."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.services.ports import TenantStore

CACHE_SECONDS = 60.0


class BranchTimezones:
    def __init__(self, tenants: TenantStore, default_timezone: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.tenants = tenants
        self.default_timezone = default_timezone
        self.clock = clock
        self._cache: dict[tuple[str, str], tuple[float, str]] = {}

    def __call__(self, tenant_id: str, branch_id: str) -> str:
        key = (tenant_id, branch_id)
        cached = self._cache.get(key)
        now = self.clock()
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        branch = self.tenants.get_branch(tenant_id, branch_id)
        zone = branch.timezone if branch is not None and branch.timezone else self.default_timezone
        self._cache[key] = (now, zone)
        return zone
