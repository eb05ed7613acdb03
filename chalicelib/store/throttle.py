"""Failed-attempt counters (table: `users`, rows `<scope>` / `LOGIN#<name>`): one atomic ADD per
failure, shared by every Lambda instance, removed by TTL once their window has passed."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import PutError, UpdateError

from chalicelib.domain.throttle import Attempts
from chalicelib.settings import Settings
from chalicelib.store.base import Record, bound, is_condition_failure

TTL_GRACE_SECONDS = 3600


class AttemptRecord(Record):
    failures = NumberAttribute()
    window_ends = NumberAttribute()
    ttl = NumberAttribute()


def attempt_sk(name: str) -> str:
    return f"LOGIN#{name}"


class AttemptRepository:
    def __init__(self, settings: Settings) -> None:
        self.AttemptRecord = bound(AttemptRecord, "users", settings)

    def get(self, scope: str, name: str) -> Attempts | None:
        try:
            r = self.AttemptRecord.get(scope, attempt_sk(name), consistent_read=True)
        except self.AttemptRecord.DoesNotExist:
            return None
        return Attempts(int(r.failures), int(r.window_ends))

    def add_failure(self, scope: str, name: str, now: int, window_seconds: int) -> Attempts:
        """Count one failure in the open window, or open a new window with it."""
        R = self.AttemptRecord
        for _ in range(3):
            try:
                r = R(scope, attempt_sk(name))
                r.update(actions=[R.failures.add(1)], condition=R.window_ends > now)
                return Attempts(int(r.failures), int(r.window_ends))
            except UpdateError as exc:
                if not is_condition_failure(exc):
                    raise
            ends = now + window_seconds
            try:
                R(scope, attempt_sk(name), failures=1, window_ends=ends, ttl=ends + TTL_GRACE_SECONDS).save(
                    condition=R.pk.does_not_exist() | (R.window_ends <= now)
                )
                return Attempts(1, ends)
            except PutError as exc:
                if not is_condition_failure(exc):
                    raise  # another request opened the window just now: count in it
        raise RuntimeError("login attempt counter kept changing")

    def clear(self, scope: str, name: str) -> None:
        self.AttemptRecord(scope, attempt_sk(name)).delete()
