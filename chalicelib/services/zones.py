"""The one branch settings lookup (its time zone, its late minutes...): a branch's own zone, or
the stage's default (COMANDA_DEFAULT_TIMEZONE) for a branch that has none; cached per container
for a minute so that a change of the branch's settings is seen without a read per request."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from chalicelib.domain.tenancy import Branch

if TYPE_CHECKING:
    from chalicelib.services.ports import TenantStore

CACHE_SECONDS = 60.0


class BranchTimezones:
    def __init__(self, tenants: TenantStore, default_timezone: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.tenants = tenants
        self.default_timezone = default_timezone
        self.clock = clock
        self._cache: dict[tuple[str, str], tuple[float, Branch]] = {}

    def __call__(self, tenant_id: str, branch_id: str) -> str:
        return self.branch(tenant_id, branch_id).timezone

    def branch(self, tenant_id: str, branch_id: str) -> Branch:
        """The branch's settings, with the default zone filled in (a branch never onboarded gets
        the defaults)."""
        key = (tenant_id, branch_id)
        cached = self._cache.get(key)
        now = self.clock()
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        branch = self.tenants.get_branch(tenant_id, branch_id) or Branch(tenant_id, branch_id, branch_id, self.default_timezone)
        if not branch.timezone:
            branch = replace(branch, timezone=self.default_timezone)
        self._cache[key] = (now, branch)
        return branch
