"""The audit trail (table: `users`, partition `AUDIT#<tenant>`, sort key `<ISO time>#<random>`):
one Query per time range, rows removed by TTL after the retention period."""

from __future__ import annotations

import json
from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.transactions import TransactWrite

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.clock import iso
from chalicelib.settings import Settings
from chalicelib.store.base import Record, bound


class AuditRecord(Record):
    at = UTCDateTimeAttribute()
    action = UnicodeAttribute()
    target = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    actor_name = UnicodeAttribute()
    request_id = UnicodeAttribute()
    detail = UnicodeAttribute()  # JSON object of strings
    ttl = NumberAttribute()


def audit_pk(tenant_id: str) -> str:
    return f"AUDIT#{tenant_id}"


class AuditRepository:
    def __init__(self, settings: Settings) -> None:
        self.AuditRecord = bound(AuditRecord, "users", settings)

    def _record(self, e: AuditEntry) -> AuditRecord:
        return self.AuditRecord(
            audit_pk(e.tenant_id), e.entry_id, at=e.at, action=e.action, target=e.target, actor_id=e.actor_id,
            actor_name=e.actor_name, request_id=e.request_id, detail=json.dumps(dict(e.detail), ensure_ascii=False),
            ttl=e.expires_at,
        )

    def add(self, entry: AuditEntry) -> None:
        self._record(entry).save(condition=self.AuditRecord.pk.does_not_exist())

    def stage(self, tx: TransactWrite, entry: AuditEntry) -> None:
        """The entry as one more write of a transaction (a unit of work's)."""
        tx.save(self._record(entry), condition=self.AuditRecord.pk.does_not_exist())

    def between(self, tenant_id: str, since: datetime, until: datetime, limit: int) -> list[AuditEntry]:
        """Entries with desde <= at <= hasta, newest first, at most `limit`."""
        R = self.AuditRecord
        rows = R.query(audit_pk(tenant_id), R.sk.between(iso(since), iso(until) + "~"), scan_index_forward=False, limit=limit)
        return [
            AuditEntry(tenant_id, r.sk, r.at, r.action, r.target, r.actor_id, r.actor_name, r.request_id, int(r.ttl),
                       json.loads(r.detail))
            for r in rows
        ]
