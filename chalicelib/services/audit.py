"""The audit trail: voids, item removals, reopenings, caja closes and arqueos, price changes and
user changes, with who, when, what and from which request, kept for `retention_days`.

The HTTP edge says who is acting (`acting`); the use cases say what happened. Where a use case
commits through a unit of work, the entry is one more write of it; elsewhere it is written right
after the change, and a failure to write it is logged, never undoes the change."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from chalicelib.domain.audit import SYSTEM, AuditEntry
from chalicelib.domain.clock import iso, utc_now

if TYPE_CHECKING:
    from chalicelib.services.ports import AuditStore  # kept off the import path of every request


@dataclass(frozen=True)
class Actor:
    user_id: str
    name: str
    request_id: str


_ACTOR: ContextVar[Actor | None] = ContextVar("comanda_audit_actor", default=None)


@contextmanager
def acting(actor: Actor) -> Iterator[None]:
    token = _ACTOR.set(actor)
    try:
        yield
    finally:
        _ACTOR.reset(token)


class AuditTrail:
    def __init__(self, store: AuditStore, retention_days: int, clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.retention_days = retention_days
        self.clock = clock

    def entry(self, tenant_id: str, action: str, target: str, detail: Mapping[str, object] | None = None) -> AuditEntry:
        actor = _ACTOR.get() or Actor(SYSTEM, SYSTEM, "")
        at = self.clock()
        expires = int((at + timedelta(days=self.retention_days)).timestamp())
        return AuditEntry(tenant_id, f"{iso(at)}#{os.urandom(4).hex()}", at, action, target, actor.user_id, actor.name,
                          actor.request_id, expires, {k: str(v) for k, v in (detail or {}).items() if v is not None})

    def between(self, tenant_id: str, since: datetime, until: datetime, limit: int) -> list[AuditEntry]:
        return self.store.between(tenant_id, since, until, limit)
